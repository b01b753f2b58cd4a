"""The schema migration loop, with a fake step standing in for the first real one."""

from __future__ import annotations

import pytest

from estateflow.services import Services
from estateflow.store import SCHEMA_VERSION, StoreError, open_store
from estateflow.store._db import open_database
from estateflow.store.migrations import MIGRATIONS, pending, schema_version, upgrade
from tests.ops.conftest import STAFF, seed, who
from tests.services.test_inbox import CALLBACK
from tests.services.test_services import INTAKE

pytestmark = pytest.mark.anyio


def test_the_steps_lead_to_the_code_s_schema_version():
    assert len(MIGRATIONS) + 1 == SCHEMA_VERSION
    for step in MIGRATIONS:
        assert step.__doc__, f"{step.__name__} must say what changed"


async def _add_nickname(tx):
    """A later version: users get a nickname."""
    await tx.execute('ALTER TABLE "users" ADD COLUMN "nickname" TEXT DEFAULT \'\'')


async def _fill_nickname(tx):
    """The version after: the nickname starts as the name."""
    await tx.execute('UPDATE "users" SET "nickname" = "name"')


async def test_fake_steps_run_in_order_once(db_url):
    store = await open_store(db_url)
    try:
        async with store.unit_of_work(writes=True) as uow:
            uow.upsert_user("wychan", "陳穎欣", "", _now())
        steps = (*MIGRATIONS, _add_nickname, _fill_nickname)
        later = [SCHEMA_VERSION + 1, SCHEMA_VERSION + 2]
        assert [v for v, _ in pending(1, steps)] == [*range(2, SCHEMA_VERSION + 1), *later]
        assert await upgrade(store.db, steps) == later
        assert await schema_version(store.db) == SCHEMA_VERSION + 2
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


async def test_version_2_fills_task_holders_so_inboxes_stay_as_they_were(db_url, clock):
    """A version 1 database (no ``task_holders``) is refused until upgraded; the upgrade
    fills the table from ``tasks`` and every inbox lists the same tasks as before."""
    store = await open_store(db_url)
    services = Services(store, clock=clock)
    try:
        await seed(services)
        for _ in range(3):
            clock.advance(minutes=1)
            view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        await services.claim_task("sunshine", view.id, view.tasks[0].task_id, actor=who("wychan"))
        await services.start_case("sunshine", "repair-callback", CALLBACK, actor=who("lmyip"))
        before = {name: await _inbox(services, name) for name in STAFF}
        assert sum(map(len, before.values())) > 6
        async with store.unit_of_work(writes=True) as uow:  # back to version 1
            uow.tx.defer('DROP TABLE "task_holders"')
            uow.tx.defer('DELETE FROM "schema_version"')
            uow.tx.defer(
                'INSERT INTO "schema_version" ("version", "applied_at") VALUES (1, $1)', _now()
            )
    finally:
        await store.close()

    with pytest.raises(StoreError, match=r"older than this EstateFlow.*estateflow upgrade"):
        await open_store(db_url)
    db = await open_database(db_url)
    try:
        assert await upgrade(db) == [2, 3]
    finally:
        await db.close()
    store = await open_store(db_url)
    try:
        services = Services(store, clock=clock)
        assert {name: await _inbox(services, name) for name in STAFF} == before
    finally:
        await store.close()


async def _inbox(services, username):
    return [
        (t.case_number, t.task_id) for t in await services.inbox("sunshine", actor=who(username))
    ]


async def test_version_3_lets_queued_notifications_wait_after_a_failure(db_url, clock):
    """A version 2 outbox (no ``next_attempt_at``, ``last_error``) gets both columns;
    what was queued stays queued, and is due at once."""
    store = await open_store(db_url)
    services = Services(store, clock=clock)
    try:
        await seed(services)
        await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        clock.advance(minutes=11)
        assert await services.fire_due() == 2
        async with store.unit_of_work(writes=True) as uow:  # back to version 2
            uow.tx.defer('ALTER TABLE "outbox" DROP COLUMN "next_attempt_at"')
            uow.tx.defer('ALTER TABLE "outbox" DROP COLUMN "last_error"')
            uow.tx.defer('DELETE FROM "schema_version"')
            uow.tx.defer(
                'INSERT INTO "schema_version" ("version", "applied_at") VALUES (2, $1)', _now()
            )
    finally:
        await store.close()

    with pytest.raises(StoreError, match=r"schema version 2, older"):
        await open_store(db_url)
    db = await open_database(db_url)
    try:
        assert await upgrade(db) == [3]
    finally:
        await db.close()
    store = await open_store(db_url)
    try:
        async with store.unit_of_work(writes=False) as uow:
            queued = await uow.pending_notifications(clock())
        assert len(queued) == 2
    finally:
        await store.close()
