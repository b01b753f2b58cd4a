"""Rows the web app keeps through services: sessions, login throttling, drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from estateflow.store._codec import dumps, loads
from estateflow.store._store import UnitOfWork, _dt


async def load_session(uow: UnitOfWork, sid: str) -> dict[str, Any] | None:
    row = await uow.tx.fetchrow(
        'SELECT "id", "user_id", "csrf", "created_at", "seen_at", "data" FROM "sessions" '
        'WHERE "id" = $1',
        sid,
    )
    if row is None:
        return None
    row["created_at"], row["seen_at"] = _dt(row["created_at"]), _dt(row["seen_at"])
    row["data"] = loads(row["data"]) if row["data"] else {}
    return row


def create_session(
    uow: UnitOfWork,
    sid: str,
    csrf: str,
    user_id: str | None,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    uow.tx.defer(
        'INSERT INTO "sessions" ("id", "user_id", "csrf", "created_at", "seen_at", "data") '
        "VALUES ($1, $2, $3, $4, $4, $5)",
        sid,
        user_id,
        csrf,
        at,
        dumps(data or {}),
    )


def touch_session(uow: UnitOfWork, sid: str, at: datetime) -> None:
    uow.tx.defer('UPDATE "sessions" SET "seen_at" = $1 WHERE "id" = $2', at, sid)


def delete_session(uow: UnitOfWork, sid: str) -> None:
    uow.tx.defer('DELETE FROM "sessions" WHERE "id" = $1', sid)


def delete_sessions_before(uow: UnitOfWork, before: datetime) -> None:
    uow.tx.defer('DELETE FROM "sessions" WHERE "seen_at" < $1', before)


async def throttle(uow: UnitOfWork, key: str) -> tuple[datetime | None, int]:
    row = await uow.tx.fetchrow(
        'SELECT "window_start", "failures" FROM "login_throttle" WHERE "key" = $1', key
    )
    return (_dt(row["window_start"]), int(row["failures"])) if row else (None, 0)


def set_throttle(uow: UnitOfWork, key: str, window_start: datetime, failures: int) -> None:
    uow.tx.defer(
        'INSERT INTO "login_throttle" ("key", "window_start", "failures") VALUES ($1, $2, $3) '
        'ON CONFLICT ("key") DO UPDATE SET "window_start" = $2, "failures" = $3',
        key,
        window_start,
        failures,
    )


def clear_throttle(uow: UnitOfWork, key: str) -> None:
    uow.tx.defer('DELETE FROM "login_throttle" WHERE "key" = $1', key)


async def load_draft(uow: UnitOfWork, key: str) -> dict[str, Any] | None:
    value = await uow.tx.fetchval('SELECT "data" FROM "drafts" WHERE "key" = $1', key)
    return loads(value) if value else None


def save_draft(
    uow: UnitOfWork, key: str, estate_id: str, data: dict[str, Any], at: datetime
) -> None:
    uow.tx.defer(
        'INSERT INTO "drafts" ("key", "estate_id", "data", "saved_at") VALUES ($1, $2, $3, $4) '
        'ON CONFLICT ("key") DO UPDATE SET "data" = $3, "saved_at" = $4',
        key,
        estate_id,
        dumps(data),
        at,
    )


def delete_draft(uow: UnitOfWork, key: str) -> None:
    uow.tx.defer('DELETE FROM "drafts" WHERE "key" = $1', key)


async def memberships_of(uow: UnitOfWork, username: str) -> list[dict[str, Any]]:
    rows = await uow.tx.fetch(
        'SELECT m."estate_id", m."roles", e."name" FROM "memberships" m '
        'JOIN "estates" e ON e."id" = m."estate_id" WHERE m."user_id" = $1 '
        'ORDER BY m."estate_id"',
        username,
    )
    for row in rows:
        row["roles"] = loads(row["roles"])
    return rows


async def recent_notifications(
    uow: UnitOfWork, estate_id: str, limit: int = 200
) -> list[dict[str, Any]]:
    rows = await uow.tx.fetch(
        'SELECT "key", "case_id", "kind", "payload", "created_at", "sent_at" FROM "outbox" '
        'WHERE "estate_id" = $1 ORDER BY "created_at" DESC LIMIT $2',
        estate_id,
        limit,
    )
    for row in rows:
        row["payload"] = loads(row["payload"])
        row["created_at"], row["sent_at"] = _dt(row["created_at"]), _dt(row["sent_at"])
    return rows


async def pickers(uow: UnitOfWork, estate_id: str) -> dict[str, list[Any]]:
    """Known units (from the registers) and staff (from the memberships) of an estate."""
    units = await uow.tx.fetch(
        'SELECT DISTINCT "unit" FROM "register_rows" WHERE "estate_id" = $1 AND "unit" != \'\' '
        'ORDER BY "unit" LIMIT 5000',
        estate_id,
    )
    staff = await uow.tx.fetch(
        'SELECT m."user_id", u."name" FROM "memberships" m JOIN "users" u ON u."id" = m."user_id" '
        'WHERE m."estate_id" = $1 ORDER BY m."user_id"',
        estate_id,
    )
    return {
        "units": [r["unit"] for r in units],
        "staff": [(r["user_id"], r["name"]) for r in staff],
    }
