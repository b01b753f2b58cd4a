"""Apply events to a case: the only way a case changes.

Every decision the engine makes is recorded in an event's payload (deadlines included),
so applying the same events always gives the same case: :func:`replay` rebuilds a case
from its events alone.

Events land on a :class:`CaseDraft`, a mutable copy of the case, and one
:class:`CaseState` is made at the end: of a decision (the engine applies its events as
it makes them), of :func:`replay`, or of :func:`evolve` for a single event. Copying the
20-field case twice per event was most of the engine's time; copying it into a draft
and out again is now one copy of its field dict each way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from estateflow.calendar import Pause
from estateflow.engine._state import Activation, CaseState, Event, TaskState


class CaseDraft:
    """A case while events land on it: the fields of :class:`CaseState`, mutable, with
    ``data``, ``steps`` and ``activations`` as plain dicts and ``tasks`` as a list.

    It reads like a case (:meth:`task`, :attr:`open_tasks`), so the engine decides on
    it between events; :meth:`freeze` gives the case.
    """

    id: str
    procedure: str
    number: str
    status: str
    outcome: str | None
    data: dict[str, Any]
    steps: dict[str, Any]
    tasks: list[TaskState]
    activations: dict[str, Activation]
    starter: str
    owner: str | None
    opened_at: datetime
    closed_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    warned: bool
    escalated: bool
    paused_at: datetime | None
    pauses: tuple[Pause, ...]
    parent: str | None
    version: int

    @classmethod
    def of(cls, case: CaseState) -> CaseDraft:
        draft = cls.__new__(cls)
        values = vars(case).copy()  # every field of the case, by name
        values["data"] = copied(case.data)
        values["steps"] = copied(case.steps)
        values["tasks"] = list(case.tasks)
        values["activations"] = copied(case.activations)
        draft.__dict__ = values
        return draft

    def freeze(self) -> CaseState:
        """The case the draft has become. The draft hands its fields over, its dicts and
        list made read-only, and is left empty."""
        values = self.__dict__
        values["data"] = MappingProxyType(self.data)
        values["steps"] = MappingProxyType(self.steps)
        values["tasks"] = tuple(self.tasks)
        values["activations"] = MappingProxyType(self.activations)
        self.__dict__ = {}
        return _made(CaseState, values)

    # A case's own lookups: they read only ``tasks``.
    task = CaseState.task
    open_tasks = CaseState.open_tasks


def copied(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict of ``mapping``. A read-only view of a dict copies that dict at C speed,
    where ``dict(view)`` reads it key by key, ten times slower."""
    if type(mapping) is MappingProxyType or type(mapping) is dict:
        copy = mapping.copy()
        if type(copy) is dict:
            return copy
    return dict(mapping)


def _made(cls: type[CaseState] | type[TaskState], values: dict[str, Any]) -> Any:
    """``cls(**values)`` with ``values`` (every field) as its field dict: matching twenty
    keyword arguments in ``__init__`` would cost as much again as the rest of the copy."""
    made = object.__new__(cls)
    made.__dict__ = values
    return made


def _changed(task: TaskState, changes: Mapping[str, Any]) -> TaskState:
    """``dataclasses.replace(task, **changes)``, as a copy of its field dict."""
    return _made(TaskState, {**vars(task), **changes})


def evolve(case: CaseState | None, event: Event) -> CaseState:
    """The case after ``event``; ``case`` is None only for ``CaseStarted``."""
    return apply(CaseDraft.of(case) if case is not None else None, event).freeze()


def replay(events: Iterable[Event]) -> CaseState:
    draft: CaseDraft | None = None
    for event in events:
        draft = apply(draft, event)
    if draft is None:
        raise ValueError("no events")
    return draft.freeze()


def apply(draft: CaseDraft | None, event: Event) -> CaseDraft:
    """Apply ``event`` to ``draft`` in place and return it (a new draft for
    ``CaseStarted``; ``draft`` is None only then)."""
    if event.type == "CaseStarted":
        return _started(event)
    if draft is None:
        raise ValueError(f"event {event.type} before CaseStarted")
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(draft, event)
    else:
        frozen = _FROZEN_HANDLERS.get(event.type)
        if frozen is not None:
            draft = CaseDraft.of(frozen(draft.freeze(), event))
    draft.version += 1
    return draft


def _started(event: Event) -> CaseDraft:
    p = event.payload
    draft = CaseDraft.__new__(CaseDraft)
    draft.id = p["case_id"]
    draft.procedure = p["procedure"]
    draft.number = p["number"]
    draft.status = "open"
    draft.outcome = None
    draft.data = dict(p["data"])
    draft.steps = {}
    draft.tasks = []
    draft.activations = {}
    draft.starter = p["starter"]
    draft.owner = p.get("owner")
    draft.opened_at = event.at
    draft.closed_at = None
    draft.due_at = p.get("due_at")
    draft.warn_at = p.get("warn_at")
    draft.warned = False
    draft.escalated = False
    draft.paused_at = None
    draft.pauses = ()
    draft.parent = p.get("parent")
    draft.version = 1
    return draft


