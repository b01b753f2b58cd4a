"""Schema migrations: an ordered list of one-step upgrades, applied in a loop.

``MIGRATIONS[i]`` takes a database from schema version ``i + 1`` to ``i + 2``; the code's
``SCHEMA_VERSION`` is therefore ``len(MIGRATIONS) + 1``. Each step is an async function
over a write transaction whose docstring says what changed. Every step runs in its own
transaction together with the row that records the new version, so an upgrade that
stops half way leaves the database at a version a later run continues from. The loop,
not hand-written calls from one step to the next, is what keeps a step from being
skipped.

SQLite cannot ``ALTER COLUMN``: a step that changes a column there rebuilds the table
(create the new one, copy, drop, rename). New tables need no step: ``create_schema``
creates any missing table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from estateflow.store._db import Database, StoreError, Tx

Step = Callable[[Tx], Awaitable[None]]

#: Version 1 is the first released schema; nothing has changed since.
MIGRATIONS: tuple[Step, ...] = ()


async def schema_version(db: Database) -> int | None:
    """The database's schema version; None for an empty database."""
    async with db.transaction(write=False) as tx:
        if db.kind == "sqlite":
            exists = await tx.fetchval(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            )
        else:
            exists = await tx.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return None
        found = await tx.fetchval('SELECT max("version") FROM "schema_version"')
        return int(found) if found is not None else None


def pending(found: int | None, steps: Sequence[Step] = MIGRATIONS) -> list[tuple[int, Step]]:
    """``(version it leads to, step)`` for each step a database at ``found`` still needs.

    Raises:
        StoreError: the database is newer than the code.
    """
    target = len(steps) + 1
    if found is None:
        return []
    if found > target:
        raise StoreError(
            f"the database has schema version {found}, newer than this EstateFlow "
            f"({target}): upgrade EstateFlow first"
        )
    return [(version + 1, steps[version - 1]) for version in range(found, target)]


async def upgrade(db: Database, steps: Sequence[Step] = MIGRATIONS) -> list[int]:
    """Apply every pending step in order; returns the versions reached."""
    reached = []
    for version, step in pending(await schema_version(db), steps):
        async with db.transaction(write=True) as tx:
            await step(tx)
            tx.defer(
                'INSERT INTO "schema_version" ("version", "applied_at") VALUES ($1, $2)',
                version,
                datetime.now(UTC),
            )
        reached.append(version)
    return reached
