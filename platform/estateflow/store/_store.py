"""The store: one unit of work per use case, with repositories for what it touches.

A unit of work is one database transaction. Services open it, read what the engine
needs, and hand it the new state and events; every write is deferred to the commit, where
the case's version check runs first, so a stale write is a :class:`Conflict` and nothing
of it lands. Repositories return plain dicts and dataclasses, never ORM rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from estateflow.errors import NotFound
from estateflow.store._codec import dumps, loads
from estateflow.store._db import Database, Row, StoreError, Tx, open_database
from estateflow.store._schema import create_schema

GENESIS = "0" * 64
TOMBSTONE = {"erased": True}
#: The ``due_order`` of a task without a deadline: after every real one.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def digest_of(
    case_id: str, seq: int, at: datetime, actor: str | None, type_: str, payload_json: str
) -> str:
    """What an event's digest covers: everything but the chain itself."""
    head = dumps(
        {"case": case_id, "seq": seq, "at": at.astimezone(UTC), "actor": actor, "type": type_}
    )
    return hashlib.sha256(f"{head}\n{payload_json}".encode()).hexdigest()


def chain(prev_hash: str, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}{digest}".encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRow:
    id: str
    estate_id: str
    bundle_hash: str
    procedure: str
    number: str
    status: str
    version: int
    chain_head: str
    state: dict[str, Any]
    opened_at: datetime
    parent_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRow:
    case_id: str
    seq: int
    at: datetime
    actor: str | None
    type: str
    payload: dict[str, Any]
    digest: str
    prev_hash: str
    hash: str
    erased: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    at: datetime
    actor: str | None
    type: str
    payload: Mapping[str, Any]


_CASE_COLUMNS = (
    '"id", "estate_id", "bundle_hash", "procedure", "number", "status", '
    '"version", "chain_head", "state", "opened_at", "parent_id"'
)


