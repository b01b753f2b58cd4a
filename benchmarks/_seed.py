"""Bulk loader for the scale benchmarks: many realistic cases, written straight to the database.

``python -m benchmarks._seed --cases 1000000 [--workers 2] --sqlite big.sqlite3
[--postgres postgresql://…/fresh_db]``

Each case is made by the real engine in memory (start, acts, claims, and the deadlines a
punctual worker would have fired on the way) and saved by the services' own
``_Work.save`` into a unit of work whose writes are collected instead of run. The
collected statements (cases, events with their hash chain, tasks and their holders,
outbox rows: the very SQL and values services would send) then go to the SQLite file in
batches through ``executemany``, 1,000 cases per transaction, while ``--workers``
processes make the next batches; ``--postgres`` then copies every table into a fresh
PostgreSQL database with COPY. So the rows are what services write, on both databases,
and ``audit verify`` passes on them; the seed checks a sample of chains at the end. What
differs from real use: a case is saved once with all its events rather than once per act
(the rows come out the same), the secondary indexes are built after the load, the
loader's connections skip fsync (``synchronous=OFF``, ``synchronous_commit=off``), and
the outbox rows are marked sent, as the worker would have done long ago.

The cases: ``--estates`` copies of the Sunshine Garden example (each its own estate id),
with 20 staff each. 90% closed, opened over the twelve months before :data:`SEED_NOW`;
10% open, opened in the ten days before it and left at some step, one open task each,
some overdue, some claimed. Procedures: complaints (severity minor, general, a few
major), repair callbacks (client and internal) and inquiries. Durations are drawn so
that some deadlines are met and some breached. The random generator is seeded: the same
arguments give the same cases, apart from the case ids (``uuid4`` in services).

Not a user command: the people and complaints are made up, and nothing here checks what
is already in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from estateflow import engine
from estateflow.definitions import Bundle
from estateflow.engine import Actor, CaseState, Context
from estateflow.errors import EstateFlowError
from estateflow.services import Services
from estateflow.services._services import _Work
from estateflow.store import UnitOfWork, open_store, verify_chain
from estateflow.store._db import _to_sqlite
from estateflow.store._schema import _EXTRA

REPO = Path(__file__).resolve().parents[1]
SUNSHINE = REPO / "examples" / "sunshine" / "estate.yaml"
HK = ZoneInfo("Asia/Hong_Kong")
#: The seeded world's "now": Monday 5 October 2026, 10:00 in Hong Kong.
SEED_NOW = datetime(2026, 10, 5, 10, 0, tzinfo=HK)
#: Closed cases are opened over the twelve months before this (1 October 2025 to 30 September 2026).
FIRST_MONTH = datetime(2025, 10, 1, tzinfo=HK)
OPEN_SHARE = 0.10
#: Cases generated and written per transaction.
BATCH = 1000

#: Staff of every estate: username suffix and roles. Only day-shift front desk staff, so
#: forwarding tasks stay with the day shift and no handovers fire.
STAFF: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((f"desk{i}", ("front_desk",)) for i in range(1, 6)),
    *((f"cso{i}", ("cs_officer",)) for i in range(1, 6)),
    ("sup1", ("cs_supervisor",)),
    ("sup2", ("cs_supervisor",)),
    ("mgr1", ("cs_manager",)),
    *((f"dept{i}", ("responsible_dept",)) for i in range(1, 5)),
    ("dm1", ("dept_manager",)),
    ("dm2", ("dept_manager",)),
    ("pm1", ("project_manager",)),
)
UNITS = tuple(f"T{t}-{f}{u}" for t in (1, 2, 3) for f in range(1, 31) for u in "ABCD")


def estate_ids(count: int) -> list[str]:
    return [f"scale-{n:02d}" for n in range(1, count + 1)]


def username(estate_id: str, suffix: str) -> str:
    return f"{estate_id.removeprefix('scale-')}-{suffix}"


def write_estates(root: Path, count: int) -> list[Path]:
    """Copies of the Sunshine Garden estate file, each with its own id, reading the
    repository's library; 2025 added to its holiday years (cases open from October 2025)."""
    text = SUNSHINE.read_text(encoding="utf-8")
    dirs = []
    for estate_id in estate_ids(count):
        folder = root / estate_id
        folder.mkdir(parents=True, exist_ok=True)
        copy = (
            text.replace("id: sunshine", f"id: {estate_id}", 1)
            .replace("library: ../..", f"library: {REPO}", 1)
            .replace("years: [2026, 2027]", "years: [2025, 2026, 2027]", 1)
        )
        (folder / "estate.yaml").write_text(copy, encoding="utf-8")
        dirs.append(folder)
    return dirs