# -- the usual events, applied in place ----------------------------------------------------
def _task(draft: CaseDraft, task_id: str, **changes: Any) -> None:
    tasks = draft.tasks
    for i, t in enumerate(tasks):
        if t.id == task_id:
            tasks[i] = _changed(t, changes)


def _opened(draft: CaseDraft, e: Event) -> None:
    p = e.payload
    draft.tasks.append(
        TaskState(
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
            paused_at=e.at if draft.paused_at is not None else None,
        )
    )


def _skipped(draft: CaseDraft, e: Event) -> None:
    p = e.payload
    draft.tasks.append(
        TaskState(
            id=p["task_id"],
            step=p["step"],
            status="skipped",
            activation=p.get("activation"),
            opened_at=e.at,
            closed_at=e.at,
        )
    )


def _action(draft: CaseDraft, e: Event) -> None:
    p = e.payload
    task = draft.task(p["task_id"])
    if task is not None:
        record = {**p.get("values", {}), "at": e.at, "by": e.actor, "action": p["action"]}
        draft.steps[task.step] = MappingProxyType(record)


def _data(draft: CaseDraft, e: Event) -> None:
    draft.data.update(e.payload["values"])


def _closed_task(draft: CaseDraft, e: Event) -> None:
    _task(
        draft,
        e.payload["task_id"],
        status="done",
        closed_at=e.at,
        closed_by=e.actor,
        action=e.payload.get("action"),
    )


def _cancelled(draft: CaseDraft, e: Event) -> None:
    _task(draft, e.payload["task_id"], status="cancelled", closed_at=e.at)


def _assigned(draft: CaseDraft, e: Event) -> None:
    changes = {"assignee": e.payload.get("assignee")}
    if "role" in e.payload:
        changes["role"] = e.payload["role"]
    _task(draft, e.payload["task_id"], **changes)


def _activation(draft: CaseDraft, e: Event) -> None:
    p = e.payload
    act = Activation(id=p["activation"], branches=tuple(p["branches"]), parent=p.get("parent"))
    draft.activations[act.id] = act


def _arrived(draft: CaseDraft, e: Event) -> None:
    act = draft.activations[e.payload["activation"]]
    draft.activations[act.id] = replace(act, arrived=act.arrived | {e.payload["step"]})


def _joined(draft: CaseDraft, e: Event) -> None:
    act = draft.activations[e.payload["activation"]]
    draft.activations[act.id] = replace(act, joined=True)


def _case_closed(draft: CaseDraft, e: Event) -> None:
    draft.status = "closed"
    draft.outcome = e.payload["outcome"]
    draft.closed_at = e.at


def _deadline_set(draft: CaseDraft, e: Event) -> None:
    draft.due_at = e.payload["due_at"]
    draft.warn_at = e.payload.get("warn_at")


def _case_warned(draft: CaseDraft, e: Event) -> None:
    draft.warned = True


def _case_escalated(draft: CaseDraft, e: Event) -> None:
    draft.escalated = True


def _child_done(draft: CaseDraft, e: Event) -> None:
    _task(
        draft,
        e.payload["task_id"],
        status="done",
        closed_at=e.at,
        action=f"child:{e.payload.get('outcome')}",
    )


def _child_started(draft: CaseDraft, e: Event) -> None:
    _task(draft, e.payload["task_id"], child=e.payload["child"])


_HANDLERS: dict[str, Callable[[CaseDraft, Event], None]] = {
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
    "DeadlineWarned": lambda d, e: _task(d, e.payload["task_id"], warned=True),
    "DeadlineMissed": lambda d, e: _task(d, e.payload["task_id"], escalated=True),
    "TimerFired": lambda d, e: _task(d, e.payload["task_id"], timer_fired=True),
    "CaseDeadlineSet": _deadline_set,
    "CaseDeadlineWarned": _case_warned,
    "CaseDeadlineMissed": _case_escalated,
    "ChildStarted": _child_started,
    "ChildFinished": _child_done,
    "CaseClosed": _case_closed,
    # Recorded for the log and for services, with no change to the case itself:
    # Notified, RegisterChanged, ChildRequested.
}


# -- the rare events, applied to a frozen case ----------------------------------------------
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


_FROZEN_HANDLERS: dict[str, Callable[[CaseState, Event], CaseState]] = {
    "CasePaused": _paused,
    "CaseResumed": _resumed,
    "DeadlinesRescheduled": _rescheduled,
    "CaseMigrated": _migrated,
}
