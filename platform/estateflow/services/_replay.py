"""Closed cases of an estate replayed against a new bundle (``estateflow simulate --replay``).

Each closed case of the procedure is read with its event log and the logs of the cases it
spawned, and :func:`estateflow.engine.rerun` plays its people's acts on the new bundle
at their recorded times. Nothing is written. The rerun reads the estate as it is now:
its staff's roles and shifts and its register rows (a member who has left acts with the
roles their recorded acts needed then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from estateflow import engine
from estateflow.definitions import Bundle
from estateflow.engine import Event, Rerun
from estateflow.errors import NotFound
from estateflow.services._services import Services, _needs_roster
from estateflow.store import UnitOfWork
from estateflow.store import _ops as ops

#: Closed before this when no end is given: every closed case.
_NEVER = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayReport:
    estate_id: str
    procedure: str
    cases: tuple[Rerun, ...]
    """Each replayed case, by case number."""
    skipped: tuple[tuple[str, str], ...]
    """``(case number, why)`` of the closed cases that cannot be replayed."""

    @property
    def breaching(self) -> tuple[Rerun, ...]:
        return tuple(c for c in self.cases if c.breached)

    @property
    def diverging(self) -> tuple[Rerun, ...]:
        return tuple(c for c in self.cases if c.divergence is not None)


async def replay_closed_cases(
    services: Services,
    estate_id: str,
    procedure: str,
    bundle: Bundle,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Replay the cases of ``procedure`` in the estate closed in ``[since, until)`` on
    ``bundle``; ``progress(done, total)`` is called after each case."""
    if bundle.estate.id != estate_id:
        raise NotFound(f"the bundle is estate '{bundle.estate.id}', not '{estate_id}'")
    async with services.store.unit_of_work(writes=False) as uow:
        if estate_id not in {row["id"] for row in await uow.estates()}:
            raise NotFound(f"there is no estate '{estate_id}' in this database")
        ids = await ops.closed_cases(uow, estate_id, procedure, until or _NEVER, since)
        staff = await uow.staff(estate_id)
        roster = await services._roster(uow, bundle) if _needs_roster(bundle) else None
        registers = await uow.register_rows(estate_id, bundle.estate.registers)
    members = {row["user_id"]: frozenset(row["roles"]) for row in staff}
    done: list[Rerun] = []
    skipped: list[tuple[str, str]] = []
    for count, case_id in enumerate(ids, start=1):
        # One short read per case: a long replay holds no transaction open.
        async with services.store.unit_of_work(writes=False) as uow:
            row = await uow.load_case(estate_id, case_id)
            logs, erased = await _logs(uow, estate_id, case_id)
            then = await services._bundle(uow, row.bundle_hash)
        if erased:
            skipped.append((row.number, "its event log was erased (personal data purged)"))
        else:
            roles = {**engine.evidenced_roles(then, logs), **members}
            done.append(
                engine.rerun(bundle, case_id, logs, roles=roles, roster=roster, registers=registers)
            )
        if progress is not None:
            progress(count, len(ids))
    return ReplayReport(
        estate_id=estate_id,
        procedure=procedure,
        cases=tuple(sorted(done, key=lambda r: r.number)),
        skipped=tuple(sorted(skipped)),
    )


async def _logs(
    uow: UnitOfWork, estate_id: str, case_id: str
) -> tuple[dict[str, list[Event]], bool]:
    """The events of the case and of every case it spawned, by case id; and whether any
    of them were erased."""
    logs: dict[str, list[Event]] = {}
    erased = False
    todo = [case_id]
    while todo:
        current = todo.pop()
        await uow.load_case(estate_id, current)  # another estate's case is not found
        rows = await uow.events(current)
        erased = erased or any(r.erased for r in rows)
        logs[current] = [
            Event(type=r.type, at=r.at, actor=r.actor, payload=r.payload) for r in rows
        ]
        todo += [str(r.payload["child"]) for r in rows if r.type == "ChildStarted" and not r.erased]
    return logs, erased