# -- collecting what services write ------------------------------------------------------
class _Collected:
    """A transaction that keeps its deferred writes; the seed answers the one read."""

    def __init__(self) -> None:
        self.deferred: list[tuple[str, tuple[Any, ...]]] = []

    def defer(self, sql: str, *args: Any, expect: int | None = None, conflict: str = "") -> None:
        self.deferred.append((sql, args))

    async def fetch(self, sql: str, *args: Any) -> list:
        raise AssertionError(f"the seed reads nothing: {sql}")

    fetchrow = fetchval = execute = fetch


class _SeedUnit(UnitOfWork):
    """Numbers each case with the serial the plan gave it (the plan is in opening order,
    so numbers run with time as they would have)."""

    def __init__(self) -> None:
        super().__init__(_Collected(), "seed")
        self.serial: int | None = None

    async def next_number(self, estate_id: str, prefix: str, year: int) -> int:
        serial, self.serial = self.serial, None
        if serial is None:
            raise AssertionError("one number per planned case: no spawned cases in the seed")
        return serial


# -- making cases ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Estate:
    id: str
    digest: str
    bundle: Bundle
    ctx: Context
    people: Mapping[str, tuple[Actor, ...]]
    """Role to the staff holding it."""


def _local(at: datetime) -> str:
    return at.astimezone(HK).strftime("%Y-%m-%dT%H:%M")


def _office_moment(rng: random.Random, day: datetime) -> datetime:
    """A moment in office hours (09:00-12:30 or 14:00-17:30) of ``day``."""
    minute = rng.randrange(0, 210)
    hour = 9 if rng.random() < 0.5 else 14
    return day.replace(hour=hour, minute=0) + timedelta(minutes=minute)


