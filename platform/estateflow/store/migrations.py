"""Schema migrations: an ordered list of one-step upgrades, applied in a loop.

``MIGRATIONS[i]`` takes a database from schema version ``i + 1`` to ``i + 2``; the code's
``SCHEMA_VERSION`` is therefore ``len(MIGRATIONS) + 1``. Each step is an async function
over a write transaction whose docstring says what changed. Every step runs in its own
transaction together with the row that records the new version, so an upgrade that
stops half way leaves the database at a version a later run continues from. The loop,
not hand-written calls from one step to the next, is what keeps a step from being
skipped.

SQLite cannot ``ALTER COLUMN``: a step that changes a column there rebuilds the table
(create the new one, copy, drop, rename). A table new in this code is created before
the steps run (as the tables declare it, without the extra indexes, which come after),
so a step only fills it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from estateflow.store._db import Database, StoreError, Tx
from estateflow.store._schema import ddl, schema_version
from estateflow.store._store import NO_DEADLINE

Step = Callable[[Tx], Awaitable[None]]


async def _fill_task_holders(tx: Tx) -> None:
    """Version 2: inboxes find open tasks through ``task_holders`` (the assignee, or
    each role that may act on an unassigned task) instead of a LIKE over the roles of
    every open task of the estate; filled here from ``tasks``, one statement per
    distinct roles list (a handful), so it stays quick at 100,000 open tasks."""
    columns = (
        'INSERT INTO "task_holders" ("estate_id", "case_id", "task_id", "holder", '
        '"due_order", "opened_at") SELECT "estate_id", "case_id", "task_id", '
    )
    await tx.execute(
        columns + '\'user:\' || "assignee", COALESCE("due_at", $1), "opened_at" '
        'FROM "tasks" WHERE "status" = \'open\' AND "assignee" IS NOT NULL',
        NO_DEADLINE,
    )
    for row in await tx.fetch(
        'SELECT DISTINCT "roles" FROM "tasks" WHERE "status" = \'open\' AND "assignee" IS NULL'
    ):
        for role in filter(None, (row["roles"] or "").split(",")):
            await tx.execute(
                columns
                + 'CAST($1 AS VARCHAR(200)), COALESCE("due_at", $2), "opened_at" FROM "tasks" '
                'WHERE "status" = \'open\' AND "assignee" IS NULL AND "roles" = $3',
                f"role:{role}",
                NO_DEADLINE,
                row["roles"],
            )


async def _outbox_retries(tx: Tx) -> None:
    """Version 3: a failed send waits before its next try (``outbox.next_attempt_at``,
    ``outbox.last_error``), so notifications that keep failing do not hold up the
    queue. Columns already there (a database put back by hand) are left alone."""
    if tx.kind == "postgres":
        found = {
            r["column_name"]
            for r in await tx.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'outbox'"
            )
        }
    else:
        found = {r["name"] for r in await tx.fetch("SELECT name FROM pragma_table_info('outbox')")}
    for column, kind in (("next_attempt_at", "TIMESTAMPTZ"), ("last_error", "TEXT")):
        if column not in found:
            await tx.execute(f'ALTER TABLE "outbox" ADD COLUMN "{column}" {kind} DEFAULT null')


#: Version 1 is the first released schema.
MIGRATIONS: tuple[Step, ...] = (_fill_task_holders, _outbox_retries)


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
    todo = pending(await schema_version(db), steps)
    if todo:
        await db.execute_script(ddl(db.kind, indexes=False))
    for version, step in todo:
        async with db.transaction(write=True) as tx:
            await step(tx)
            tx.defer(
                'INSERT INTO "schema_version" ("version", "applied_at") VALUES ($1, $2)',
                version,
                datetime.now(UTC),
            )
        reached.append(version)
    return reached