class UnitOfWork:
    """One transaction's reads and (deferred) writes."""

    def __init__(self, tx: Tx, kind: str) -> None:
        self.tx = tx
        self.kind = kind

    # -- cases -----------------------------------------------------------------------
    async def load_case(self, estate_id: str, case_id: str) -> CaseRow:
        row = await self.tx.fetchrow(
            f'SELECT {_CASE_COLUMNS} FROM "cases" WHERE "estate_id" = $1 AND "id" = $2',
            estate_id,
            case_id,
        )
        if row is None:
            raise NotFound(f"no case '{case_id}' in this estate")
        return _case_row(row)

    async def lock_case(self, estate_id: str, case_id: str) -> CaseRow | None:
        """The case, locked for this transaction; None when another worker holds it
        (PostgreSQL ``SKIP LOCKED``). SQLite has one writer, so the case is simply read."""
        lock = " FOR UPDATE SKIP LOCKED" if self.kind == "postgres" else ""
        row = await self.tx.fetchrow(
            f'SELECT {_CASE_COLUMNS} FROM "cases" WHERE "estate_id" = $1 AND "id" = $2{lock}',
            estate_id,
            case_id,
        )
        return _case_row(row) if row else None

    async def find_case(self, estate_id: str, number: str) -> CaseRow | None:
        row = await self.tx.fetchrow(
            f'SELECT {_CASE_COLUMNS} FROM "cases" WHERE "estate_id" = $1 AND "number" = $2',
            estate_id,
            number,
        )
        return _case_row(row) if row else None

    async def next_number(self, estate_id: str, prefix: str, year: int) -> int:
        """The next case number of the year: gap-free, since it rolls back with the case."""
        value = await self.tx.fetchval(
            'INSERT INTO "counters" ("estate_id", "prefix", "year", "value") '
            "VALUES ($1, $2, $3, 1) "
            'ON CONFLICT ("estate_id", "prefix", "year") '
            'DO UPDATE SET "value" = "counters"."value" + 1 RETURNING "value"',
            estate_id,
            prefix,
            year,
        )
        return int(value)

    def insert_case(
        self,
        *,
        case_id: str,
        estate_id: str,
        bundle_hash: str,
        procedure: str,
        number: str,
        opened_at: datetime,
        parent_id: str | None,
        unit: str,
    ) -> None:
        self.tx.defer(
            'INSERT INTO "cases" ("id", "estate_id", "bundle_hash", "procedure", "number", '
            '"status", "outcome", "unit", "parent_id", "state", "state_version", "version", '
            '"chain_head", "opened_at") '
            "VALUES ($1, $2, $3, $4, $5, 'open', NULL, $6, $7, '{}', 1, 0, $8, $9)",
            case_id,
            estate_id,
            bundle_hash,
            procedure,
            number,
            unit,
            parent_id,
            GENESIS,
            opened_at,
        )

    def save_case(
        self,
        *,
        case_id: str,
        expected_version: int,
        state: Mapping[str, Any],
        events: Sequence[NewEvent],
        chain_head: str,
        tasks: Iterable[Mapping[str, Any]],
        estate_id: str,
        next_due_at: datetime | None,
    ) -> str:
        """Write the new state, append the events to the chain; returns the new head.

        The UPDATE runs first at commit and must match the version read: otherwise
        someone else acted first and the whole unit of work is a Conflict.
        """
        version = expected_version
        head = chain_head
        rows = []
        for event in events:
            version += 1
            payload_json = dumps(event.payload)
            digest = digest_of(case_id, version, event.at, event.actor, event.type, payload_json)
            new_head = chain(head, digest)
            rows.append(
                (
                    estate_id,
                    case_id,
                    version,
                    event.at,
                    event.actor,
                    event.type,
                    payload_json,
                    digest,
                    head,
                    new_head,
                )
            )
            head = new_head
        self.tx.defer(
            'UPDATE "cases" SET "state" = $1, "version" = $2, "chain_head" = $3, '
            '"status" = $4, "outcome" = $5, "closed_at" = $6, "next_due_at" = $7 '
            'WHERE "id" = $8 AND "version" = $9',
            dumps(state),
            version,
            head,
            state["status"],
            state.get("outcome"),
            state.get("closed_at"),
            next_due_at,
            case_id,
            expected_version,
            expect=1,
            conflict="someone else acted on this case first",
        )
        for row in rows:
            self.tx.defer(
                'INSERT INTO "events" ("estate_id", "case_id", "seq", "at", "actor", "type", '
                '"payload", "digest", "prev_hash", "hash", "erased") '
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false)",
                *row,
            )
        self.tx.defer('DELETE FROM "tasks" WHERE "case_id" = $1', case_id)
        self.tx.defer('DELETE FROM "task_holders" WHERE "case_id" = $1', case_id)
        for task in tasks:
            if task["status"] == "open":
                assignee = task.get("assignee")
                holders = (
                    [f"user:{assignee}"]
                    if assignee
                    else [f"role:{role}" for role in task.get("roles", ())]
                )
                for holder in holders:
                    self.tx.defer(
                        'INSERT INTO "task_holders" ("estate_id", "case_id", "task_id", '
                        '"holder", "due_order", "opened_at") VALUES ($1, $2, $3, $4, $5, $6)',
                        estate_id,
                        case_id,
                        task["id"],
                        holder,
                        task.get("due_at") or NO_DEADLINE,
                        task["opened_at"],
                    )
            self.tx.defer(
                'INSERT INTO "tasks" ("estate_id", "case_id", "task_id", "step", "role", '
                '"assignee", "status", "opened_at", "due_at", "warn_at", "roles") '
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                estate_id,
                case_id,
                task["id"],
                task["step"],
                task.get("role"),
                task.get("assignee"),
                task["status"],
                task["opened_at"],
                task.get("due_at"),
                task.get("warn_at"),
                "," + ",".join(task.get("roles", ())) + ",",
            )
        return head

    def move_case_bundle(self, case_id: str, from_hash: str, to_hash: str) -> None:
        """Point a running case at another bundle (``estateflow migrate``). Deferred like
        :meth:`save_case`, so it lands with the case's ``CaseMigrated`` event or not at all."""
        self.tx.defer(
            'UPDATE "cases" SET "bundle_hash" = $1 WHERE "id" = $2 AND "bundle_hash" = $3',
            to_hash,
            case_id,
            from_hash,
            expect=1,
            conflict="the case was moved to another bundle first",
        )

    async def events(self, case_id: str) -> list[EventRow]:
        rows = await self.tx.fetch(
            'SELECT "case_id", "seq", "at", "actor", "type", "payload", "digest", "prev_hash", '
            '"hash", "erased" FROM "events" WHERE "case_id" = $1 ORDER BY "seq"',
            case_id,
        )
        return [
            EventRow(
                case_id=r["case_id"],
                seq=r["seq"],
                at=_dt(r["at"]),
                actor=r["actor"],
                type=r["type"],
                payload=loads(r["payload"]),
                digest=r["digest"],
                prev_hash=r["prev_hash"],
                hash=r["hash"],
                erased=bool(r["erased"]),
            )
            for r in rows
        ]

    async def raw_events(self, case_id: str) -> list[Row]:
        return await self.tx.fetch(
            'SELECT "seq", "at", "actor", "type", "payload", "digest", "prev_hash", "hash", '
            '"erased" FROM "events" WHERE "case_id" = $1 ORDER BY "seq"',
            case_id,
        )

    async def case_ids(self, estate_id: str | None = None) -> list[tuple[str, int, str]]:
        sql = 'SELECT "id", "version", "chain_head" FROM "cases"'
        rows = (
            await self.tx.fetch(sql + ' WHERE "estate_id" = $1', estate_id)
            if estate_id
            else await self.tx.fetch(sql)
        )
        return [(r["id"], r["version"], r["chain_head"]) for r in rows]

    async def running_cases(
        self, estate_id: str, procedure: str, *, not_on: str | None = None
    ) -> list[CaseRow]:
        """The open cases of a procedure in an estate (by number), except those already on
        bundle ``not_on``: what ``estateflow migrate`` moves. Read through the index
        ``cases_estate_status``, so closed cases cost nothing."""
        rows = await self.tx.fetch(
            f'SELECT {_CASE_COLUMNS} FROM "cases" WHERE "estate_id" = $1 '
            'AND "status" = \'open\' AND "procedure" = $2 AND "bundle_hash" <> $3',
            estate_id,
            procedure,
            not_on or "",
        )
        # Sorted here: the database's collation may order the numbers otherwise.
        return sorted((_case_row(r) for r in rows), key=lambda r: r.number)

    async def due_cases(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """``(estate_id, case_id)`` of open cases with something due by ``now``."""
        rows = await self.tx.fetch(
            'SELECT "estate_id", "id" FROM "cases" WHERE "status" = \'open\' '
            'AND "next_due_at" <= $1 ORDER BY "next_due_at" LIMIT $2',
            now,
            limit,
        )
        return [(r["estate_id"], r["id"]) for r in rows]

    def erase_payload(self, case_id: str, seq: int) -> None:
        self.tx.defer(
            'UPDATE "events" SET "payload" = $1, "erased" = true '
            'WHERE "case_id" = $2 AND "seq" = $3',
            dumps(TOMBSTONE),
            case_id,
            seq,
        )

    # -- tasks and inbox -------------------------------------------------------------
    async def open_tasks(
        self, estate_id: str, *, roles: Iterable[str], username: str, limit: int = 200
    ) -> list[Row]:
        """The first ``limit`` open tasks ``username`` holds or may claim with ``roles``,
        soonest deadline first (none last). Each holder's queue is read by the index
        ``task_holders_inbox`` only as far as ``limit``, so the cost does not grow with
        the open tasks of the estate."""
        limit = int(limit)
        holders = [f"user:{username}", *(f"role:{role}" for role in sorted(roles))]
        queues = " UNION ".join(
            f'SELECT * FROM (SELECT "case_id", "task_id", "due_order", "opened_at" '
            f'FROM "task_holders" WHERE "estate_id" = $1 AND "holder" = ${i + 2} '
            f'ORDER BY "due_order", "opened_at" LIMIT {limit}) AS q{i}'
            for i in range(len(holders))
        )
        return await self.tx.fetch(
            'SELECT t."case_id", t."task_id", t."step", t."role", t."assignee", t."status", '
            't."opened_at", t."due_at", t."warn_at", c."number", c."procedure", c."unit" '
            # The first ``limit`` of the merged queues, before the joins: no more rows
            # than the page are looked up in the (large) tasks and cases.
            f'FROM (SELECT * FROM ({queues}) AS u ORDER BY "due_order", "opened_at" '
            f"LIMIT {limit}) AS h "
            'JOIN "tasks" t ON t."case_id" = h."case_id" AND t."task_id" = h."task_id" '
            'JOIN "cases" c ON c."id" = t."case_id" '
            f'ORDER BY h."due_order", h."opened_at" LIMIT {limit}',
            estate_id,
            *holders,
        )

    # -- registers -------------------------------------------------------------------
    async def register_rows(self, estate_id: str, registers: Iterable[str]) -> dict[str, list]:
        names = sorted(set(registers))
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        if not names:
            return out
        marks = ", ".join(f"${i + 2}" for i in range(len(names)))
        rows = await self.tx.fetch(
            'SELECT "register", "data" FROM "register_rows" WHERE "estate_id" = $1 '
            f'AND "register" IN ({marks}) AND "removed_at" IS NULL ORDER BY "id"',
            estate_id,
            *names,
        )
        for row in rows:
            out[row["register"]].append(loads(row["data"]))
        return out

    async def change_register(
        self, estate_id: str, change: Mapping[str, Any], *, case_id: str | None, at: datetime
    ) -> None:
        register, op = change["register"], change["op"]
        if op == "add":
            values = dict(change["values"])
            for _ in range(int(change.get("count", 1))):
                self.tx.defer(
                    'INSERT INTO "register_rows" ("estate_id", "register", "unit", "data", '
                    '"case_id", "created_at") VALUES ($1, $2, $3, $4, $5, $6)',
                    estate_id,
                    register,
                    str(values.get("unit") or ""),
                    dumps(values),
                    case_id,
                    at,
                )
            return
        where = dict(change["where"])
        rows = await self.tx.fetch(
            'SELECT "id", "data" FROM "register_rows" WHERE "estate_id" = $1 AND "register" = $2 '
            'AND "removed_at" IS NULL ORDER BY "id"',
            estate_id,
            register,
        )
        for row in rows:
            data = loads(row["data"])
            if all(data.get(k) == v for k, v in where.items()):
                if op == "remove":
                    self.tx.defer(
                        'UPDATE "register_rows" SET "removed_at" = $1 WHERE "id" = $2',
                        at,
                        row["id"],
                    )
                else:
                    data.update(change["values"])
                    self.tx.defer(
                        'UPDATE "register_rows" SET "data" = $1 WHERE "id" = $2',
                        dumps(data),
                        row["id"],
                    )

    def add_register_row(
        self, estate_id: str, register: str, data: Mapping[str, Any], at: datetime
    ) -> None:
        self.tx.defer(
            'INSERT INTO "register_rows" ("estate_id", "register", "unit", "data", "case_id", '
            '"created_at") VALUES ($1, $2, $3, $4, NULL, $5)',
            estate_id,
            register,
            str(data.get("unit") or ""),
            dumps(dict(data)),
            at,
        )

    # -- outbox ----------------------------------------------------------------------
    def queue(
        self,
        *,
        key: str,
        estate_id: str,
        case_id: str | None,
        kind: str,
        payload: Mapping[str, Any],
        at: datetime,
    ) -> None:
        conflict = 'ON CONFLICT ("key") DO NOTHING'
        self.tx.defer(
            'INSERT INTO "outbox" ("key", "estate_id", "case_id", "kind", "payload", '
            f'"created_at", "sent_at", "attempts") VALUES ($1, $2, $3, $4, $5, $6, NULL, 0) '
            f"{conflict}",
            key,
            estate_id,
            case_id,
            kind,
            dumps(dict(payload)),
            at,
        )

    async def pending_notifications(
        self, now: datetime, limit: int = 100, *, lock: bool = False
    ) -> list[Row]:
        """Unsent notifications due for a try at ``now``, oldest first; ``lock`` (in a
        write transaction) keeps other senders off them on PostgreSQL."""
        lock_sql = " FOR UPDATE SKIP LOCKED" if lock and self.kind == "postgres" else ""
        rows = await self.tx.fetch(
            'SELECT "key", "estate_id", "case_id", "kind", "payload", "attempts" FROM "outbox" '
            'WHERE "sent_at" IS NULL AND ("next_attempt_at" IS NULL OR "next_attempt_at" <= $1) '
            f'ORDER BY "created_at" LIMIT $2{lock_sql}',
            now,
            limit,
        )
        for row in rows:
            row["payload"] = loads(row["payload"])
        return rows

    def mark_sent(self, key: str, at: datetime) -> None:
        self.tx.defer(
            'UPDATE "outbox" SET "sent_at" = $1, "attempts" = "attempts" + 1, '
            '"next_attempt_at" = NULL WHERE "key" = $2',
            at,
            key,
        )

    def mark_failed(self, key: str, *, retry_at: datetime, error: str) -> None:
        """One more failed try: leave the notification queued until ``retry_at``."""
        self.tx.defer(
            'UPDATE "outbox" SET "attempts" = "attempts" + 1, "next_attempt_at" = $1, '
            '"last_error" = $2 WHERE "key" = $3',
            retry_at,
            error[:2000],
            key,
        )

    async def failing_notifications(self, at_least: int) -> tuple[int, str | None]:
        """How many unsent notifications have failed ``at_least`` times, and the last
        error of the one that failed most."""
        row = await self.tx.fetchrow(
            'SELECT count(*) AS "n", max("attempts") AS "most" FROM "outbox" '
            'WHERE "sent_at" IS NULL AND "attempts" >= $1',
            at_least,
        )
        if not row or not row["n"]:
            return 0, None
        error = await self.tx.fetchval(
            'SELECT "last_error" FROM "outbox" WHERE "sent_at" IS NULL AND "attempts" = $1 LIMIT 1',
            row["most"],
        )
        return int(row["n"]), error

    # -- estates, bundles, publishing ------------------------------------------------
    def ensure_estate(self, estate_id: str, name: str, at: datetime) -> None:
        self.tx.defer(
            'INSERT INTO "estates" ("id", "name", "created_at") VALUES ($1, $2, $3) '
            'ON CONFLICT ("id") DO UPDATE SET "name" = $2',
            estate_id,
            name,
            at,
        )

    async def has_bundle(self, bundle_hash: str) -> bool:
        return (
            await self.tx.fetchval('SELECT 1 FROM "bundles" WHERE "hash" = $1', bundle_hash)
            is not None
        )

    def save_bundle(
        self,
        *,
        bundle_hash: str,
        estate_id: str,
        estate_path: str,
        sources: Mapping[str, str],
        at: datetime,
    ) -> None:
        self.tx.defer(
            'INSERT INTO "bundles" ("hash", "estate_id", "estate_path", "sources", "created_at") '
            'VALUES ($1, $2, $3, $4, $5) ON CONFLICT ("hash") DO NOTHING',
            bundle_hash,
            estate_id,
            estate_path,
            dumps(dict(sources)),
            at,
        )

    async def bundle_sources(self, bundle_hash: str) -> tuple[str, dict[str, str]]:
        row = await self.tx.fetchrow(
            'SELECT "estate_path", "sources" FROM "bundles" WHERE "hash" = $1', bundle_hash
        )
        if row is None:
            raise NotFound(f"no bundle {bundle_hash}")
        return row["estate_path"], loads(row["sources"])

    def publish(self, estate_id: str, bundle_hash: str, *, by: str, at: datetime) -> None:
        self.tx.defer(
            'INSERT INTO "published" ("estate_id", "bundle_hash", "published_at", "published_by") '
            'VALUES ($1, $2, $3, $4) ON CONFLICT ("estate_id") DO UPDATE SET '
            '"bundle_hash" = $2, "published_at" = $3, "published_by" = $4',
            estate_id,
            bundle_hash,
            at,
            by,
        )

    async def published(self, estate_id: str, now: datetime | None = None) -> str:
        """The bundle new cases use; with ``now``, a scheduled publish whose time has
        come wins over the ``published`` row when it is the later of the two (the row
        wins a tie: every immediate publish writes it)."""
        if now is None:
            value = await self.tx.fetchval(
                'SELECT "bundle_hash" FROM "published" WHERE "estate_id" = $1', estate_id
            )
        else:
            value = await self.tx.fetchval(
                'SELECT "bundle_hash" FROM (SELECT "bundle_hash", "published_at" AS "at", 0 AS '
                '"rank" FROM "published" WHERE "estate_id" = $1 UNION ALL SELECT "bundle_hash", '
                '"effective_at" AS "at", 1 AS "rank" FROM "scheduled_publish" WHERE '
                '"estate_id" = $1 AND "effective_at" <= $2 AND "cancelled_at" IS NULL) AS '
                '"candidates" ORDER BY "at" DESC, "rank" LIMIT 1',
                estate_id,
                now,
            )
        if value is None:
            raise NotFound(f"estate '{estate_id}' has no published procedures")
        return value

    async def estates(self) -> list[Row]:
        return await self.tx.fetch('SELECT "id", "name" FROM "estates" ORDER BY "id"')

    # -- people ----------------------------------------------------------------------
    def upsert_user(self, username: str, name: str, password_hash: str, at: datetime) -> None:
        self.tx.defer(
            'INSERT INTO "users" ("id", "name", "password_hash", "locale", "disabled", '
            '"created_at") VALUES ($1, $2, $3, \'\', false, $4) ON CONFLICT ("id") DO UPDATE '
            'SET "name" = $2, "password_hash" = $3',
            username,
            name,
            password_hash,
            at,
        )

    def grant(
        self,
        username: str,
        estate_id: str,
        roles: Iterable[str],
        shifts: Mapping[str, str] | None = None,
        building: str = "",
    ) -> None:
        self.tx.defer(
            'INSERT INTO "memberships" ("estate_id", "user_id", "roles", "shifts", "building") '
            'VALUES ($1, $2, $3, $4, $5) ON CONFLICT ("user_id", "estate_id") DO UPDATE SET '
            '"roles" = $3, "shifts" = $4, "building" = $5',
            estate_id,
            username,
            dumps(sorted(set(roles))),
            dumps(dict(shifts or {})),
            building,
        )

    async def user(self, username: str) -> Row | None:
        return await self.tx.fetchrow(
            'SELECT "id", "name", "password_hash", "locale", "disabled" FROM "users" '
            'WHERE "id" = $1',
            username,
        )

    async def membership(self, username: str, estate_id: str) -> Row | None:
        row = await self.tx.fetchrow(
            'SELECT "roles", "shifts", "building" FROM "memberships" '
            'WHERE "user_id" = $1 AND "estate_id" = $2',
            username,
            estate_id,
        )
        if row is not None:
            row["roles"], row["shifts"] = loads(row["roles"]), loads(row["shifts"])
        return row

    async def staff(self, estate_id: str) -> list[Row]:
        rows = await self.tx.fetch(
            'SELECT m."user_id", u."name", m."roles", m."shifts", m."building" '
            'FROM "memberships" m JOIN "users" u ON u."id" = m."user_id" '
            'WHERE m."estate_id" = $1 ORDER BY m."user_id"',
            estate_id,
        )
        for row in rows:
            row["roles"], row["shifts"] = loads(row["roles"]), loads(row["shifts"])
        return rows


def _case_row(row: Mapping[str, Any]) -> CaseRow:
    return CaseRow(
        id=row["id"],
        estate_id=row["estate_id"],
        bundle_hash=row["bundle_hash"],
        procedure=row["procedure"],
        number=row["number"],
        status=row["status"],
        version=int(row["version"]),
        chain_head=row["chain_head"],
        state=loads(row["state"]) if row["state"] else {},
        opened_at=_dt(row["opened_at"]),
        parent_id=row["parent_id"],
    )


class Store:
    """A database with the EstateFlow schema; ``unit_of_work`` is the only way in."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def kind(self) -> str:
        return self.db.kind

    @asynccontextmanager
    async def unit_of_work(self, *, writes: bool) -> AsyncIterator[UnitOfWork]:
        async with self.db.transaction(write=writes) as tx:
            yield UnitOfWork(tx, self.db.kind)

    async def close(self) -> None:
        await self.db.close()


async def open_store(url: str, *, create: bool = True) -> Store:
    """Open (and by default create the schema of) the database at ``url``."""
    db = await open_database(url)
    if create:
        try:
            await create_schema(db)
        except StoreError:
            await db.close()
            raise
    return Store(db)


def verify_chain(
    case_id: str, version: int, head: str, rows: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Problems with one case's log: edited, deleted, inserted or reordered events.

    An erased payload (a tombstone) is fine: the digest it had stays in the chain.
    """
    problems = []
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        seq = int(row["seq"])
        if seq != expected_seq:
            problems.append(f"case {case_id}: event {expected_seq} is missing (found {seq})")
            break
        if row["prev_hash"] != prev:
            problems.append(f"case {case_id}: event {seq} does not follow event {seq - 1}")
        if not row["erased"]:
            # Canonical text again: PostgreSQL's JSONB keeps the value, not the spelling.
            payload = loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            digest = digest_of(
                case_id, seq, _dt(row["at"]), row["actor"], row["type"], dumps(payload)
            )
            if digest != row["digest"]:
                problems.append(f"case {case_id}: event {seq} was changed after it was written")
        if chain(row["prev_hash"], row["digest"]) != row["hash"]:
            problems.append(f"case {case_id}: event {seq} has a wrong hash")
        prev = row["hash"]
    if len(rows) != version:
        problems.append(
            f"case {case_id}: the case has had {version} events but the log holds {len(rows)}"
        )
    elif rows and prev != head:
        problems.append(f"case {case_id}: the log does not end where the case says it does")
    return problems
