"""The engine: a pure interpreter of compiled procedures.

Layer: above ``definitions``; beside ``store``, which it never imports. No I/O, no clock,
no asyncio: every entry point takes a :class:`Context` (now, calendars, roster, register
snapshot, estate pauses) and returns the new :class:`CaseState` with the events that made
it. :func:`replay` rebuilds a case from its events alone; :func:`rerun` plays a case's recorded
acts again on another bundle.
"""

from estateflow.engine._decide import (
    MAX_STEPS_PER_DECISION,
    Decision,
    act,
    available_actions,
    child_finished,
    child_started,
    claim,
    due,
    fire,
    form_env,
    next_due_at,
    pause,
    reassign,
    reschedule,
    resume,
    start,
)
from estateflow.engine._evolve import evolve, replay
from estateflow.engine._migrate import MigrationPlan, TaskMove, migrate, plan_migration
from estateflow.engine._rerun import Deadline, Divergence, Rerun, evidenced_roles, rerun
from estateflow.engine._roster import ShiftRoster
from estateflow.engine._serial import case_from_dict, case_to_dict, event_from_dict, event_to_dict
from estateflow.engine._simulation import Recorded, Simulation
from estateflow.engine._state import (
    SYSTEM,
    ActionOption,
    Activation,
    Actor,
    CaseState,
    Context,
    DueItem,
    Event,
    NoRoster,
    Roster,
    TaskState,
)

__all__ = (
    "MAX_STEPS_PER_DECISION",
    "SYSTEM",
    "ActionOption",
    "Activation",
    "Actor",
    "CaseState",
    "Context",
    "Deadline",
    "Decision",
    "Divergence",
    "DueItem",
    "Event",
    "MigrationPlan",
    "NoRoster",
    "Recorded",
    "Rerun",
    "Roster",
    "ShiftRoster",
    "Simulation",
    "TaskMove",
    "TaskState",
    "act",
    "available_actions",
    "case_from_dict",
    "case_to_dict",
    "child_finished",
    "child_started",
    "claim",
    "due",
    "event_from_dict",
    "event_to_dict",
    "evidenced_roles",
    "evolve",
    "fire",
    "form_env",
    "migrate",
    "next_due_at",
    "pause",
    "plan_migration",
    "reassign",
    "replay",
    "rerun",
    "reschedule",
    "resume",
    "start",
)
