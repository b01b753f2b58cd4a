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
    """Every row of ``register``, removed ones too, newest first, with the creating case."""
    rows = await uow.tx.fetch(
        'SELECT r."id", r."unit", r."data", r."case_id", r."created_at", r."removed_at", '
        'c."number" AS "case_number" FROM "register_rows" r LEFT JOIN "cases" c '
        'ON c."id" = r."case_id" WHERE r."estate_id" = $1 AND r."register" = $2 '
        'ORDER BY r."id" DESC LIMIT $3',
        estate_id,
        register,
        limit,
    )
    for row in rows:
        row["data"] = loads(row["data"])
        row["created_at"], row["removed_at"] = _dt(row["created_at"]), _dt(row["removed_at"])
    return rows
