"""Create the schema from the Piccolo tables, on SQLite or PostgreSQL.

Piccolo builds each table's DDL for the engine at hand; the composite keys it cannot
declare (one event per case and sequence number, one membership per user and estate)
are added here. ``SCHEMA_VERSION`` is what this code expects; an upgrade path lands
with the first change to it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from piccolo.engine.postgres import PostgresEngine

from estateflow.store import tables as t
from estateflow.store._db import StoreError

SCHEMA_VERSION = 1

_EXTRA = (
    'CREATE UNIQUE INDEX IF NOT EXISTS events_case_seq ON "events" ("case_id", "seq")',
    'CREATE INDEX IF NOT EXISTS events_estate ON "events" ("estate_id", "case_id")',
    "CREATE UNIQUE INDEX IF NOT EXISTS memberships_user_estate "
    'ON "memberships" ("user_id", "estate_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS counters_key ON "counters" ("estate_id", "prefix", "year")',
    'CREATE UNIQUE INDEX IF NOT EXISTS cases_number ON "cases" ("estate_id", "number")',
    'CREATE INDEX IF NOT EXISTS cases_due ON "cases" ("next_due_at")',
    'CREATE INDEX IF NOT EXISTS cases_estate_status '
    'ON "cases" ("estate_id", "status", "opened_at")',
    'CREATE UNIQUE INDEX IF NOT EXISTS tasks_key ON "tasks" ("case_id", "task_id")',
    'CREATE INDEX IF NOT EXISTS tasks_inbox ON "tasks" ("estate_id", "role", "assignee", "due_at")',
    'CREATE INDEX IF NOT EXISTS registers_key ON "register_rows" ("estate_id", "register", "unit")',
    'CREATE INDEX IF NOT EXISTS outbox_pending ON "outbox" ("sent_at", "created_at")',
    'CREATE INDEX IF NOT EXISTS cases_reports '
    'ON "cases" ("estate_id", "procedure", "opened_at", "id")',
    'CREATE INDEX IF NOT EXISTS cases_opened ON "cases" ("estate_id", "opened_at", "id")',
)

_PG = PostgresEngine(config={})


def ddl(kind: str) -> list[str]:
    """Every statement that creates the schema on ``kind`` ("sqlite" or "postgres")."""
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
    return statements + list(_EXTRA)


async def create_schema(db) -> None:
    """Create missing tables; refuse a database written by a newer EstateFlow."""
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
