"""The schema migration loop, with a fake step standing in for the first real one."""

from __future__ import annotations

import pytest

from estateflow.store import SCHEMA_VERSION, StoreError, open_store
from estateflow.store.migrations import MIGRATIONS, pending, schema_version, upgrade

pytestmark = pytest.mark.anyio


def test_the_steps_lead_to_the_code_s_schema_version():
    assert len(MIGRATIONS) + 1 == SCHEMA_VERSION
    for step in MIGRATIONS:
        assert step.__doc__, f"{step.__name__} must say what changed"


async def _add_nickname(tx):
    """Version 2: users get a nickname."""
    await tx.execute('ALTER TABLE "users" ADD COLUMN "nickname" TEXT DEFAULT \'\'')


async def _fill_nickname(tx):
    """Version 3: the nickname starts as the name."""
    await tx.execute('UPDATE "users" SET "nickname" = "name"')


async def test_fake_steps_run_in_order_once(db_url):
    store = await open_store(db_url)
    try:
        async with store.unit_of_work(writes=True) as uow:
            uow.upsert_user("wychan", "陳穎欣", "", _now())
        steps = (_add_nickname, _fill_nickname)
        assert [v for v, _ in pending(1, steps)] == [2, 3]
        assert await upgrade(store.db, steps) == [2, 3]
        assert await schema_version(store.db) == 3
        async with store.unit_of_work(writes=False) as uow:
            assert await uow.tx.fetchval('SELECT "nickname" FROM "users"') == "陳穎欣"
        assert await upgrade(store.db, steps) == []  # nothing left to do
    finally:
        await store.close()


async def test_a_database_newer_than_the_code_is_refused(db_url):
    store = await open_store(db_url)
    try:
        async with store.unit_of_work(writes=True) as uow:
            uow.tx.defer(
                'INSERT INTO "schema_version" ("version", "applied_at") VALUES ($1, $2)',
                SCHEMA_VERSION + 1,
                _now(),
            )
        with pytest.raises(StoreError, match="newer than this EstateFlow"):
            await upgrade(store.db)
    finally:
        await store.close()
    with pytest.raises(StoreError, match="newer"):
        await open_store(db_url)


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 9, 24, 2, 0, tzinfo=UTC)
