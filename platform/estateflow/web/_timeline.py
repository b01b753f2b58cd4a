"""Texts the pages show about a case: countdowns, its data, its timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from estateflow import fields as f
from estateflow.definitions import Bundle
from estateflow.engine import Event
from estateflow.web._render import _span


def countdown(bundle: Bundle, task: Any, now: datetime) -> tuple[str, str]:
    """Time left on a task as text, and its state: ok, soon, late or none.

    Business-hour deadlines count open time of the task's calendar, as the deadline did.
    """
    if task.due_at is None:
        return "", "none"
    proc = bundle.procedures.get(task.procedure)
    step = proc.steps.get(task.step) if proc else None
    calendar = None
    within = step.due.within if step and step.due else None
    if getattr(within, "business", False):
        estate = bundle.estate
        role = estate.roles.get(task.role or "")
        name = (step.due.calendar if step.due.calendar else None) or (
            role.calendar if role and role.calendar else proc.calendar
        )
        spec = estate.calendars.get(name)
        calendar = spec.calendar if spec else None
    left = calendar.between(now, task.due_at) if calendar is not None else task.due_at - now
    if left.total_seconds() < 0:
        return f"overdue {_span(left)}", "late"
    state = "soon" if task.warn_at is not None and now >= task.warn_at else "ok"
    suffix = " (working time)" if calendar is not None else ""
    return f"{_span(left)} left{suffix}", state


def case_data(bundle: Bundle, view: Any, lang: str) -> list[dict[str, Any]]:
    proc = bundle.procedures[view.procedure]
    start = bundle.forms.get(proc.start.form) if proc.start.form else None
    specs = {**(start.fields if start else {}), **proc.data}
    out = []
    for field_id, spec in specs.items():
        value = view.data.get(field_id)
        if value in (None, "", []):
            continue
        text = f.display_value(spec, value, locale=lang, currency=bundle.estate.currency)
        out.append({"label": spec.label, "text": text})
    return out


_WORDS = {
    "CaseStarted": "opened the case",
    "TaskOpened": "task opened",
    "TaskSkipped": "step skipped",
    "ActionTaken": "acted",
    "TaskClosed": "task done",
    "TaskCancelled": "task cancelled",
    "TaskClaimed": "claimed the task",
    "TaskReassigned": "task reassigned",
    "DeadlineWarned": "deadline close",
    "DeadlineMissed": "deadline missed",
    "CaseDeadlineWarned": "case deadline close",
    "CaseDeadlineMissed": "case deadline missed",
    "TimerFired": "timer fired",
    "Notified": "notified",
    "CasePaused": "clocks paused",
    "CaseResumed": "clocks resumed",
    "ChildRequested": "linked case requested",
    "ChildStarted": "linked case started",
    "ChildFinished": "linked case finished",
    "CaseClosed": "closed the case",
    "RegisterChanged": "register changed",
}
_QUIET = {
    "ActivationOpened",
    "JoinArrived",
    "JoinFired",
    "CaseDataSet",
    "DeadlinesRescheduled",
    "CaseDeadlineSet",
    "TaskClosed",
}


def timeline(
    bundle: Bundle, events: Sequence[Event], lang: str, procedure: str | None = None
) -> list[dict[str, str]]:
    zone = ZoneInfo(bundle.estate.timezone)
    steps = bundle.procedures[procedure].steps if procedure in bundle.procedures else {}

    def title(step_id: str) -> str:
        step = steps.get(step_id)
        return f.label_text(step.title, lang, fallback=step_id) if step else step_id

    out = []
    for event in events:
        if event.type in _QUIET:
            continue
        what = _WORDS.get(event.type, event.type)
        payload = event.payload
        step = payload.get("step") or str(payload.get("task_id") or "").rsplit("-", 1)[0]
        if event.type == "ActionTaken":
            what = f"{payload.get('action')} on {title(step)}"
        elif event.type == "Notified":
            what = f"notified {', '.join(payload.get('roles', []))} ({payload.get('reason')})"
        elif event.type == "CaseClosed":
            what = f"closed: {payload.get('outcome')}"
        elif step:
            what = f"{what}: {title(step)}"
        out.append(
            {
                "at": event.at.astimezone(zone).strftime("%m-%d %H:%M"),
                "what": what,
                "who": event.actor or "",
            }
        )
    return out
