"""Runtime state of one case, the events that change it, and what the engine is given.

A case is changed only by events: the engine decides which events an input causes and
:func:`evolve` applies them, so a case rebuilt from its events alone equals the case.

:class:`CaseState`, :class:`TaskState` and :class:`Event` are values all the same, but not
frozen dataclasses: a frozen one sets each field through ``object.__setattr__`` when it
is made, three times the cost of a plain one, and a case of twenty events makes a few
dozen of them (that was a third of the engine's time). Cases and tasks have no slots
either: each decision copies the case in and out and makes a changed task from the old
one, and copying their field dict is one C call where setting twenty slots one by one
cost a tenth of the engine's time. Nothing changes one once it is made: the engine
applies events to its own copy (``CaseDraft``) and makes a new task for every change,
and their mappings and sequences are read-only views and tuples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, Protocol

from estateflow.calendar import Calendar, Pause

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who acts: a member of staff, or the system (timers, escalations)."""

    username: str
    name: str = ""
    roles: frozenset[str] = frozenset()
    system: bool = False

    def env(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name or self.username,
            "roles": sorted(self.roles),
            "shift": None,
        }


SYSTEM = Actor(username="system", name="system", system=True)


class Roster(Protocol):
    """Staff and shifts, as the engine needs them (supplied by services)."""

    def on_duty(self, role: str, at: datetime) -> str | None:
        """The username on duty in ``role``'s shift at ``at``, if the role has shifts."""

    def building_team(self, role: str, unit: str | None) -> str | None:
        """The username serving ``unit``'s building in ``role``."""


class NoRoster:
    """A roster with nobody on it: tasks wait in their role's queue."""

    def on_duty(self, role: str, at: datetime) -> str | None:
        return None

    def building_team(self, role: str, unit: str | None) -> str | None:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """Everything from outside one call may depend on; the engine reads no clock."""

    now: datetime
    calendars: Mapping[str, Calendar] = field(default_factory=_empty)
    roster: Roster = field(default_factory=NoRoster)
    registers: Mapping[str, Any] = field(default_factory=_empty)
    """Read-only views of the register rows the case may read (``rules.RegisterView``)."""
    estate_pauses: tuple[Pause, ...] = ()
    """Estate-wide stops of every clock (typhoon signal 8, black rainstorm)."""


TaskStatus = Literal["open", "done", "skipped", "cancelled", "waiting"]


@dataclass(kw_only=True)
class TaskState:
    id: str
    step: str
    status: TaskStatus = "open"
    role: str | None = None
    assignee: str | None = None
    activation: str | None = None
    """The fork activation this task's path belongs to (None outside any fork)."""
    opened_at: datetime
    due_at: datetime | None = None
    warn_at: datetime | None = None
    timer_at: datetime | None = None
    warned: bool = False
    escalated: bool = False
    timer_fired: bool = False
    paused_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    """Finished pauses of this task's clock (the case waited for the owner)."""
    child: str | None = None
    """The spawned case this task waits for."""
    closed_at: datetime | None = None
    closed_by: str | None = None
    action: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "waiting")


@dataclass(frozen=True, slots=True, kw_only=True)
class Activation:
    """One firing of a fork: its branches, and which of them reached their join."""

    id: str
    branches: tuple[str, ...]
    parent: str | None = None
    arrived: frozenset[str] = frozenset()
    joined: bool = False


CaseStatus = Literal["open", "closed"]


@dataclass(kw_only=True)
class CaseState:
    id: str
    procedure: str
    number: str
    status: CaseStatus = "open"
    outcome: str | None = None
    data: Mapping[str, Any] = field(default_factory=_empty)
    steps: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    """The latest record of each step: its form values plus at, by and action."""
    tasks: tuple[TaskState, ...] = ()
    activations: Mapping[str, Activation] = field(default_factory=_empty)
    starter: str = ""
    owner: str | None = None
    opened_at: datetime
    closed_at: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned: bool = False
    escalated: bool = False
    paused_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    parent: str | None = None
    """``case_id/task_id`` of the task that spawned this case."""
    version: int = 0
    """How many events this case has had; the store's optimistic lock."""

    def task(self, task_id: str) -> TaskState | None:
        for task in self.tasks:
            if task.id == task_id:
                return task
        return None

    @property
    def open_tasks(self) -> tuple[TaskState, ...]:
        return tuple([t for t in self.tasks if t.is_open])


@dataclass(slots=True, kw_only=True)
class Event:
    """Something that happened to a case. ``payload`` holds JSON-ready values only
    where it can (datetimes stay datetimes here; the store encodes them)."""

    type: str
    at: datetime
    actor: str | None = None
    payload: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionOption:
    """An action an actor may take now, for buttons and the API."""

    task_id: str
    step: str
    action: str
    label: Mapping[str, str]
    form: str | None
    needs_claim: bool = False


DueKind = Literal["warn", "deadline", "timer", "case-warn", "case-deadline", "handover"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DueItem:
    """Something the worker must fire now."""

    kind: DueKind
    at: datetime
    task_id: str | None = None
