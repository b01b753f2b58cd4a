"""Reads for reports and record books: cases by estate, procedure and opening time.

Every list is paginated by key, never by offset: the next page starts after the
``(opened_at, id)`` of the last row of the page before, which the index
``cases_reports`` serves directly on both databases.

Report summaries keep what a month's closed cases count up to (``services`` makes and
reads the figures; here they are JSON text), so a monthly report reads one row and the
few cases still open or just closed instead of the whole month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from estateflow.store._codec import dumps, loads
from estateflow.store._store import UnitOfWork, _dt

#: Most rows one page of a report query returns.
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportCase:
    """A case as reports see it: its columns and its state (tasks, data, steps)."""

    id: str
    estate_id: str
    procedure: str
    number: str
    status: str
    outcome: str | None
    unit: str
    opened_at: datetime
    closed_at: datetime | None
    state: dict[str, Any]


async def report_cases(
    uow: UnitOfWork,
    estate_ids: Sequence[str],
    *,
    procedures: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    unit: str | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = MAX_PAGE,
    closed_before: datetime | None = None,
    closed_since: datetime | None = None,
) -> list[ReportCase]:
    """One page of cases opened in ``[since, until)``, oldest first.

    Args:
        after: the ``(opened_at, id)`` of the last case of the previous page
            (``(closed_at, id)`` with ``closed_since``).
        closed_before: only closed cases that closed before this (or whose closing
            time is unknown); with ``closed_since`` at the same moment, the two split the
            closed cases in two.
        closed_since: only closed cases that closed at this moment or later, in closing
            order (the index ``cases_closed`` finds them without reading the rest of the
            period).
    """
    if not estate_ids:
        return []
    args: list[Any] = []

    def mark(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = [f'"estate_id" IN ({", ".join(mark(e) for e in estate_ids)})']
    if procedures:
        where.append(f'"procedure" IN ({", ".join(mark(p) for p in procedures)})')
    if since is not None:
        where.append(f'"opened_at" >= {mark(since)}')
    if until is not None:
        where.append(f'"opened_at" < {mark(until)}')
    if status:
        where.append(f'"status" = {mark(status)}')
    if unit:
        where.append(f'"unit" = {mark(unit)}')
    if closed_before is not None:
        where.append(
            f'"status" = \'closed\' AND ("closed_at" < {mark(closed_before)} '
            'OR "closed_at" IS NULL)'
        )
    if closed_since is not None:
        where.append(f'"status" = \'closed\' AND "closed_at" >= {mark(closed_since)}')
    # Cases closed since a moment come in closing order, the order of the index
    # ``cases_closed``: ordered by opening, SQLite would walk the whole period instead.
    key = "closed_at" if closed_since is not None else "opened_at"
    order = f'"{key}", "id"'
    if after is not None:
        at, case_id = after
        first, second = mark(at), mark(case_id)
        where.append(f'("{key}" > {first} OR ("{key}" = {first} AND "id" > {second}))')
    limit = max(1, min(int(limit), MAX_PAGE))
    # SQLite's planner knows no histograms: for the open cases or those closed since a
    # moment it may walk the whole period by ``cases_opened`` (20,000 cases a month at a
    # million, 25 ms) rather than the index that holds just them. PostgreSQL picks well.
    hint = ""
    if uow.kind == "sqlite":
        if closed_since is not None:
            hint = ' INDEXED BY "cases_closed"'
        elif status:
            hint = ' INDEXED BY "cases_estate_status"'

    rows = await uow.tx.fetch(
        'SELECT "id", "estate_id", "procedure", "number", "status", "outcome", "unit", '
        f'"opened_at", "closed_at", "state" FROM "cases"{hint} '
        f"WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT {limit}",
        *args,
    )
    return [
        ReportCase(
            id=r["id"],
            estate_id=r["estate_id"],
            procedure=r["procedure"],
            number=r["number"],
            status=r["status"],
            outcome=r["outcome"],
            unit=r["unit"] or "",
            opened_at=_dt(r["opened_at"]),
            closed_at=_dt(r["closed_at"]),
            state=loads(r["state"]) if r["state"] else {},
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSummary:
    month: str
    """``YYYY-MM`` in the estate's time zone: the cases opened then."""
    closed_before: datetime
    """The summary counts the month's cases closed before this; later ones are read."""
    data: dict[str, Any]


async def report_summaries(
    uow: UnitOfWork, estate_id: str, bundle_hash: str, months: Sequence[str]
) -> dict[str, ReportSummary]:
    """The summaries kept for these months of an estate, made with this bundle."""
    if not months:
        return {}
    marks = ", ".join(f"${i + 3}" for i in range(len(months)))
    rows = await uow.tx.fetch(
        'SELECT "month", "closed_before", "data" FROM "report_summaries" '
        f'WHERE "estate_id" = $1 AND "bundle_hash" = $2 AND "month" IN ({marks})',
        estate_id,
        bundle_hash,
        *months,
    )
    return {
        r["month"]: ReportSummary(
            month=r["month"], closed_before=_dt(r["closed_before"]), data=loads(r["data"])
        )
        for r in rows
    }


async def report_durations(
    uow: UnitOfWork, estate_id: str, bundle_hash: str, month: str
) -> dict[str, Any] | None:
    """The durations a summary's close times come from (large: read only when needed)."""
    text = await uow.tx.fetchval(
        'SELECT "durations" FROM "report_summaries" WHERE "estate_id" = $1 '
        'AND "bundle_hash" = $2 AND "month" = $3',
        estate_id,
        bundle_hash,
        month,
    )
    return loads(text) if text else None


def save_report_summary(
    uow: UnitOfWork,
    *,
    estate_id: str,
    bundle_hash: str,
    month: str,
    closed_before: datetime,
    data: dict[str, Any],
    durations: dict[str, Any],
    at: datetime,
) -> None:
    uow.tx.defer(
        'INSERT INTO "report_summaries" ("estate_id", "bundle_hash", "month", "closed_before", '
        '"data", "durations", "computed_at") VALUES ($1, $2, $3, $4, $5, $6, $7) '
        'ON CONFLICT ("estate_id", "bundle_hash", "month") DO UPDATE SET '
        '"closed_before" = $4, "data" = $5, "durations" = $6, "computed_at" = $7',
        estate_id,
        bundle_hash,
        month,
        closed_before,
        dumps(data),
        dumps(durations),
        at,
    )
