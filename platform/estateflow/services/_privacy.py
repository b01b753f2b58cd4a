"""Personal data (PIPL / PDPO): who sees full id numbers, how long cases keep personal
data, what is held about a person, and a log of every access to it.

An estate's rules are an administrator's setting in the database (``estateflow privacy
set``), not part of the definitions: they are about the people, not the procedure.
Unset, nobody sees full id numbers and nothing is purged.

Purging tombstones the payloads of a closed case's events (their digests stay in the
chain, so ``audit verify`` still passes) and drops what people typed from its state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from estateflow.engine import Actor
from estateflow.errors import Invalid
from estateflow.fields import mask
from estateflow.services._services import Services
from estateflow.services._views import CaseView
from estateflow.store import _ops as ops


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PrivacySettings:
    full_id_roles: frozenset[str] = frozenset()
    """Roles that see full id numbers; everyone else sees them masked."""
    retention: Mapping[str, int] = dataclasses.field(default_factory=dict)
    """Days a closed case of each procedure keeps its personal data."""


async def settings(services: Services, estate_id: str) -> PrivacySettings:
    async with services.store.unit_of_work(writes=False) as uow:
        raw = await ops.privacy_settings(uow, estate_id)
    return PrivacySettings(
        full_id_roles=frozenset(raw["full_id_roles"]),
        retention={k: int(v) for k, v in raw["retention"].items()},
    )


async def configure(
    services: Services,
    estate_id: str,
    *,
    full_id_roles: Iterable[str] | None = None,
    retention: Mapping[str, int] | None = None,
) -> PrivacySettings:
    """Change what is given; roles and procedures must exist in the published bundle."""
    bundle = await services.published_bundle(estate_id)
    current = await settings(services, estate_id)
    roles = set(current.full_id_roles if full_id_roles is None else full_id_roles)
    keep = dict(current.retention)
    keep.update(retention or {})
    errors: dict[str, tuple[str, ...]] = {}
    if unknown := sorted(roles - set(bundle.estate.roles)):
        errors["full_id_roles"] = (f"unknown role '{unknown[0]}'",)
    if unknown := sorted(set(keep) - set(bundle.procedures)):
        errors["retention"] = (f"unknown procedure '{unknown[0]}'",)
    if any(days < 1 for days in keep.values()):
        errors.setdefault("retention", ("keep personal data at least one day",))
    if errors:
        raise Invalid(errors)
    async with services.store.unit_of_work(writes=True) as uow:
        ops.set_privacy_settings(
            uow, estate_id, full_id_roles=sorted(roles), retention=keep, at=services.clock()
        )
    return PrivacySettings(full_id_roles=frozenset(roles), retention=keep)


def _is_id(value: Any) -> bool:
    return isinstance(value, Mapping) and "number" in value and "kind" in value


def mask_ids(value: Any) -> Any:
    """``value`` with every id document's number masked, however deeply nested."""
    if _is_id(value):
        return {**value, "number": mask(value)}
    if isinstance(value, Mapping):
        return {k: mask_ids(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_ids(v) for v in value]
    return value


def _has_id(value: Any) -> bool:
    if _is_id(value):
        return True
    if isinstance(value, Mapping):
        return any(_has_id(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_id(v) for v in value)
    return False


async def private_case(
    services: Services, estate_id: str, case_id: str, *, actor: Actor
) -> CaseView:
    """The case as ``actor`` may see it: id numbers masked unless their role allows full
    numbers, in which case the look is written to the access log."""
    view = await services.get_case(estate_id, case_id, actor=actor)
    if not _has_id(view.data):
        return view
    rules = await settings(services, estate_id)
    if rules.full_id_roles & set(actor.roles):
        async with services.store.unit_of_work(writes=True) as uow:
            ops.log_access(
                uow,
                estate_id=estate_id,
                actor=actor.username,
                action="view-id",
                subject=case_id,
                at=services.clock(),
            )
        return view
    return dataclasses.replace(view, data=mask_ids(view.data))


async def private_events(
    services: Services, estate_id: str, case_id: str, *, actor: Actor
) -> list[Any]:
    """The case's events as ``actor`` may see them: id numbers in payloads masked unless
    their role allows full numbers (the look is then logged by :func:`private_case`)."""
    events = await services.case_events(estate_id, case_id)
    rules = await settings(services, estate_id)
    if rules.full_id_roles & set(actor.roles):
        return events
    return [
        dataclasses.replace(e, payload=mask_ids(e.payload)) if _has_id(e.payload) else e
        for e in events
    ]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PurgeReport:
    cases: tuple[str, ...]
    """Ids of the cases whose personal data was removed (or would be, on a dry run)."""
    events: int


async def purge_expired(
    services: Services,
    estate_id: str,
    *,
    by: str,
    dry_run: bool = False,
    overrides: Mapping[str, int] | None = None,
) -> PurgeReport:
    """Remove the personal data of closed cases older than their procedure's retention."""
    now = services.clock()
    rules = {**(await settings(services, estate_id)).retention, **(overrides or {})}
    purged: list[str] = []
    events = 0
    for procedure, days in sorted(rules.items()):
        async with services.store.unit_of_work(writes=False) as uow:
            ids = await ops.closed_cases(uow, estate_id, procedure, now - timedelta(days=days))
        for case_id in ids:
            async with services.store.unit_of_work(writes=True) as uow:
                row = await uow.load_case(estate_id, case_id)
                rows = await uow.events(case_id)
                todo = [e for e in rows if not e.erased]
                if not todo and not row.state.get("data"):
                    continue
                purged.append(case_id)
                events += len(todo)
                if dry_run:
                    continue
                for event in todo:
                    uow.erase_payload(case_id, event.seq)
                ops.forget_case_data(uow, case_id, row.state)
                ops.log_access(
                    uow,
                    estate_id=estate_id,
                    actor=by,
                    action="purge",
                    subject=case_id,
                    at=now,
                    detail=f"{procedure}: closed more than {days} days ago",
                )
    return PurgeReport(cases=tuple(purged), events=events)


async def erase_case(
    services: Services, estate_id: str, case_id: str, *, by: str, reason: str
) -> int:
    """Erase one case's personal data now (a person's request, a court order): its event
    payloads become tombstones and its state forgets what was typed. Returns the events
    erased; the erasure and its reason go to the access log."""
    if not reason.strip():
        raise ValueError("say why the case is erased (it goes to the access log)")
    async with services.store.unit_of_work(writes=True) as uow:
        row = await uow.load_case(estate_id, case_id)
        todo = [e for e in await uow.events(case_id) if not e.erased]
        for event in todo:
            uow.erase_payload(case_id, event.seq)
        ops.forget_case_data(uow, case_id, row.state)
        ops.log_access(
            uow,
            estate_id=estate_id,
            actor=by,
            action="erase",
            subject=case_id,
            at=services.clock(),
            detail=reason.strip(),
        )
    return len(todo)


def _normal(text: str) -> str:
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def _mentions(value: Any, needle: str) -> bool:
    if isinstance(value, Mapping):
        return any(_mentions(v, needle) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions(v, needle) for v in value)
    if value is None or isinstance(value, bool):
        return False
    return needle in _normal(value)


async def export_person(
    services: Services, estate_id: str, query: str, *, by: str
) -> dict[str, Any]:
    """Everything the estate holds that mentions ``query`` (a name, phone or id number):
    case data and step records, and register rows. The export is logged."""
    needle = _normal(query)
    if len(needle) < 2:
        raise ValueError("search for at least two letters or digits")
    cases: list[dict[str, Any]] = []
    registers: list[dict[str, Any]] = []
    async with services.store.unit_of_work(writes=False) as uow:
        for case_id, state in await ops.case_states(uow, estate_id):
            held = {"data": state.get("data") or {}, "steps": state.get("steps") or {}}
            if _mentions(held, needle):
                cases.append(
                    {
                        "id": case_id,
                        "number": state.get("number"),
                        "procedure": state.get("procedure"),
                        "status": state.get("status"),
                        "opened_at": state.get("opened_at"),
                        "closed_at": state.get("closed_at"),
                        **held,
                    }
                )
        for row in await ops.all_register_rows(uow, estate_id):
            if _mentions(row["data"], needle):
                registers.append(
                    {
                        "register": row["register"],
                        "data": row["data"],
                        "case_id": row["case_id"],
                        "removed": row["removed_at"] is not None,
                    }
                )
    now: datetime = services.clock()
    async with services.store.unit_of_work(writes=True) as uow:
        ops.log_access(
            uow,
            estate_id=estate_id,
            actor=by,
            action="export",
            subject=query,
            at=now,
            detail=f"{len(cases)} cases, {len(registers)} register rows",
        )
    return {
        "estate": estate_id,
        "query": query,
        "exported_at": now,
        "cases": cases,
        "registers": registers,
    }


async def access_log(services: Services, estate_id: str) -> list[dict[str, Any]]:
    async with services.store.unit_of_work(writes=False) as uow:
        return await ops.access_entries(uow, estate_id)
