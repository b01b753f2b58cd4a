"""What a page costs as the database grows: the smaller seed is the baseline of the larger.

Three reads, each timed on a seeded database (``benchmarks/_seed.py``) of each size, on
SQLite and on PostgreSQL:

- the inbox of one user of estate ``scale-01`` (``Services.inbox``): a supervisor, who
  sees role queues, and a front desk officer, who also holds assigned tasks;
- the case page of an open complaint: what the page reads (``get_case``, ``form_env``,
  ``case_events``, the draft, the pickers);
- the monthly SLA report of one estate for August 2026 (``Reports.report``): the first of
  the day, which counts the month's closed cases and keeps the tally (its summary), and
  the next ones, which read the summary and the cases still open or closed since.

Target (issue 16): at 1,000,000 cases each stays within 2x its time at 10,000.

Sizes: ``--quick`` seeds 100 and 1,000 cases (two estates); a full run seeds 10,000 and
100,000 (four estates). ``ESTATEFLOW_BENCH_SCALE=10000,1000000`` picks other sizes (the
1,000,000 seed takes an hour or more and 11 GB on SQLite; it never runs in CI).
``ESTATEFLOW_BENCH_SCALE_DBS`` names already seeded databases instead, separated by
spaces (``sqlite:////tmp/10k.sqlite3 postgresql://…/scale_10k …``): they are measured
as they are, paired by kind, the smallest as the baseline; nothing in them changes but
the report summaries (a cache). The seeds must be at the current schema version
(``estateflow upgrade``). Seeds made
here are deleted afterwards. PostgreSQL rows appear when ``ESTATEFLOW_BENCH_PG_DSN`` (or
the server on 127.0.0.1:5432) is reachable.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import _seed
from benchmarks import compare as _compare
from benchmarks.store import _drop, _pg_database
from estateflow.engine import Actor
from estateflow.services import Services, Sessions
from estateflow.services._reports import Reports
from estateflow.store import open_store

ESTATE = "scale-01"
#: The inbox users, by role: what each sees differs (queues only, or assigned too).
USERS = {"supervisor": ("sup1", ("cs_supervisor",)), "front desk": ("desk2", ("front_desk",))}
MONTH = (datetime(2026, 8, 1, tzinfo=_seed.HK), datetime(2026, 9, 1, tzinfo=_seed.HK))
MADE = "monthly SLA report, one estate: first of the day (its summary made)"
KEPT = "monthly SLA report, one estate: summary kept"


def _sizes(quick: bool) -> tuple[int, int]:
    raw = os.environ.get("ESTATEFLOW_BENCH_SCALE")
    if raw:
        small, big = (int(x) for x in raw.split(","))
        return small, big
    return (100, 1000) if quick else (10_000, 100_000)


async def _best(fn: Callable[[], Awaitable[Any]], *, repeat: int, number: int = 1) -> float:
    """Microseconds per call, best of ``repeat`` runs of ``number`` calls (after one
    warm-up call, which compiles the bundle and fills the caches)."""
    await fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(number):
            await fn()
        best = min(best, (time.perf_counter_ns() - start) / number)
    return best / 1000


async def measure(url: str, *, quick: bool) -> tuple[int, dict[str, float], dict[str, Any]]:
    """``(cases in the database, {what: µs}, {what: rows it returned})`` for one seeded
    database."""
    store = await open_store(url, create=False)
    try:
        services = Services(store, clock=lambda: _seed.SEED_NOW)
        sessions = Sessions(store, services.clock)
        reports = Reports(services)
        async with store.unit_of_work(writes=False) as uow:
            cases = int(await uow.tx.fetchval('SELECT count(*) FROM "cases"'))
            # An open complaint under investigation (any open case in a tiny seed),
            # the one with the fewest events: the same shape at every size.
            case_id = await uow.tx.fetchval(
                'SELECT c."id" FROM "cases" c JOIN "tasks" t ON t."case_id" = c."id" '
                'WHERE c."estate_id" = $1 ORDER BY '
                "CASE WHEN c.\"procedure\" = 'complaint' AND t.\"step\" = 'investigate' "
                'THEN 0 ELSE 1 END, c."version", c."number" DESC LIMIT 1',
                ESTATE,
            )
        repeat = 3 if quick else 7
        timings: dict[str, float] = {}
        details: dict[str, Any] = {}
        for label, (suffix, roles) in USERS.items():
            name = _seed.username(ESTATE, suffix)
            actor = Actor(username=name, name=name, roles=frozenset(roles))
            details[f"inbox, {label}"] = len(await services.inbox(ESTATE, actor=actor))
            timings[f"inbox, {label}"] = await _best(
                lambda a=actor: services.inbox(ESTATE, actor=a), repeat=repeat, number=5
            )
        reader = Actor(
            username=_seed.username(ESTATE, "dept1"), roles=frozenset({"responsible_dept"})
        )

        async def case_page() -> None:
            view = await services.get_case(ESTATE, case_id, actor=reader)
            for task in view.tasks:
                await sessions.load_draft(f"{reader.username}/{view.id}/{task.task_id}")
            await services.form_env(ESTATE, None, actor=reader, case_id=view.id)
            await services.case_events(ESTATE, view.id)
            await sessions.pickers(ESTATE)

        timings["case page"] = await _best(case_page, repeat=repeat, number=5)

        async def report() -> None:
            found = await reports.report([ESTATE], since=MONTH[0], until=MONTH[1])
            details[KEPT] = details[MADE] = found.cases

        async def first_report() -> None:
            async with store.unit_of_work(writes=True) as uow:
                uow.tx.defer('DELETE FROM "report_summaries"')
            await report()

        timings[MADE] = await _best(first_report, repeat=1 if quick else 2)
        timings[KEPT] = await _best(report, repeat=2 if quick else 5)
    finally:
        await store.close()
    return cases, timings, details


def _rows(kind: str, measured: list[tuple[int, dict[str, float], dict[str, Any]]]) -> list[dict]:
    measured = sorted(measured, key=lambda m: m[0])
    base_cases = measured[0][0]
    rows = []
    for what in measured[0][1]:
        timings = {f"{cases:,} cases": t[what] for cases, t, _ in measured}
        for row in _compare(f"scale, {kind}: {what}", timings, (f"{base_cases:,} cases",)):
            cases = int(row["variant"].split()[0].replace(",", ""))
            details = next(d for c, _, d in measured if c == cases)
            if what in details:
                row["rows"] = details[what]
            rows.append(row)
    return rows


def _given() -> dict[str, list[str]]:
    urls = os.environ.get("ESTATEFLOW_BENCH_SCALE_DBS", "").split()
    kinds: dict[str, list[str]] = {}
    for url in urls:
        kinds.setdefault("sqlite" if url.startswith("sqlite") else "postgres", []).append(url)
    return kinds


def run(quick: bool) -> list[dict]:
    given = _given()
    if given:
        rows = []
        for kind, urls in given.items():
            measured = [asyncio.run(measure(url, quick=quick)) for url in urls]
            rows += _rows(kind, measured)
        return rows
    small, big = _sizes(quick)
    estates = 2 if quick else 4
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for cases in (small, big):
            path = Path(tmp) / f"{cases}.sqlite3"
            _seed.seed(path, cases, estates=estates, workers=1 if quick else 2, quiet=quick)
            paths.append(path)
        measured = [asyncio.run(measure(f"sqlite:///{p}", quick=quick)) for p in paths]
        rows += _rows("sqlite", measured)
        rows += asyncio.run(_postgres(paths, quick))
    return rows


async def _postgres(paths: list[Path], quick: bool) -> list[dict]:
    made: list[str] = []
    try:
        measured = []
        for path in paths:
            found = await _pg_database()
            if found is None:
                return []
            name, dsn = found
            made.append(name)
            await _seed.copy_to_postgres(str(path), dsn, quiet=quick)
            measured.append(await measure(dsn, quick=quick))
        return _rows("postgres", measured)
    finally:
        for name in made:
            await _drop(name)