class _Maker:
    """Makes one case in memory, the way staff and a punctual worker would have."""

    def __init__(self, estate: _Estate, work: _Work, rng: random.Random) -> None:
        self.estate = estate
        self.work = work
        self.rng = rng
        self.case_id = ""
        self.now = SEED_NOW
        self.budget: int | None = None
        """Acts left before the case is left open (None: run it to the end)."""
        self.staff = {a.username: a for people in estate.people.values() for a in people}

    def who(self, role: str) -> Actor:
        return self.rng.choice(self.estate.people[role])

    def at(self, now: datetime) -> Context:
        return replace(self.estate.ctx, now=now)

    async def start(self, procedure: str, form: Mapping[str, Any], actor: Actor, at: datetime):
        self.work.ctx = self.at(at)
        self.now = at
        self.case_id = await self.work.start(
            self.estate.digest, self.estate.bundle, procedure, actor, form
        )
        await self.work.settle()

    @property
    def case(self) -> CaseState:
        return self.work.touched[self.case_id].case

    def _fire_until(self, until: datetime) -> None:
        """Fire every deadline and warning falling due before ``until``, each at its moment."""
        bundle = self.estate.bundle
        while True:
            moment = engine.next_due_at(self.case)
            if moment is None or moment > until:
                return
            ctx = self.at(moment)
            for item in engine.due(bundle, self.case, ctx):
                self.work.apply(self.case_id, engine.fire(bundle, self.case, item, ctx))

    async def act(
        self, after: timedelta, step: str, action: str, form: Mapping[str, Any] | None, role: str
    ) -> bool:
        """Act on the open task of ``step`` after ``after``; False (nothing done) when that
        is past the seed's now, which leaves the case open there."""
        at = self.now + after
        if at >= SEED_NOW or self.budget == 0:
            return False
        if self.budget is not None:
            self.budget -= 1
        self._fire_until(at)
        task = next(t for t in self.case.open_tasks if t.step == step)
        # Whoever holds the task acts on it (after an escalation, the one it passed to).
        actor = self.staff.get(task.assignee or "") or self.who(role)
        ctx = self.at(at)
        self.work.ctx = ctx
        self.work.apply(
            self.case_id,
            engine.act(self.estate.bundle, self.case, task.id, action, actor, form, ctx),
        )
        await self.work.settle()
        self.now = at
        return True

    def finish(self) -> None:
        """Claim half of the unassigned open tasks a little after they opened; fire what
        fell due up to the seed's now."""
        claim_at = self.now + self.minutes(1, 60)
        if claim_at < SEED_NOW:
            self._fire_until(claim_at)
            for task in self.case.open_tasks:
                if task.assignee is None and task.role and self.rng.random() < 0.5:
                    actor = self.who(task.role)
                    self.work.apply(
                        self.case_id,
                        engine.claim(
                            self.estate.bundle, self.case, task.id, actor, self.at(claim_at)
                        ),
                    )
        self._fire_until(SEED_NOW)

    # -- the procedures ----------------------------------------------------------------
    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    async def complaint(self, opened: datetime) -> None:
        r = self.rng
        severity = r.choices(("minor", "general", "major"), (55, 40, 5))[0]
        desk = self.who("front_desk")
        await self.start(
            "complaint",
            {
                "unit": r.choice(UNITS),
                "complainant": "陳國棟",
                "relation": "owner",
                "phone": "+852 9123 4567",
                "channel": "phone",
                "received_at": _local(opened),
                "severity": severity,
                "summary": "走廊燈壞了三天",
            },
            desk,
            opened,
        )
        if not await self.act(
            self.minutes(3, 40), "forward", "dispatch", {"department": "engineering"}, "front_desk"
        ):
            return
        if severity == "major" and not await self.act(
            self.minutes(10, 90), "report_major", "reported", None, "cs_manager"
        ):
            return
        valid = r.random() < 0.8
        form = {
            "findings": "燈管損壞",
            "scope": "ours",
            **(
                {"valid": "on", "verified_by": self.who("responsible_dept").username}
                if valid
                else {"assistance_plan": "協助聯絡"}
            ),
            **({"measures": "更換燈管"} if valid else {}),
        }
        if not await self.act(
            self.minutes(30, 60 * 40), "investigate", "done", form, "responsible_dept"
        ):
            return
        told = self.now + self.minutes(5, 120)
        if not await self.act(
            told - self.now,
            "inform",
            "informed",
            {"informed_at": _local(told), "method": "phone", "content": "已更換"},
            "front_desk",
        ):
            return
        called = self.now + self.minutes(60, 60 * 30)
        await self.act(
            called - self.now,
            "callback",
            "record",
            {
                "called_at": _local(called),
                "method": "phone",
                "satisfied": "on",
                **(
                    {"project_manager": self.who("project_manager").username}
                    if severity == "major"
                    else {}
                ),
                "signature": {"typed": "陳國棟"},
            },
            "dept_manager",
        )

    async def repair_callback(self, opened: datetime) -> None:
        r = self.rng
        origin = "client" if r.random() < 0.7 else "internal"
        await self.start(
            "repair-callback",
            {
                "origin": origin,
                "repair_no": f"WX-{r.randrange(10**6):06d}",
                "unit": r.choice(UNITS),
                "requester": "陳國棟",
                "detail": "水龍頭漏水",
            },
            self.who("cs_officer"),
            opened,
        )
        if origin == "internal" and r.random() < 0.2:
            await self.act(self.minutes(30, 600), "callback", "not_sampled", None, "cs_supervisor")
            return
        called = self.now + self.minutes(60, 60 * 40)
        await self.act(
            called - self.now,
            "callback",
            "record",
            {
                "method": "phone" if origin == "client" else "face_to_face",
                "called_at": _local(called),
                "satisfied": "on",
            },
            "cs_officer",
        )

    async def inquiry(self, opened: datetime) -> None:
        r = self.rng
        desk = self.who("front_desk")
        await self.start(
            "inquiry",
            {
                "channel": "phone",
                "person": "李大文",
                "unit": r.choice(UNITS),
                "topic": r.choice(("housing", "fees", "services", "directions")),
                "question": "管理費何時繳交？",
            },
            desk,
            opened,
        )
        if r.random() < 0.75:
            await self.act(
                self.minutes(2, 30), "answer", "answered", {"answer": "每月十日前"}, "front_desk"
            )
            return
        if not await self.act(
            self.minutes(2, 30),
            "answer",
            "transfer",
            {"answer": "轉交財務部", "department": "finance"},
            "front_desk",
        ):
            return
        if not await self.act(
            self.minutes(30, 60 * 24),
            "department",
            "answered",
            {"answer": "每月十日前"},
            "responsible_dept",
        ):
            return
        await self.act(self.minutes(5, 120), "reply", "replied", None, "front_desk")


