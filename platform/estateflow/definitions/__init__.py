"""Definitions: read procedure, form and estate files, merge overlays, validate, compile.

Layer: above ``fields``, ``rules`` and ``calendar``; below ``engine``. Input is untrusted
text written by estate admins and consultants: every problem becomes a located
diagnostic (file, line, column, code, message, hint); nothing in a file can run code.
"""

from estateflow.definitions._graph import (
    GraphEdge,
    GraphNode,
    ProcedureGraph,
    procedure_graph,
    render_mermaid,
    render_svg,
)
from estateflow.definitions._pipeline import (
    CheckResult,
    builtin_library,
    check_paths,
    load_bundle,
)
from estateflow.definitions._schema import schema_for
from estateflow.definitions._specs import (
    ActionSpec,
    AssigneeSpec,
    BuildingSpec,
    Bundle,
    CalendarSpec,
    DeadlineSpec,
    EscalationSpec,
    EstateSpec,
    Expr,
    FormSpec,
    HolidaysSpec,
    ProcedureSpec,
    RegisterEffectSpec,
    RegisterSpec,
    RoleSpec,
    RouteSpec,
    ShiftSpec,
    SpawnSpec,
    StartSpec,
    StepSpec,
    TimerSpec,
)

__all__ = (
    "ActionSpec",
    "AssigneeSpec",
    "BuildingSpec",
    "Bundle",
    "CalendarSpec",
    "CheckResult",
    "DeadlineSpec",
    "EscalationSpec",
    "EstateSpec",
    "Expr",
    "FormSpec",
    "GraphEdge",
    "GraphNode",
    "HolidaysSpec",
    "ProcedureGraph",
    "ProcedureSpec",
    "RegisterEffectSpec",
    "RegisterSpec",
    "RoleSpec",
    "RouteSpec",
    "ShiftSpec",
    "SpawnSpec",
    "StartSpec",
    "StepSpec",
    "TimerSpec",
    "builtin_library",
    "check_paths",
    "load_bundle",
    "procedure_graph",
    "render_mermaid",
    "render_svg",
    "schema_for",
)
