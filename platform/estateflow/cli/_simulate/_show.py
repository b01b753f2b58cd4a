"""Show what a simulation did: a timeline for people, the event list as JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from estateflow.cli._simulate._play import Played, local_zone
from estateflow.definitions import Bundle
from estateflow.engine import Event, Recorded, Simulation

#: Events marked with '!' in the timeline: a clock ran out or nearly did.
ESCALATIONS = frozenset(
    {"DeadlineWarned", "DeadlineMissed", "CaseDeadlineWarned", "CaseDeadlineMissed"}
)
#: ``Notified`` reasons that belong to a deadline, also marked.
DEADLINE_REASONS = frozenset({"warning", "deadline", "case-warning", "case-deadline"})


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def _deadline(label: str, due: Any, at: datetime, zone: ZoneInfo) -> str:
    """``due 10:10 (+10 min)``: local time (with the day if another one), minutes from now."""
    if not isinstance(due, datetime):
        return ""
    local, now = due.astimezone(zone), at.astimezone(zone)
    shown = (
        _clock(local) if local.date() == now.date() else local.strftime("%a %d %b ") + _clock(local)
    )
    minutes = round((due - at).total_seconds() / 60)
    relative = "now" if minutes == 0 else f"{minutes:+d} min"
    return f"{label} {shown} ({relative})"


def _step_of(sim: Simulation, case_id: str, event: Event) -> str:
    """The step an event is about: named in it, or the step of the task it names."""
    payload = event.payload
    if payload.get("step"):
        return str(payload["step"])
    task_id = payload.get("task_id")
    if task_id:
        task = sim.cases[case_id].task(task_id)
        return task.step if task else str(task_id)
    return ""


def _details(sim: Simulation, entry: Recorded) -> str:
    event, p = entry.event, entry.event.payload
    zone = local_zone(sim)
    at = event.at
    kind = event.type
    parts: list[str] = []
    if kind == "CaseStarted":
        parts.append(str(p.get("procedure")))
        if p.get("parent"):
            parent_id = str(p["parent"]).split("/", 1)[0]
            parts.append(f"spawned by {sim.cases[parent_id].number}")
    elif kind == "TaskOpened":
        if p.get("status") == "waiting":
            parts.append("waits for its linked case")
        if p.get("assignee"):
            parts.append(f"for {p['assignee']}")
        elif p.get("role"):
            parts.append(f"role {p['role']}")
        parts += [
            _deadline("due", p.get("due_at"), at, zone),
            _deadline("warn", p.get("warn_at"), at, zone),
            _deadline("timer", p.get("timer_at"), at, zone),
        ]
    elif kind in ("ActionTaken", "TaskClosed"):
        parts.append(str(p.get("action") or ""))
    elif kind == "CaseDataSet":
        parts.append(", ".join(f"{k}={_short(v)}" for k, v in p.get("values", {}).items()))
    elif kind in ("DeadlineWarned", "DeadlineMissed", "CaseDeadlineWarned", "CaseDeadlineMissed"):
        parts.append(_deadline("due", p.get("due_at"), at, zone))
    elif kind == "CaseDeadlineSet":
        parts += [
            _deadline("case due", p.get("due_at"), at, zone),
            _deadline("warn", p.get("warn_at"), at, zone),
        ]
    elif kind == "Notified":
        parts.append(f"told {', '.join(p.get('roles') or [])} ({p.get('reason')})")
    elif kind in ("TaskClaimed", "TaskReassigned"):
        to = [f"role {p['role']}"] if p.get("role") else []
        to += [str(p["assignee"])] if p.get("assignee") else []
        parts.append("to " + (", ".join(to) or "the queue"))
        if p.get("reason"):
            parts.append(str(p["reason"]))
    elif kind == "ActivationOpened":
        parts.append(f"fork {p.get('activation')}: " + ", ".join(p.get("branches") or []))
    elif kind in ("JoinArrived", "JoinFired"):
        parts.append(f"join of {p.get('activation')}")
    elif kind == "ChildRequested":
        parts.append(f"start {p.get('procedure')}")
    elif kind == "ChildStarted":
        child = sim.cases.get(str(p.get("child")))
        parts.append(f"linked case {child.number if child else p.get('child')}")
    elif kind == "ChildFinished":
        parts.append(f"linked case ended: {p.get('outcome')}")
    elif kind == "RegisterChanged":
        parts.append(f"{p.get('register')}: {p.get('op')} x{p.get('count')}")
    elif kind == "CaseClosed":
        parts.append(str(p.get("outcome")))
    return ", ".join(x for x in parts if x)


def _escalation(entry: Recorded) -> bool:
    event = entry.event
    if event.type == "Notified":
        return event.payload.get("reason") in DEADLINE_REASONS
    return event.type in ESCALATIONS or (
        event.type == "TaskReassigned" and event.actor == "system" and "role" in event.payload
    )


def _short(value: Any) -> str:
    text = json.dumps(_jsonable(value), ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def timeline(played: Played, bundle: Bundle) -> str:
    """The events as a table by local time, then each case's path and where the run stopped."""
    sim = played.simulation
    zone = local_zone(sim)
    estate = bundle.estate
    head = f"{played.script.title or 'simulation'}: estate {estate.id}, times in {estate.timezone}"
    rows = []
    for entry in sim.log:
        rows.append(
            (
                entry.event.at.astimezone(zone),
                "!" if _escalation(entry) else " ",
                entry.number,
                entry.event.type,
                _step_of(sim, entry.case_id, entry.event) or "-",
                entry.event.actor or "-",
                _details(sim, entry),
            )
        )
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(2, 6)]
    out = [head]
    day: date | None = None
    for local, mark, number, kind, step, actor, details in rows:
        if local.date() != day:
            day = local.date()
            out.append("")
            out.append(local.strftime("%a %d %b %Y"))
        cells = [number, kind, step, actor]
        line = f"{mark} {_clock(local):>5}  " + "  ".join(
            c.ljust(w) for c, w in zip(cells, widths, strict=True)
        )
        out.append((line + "  " + details).rstrip())
    out.append("")
    out += _paths(sim)
    checked = played.met + len({line for line, _ in played.failures})
    if checked:
        out.append(f"expectations: {played.met} met, {checked - played.met} failed")
    return "\n".join(out) + "\n"


