"""Fixtures shared by every suite: a fresh SQLite file and a fresh PostgreSQL database.

PostgreSQL comes from ``ESTATEFLOW_TEST_PG_DSN`` (default: the local server on
127.0.0.1:5432). Outside CI a missing server skips the test with a reason naming the
variable; with ``CI=true`` it fails instead, so CI can never go green by skipping.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_DSN_VARIABLE = "ESTATEFLOW_TEST_PG_DSN"
DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
REPO = Path(__file__).resolve().parents[1]


def pg_admin_dsn() -> str:
    return os.environ.get(PG_DSN_VARIABLE, DEFAULT_PG_DSN)


def _with_database(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


async def _admin(dsn: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_pg_database(admin_dsn: str) -> tuple[str, str]:
    """Create an empty database with a unique name; returns (name, dsn)."""
    name = f"estateflow_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_dsn, f'CREATE DATABASE "{name}"'))
    return name, _with_database(admin_dsn, name)


def drop_pg_database(admin_dsn: str, name: str) -> None:
    asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A path for a new SQLite database file, deleted with the test's temporary folder."""
    return tmp_path / "estateflow.sqlite3"


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """The DSN of a fresh PostgreSQL database, dropped after the test."""
    with fresh_pg_database() as dsn:
        yield dsn


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped on exit (also for wider-scoped fixtures)."""
    admin = pg_admin_dsn()
    try:
        name, dsn = create_pg_database(admin)
    except Exception as exc:  # any failure to reach the server: refused, auth, no driver
        reason = f"PostgreSQL not reachable at {PG_DSN_VARIABLE}={admin!r}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield dsn
    finally:
        drop_pg_database(admin, name)


def sqlite_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn
