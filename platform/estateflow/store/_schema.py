"""Create the schema from the Piccolo tables, on SQLite or PostgreSQL.

Piccolo builds each table's DDL for the engine at hand; the composite keys it cannot
declare (one event per case and sequence number, one membership per user and estate)
are added here. ``SCHEMA_VERSION`` is what this code expects; ``store/migrations.py``
takes an older database there (``estateflow upgrade``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from piccolo.engine.postgres import PostgresEngine

from estateflow.store import tables as t
from estateflow.store._db import StoreError

SCHEMA_VERSION = 3

_EXTRA = (
    'CREATE UNIQUE INDEX IF NOT EXISTS events_case_seq ON "events" ("case_id", "seq")',
    'CREATE INDEX IF NOT EXISTS events_estate ON "events" ("estate_id", "case_id")',
    "CREATE UNIQUE INDEX IF NOT EXISTS memberships_user_estate "
    'ON "memberships" ("user_id", "estate_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS counters_key ON "counters" ("estate_id", "prefix", "year")',
    'CREATE UNIQUE INDEX IF NOT EXISTS cases_number ON "cases" ("estate_id", "number")',
    'CREATE INDEX IF NOT EXISTS cases_due ON "cases" ("next_due_at")',
    "CREATE INDEX IF NOT EXISTS cases_estate_status "
    'ON "cases" ("estate_id", "status", "opened_at")',
    'CREATE UNIQUE INDEX IF NOT EXISTS tasks_key ON "tasks" ("case_id", "task_id")',
    'CREATE INDEX IF NOT EXISTS tasks_inbox ON "tasks" ("estate_id", "role", "assignee", "due_at")',
    'CREATE INDEX IF NOT EXISTS registers_key ON "register_rows" ("estate_id", "register", "unit")',
    'CREATE INDEX IF NOT EXISTS outbox_pending ON "outbox" ("sent_at", "created_at")',
    "CREATE INDEX IF NOT EXISTS cases_reports "
    'ON "cases" ("estate_id", "procedure", "opened_at", "id")',
    'CREATE INDEX IF NOT EXISTS cases_opened ON "cases" ("estate_id", "opened_at", "id")',
    "CREATE INDEX IF NOT EXISTS task_holders_inbox "
    'ON "task_holders" ("estate_id", "holder", "due_order", "opened_at")',
    'CREATE INDEX IF NOT EXISTS task_holders_case ON "task_holders" ("case_id")',
    'CREATE INDEX IF NOT EXISTS cases_closed ON "cases" ("estate_id", "status", "closed_at")',
    "CREATE UNIQUE INDEX IF NOT EXISTS report_summaries_key "
    'ON "report_summaries" ("estate_id", "bundle_hash", "month")',
)

_PG = PostgresEngine(config={})


def ddl(kind: str, *, indexes: bool = True) -> list[str]:
    """Every statement that creates the schema on ``kind`` ("sqlite" or "postgres");
    without ``indexes``, the tables only (with the indexes Piccolo declares)."""
    statements: list[str] = []
    for table in t.TABLES:
        if kind == "postgres":
            original = table._meta._db
            table._meta._db = _PG
            try:
                statements.extend(table.create_table(if_not_exists=True).ddl)
            finally:
                table._meta._db = original
        else:
            statements.extend(table.create_table(if_not_exists=True).ddl)
    return statements + list(_EXTRA) if indexes else statements


async def create_schema(db) -> None:
    """Create missing tables; refuse a database written by a newer EstateFlow, or one
    an older EstateFlow wrote and ``estateflow upgrade`` has not migrated yet."""
    found = await _version(db)
    if found is not None and found < SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {found}, older than this EstateFlow "
            f"({SCHEMA_VERSION}): run `estateflow upgrade` first"
        )
    await db.execute_script(ddl(db.kind))
    async with db.transaction(write=True) as tx:
        found = await tx.fetchval('SELECT max("version") FROM "schema_version"')
        if found is None:
            tx.defer(
                'INSERT INTO "schema_version" ("version", "applied_at") VALUES ($1, $2)',
                SCHEMA_VERSION,
                datetime.now(UTC),
            )
        elif found > SCHEMA_VERSION:
            raise StoreError(
                f"the database has schema version {found}, newer than this "
                f"EstateFlow ({SCHEMA_VERSION}): upgrade EstateFlow first"
            )


async def schema_version(db) -> int | None:
    """The database's schema version; None for an empty database."""
    return await _version(db)


async def _version(db) -> int | None:
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