PROCEDURES = (("complaint", 30), ("repair_callback", 30), ("inquiry", 40))
PROCEDURE_IDS = {
    "complaint": "complaint",
    "repair_callback": "repair-callback",
    "inquiry": "inquiry",
}
#: How many acts an open case may have had: up to the last before it closes.
LONGEST_OPEN_PATH = {"complaint": 4, "repair_callback": 1, "inquiry": 1}

#: One planned case: (opened_at, estate index, procedure, acts if left open, serial, seed).
Planned = tuple[datetime, int, str, int | None, int, int]


def _opening(rng: random.Random, open_case: bool) -> datetime:
    """When a case was opened: in the last ten days for an open case (most of them
    shortly before now, so some sit at their first step), else over the twelve months."""
    if open_case:
        back = timedelta(days=10 * rng.random() ** 2)
        moment = SEED_NOW - back
        return moment.replace(second=0, microsecond=0)
    day = FIRST_MONTH + timedelta(days=rng.randrange((SEED_NOW - FIRST_MONTH).days - 8))
    if day.weekday() == 6:
        day -= timedelta(days=1)
    return _office_moment(rng, day)


def plan(
    cases: int, estates: int, prefixes: Mapping[str, str], seed_value: int
) -> tuple[list[Planned], dict[tuple[int, str, int], int]]:
    """Every case of the seed, in opening order, with its number; and the last number
    per estate, prefix and year (the ``counters`` rows)."""
    rng = random.Random(seed_value)
    names = [name for name, _ in PROCEDURES]
    weights = [w for _, w in PROCEDURES]
    drafts = []
    for n in range(cases):
        open_case = rng.random() < OPEN_SHARE
        procedure = rng.choices(names, weights)[0]
        opened = _opening(rng, open_case)
        # An open case stops short: at its first, second … step.
        budget = rng.randrange(LONGEST_OPEN_PATH[procedure]) if open_case else None
        drafts.append((opened, n % estates, procedure, budget, n))
    drafts.sort(key=lambda d: (d[0], d[4]))
    counters: dict[tuple[int, str, int], int] = {}
    planned: list[Planned] = []
    for opened, estate, procedure, budget, n in drafts:
        key = (estate, prefixes[procedure], opened.astimezone(HK).year)
        counters[key] = counters.get(key, 0) + 1
        planned.append((opened, estate, procedure, budget, counters[key], seed_value * 7919 + n))
    return planned, counters


