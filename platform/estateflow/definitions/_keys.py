"""The keys each place of a definition file takes: the single source of truth.

The JSON Schemas are built from these sets and a test checks that the spec dataclasses
carry a field for each key, so the three cannot drift apart.
"""

from estateflow.fields import FIELD_KEYS

PROCEDURE_KEYS = frozenset(
    {
        "id",
        "kind",
        "extends",
        "title",
        "description",
        "source",
        "number_prefix",
        "calendar",
        "roles",
        "registers",
        "params",
        "data",
        "start",
        "owner",
        "due",
        "steps",
    }
)
START_KEYS = frozenset({"roles", "form", "to", "source"})
STEP_KEYS = frozenset(
    {
        "title",
        "description",
        "source",
        "role",
        "assignee",
        "form",
        "due",
        "timer",
        "skip_if",
        "kpi",
        "actions",
        "join",
        "to",
        "spawn",
        "wait",
        "terminal",
    }
)
#: Keys that make a step a task, a join, a spawn or a terminal; exactly one kind per step.
STEP_KIND_KEYS = {"task": "actions", "join": "join", "spawn": "spawn", "terminal": "terminal"}
TASK_ONLY_KEYS = frozenset({"role", "assignee", "form", "timer", "skip_if", "actions"})
ACTION_KEYS = frozenset(
    {
        "label",
        "when",
        "roles",
        "set",
        "register",
        "to",
        "route",
        "pause",
        "resume",
        "notify",
        "confirm",
        "source",
    }
)
ROUTE_KEYS = frozenset({"when", "to"})
DUE_KEYS = frozenset({"within", "at", "calendar", "warn_at", "escalate", "source"})
ESCALATE_KEYS = frozenset({"notify", "reassign", "action"})
TIMER_KEYS = frozenset({"after", "action"})
SPAWN_KEYS = frozenset({"procedure", "data"})
ASSIGNEE_NAMES = frozenset({"starter", "owner"})
ASSIGNEE_KEYS = frozenset({"staff", "shift", "building"})
REGISTER_EFFECT_KEYS = frozenset({"add", "count", "remove", "update"})
REGISTER_REMOVE_KEYS = frozenset({"where"})
REGISTER_UPDATE_KEYS = frozenset({"where", "set"})

FORM_KEYS = frozenset({"id", "kind", "extends", "title", "description", "source", "fields"})

ESTATE_KEYS = frozenset(
    {
        "id",
        "kind",
        "name",
        "source",
        "region",
        "locale",
        "currency",
        "timezone",
        "years",
        "library",
        "calendars",
        "holidays",
        "buildings",
        "roles",
        "shifts",
        "params",
        "registers",
        "procedures",
        "demo",
    }
)
CALENDAR_KEYS = frozenset({"label", "hours"})
HOLIDAY_KEYS = frozenset({"closed", "open"})
BUILDING_KEYS = frozenset({"id", "name"})
ROLE_KEYS = frozenset({"label", "calendar"})
SHIFT_KEYS = frozenset({"label", "hours", "hands_over_to"})
REGISTER_KEYS = frozenset({"title", "source", "fields"})
DEMO_KEYS = frozenset({"units", "households", "staff"})

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
REGIONS = ("CN", "HK", "MO", "TW")
CURRENCIES = ("CNY", "HKD", "MOP", "TWD")
KINDS = ("procedure", "form", "estate")

__all__ = (
    "ACTION_KEYS",
    "ASSIGNEE_KEYS",
    "ASSIGNEE_NAMES",
    "BUILDING_KEYS",
    "CALENDAR_KEYS",
    "CURRENCIES",
    "DEMO_KEYS",
    "DUE_KEYS",
    "ESCALATE_KEYS",
    "ESTATE_KEYS",
    "FIELD_KEYS",
    "FORM_KEYS",
    "HOLIDAY_KEYS",
    "KINDS",
    "LANGUAGES",
    "PROCEDURE_KEYS",
    "REGIONS",
    "REGISTER_EFFECT_KEYS",
    "REGISTER_KEYS",
    "REGISTER_REMOVE_KEYS",
    "REGISTER_UPDATE_KEYS",
    "ROLE_KEYS",
    "ROUTE_KEYS",
    "SHIFT_KEYS",
    "SPAWN_KEYS",
    "START_KEYS",
    "STEP_KEYS",
    "STEP_KIND_KEYS",
    "TASK_ONLY_KEYS",
    "TIMER_KEYS",
)
