"""Persisted acts per second through ``services`` against raw drivers, same statements.

Ours: ``Services.take_action`` on the benchmark complaint path (load the case, run the
engine, write state, events and the open tasks, commit), one act per transaction.
Baseline: raw ``sqlite3`` (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``) or raw
``asyncpg`` with a pool, running the same statements with rows of the same sizes as ours
(taken from our own run), one act per transaction. PostgreSQL rows appear when
``ESTATEFLOW_BENCH_PG_DSN`` (or the test server on 127.0.0.1:5432) is reachable.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from estateflow.engine import Actor
from estateflow.services import Services
from estateflow.store import open_store

ESTATE = Path(__file__).parent / "data" / "estate"
PG_ADMIN = os.environ.get(
    "ESTATEFLOW_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 9, 24, 2, 0, tzinfo=UTC)
PATH = [("forward", "dispatch"), ("investigate", "done"), ("inform", "informed")]
ACTORS = {
    "forward": Actor(username="desk", roles=frozenset({"front_desk"})),
    "investigate": Actor(username="dept", roles=frozenset({"responsible_dept"})),
    "inform": Actor(username="desk", roles=frozenset({"front_desk"})),
}


async def _ours(url: str, cases: int) -> tuple[float, dict]:
    store = await open_store(url)
    services = Services(store, clock=lambda: NOW)
    await services.publish_estate(ESTATE)
    starter = Actor(username="desk", roles=frozenset({"front_desk"}))
    ids = []
    for _ in range(cases):
        view = await services.start_case("bench", "act-path", None, actor=starter)
        ids.append(view.id)
    # Give every case its severity the way a start form would, outside the timing.
    async with store.unit_of_work(writes=False) as uow:
        sample = await uow.load_case("bench", ids[0])
    acts = 0
    started = time.perf_counter()
    for case_id in ids:
        for step, action in PATH:
            # Task ids are the step and its count: known without reading the case first.
            await services.take_action(
                "bench", case_id, f"{step}-1", action, None, actor=ACTORS[step]
            )
            acts += 1
    elapsed = time.perf_counter() - started
    shape = await _shape(store, ids[0], sample)
    await store.close()
    return elapsed / acts * 1e6, shape


async def _shape(store, case_id: str, sample) -> dict:
    """Sizes of what one act wrote, for the raw baseline to write the same."""
    async with store.unit_of_work(writes=False) as uow:
        row = await uow.tx.fetchrow(
            'SELECT "state", "version" FROM "cases" WHERE "id" = $1', case_id
        )
        payloads = await uow.tx.fetch(
            'SELECT "payload" FROM "events" WHERE "case_id" = $1', case_id
        )
    events_per_act = (int(row["version"]) - sample.version) / len(PATH)
    return {
        "state": row["state"],
        "payload": max((p["payload"] for p in payloads), key=len),
        "events_per_act": max(1, round(events_per_act)),
    }


_SELECT = (
    'SELECT "id", "estate_id", "bundle_hash", "procedure", "number", "status", "version", '
    '"chain_head", "state", "opened_at", "parent_id" FROM "cases" '
    'WHERE "estate_id" = {0} AND "id" = {1}'
)
_UPDATE = (
    'UPDATE "cases" SET "state" = {0}, "version" = {1}, "chain_head" = {2}, "status" = {3}, '
    '"next_due_at" = {4} WHERE "id" = {5} AND "version" = {6}'
)
_EVENT = (
    'INSERT INTO "events" ("estate_id", "case_id", "seq", "at", "actor", "type", "payload", '
    '"digest", "prev_hash", "hash", "erased") '
    "VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, false)"
)
_DELETE = 'DELETE FROM "tasks" WHERE "case_id" = {0}'
_TASK = (
    'INSERT INTO "tasks" ("estate_id", "case_id", "task_id", "step", "role", "assignee", '
    '"status", "opened_at", "due_at", "warn_at") '
    "VALUES ({0}, {1}, {2}, {3}, {4}, NULL, {5}, {6}, NULL, NULL)"
)


def _sql(template: str, style: str) -> str:
    count = template.count("{")
    marks = ["?"] * count if style == "qmark" else [f"${i + 1}" for i in range(count)]
    return template.format(*marks)


def _raw_sqlite(path: str, cases: int, shape: dict) -> float:
    from estateflow.store import ddl

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    for statement in ddl("sqlite"):
        conn.execute(statement)
    ids = [uuid.uuid4().hex for _ in range(cases)]
    for n, case_id in enumerate(ids):
        conn.execute(
            'INSERT INTO "cases" ("id", "estate_id", "bundle_hash", "procedure", "number", '
            '"status", "state", "state_version", "version", "chain_head", "opened_at") '
            "VALUES (?, 'bench', 'h', 'p', ?, 'open', ?, 1, 0, '', ?)",
            (case_id, f"N-{n}", shape["state"], NOW.isoformat()),
        )
    select, update, event = (_sql(t, "qmark") for t in (_SELECT, _UPDATE, _EVENT))
    delete, task = _sql(_DELETE, "qmark"), _sql(_TASK, "qmark")
    acts = 0
    started = time.perf_counter()
    for case_id in ids:
        version = 0
        for step, _ in PATH:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(select, ("bench", case_id)).fetchone()
            assert row is not None
            new = version + shape["events_per_act"]
            conn.execute(update, (shape["state"], new, "h" * 64, "open", None, case_id, version))
            for seq in range(version + 1, new + 1):
                conn.execute(
                    event,
                    (
                        "bench",
                        case_id,
                        seq,
                        NOW.isoformat(),
                        "desk",
                        "Event",
                        shape["payload"],
                        "d" * 64,
                        "p" * 64,
                        "h" * 64,
                    ),
                )
            conn.execute(delete, (case_id,))
            conn.execute(
                task, ("bench", case_id, f"{step}-1", step, "role", "open", NOW.isoformat())
            )
            conn.execute("COMMIT")
            version = new
            acts += 1
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed / acts * 1e6


async def _raw_pg(dsn: str, cases: int, shape: dict) -> float:
    import asyncpg

    from estateflow.store import ddl

    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
    async with pool.acquire() as conn:
        for statement in ddl("postgres"):
            await conn.execute(statement)
    ids = [uuid.uuid4().hex for _ in range(cases)]
    async with pool.acquire() as conn:
        for n, case_id in enumerate(ids):
            await conn.execute(
                'INSERT INTO "cases" ("id", "estate_id", "bundle_hash", "procedure", "number", '
                '"status", "state", "state_version", "version", "chain_head", "opened_at") '
                "VALUES ($1, 'bench', 'h', 'p', $2, 'open', $3, 1, 0, '', $4)",
                case_id,
                f"N-{n}",
                shape["state"],
                NOW,
            )
    select, update, event = (_sql(t, "dollar") for t in (_SELECT, _UPDATE, _EVENT))
    delete, task = _sql(_DELETE, "dollar"), _sql(_TASK, "dollar")
    acts = 0
    started = time.perf_counter()
    for case_id in ids:
        version = 0
        for step, _ in PATH:
            async with pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(select, "bench", case_id)
                assert row is not None
                new = version + shape["events_per_act"]
                await conn.execute(
                    update, shape["state"], new, "h" * 64, "open", None, case_id, version
                )
                for seq in range(version + 1, new + 1):
                    await conn.execute(
                        event,
                        "bench",
                        case_id,
                        seq,
                        NOW,
                        "desk",
                        "Event",
                        shape["payload"],
                        "d" * 64,
                        "p" * 64,
                        "h" * 64,
                    )
                await conn.execute(delete, case_id)
                await conn.execute(task, "bench", case_id, f"{step}-1", step, "role", "open", NOW)
            version = new
            acts += 1
    elapsed = time.perf_counter() - started
    await pool.close()
    return elapsed / acts * 1e6


async def _pg_database() -> tuple[str, str] | None:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except Exception:  # no server here: the PostgreSQL rows are left out
        return None
    name = f"estateflow_bench_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name, PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def _drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def _row(
    group: str, variant: str, us: float, baseline: str | None = None, base_us: float | None = None
) -> dict:
    row = {"group": group, "variant": variant, "us": us, "per_second": 1e6 / us}
    if baseline is not None and base_us:
        row.update(baseline=baseline, ratio=us / base_us, share_of_baseline=base_us / us)
    return row


def run(quick: bool) -> list[dict]:
    cases = 4 if quick else 150
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ours, shape = asyncio.run(_ours(f"sqlite:///{tmp}/ours.sqlite3", cases))
        raw = _raw_sqlite(f"{tmp}/raw.sqlite3", cases, shape)
    rows += [
        _row("persisted act, sqlite", "raw sqlite3, same statements", raw),
        _row(
            "persisted act, sqlite",
            "services.take_action",
            ours,
            "raw sqlite3, same statements",
            raw,
        ),
    ]

    async def postgres() -> list[dict]:
        found = await _pg_database()
        if found is None:
            return []
        name, dsn = found
        try:
            ours_pg, shape_pg = await _ours(dsn, cases)
            second = await _pg_database()
            assert second is not None
            try:
                raw_pg = await _raw_pg(second[1], cases, shape_pg)
            finally:
                await _drop(second[0])
        finally:
            await _drop(name)
        return [
            _row("persisted act, postgres", "raw asyncpg pool, same statements", raw_pg),
            _row(
                "persisted act, postgres",
                "services.take_action",
                ours_pg,
                "raw asyncpg pool, same statements",
                raw_pg,
            ),
        ]

    rows += asyncio.run(postgres())
    return rows