def due_plan(
    cases: int, prefix: str, seed_value: int
) -> tuple[list[Planned], dict[tuple[int, str, int], int]]:
    """Complaints of the first estate, all opened at :data:`SEED_NOW`, none acted on."""
    planned: list[Planned] = [
        (SEED_NOW, 0, "complaint", 0, n + 1, seed_value * 7919 + n) for n in range(cases)
    ]
    return planned, {(0, prefix, SEED_NOW.year): cases}


async def _make_batch(
    estates: Sequence[_Estate], batch: Sequence[Planned]
) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements services' ``_Work.save`` would run to save these cases."""
    uow = _SeedUnit()
    for opened, index, procedure, budget, serial, case_seed in batch:
        estate = estates[index]
        work = _Work(None, uow, estate.ctx)  # type: ignore[arg-type]
        maker = _Maker(estate, work, random.Random(case_seed))
        maker.budget = budget
        uow.serial = serial
        await getattr(maker, procedure)(opened)
        maker.finish()
        await work.save()
    return uow.tx.deferred


def _sqlite_batch(
    estates: Sequence[_Estate], batch: Sequence[Planned]
) -> list[tuple[str, list[list[Any]]]]:
    """A batch's statements in SQLite's form, grouped for ``executemany``."""
    deferred = asyncio.run(_make_batch(estates, batch))
    return [
        (_to_sqlite(sql, rows[0])[0], [_to_sqlite(sql, r)[1] for r in rows])
        for sql, rows in _grouped(deferred)
    ]


_WORKER_ESTATES: list[_Estate] = []


def _worker_init(url: str, count: int) -> None:
    _WORKER_ESTATES.extend(asyncio.run(_load_estates(url, estate_ids(count))))


def _worker_batch(batch: Sequence[Planned]) -> list[tuple[str, list[list[Any]]]]:
    return _sqlite_batch(_WORKER_ESTATES, batch)


