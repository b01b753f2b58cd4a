"""Texts the pages show about a case: countdowns, its data, its timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from estateflow import fields as f
from estateflow.definitions import Bundle
from estateflow.engine import Event
from estateflow.web._i18n import N_, gettext, using


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return gettext("%(d)sd %(h)sh") % {"d": days, "h": hours}
    if hours:
        return gettext("%(h)sh %(m)02dm") % {"h": hours, "m": mins}
    return gettext("%(m)sm") % {"m": mins}


def countdown(bundle: Bundle, task: Any, now: datetime, lang: str | None = None) -> tuple[str, str]:
    """Time left on a task as text (in ``lang``), and its state: ok, soon, late or none.

    Business-hour deadlines count open time of the task's calendar, as the deadline did.
    """
    if task.due_at is None:
        return "", "none"
    if lang is not None:
        with using(lang):
            return countdown(bundle, task, now)
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
        return gettext("overdue %(span)s") % {"span": _span(left)}, "late"
    state = "soon" if task.warn_at is not None and now >= task.warn_at else "ok"
    if calendar is not None:
        return gettext("%(span)s left (working time)") % {"span": _span(left)}, state
    return gettext("%(span)s left") % {"span": _span(left)}, state


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
    "CaseStarted": N_("opened the case"),
    "TaskOpened": N_("task opened"),
    "TaskSkipped": N_("step skipped"),
    "ActionTaken": N_("acted"),
    "TaskClosed": N_("task done"),
    "TaskCancelled": N_("task cancelled"),
    "TaskClaimed": N_("claimed the task"),
    "TaskReassigned": N_("task reassigned"),
    "DeadlineWarned": N_("deadline close"),
    "DeadlineMissed": N_("deadline missed"),
    "CaseDeadlineWarned": N_("case deadline close"),
    "CaseDeadlineMissed": N_("case deadline missed"),
    "TimerFired": N_("timer fired"),
    "Notified": N_("notified"),
    "CasePaused": N_("clocks paused"),
    "CaseResumed": N_("clocks resumed"),
    "ChildRequested": N_("linked case requested"),
    "ChildStarted": N_("linked case started"),
    "ChildFinished": N_("linked case finished"),
    "CaseClosed": N_("closed the case"),
    "RegisterChanged": N_("register changed"),
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

    with using(lang):
        return _timeline(events, zone, title)


def _timeline(events: Sequence[Event], zone: ZoneInfo, title: Any) -> list[dict[str, str]]:
    out = []
    for event in events:
        if event.type in _QUIET:
            continue
        what = gettext(_WORDS[event.type]) if event.type in _WORDS else event.type
        payload = event.payload
        step = payload.get("step") or str(payload.get("task_id") or "").rsplit("-", 1)[0]
        if event.type == "ActionTaken":
            what = gettext("%(action)s on %(step)s") % {
                "action": payload.get("action"),
                "step": title(step),
            }
        elif event.type == "Notified":
            what = gettext("notified %(roles)s (%(reason)s)") % {
                "roles": ", ".join(payload.get("roles", [])),
                "reason": payload.get("reason"),
            }
        elif event.type == "CaseClosed":
            what = gettext("closed: %(outcome)s") % {"outcome": payload.get("outcome")}
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