def _paths(sim: Simulation) -> list[str]:
    out = []
    for case_id, case in sim.cases.items():
        steps = []
        for event in sim.events[case_id]:
            if event.type == "TaskOpened":
                steps.append(str(event.payload["step"]))
            elif event.type == "TaskSkipped":
                steps.append(f"({event.payload['step']} skipped)")
        if case.status == "closed":
            state = f"closed, {case.outcome}"
        else:
            state = "open at " + ", ".join(sim.open_steps(case_id))
        origin = ""
        if case.parent:
            parent_id = case.parent.split("/", 1)[0]
            origin = f", spawned by {sim.cases[parent_id].number}"
        missed = [
            f"{_step_of(sim, case_id, e) or 'case'} at {_clock(e.at.astimezone(local_zone(sim)))}"
            for e in sim.events[case_id]
            if e.type in ("DeadlineMissed", "CaseDeadlineMissed")
        ]
        out.append(f"{case.number} {case.procedure}{origin}: {state}")
        out.append("  path: " + " → ".join(steps))
        if missed:
            out.append("  deadlines missed: " + ", ".join(missed))
    return out


def events_json(sim: Simulation) -> list[dict[str, Any]]:
    """Every event in the order recorded, with its case and step, as JSON-ready values."""
    return [
        {
            "case": entry.number,
            "case_id": entry.case_id,
            "type": entry.event.type,
            "at": entry.event.at.isoformat(),
            "actor": entry.event.actor,
            "step": _step_of(sim, entry.case_id, entry.event) or None,
            "payload": _jsonable(entry.event.payload),
        }
        for entry in sim.log
    ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
