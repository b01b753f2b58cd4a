"""Compiled definitions: frozen data, no behaviour (the engine interprets them).

Every spec keeps what its runtime needs: compiled rules, the source span for messages
and ids as the author wrote them. Lookups by id are ``MappingProxyType``s built once
by the compiler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from estateflow.errors import SourceSpan
from estateflow.fields import FieldSpec, Label

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


@dataclass(frozen=True, slots=True, kw_only=True)
class Expr:
    """An expression as written, its compiled rule and where it stands."""

    source: str
    rule: Any
    """An ``estateflow.rules.Rule``."""
    span: SourceSpan


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationSpec:
    notify: tuple[str, ...] = ()
    reassign: str | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadlineSpec:
    within: Any = None
    """A ``calendar.Duration`` for a literal, an :class:`Expr`, or None."""
    at: Expr | None = None
    calendar: str | None = None
    """The calendar for business durations; None means the role's or the procedure's."""
    warn_at: Decimal | Any = None
    """A fraction of the span (Decimal 0..1) or a ``Duration`` before the deadline."""
    escalate: EscalationSpec | None = None
    source: str | None = None
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerSpec:
    after: Any
    """A ``calendar.Duration``."""
    action: str
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssigneeSpec:
    kind: Literal["starter", "owner", "staff", "shift", "building"]
    value: str | None = None
    """The username, or the role whose shift or building team is meant."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteSpec:
    when: Expr | None
    to: tuple[str, ...]
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterEffectSpec:
    register: str
    op: Literal["add", "remove", "update"]
    values: Mapping[str, Expr] = field(default_factory=_empty)
    """Row values for ``add``; new values for ``update``."""
    where: Mapping[str, Expr] = field(default_factory=_empty)
    count: Expr | None = None
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionSpec:
    id: str
    label: Label = field(default_factory=_empty)
    when: Expr | None = None
    roles: tuple[str, ...] = ()
    """Who may take it; empty means the step's role."""
    set: Mapping[str, Expr] = field(default_factory=_empty)
    register: tuple[RegisterEffectSpec, ...] = ()
    to: tuple[str, ...] = ()
    route: tuple[RouteSpec, ...] = ()
    pause: bool = False
    resume: bool = False
    notify: tuple[str, ...] = ()
    confirm: Label | None = None
    source: str | None = None
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SpawnSpec:
    procedure: str
    data: Mapping[str, Expr] = field(default_factory=_empty)


StepKind = Literal["task", "join", "spawn", "terminal"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StepSpec:
    id: str
    kind: StepKind
    title: Label = field(default_factory=_empty)
    description: Label = field(default_factory=_empty)
    source: str | None = None
    role: str | None = None
    assignee: AssigneeSpec | None = None
    form: str | None = None
    due: DeadlineSpec | None = None
    timer: TimerSpec | None = None
    skip_if: Expr | None = None
    kpi: str | None = None
    actions: Mapping[str, ActionSpec] = field(default_factory=_empty)
    join: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    spawn: SpawnSpec | None = None
    wait: Literal["child", "none"] = "child"
    terminal: str | None = None
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StartSpec:
    roles: tuple[str, ...] = ()
    form: str | None = None
    to: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcedureSpec:
    id: str
    title: Label = field(default_factory=_empty)
    description: Label = field(default_factory=_empty)
    source: str | None = None
    number_prefix: str = ""
    calendar: str = "office"
    roles: tuple[str, ...] = ()
    registers: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=_empty)
    data: Mapping[str, FieldSpec] = field(default_factory=_empty)
    start: StartSpec = field(default_factory=StartSpec)
    owner: Literal["starter", "none"] = "none"
    due: DeadlineSpec | None = None
    steps: Mapping[str, StepSpec] = field(default_factory=_empty)
    extends: str | None = None
    path: str = ""
    """The file that declared it (for an overlay, the overlay)."""
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FormSpec:
    id: str
    title: Label = field(default_factory=_empty)
    description: Label = field(default_factory=_empty)
    source: str | None = None
    fields: Mapping[str, FieldSpec] = field(default_factory=_empty)
    extends: str | None = None
    path: str = ""
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarSpec:
    id: str
    label: Label = field(default_factory=_empty)
    hours: Any = "24/7"
    """As written: "24/7" or a mapping of day keys to time ranges."""
    calendar: Any = None
    """The built ``estateflow.calendar.Calendar``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HolidaysSpec:
    closed: tuple[str, ...] = ()
    open: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildingSpec:
    id: str
    name: Label = field(default_factory=_empty)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSpec:
    id: str
    label: Label = field(default_factory=_empty)
    calendar: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShiftSpec:
    id: str
    role: str
    label: Label = field(default_factory=_empty)
    hours: str = ""
    hands_over_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterSpec:
    id: str
    title: Label = field(default_factory=_empty)
    source: str | None = None
    fields: Mapping[str, FieldSpec] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True, kw_only=True)
class EstateSpec:
    id: str
    name: Label = field(default_factory=_empty)
    source: str | None = None
    region: str = "CN"
    locale: str = "zh-Hans"
    currency: str = "CNY"
    timezone: str = "Asia/Shanghai"
    years: tuple[int, ...] = ()
    library: str | None = None
    calendars: Mapping[str, CalendarSpec] = field(default_factory=_empty)
    holidays: HolidaysSpec = field(default_factory=HolidaysSpec)
    buildings: tuple[BuildingSpec, ...] = ()
    roles: Mapping[str, RoleSpec] = field(default_factory=_empty)
    shifts: Mapping[str, tuple[ShiftSpec, ...]] = field(default_factory=_empty)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    registers: Mapping[str, RegisterSpec] = field(default_factory=_empty)
    procedures: tuple[str, ...] = ()
    demo: Mapping[str, str] = field(default_factory=_empty)
    path: str = ""
    span: SourceSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Bundle:
    """Everything an estate's cases depend on, compiled; what the engine runs."""

    estate: EstateSpec
    procedures: Mapping[str, ProcedureSpec]
    forms: Mapping[str, FormSpec]
    sources: Mapping[str, str] = field(default_factory=_empty)
    """Source text of every file that went into it, by displayed path."""
