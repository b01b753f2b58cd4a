"""Many tasks due at once: every one fired exactly once, by one worker process or by two.

The seed (``benchmarks/_seed.py``, ``due_at_once``) opens complaints that all wait at
their forwarding step: long overdue by the real clock, each has a warning and a missed
deadline to fire, each with a notification. Then ``estateflow worker --until-idle``
runs as one process, or as two at once, on a fresh copy of the same database; the time
is from starting the processes to the last one exiting (start-up and bundle compiling
included). Counted from the event log afterwards: one ``DeadlineWarned`` and one
``DeadlineMissed`` per case, no more and none missing, every notification sent, and the
event chains of a sample verify; anything else stops the benchmark with an error.

``--quick`` fires 20 cases; a full run 10,000 (``ESTATEFLOW_BENCH_DUE`` picks another
count). One worker is the baseline of two. PostgreSQL rows appear when
``ESTATEFLOW_BENCH_PG_DSN`` (or the server on 127.0.0.1:5432) is reachable.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks import _seed
from benchmarks import compare as _compare
from benchmarks.store import _drop, _pg_database
from estateflow.store import loads, open_store

REPO = Path(__file__).resolve().parents[1]
FIRINGS = ("DeadlineWarned", "DeadlineMissed")


def _count(quick: bool) -> int:
    raw = os.environ.get("ESTATEFLOW_BENCH_DUE")
    return int(raw) if raw else 20 if quick else 10_000


def _workers(url: str, count: int) -> tuple[float, int]:
    """Seconds until ``count`` worker processes are done; what they said they fired."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "platform")}
    env.pop("ESTATEFLOW_TESTING", None)
    command = [
        sys.executable,
        "-m",
        "estateflow.cli",
        "worker",
        "--db",
        url,
        "--until-idle",
        "--sender",
        "log",
        "--log-level",
        "WARNING",
    ]
    began = time.perf_counter()
    running = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(count)
    ]
    outputs = [p.communicate(timeout=3600) for p in running]
    took = time.perf_counter() - began
    fired = 0
    for process, (out, err) in zip(running, outputs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"a worker failed ({process.returncode}): {err[-2000:]}")
        fired += int(out.strip().splitlines()[-1].split()[1])  # "fired N in M cases, …"
    return took, fired


async def _check(url: str, cases: int) -> None:
    """Each case fired once of each kind, every notification sent, sample chains verify."""
    store = await open_store(url, create=False)
    try:
        async with store.unit_of_work(writes=False) as uow:
            rows = await uow.tx.fetch(
                'SELECT "case_id", "type", "payload" FROM "events" WHERE "type" IN ($1, $2)',
                *FIRINGS,
            )
            unsent = await uow.tx.fetchval('SELECT count(*) FROM "outbox" WHERE "sent_at" IS NULL')
            total = await uow.tx.fetchval('SELECT count(*) FROM "outbox"')
    finally:
        await store.close()
    counts = Counter(
        (
            r["case_id"],
            r["type"],
            (loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"]).get("task_id"),
        )
        for r in rows
    )
    per_kind = Counter(kind for _, kind, _ in counts)
    if set(counts.values()) != {1} or per_kind != dict.fromkeys(FIRINGS, cases):
        repeats = max(counts.values(), default=0)
        raise RuntimeError(f"not each fired once: {dict(per_kind)}, most repeats {repeats}")
    if unsent or total != 2 * cases:
        raise RuntimeError(f"notifications: {total} queued, {unsent} unsent")
    problems, _ = await _seed._check(url)
    if problems:
        raise RuntimeError(f"event chains: {problems[:3]}")


def _copy_sqlite(template: Path, target: Path) -> None:
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


def _rows(kind: str, cases: int, timings: dict[int, tuple[float, int]]) -> list[dict]:
    us = {f"{n} worker{'s' if n > 1 else ''}": t / cases * 1e6 for n, (t, _) in timings.items()}
    rows = _compare(f"{cases:,} due at once, {kind}", us, ("1 worker",))
    for row in rows:
        n = int(row["variant"].split()[0])
        row.update(seconds=timings[n][0], fired=timings[n][1], each_once=True)
    return rows


def run(quick: bool) -> list[dict]:
    cases = _count(quick)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.sqlite3"
        _seed.seed(template, cases, estates=1, workers=1, quiet=True, due_at_once=True)
        timings = {}
        for workers in (1, 2):
            target = Path(tmp) / f"run-{workers}.sqlite3"
            _copy_sqlite(template, target)
            url = f"sqlite:///{target}"
            timings[workers] = _workers(url, workers)
            asyncio.run(_check(url, cases))
        rows += _rows("sqlite", cases, timings)
        rows += asyncio.run(_postgres(template, cases))
    return rows


async def _postgres(template: Path, cases: int) -> list[dict]:
    timings = {}
    for workers in (1, 2):
        found = await _pg_database()
        if found is None:
            return []
        name, dsn = found
        try:
            await _seed.copy_to_postgres(str(template), dsn, quiet=True)
            timings[workers] = await asyncio.to_thread(_workers, dsn, workers)
            await _check(dsn, cases)
        finally:
            await _drop(name)
    return _rows("postgres", cases, timings)