# -- writing ---------------------------------------------------------------------------------
def _grouped(
    deferred: Sequence[tuple[str, tuple[Any, ...]]],
) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Statements grouped by their SQL, in the order each first appears (per case the
    order stays: the case's INSERT before its UPDATE, then events, tasks, outbox)."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for sql, args in deferred:
        if sql.startswith("DELETE FROM"):
            continue  # a new case has no task rows to remove
        groups[sql].append(args)
    yield from groups.items()


class _SqliteTarget:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-1000000")  # 1 GB of page cache for the load

    def write(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        for text, rows in groups:
            conn.executemany(text, rows)
        conn.execute("COMMIT")

    def script(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self.conn.execute(statement)

    def close(self) -> None:
        self.conn.execute("ANALYZE")
        self.conn.close()


def _index_name(statement: str) -> str:
    return statement.split(" ON ")[0].split()[-1]


#: Rows per COPY round when copying to PostgreSQL.
COPY_CHUNK = 20000


async def copy_to_postgres(sqlite_path: str, dsn: str, *, quiet: bool = False) -> None:
    """Copy every table of a seeded SQLite file into a fresh PostgreSQL database (schema
    made by ``open_store``) with COPY: the same rows on both. Text times become
    ``timestamptz``, 0/1 booleans, and the serial ids' sequences move past the copied ids."""
    import asyncpg

    store = await open_store(f"postgresql{dsn.removeprefix('postgresql')}")
    await store.close()
    source = sqlite3.connect(sqlite_path)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("; ".join(f"DROP INDEX IF EXISTS {_index_name(s)}" for s in _EXTRA))
        await conn.execute('TRUNCATE "schema_version"')
        tables = [
            r[0]
            for r in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            kinds = {
                r["column_name"]: r["data_type"]
                for r in await conn.fetch(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = $1",
                    table,
                )
            }
            cursor = source.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            convert = [_from_sqlite(kinds[c]) for c in columns]
            copied = 0
            while rows := cursor.fetchmany(COPY_CHUNK):
                records = [
                    tuple(
                        f(v) if v is not None else None for f, v in zip(convert, row, strict=True)
                    )
                    for row in rows
                ]
                await conn.copy_records_to_table(table, records=records, columns=columns)
                copied += len(records)
            if "id" in columns and kinds["id"] == "integer":
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'coalesce(max("id"), 0) + 1, false) FROM "{table}"'
                )
            if not quiet:
                print(f"seed: copied {copied:,} rows of {table}", file=sys.stderr, flush=True)
        if not quiet:
            print("seed: building indexes on PostgreSQL", file=sys.stderr, flush=True)
        for statement in _EXTRA:
            await conn.execute(statement)
        await conn.execute("ANALYZE")
    finally:
        source.close()
        await conn.close()


def _from_sqlite(kind: str) -> Any:
    if kind.startswith("timestamp"):
        return datetime.fromisoformat
    if kind == "boolean":
        return bool
    return lambda value: value


# -- the whole seed --------------------------------------------------------------------------
async def _prepare(url: str, dirs: Sequence[Path]) -> list[_Estate]:
    """Publish the estates and add their staff through services, as an admin would."""
    store = await open_store(url)
    services = Services(store, clock=lambda: FIRST_MONTH)
    try:
        for folder in dirs:
            await services.publish_estate(folder)
            # What ``add_user`` and ``grant`` write, in one transaction for the lot.
            async with store.unit_of_work(writes=True) as uow:
                for suffix, roles in STAFF:
                    name = username(folder.name, suffix)
                    uow.upsert_user(name, name, "", FIRST_MONTH)
                    shifts = {"front_desk": "day"} if "front_desk" in roles else {}
                    uow.grant(name, folder.name, roles, shifts)
    finally:
        await store.close()
    # The bundles just compiled stay in ``services``: no second compile.
    return await _load_estates(url, [folder.name for folder in dirs], services)


async def _load_estates(
    url: str, ids: Sequence[str], services: Services | None = None
) -> list[_Estate]:
    """The published estates with their staff and an engine context, from the database."""
    store = await open_store(url, create=False)
    services = services or Services(store, clock=lambda: FIRST_MONTH)
    services.store = store
    estates = []
    try:
        for estate_id in ids:
            async with store.unit_of_work(writes=False) as uow:
                digest = await uow.published(estate_id)
                bundle = await services._bundle(uow, digest)
                ctx = await services._context(uow, bundle, "complaint", FIRST_MONTH)
            people: dict[str, list[Actor]] = defaultdict(list)
            for suffix, roles in STAFF:
                name = username(estate_id, suffix)
                for role in roles:
                    people[role].append(Actor(username=name, name=name, roles=frozenset(roles)))
            estates.append(
                _Estate(
                    id=estate_id,
                    digest=digest,
                    bundle=bundle,
                    ctx=ctx,
                    people={k: tuple(v) for k, v in people.items()},
                )
            )
    finally:
        await store.close()
    return estates


def seed(
    sqlite_path: str | Path,
    cases: int,
    *,
    estates: int = 4,
    workers: int = 1,
    seed_value: int = 16,
    quiet: bool = False,
    due_at_once: bool = False,
) -> float:
    """Load ``cases`` cases into a fresh SQLite file; returns the seconds it took.

    ``workers`` processes make the cases; this one writes them, batch by batch in order.
    With ``due_at_once``, every case is a complaint of the first estate opened at
    :data:`SEED_NOW` and left at its first step: all fall due ten minutes later at most.
    """
    began = time.perf_counter()
    url = f"sqlite:///{sqlite_path}"
    with tempfile.TemporaryDirectory() as tmp:
        loaded = asyncio.run(_prepare(url, write_estates(Path(tmp), estates)))
    prefixes = {
        name: loaded[0].bundle.procedures[PROCEDURE_IDS[name]].number_prefix
        for name, _ in PROCEDURES
    }
    if due_at_once:
        planned, counters = due_plan(cases, prefixes["complaint"], seed_value)
    else:
        planned, counters = plan(cases, estates, prefixes, seed_value)
    batches = [planned[i : i + BATCH] for i in range(0, len(planned), BATCH)]
    target = _SqliteTarget(str(sqlite_path))
    # The secondary indexes are built once at the end: much faster than keeping them up
    # to date row by row.
    target.script([f"DROP INDEX IF EXISTS {_index_name(s)}" for s in _EXTRA])
    done = 0
    last = began
    pool = None
    try:
        if workers > 1:
            pool = multiprocessing.get_context("spawn").Pool(
                workers, initializer=_worker_init, initargs=(url, estates)
            )
            made = pool.imap(_worker_batch, batches)
        else:
            made = (_sqlite_batch(loaded, batch) for batch in batches)
        for batch, groups in zip(batches, made, strict=True):
            target.write(groups)
            done += len(batch)
            if not quiet and (time.perf_counter() - last > 10 or done == cases):
                last = time.perf_counter()
                rate = done / (last - began)
                print(
                    f"seed: {done:,}/{cases:,} cases, {rate:,.0f}/s, "
                    f"{(cases - done) / rate / 60:.1f} min left",
                    file=sys.stderr,
                    flush=True,
                )
        ids = estate_ids(estates)
        target.write(
            [
                (
                    'INSERT INTO "counters" ("estate_id", "prefix", "year", "value") '
                    "VALUES (?, ?, ?, ?)",
                    [(ids[e], p, y, v) for (e, p, y), v in sorted(counters.items())],
                ),
                ('UPDATE "outbox" SET "sent_at" = "created_at", "attempts" = 1', [()]),
            ]
        )
        if not quiet:
            print("seed: building indexes", file=sys.stderr, flush=True)
        target.script(list(_EXTRA))
    finally:
        if pool is not None:
            pool.terminate()
        target.close()
    return time.perf_counter() - began


async def _check(url: str, sample: int = 200) -> tuple[list[str], int]:
    """Verify the event chain of a sample of cases; count the open tasks."""
    store = await open_store(url)
    try:
        async with store.unit_of_work(writes=False) as uow:
            open_tasks = int(await uow.tx.fetchval('SELECT count(*) FROM "tasks"'))
            rows = await uow.tx.fetch(
                'SELECT "id", "version", "chain_head" FROM "cases" ORDER BY "id" LIMIT $1',
                sample,
            )
            problems: list[str] = []
            for row in rows:
                problems += verify_chain(
                    row["id"], row["version"], row["chain_head"], await uow.raw_events(row["id"])
                )
    finally:
        await store.close()
    return problems, open_tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._seed", description=__doc__)
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--estates", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="processes making cases")
    parser.add_argument("--sqlite", type=Path, required=True, help="a new SQLite file")
    parser.add_argument(
        "--postgres", metavar="DSN", help="also copy the rows into this fresh PostgreSQL database"
    )
    args = parser.parse_args(argv)
    if args.sqlite.exists():
        parser.error(f"{args.sqlite} exists: the seed writes a new file")
    try:
        seconds = seed(args.sqlite, args.cases, estates=args.estates, workers=args.workers)
        print(f"seeded {args.cases:,} cases into {args.sqlite} in {seconds:.0f} s")
        urls = [f"sqlite:///{args.sqlite}"]
        if args.postgres:
            began = time.perf_counter()
            asyncio.run(copy_to_postgres(str(args.sqlite), args.postgres))
            print(f"copied them to PostgreSQL in {time.perf_counter() - began:.0f} s")
            urls.append(args.postgres)
        failed = False
        for url in urls:
            problems, open_tasks = asyncio.run(_check(url))
            print(
                f"{url.split(':')[0]}: {open_tasks:,} open tasks; event chains of a sample of "
                f"200 cases: {'verify' if not problems else problems[:5]}"
            )
            failed = failed or bool(problems)
    except EstateFlowError as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
