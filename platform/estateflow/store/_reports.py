"""Reads for reports and record books: cases by estate, procedure and opening time.

Every list is paginated by key, never by offset: the next page starts after the
``(opened_at, id)`` of the last row of the page before, which the index
``cases_reports`` serves directly on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from estateflow.store._codec import loads
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
) -> list[ReportCase]:
    """One page of cases opened in ``[since, until)``, oldest first.

    Args:
        after: the ``(opened_at, id)`` of the last case of the previous page.
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
    if after is not None:
        at, case_id = after
        first, second = mark(at), mark(case_id)
        where.append(f'("opened_at" > {first} OR ("opened_at" = {first} AND "id" > {second}))')
    limit = max(1, min(int(limit), MAX_PAGE))
    rows = await uow.tx.fetch(
        'SELECT "id", "estate_id", "procedure", "number", "status", "outcome", "unit", '
        '"opened_at", "closed_at", "state" FROM "cases" '
        f"WHERE {' AND '.join(where)} "
        f'ORDER BY "opened_at", "id" LIMIT {limit}',
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
