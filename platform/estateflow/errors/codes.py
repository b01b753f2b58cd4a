"""Every diagnostic code, with a title and a default hint.

A code's meaning never changes once released; a test checks that every code the loader,
linter, rules or calendar can produce is registered here and has a bad-case fixture.
Each layer keeps its own table in a private module so that work on one does not touch
another's; this module joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    code: str
    title: str
    hint: str | None = None


def _table(*rows: tuple[str, str, str | None]) -> tuple[Code, ...]:
    return tuple(Code(code=c, title=t, hint=h) for c, t, h in rows)


#: Reading files: syntax, structure, the format schemas.
LOADING = _table(
    ("unreadable-file", "the file cannot be read", "check the path and its permissions"),
    ("bad-encoding", "the file is not UTF-8", "save the file as UTF-8"),
    ("yaml-syntax", "the YAML is malformed", "check indentation and quoting near the caret"),
    ("json-syntax", "the JSON is malformed", None),
    ("duplicate-key", "a key appears twice in one mapping", "remove or rename one of them"),
    ("too-many-aliases", "too many YAML aliases", "write the values out instead of aliasing them"),
    ("too-large", "the file is too large or too deeply nested", None),
    ("unknown-kind", "the file is not a procedure, form or estate", None),
    ("unknown-key", "a key that this place does not take", None),
    ("missing-key", "a required key is missing", None),
    ("wrong-type", "a value of the wrong type", None),
    ("bad-value", "a value that is not allowed here", None),
    (
        "bad-id",
        "an id that is not a lower-case slug",
        "use lower-case letters, digits, '-' and '_'",
    ),
    (
        "duplicate-id",
        "two definitions share one id",
        "ids must be unique across the library and estate",
    ),
    ("unknown-extends", "'extends' names no definition", None),
    ("circular-extends", "definitions extend each other in a circle", None),
    ("unknown-library", "the estate's library folder does not exist", None),
)

#: References between definitions and the shape of a procedure.
LINT = _table(
    ("unknown-step", "a reference to a step that does not exist", None),
    ("unknown-role", "a role the estate does not declare", None),
    ("unknown-form", "a form that does not exist", None),
    ("unknown-param", "a parameter that does not exist", None),
    ("unknown-register", "a register the estate does not keep", None),
    ("unknown-procedure", "a procedure that does not exist", None),
    ("unknown-action", "an action the step does not have", None),
    ("unknown-calendar", "a calendar the estate does not declare", None),
    (
        "unreachable-step",
        "no path from the start reaches this step",
        "link it from another step or remove it",
    ),
    (
        "no-terminal",
        "no path from this step reaches a terminal step",
        "add a path to a step with 'terminal'",
    ),
    ("missing-role", "a role the procedure needs that the estate does not provide", None),
    ("bad-step", "a step that is none or several of task, join, spawn and terminal", None),
    (
        "set-target",
        "'set' writes to something that is not a case field",
        "declare it under 'data' or in the start form",
    ),
    ("unknown-shift", "a shift the role does not have", None),
    ("route-order", "a route entry without 'when' before the last entry", None),
    (
        "route-no-default",
        "a route whose last entry has a condition",
        "end the route with an entry that has only 'to'",
    ),
)

#: Rule expressions; filled in by the rules layer.
RULES = _table(
    (
        "rule-syntax",
        "an expression that cannot be parsed",
        "check brackets, quotes and operators near the caret",
    ),
    (
        "too-complex",
        "an expression too long or too deeply nested",
        "split it into simpler expressions",
    ),
    (
        "forbidden-expression",
        "a construct the rule language does not allow",
        "use only fields, operators, and the listed functions and filters",
    ),
    ("bad-arguments", "a function, filter or register query called with wrong arguments", None),
    ("unknown-name", "a name that does not exist where the expression is used", None),
    (
        "form-in-guard",
        "'form' in an action's 'when', before any form is filled",
        "to branch on the submitted form, use 'route' with a 'when' per entry",
    ),
    ("rule-limit", "an expression goes over a size limit (text, list or number)", None),
    (
        "undefined",
        "a run-time value that is missing (never taken as false)",
        "give the field a value, or write 'x|default(...)'",
    ),
    ("rule-type", "a run-time value of the wrong kind for an operation", None),
    ("rule-value", "a run-time value an operation cannot use (division by zero, a bad date)", None),
)

#: Calendars, holidays and durations; filled in by the calendar layer.
CALENDAR = _table(
    (
        "bad-duration",
        "a duration that is not a literal such as 10m or 24bh",
        "write a whole number and a unit: 30s, 10m, 1h, 2d (wall clock), 24bh (business hours) "
        "or 3bd (business days)",
    ),
    (
        "bad-hours",
        "office hours that cannot be read",
        "write '24/7' or a map of days to ranges: {mon-fri: ['09:00-12:00', '13:00-18:00']}",
    ),
    (
        "overlapping-hours",
        "two ranges of office hours overlap on one day",
        "merge the two ranges or move one of them",
    ),
    ("no-working-time", "a calendar that is never open", "give at least one day some hours"),
    (
        "closed-and-open",
        "a date listed both as closed and as open",
        "keep the date in one of the two lists",
    ),
    ("unknown-region", "a region without public holiday data", "use one of CN, HK, MO, TW"),
    (
        "unknown-timezone",
        "a timezone that the IANA database does not know",
        "use an IANA name such as 'Asia/Shanghai' or 'Asia/Hong_Kong'",
    ),
    (
        "no-holiday-data",
        "no public holiday data for a year the estate runs in",
        "list that year's closed days (and make-up working days under 'open') in 'holidays'",
    ),
    (
        "business-without-calendar",
        "a business-time duration where no calendar applies",
        "declare the calendar under 'calendars', or use a wall-clock unit (m, h, d)",
    ),
)

#: Semantics that need the engine's view of a procedure.
ENGINE = _table(
    ("join-single-branch", "a join that waits for only one branch", "replace it by a plain 'to'"),
    (
        "join-reentered",
        "a loop that comes back into a join's branches from outside them",
        "go back to the forking step, or to a step after the join",
    ),
)

CODES: MappingProxyType[str, Code] = MappingProxyType(
    {c.code: c for c in (*LOADING, *LINT, *RULES, *CALENDAR, *ENGINE)}
)


def code_info(code: str) -> Code:
    """The registered :class:`Code`; an unregistered code is a bug in EstateFlow."""
    return CODES[code]
