"""Rows of authoring in the browser: overlay drafts (append only) and scheduled publishes."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from estateflow.store._store import UnitOfWork, _dt


def _ordered_id() -> str:
    """A unique id that sorts in the order rows were written, even under a fixed clock
    (tests and demos freeze the app's clock, not the machine's)."""
    return f"{time.time_ns():020d}{uuid.uuid4().hex[:12]}"


def add_overlay_draft(
    uow: UnitOfWork,
    *,
    estate_id: str,
    path: str,
    text: str,
    base_hash: str,
    by: str,
    at: datetime,
) -> str:
    """Append a draft of one overlay file; returns its id. Earlier drafts stay."""
    draft_id = _ordered_id()
    uow.tx.defer(
        'INSERT INTO "overlay_drafts" ("id", "estate_id", "path", "text", "base_hash", '
        '"saved_by", "saved_at") VALUES ($1, $2, $3, $4, $5, $6, $7)',
        draft_id,
        estate_id,
        path,
        text,
        base_hash,
        by,
        at,
    )
    return draft_id


async def overlay_draft(uow: UnitOfWork, estate_id: str, draft_id: str) -> dict[str, Any] | None:
    row = await uow.tx.fetchrow(
        'SELECT "id", "path", "text", "base_hash", "saved_by", "saved_at" FROM "overlay_drafts" '
        'WHERE "estate_id" = $1 AND "id" = $2',
        estate_id,
        draft_id,
    )
    if row is not None:
        row["saved_at"] = _dt(row["saved_at"])
    return row


async def overlay_drafts(uow: UnitOfWork, estate_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The latest drafts of the estate, newest first (without their text)."""
    rows = await uow.tx.fetch(
        'SELECT "id", "path", "base_hash", "saved_by", "saved_at" FROM "overlay_drafts" '
        'WHERE "estate_id" = $1 ORDER BY "id" DESC LIMIT $2',
        estate_id,
        limit,
    )
    for row in rows:
        row["saved_at"] = _dt(row["saved_at"])
    return rows


def schedule_publish(
    uow: UnitOfWork,
    *,
    estate_id: str,
    bundle_hash: str,
    effective_at: datetime,
    by: str,
    at: datetime,
) -> str:
    schedule_id = _ordered_id()
    uow.tx.defer(
        'INSERT INTO "scheduled_publish" ("id", "estate_id", "bundle_hash", "effective_at", '
        '"scheduled_at", "scheduled_by") VALUES ($1, $2, $3, $4, $5, $6)',
        schedule_id,
        estate_id,
        bundle_hash,
        effective_at,
        at,
        by,
    )
    return schedule_id


def cancel_schedule(uow: UnitOfWork, estate_id: str, schedule_id: str, at: datetime) -> None:
    uow.tx.defer(
        'UPDATE "scheduled_publish" SET "cancelled_at" = $3 WHERE "estate_id" = $1 AND "id" = $2 '
        'AND "cancelled_at" IS NULL',
        estate_id,
        schedule_id,
        at,
    )


async def schedules(uow: UnitOfWork, estate_id: str) -> list[dict[str, Any]]:
    """Every publish decision (immediate ones too) not cancelled, latest effective first."""
    rows = await uow.tx.fetch(
        'SELECT "id", "bundle_hash", "effective_at", "scheduled_at", "scheduled_by" '
        'FROM "scheduled_publish" WHERE "estate_id" = $1 AND "cancelled_at" IS NULL '
        'ORDER BY "effective_at" DESC, "id" DESC',
        estate_id,
    )
    for row in rows:
        row["effective_at"], row["scheduled_at"] = (
            _dt(row["effective_at"]),
            _dt(row["scheduled_at"]),
        )
    return rows


async def published_row(uow: UnitOfWork, estate_id: str) -> dict[str, Any] | None:
    row = await uow.tx.fetchrow(
        'SELECT "bundle_hash", "published_at", "published_by" FROM "published" '
        'WHERE "estate_id" = $1',
        estate_id,
    )
    if row is not None:
        row["published_at"] = _dt(row["published_at"])
    return row


async def bundle_history(uow: UnitOfWork, estate_id: str) -> list[dict[str, Any]]:
    """The estate's bundles, newest first (by when each content was first stored)."""
    rows = await uow.tx.fetch(
        'SELECT "hash", "created_at" FROM "bundles" WHERE "estate_id" = $1 '
        'ORDER BY "created_at" DESC',
        estate_id,
    )
    for row in rows:
        row["created_at"] = _dt(row["created_at"])
    return rows
