"""Rows about people the web app and the API keep: language preference, API tokens."""

from __future__ import annotations

from datetime import datetime

from estateflow.store._codec import dumps, loads
from estateflow.store._store import Row, UnitOfWork, _dt


async def user_locale(uow: UnitOfWork, username: str) -> str:
    value = await uow.tx.fetchval('SELECT "locale" FROM "users" WHERE "id" = $1', username)
    return str(value or "")


def set_user_locale(uow: UnitOfWork, username: str, locale: str) -> None:
    uow.tx.defer('UPDATE "users" SET "locale" = $1 WHERE "id" = $2', locale, username)


def add_token(
    uow: UnitOfWork,
    token_hash: str,
    username: str,
    estate_id: str,
    scopes: list[str],
    at: datetime,
) -> None:
    uow.tx.defer(
        'INSERT INTO "api_tokens" ("token_hash", "user_id", "estate_id", "scopes", '
        '"created_at", "last_used_at") VALUES ($1, $2, $3, $4, $5, NULL)',
        token_hash,
        username,
        estate_id,
        dumps(sorted(set(scopes))),
        at,
    )


async def token(uow: UnitOfWork, token_hash: str) -> Row | None:
    row = await uow.tx.fetchrow(
        'SELECT "token_hash", "user_id", "estate_id", "scopes", "created_at", "last_used_at" '
        'FROM "api_tokens" WHERE "token_hash" = $1',
        token_hash,
    )
    if row is not None:
        row["scopes"] = loads(row["scopes"])
        row["created_at"], row["last_used_at"] = _dt(row["created_at"]), _dt(row["last_used_at"])
    return row


def touch_token(uow: UnitOfWork, token_hash: str, at: datetime) -> None:
    uow.tx.defer(
        'UPDATE "api_tokens" SET "last_used_at" = $1 WHERE "token_hash" = $2', at, token_hash
    )


async def register_history(
    uow: UnitOfWork, estate_id: str, register: str, *, limit: int = 2000
) -> list[Row]:
    """Every row of ``register``, removed ones too, newest first, with the case that added
    it and the case that removed it (the RegisterChanged event at the removal time)."""
    rows = await uow.tx.fetch(
        'SELECT r."id", r."unit", r."data", r."case_id", r."created_at", r."removed_at", '
        'c."number" AS "case_number" FROM "register_rows" r LEFT JOIN "cases" c '
        'ON c."id" = r."case_id" WHERE r."estate_id" = $1 AND r."register" = $2 '
        'ORDER BY r."id" DESC LIMIT $3',
        estate_id,
        register,
        limit,
    )
    removals: dict[datetime, tuple[str, str]] = {}
    if any(row["removed_at"] is not None for row in rows):
        events = await uow.tx.fetch(
            'SELECT e."case_id", e."at", e."payload", c."number" FROM "events" e '
            'JOIN "cases" c ON c."id" = e."case_id" '
            'WHERE e."estate_id" = $1 AND e."type" = \'RegisterChanged\' AND NOT e."erased"',
            estate_id,
        )
        for event in events:
            payload = loads(event["payload"]) if event["payload"] else {}
            if payload.get("register") == register and payload.get("op") == "remove":
                removals[_dt(event["at"])] = (event["case_id"], event["number"])
    for row in rows:
        row["data"] = loads(row["data"])
        row["created_at"], row["removed_at"] = _dt(row["created_at"]), _dt(row["removed_at"])
        row["removed_by"], row["removed_by_number"] = removals.get(row["removed_at"], (None, None))
    return rows
