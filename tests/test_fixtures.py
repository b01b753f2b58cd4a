"""The database fixtures give each test its own, empty, working database."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import create_pg_database, drop_pg_database, pg_admin_dsn, sqlite_connect


def test_sqlite_file_is_new_and_in_wal_mode(sqlite_path):
    assert not sqlite_path.exists()
    conn = sqlite_connect(sqlite_path)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    assert mode == "wal"
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1


@pytest.mark.postgres
def test_pg_database_is_fresh_and_writable(pg_dsn):
    import asyncpg

    async def go():
        conn = await asyncpg.connect(pg_dsn)
        try:
            tables = await conn.fetchval(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
            await conn.execute("CREATE TABLE t (x int)")
            await conn.execute("INSERT INTO t VALUES (1)")
            return tables, await conn.fetchval("SELECT count(*) FROM t")
        finally:
            await conn.close()

    assert asyncio.run(go()) == (0, 1)


@pytest.mark.postgres
def test_pg_database_is_dropped_afterwards(pg_dsn):
    import asyncpg

    admin = pg_admin_dsn()
    name, _ = create_pg_database(admin)
    drop_pg_database(admin, name)

    async def exists():
        conn = await asyncpg.connect(admin)
        try:
            return await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        finally:
            await conn.close()

    assert asyncio.run(exists()) is None


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "1 error")])
def test_unreachable_postgres_skips_outside_ci_and_fails_in_ci(ci, outcome):
    import os
    import subprocess
    import sys

    from tests.conftest import PG_DSN_VARIABLE, REPO

    env = {**os.environ, PG_DSN_VARIABLE: "postgresql://postgres@127.0.0.1:1/postgres", "CI": ci}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/test_fixtures.py::test_pg_database_is_fresh_and_writable",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome in run.stdout, run.stdout
    assert PG_DSN_VARIABLE in run.stdout
