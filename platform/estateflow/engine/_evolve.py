"""Apply events to a case: the only way a case changes.

Every decision the engine makes is recorded in an event's payload (deadlines included),
so applying the same events always gives the same case: :func:`replay` rebuilds a case
from its events alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from types import MappingProxyType

from estateflow.calendar import Pause
from estateflow.engine._state import Activation, CaseState, Event, TaskState


def evolve(case: CaseState | None, event: Event) -> CaseState:
    """The case after ``event``; ``case`` is None only for ``CaseStarted``."""
    if event.type == "CaseStarted":
        p = event.payload
        return CaseState(
            id=p["case_id"],
            procedure=p["procedure"],
            number=p["number"],
            data=MappingProxyType(dict(p["data"])),
            starter=p["starter"],
            owner=p.get("owner"),
            opened_at=event.at,
            due_at=p.get("due_at"),
            warn_at=p.get("warn_at"),
            parent=p.get("parent"),
            version=1,
        )
    if case is None:
        raise ValueError(f"event {event.type} before CaseStarted")
    handler = _HANDLERS.get(event.type)
    changed = handler(case, event) if handler else case
    return replace(changed, version=case.version + 1)


def replay(events: Iterable[Event]) -> CaseState:
    case: CaseState | None = None
    for event in events:
        case = evolve(case, event)
    if case is None:
        raise ValueError("no events")
    return case


def _task(case: CaseState, task_id: str, **changes: object) -> CaseState:
    tasks = tuple(replace(t, **changes) if t.id == task_id else t for t in case.tasks)
    return replace(case, tasks=tasks)


def _opened(case: CaseState, e: Event) -> CaseState:
    p = e.payload
    task = TaskState(
        id=p["task_id"],
        step=p["step"],
        status=p.get("status", "open"),
        role=p.get("role"),
        assignee=p.get("assignee"),
        activation=p.get("activation"),
        opened_at=e.at,
        due_at=p.get("due_at"),
        warn_at=p.get("warn_at"),
        timer_at=p.get("timer_at"),
        paused_at=e.at if case.paused_at is not None else None,
    )
    return replace(case, tasks=(*case.tasks, task))


def _skipped(case: CaseState, e: Event) -> CaseState:
    p = e.payload
    task = TaskState(
        id=p["task_id"],
        step=p["step"],
        status="skipped",
        activation=p.get("activation"),
        opened_at=e.at,
        closed_at=e.at,
    )
    return replace(case, tasks=(*case.tasks, task))


def _action(case: CaseState, e: Event) -> CaseState:
    p = e.payload
    task = case.task(p["task_id"])
    record = {**p.get("values", {}), "at": e.at, "by": e.actor, "action": p["action"]}
    steps = {**case.steps, task.step: MappingProxyType(record)} if task else case.steps
    return replace(case, steps=MappingProxyType(steps))


def _data(case: CaseState, e: Event) -> CaseState:
    return replace(case, data=MappingProxyType({**case.data, **e.payload["values"]}))


def _closed_task(case: CaseState, e: Event) -> CaseState:
    return _task(
        case,
        e.payload["task_id"],
        status="done",
        closed_at=e.at,
        closed_by=e.actor,
        action=e.payload.get("action"),
    )


def _cancelled(case: CaseState, e: Event) -> CaseState:
    return _task(case, e.payload["task_id"], status="cancelled", closed_at=e.at)


def _assigned(case: CaseState, e: Event) -> CaseState:
    changes = {"assignee": e.payload.get("assignee")}
    if "role" in e.payload:
        changes["role"] = e.payload["role"]
    return _task(case, e.payload["task_id"], **changes)


def _activation(case: CaseState, e: Event) -> CaseState:
    p = e.payload
    act = Activation(id=p["activation"], branches=tuple(p["branches"]), parent=p.get("parent"))
    return replace(case, activations=MappingProxyType({**case.activations, act.id: act}))


def _arrived(case: CaseState, e: Event) -> CaseState:
    act = case.activations[e.payload["activation"]]
    act = replace(act, arrived=act.arrived | {e.payload["step"]})
    return replace(case, activations=MappingProxyType({**case.activations, act.id: act}))


def _joined(case: CaseState, e: Event) -> CaseState:
    act = replace(case.activations[e.payload["activation"]], joined=True)
    return replace(case, activations=MappingProxyType({**case.activations, act.id: act}))


def _paused(case: CaseState, e: Event) -> CaseState:
    tasks = tuple(replace(t, paused_at=e.at) if t.is_open else t for t in case.tasks)
    return replace(case, paused_at=e.at, tasks=tasks)


def _resumed(case: CaseState, e: Event) -> CaseState:
    due = e.payload.get("due", {})
    tasks = []
    for t in case.tasks:
        if t.is_open and t.paused_at is not None:
            new = due.get(t.id, {})
            t = replace(
                t,
                paused_at=None,
                pauses=(*t.pauses, Pause(start=t.paused_at, end=e.at)),
                due_at=new.get("due_at", t.due_at),
                warn_at=new.get("warn_at", t.warn_at),
            )
        tasks.append(t)
    pauses = case.pauses
    if case.paused_at is not None:
        pauses = (*pauses, Pause(start=case.paused_at, end=e.at))
    return replace(
        case,
        paused_at=None,
        pauses=pauses,
        tasks=tuple(tasks),
        due_at=e.payload.get("case_due_at", case.due_at),
        warn_at=e.payload.get("case_warn_at", case.warn_at),
    )


def _rescheduled(case: CaseState, e: Event) -> CaseState:
    due = e.payload.get("due", {})
    tasks = tuple(
        replace(t, due_at=due[t.id]["due_at"], warn_at=due[t.id]["warn_at"]) if t.id in due else t
        for t in case.tasks
    )
    changes: dict[str, object] = {"tasks": tasks}
    if "case_due_at" in e.payload:
        changes.update(due_at=e.payload["case_due_at"], warn_at=e.payload.get("case_warn_at"))
    return replace(case, **changes)


def _case_closed(case: CaseState, e: Event) -> CaseState:
    return replace(case, status="closed", outcome=e.payload["outcome"], closed_at=e.at)


def _child_done(case: CaseState, e: Event) -> CaseState:
    return _task(
        case,
        e.payload["task_id"],
        status="done",
        closed_at=e.at,
        action=f"child:{e.payload.get('outcome')}",
    )


def _child_started(case: CaseState, e: Event) -> CaseState:
    return _task(case, e.payload["task_id"], child=e.payload["child"])


def _migrated(case: CaseState, e: Event) -> CaseState:
    """Another bundle now runs the case: rename the steps its tasks, fork activations and
    step records refer to. A renamed record replaces one already under the new name only
    when it is the later of the two."""
    mapping = e.payload.get("mapping") or {}
    if not mapping:
        return case

    def rename(step: str) -> str:
        return mapping.get(step, step)

    tasks = tuple(replace(t, step=rename(t.step)) if t.step in mapping else t for t in case.tasks)
    activations = {
        k: replace(
            a,
            branches=tuple(rename(b) for b in a.branches),
            arrived=frozenset(rename(s) for s in a.arrived),
        )
        for k, a in case.activations.items()
    }
    steps = {k: v for k, v in case.steps.items() if k not in mapping}
    for old, record in case.steps.items():
        if old in mapping:
            held = steps.get(mapping[old])
            later = not (held and held.get("at") and record.get("at")) or (
                record["at"] >= held["at"]
            )
            if later:
                steps[mapping[old]] = record
    return replace(
        case,
        tasks=tasks,
        activations=MappingProxyType(activations),
        steps=MappingProxyType(steps),
    )


_HANDLERS: dict[str, Callable[[CaseState, Event], CaseState]] = {
    "TaskOpened": _opened,
    "TaskSkipped": _skipped,
    "ActionTaken": _action,
    "CaseDataSet": _data,
    "TaskClosed": _closed_task,
    "TaskCancelled": _cancelled,
    "TaskClaimed": _assigned,
    "TaskReassigned": _assigned,
    "ActivationOpened": _activation,
    "JoinArrived": _arrived,
    "JoinFired": _joined,
    "DeadlineWarned": lambda c, e: _task(c, e.payload["task_id"], warned=True),
    "DeadlineMissed": lambda c, e: _task(c, e.payload["task_id"], escalated=True),
    "TimerFired": lambda c, e: _task(c, e.payload["task_id"], timer_fired=True),
    "CaseDeadlineSet": lambda c, e: replace(
        c, due_at=e.payload["due_at"], warn_at=e.payload.get("warn_at")
    ),
    "CaseDeadlineWarned": lambda c, e: replace(c, warned=True),
    "CaseDeadlineMissed": lambda c, e: replace(c, escalated=True),
    "CasePaused": _paused,
    "CaseResumed": _resumed,
    "DeadlinesRescheduled": _rescheduled,
    "ChildStarted": _child_started,
    "ChildFinished": _child_done,
    "CaseClosed": _case_closed,
    "CaseMigrated": _migrated,
    # Recorded for the log and for services, with no change to the case itself:
    # Notified, RegisterChanged, ChildRequested.
}
