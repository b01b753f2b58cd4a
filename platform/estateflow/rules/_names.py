"""Name checking at load time, against the case data model of DESIGN §3.

A misspelt field must be an error with a suggestion when the definition loads, never a
value that is silently false when the case runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from estateflow.rules._functions import FUNCTIONS
from estateflow.rules._problems import RuleProblem
from estateflow.rules._references import Reference
from estateflow.rules._registers import REGISTER_METHODS
from estateflow.rules._rule import Rule

#: The roots of the case data model (DESIGN §3).
MODEL_ROOTS = ("actor", "case", "form", "now", "params", "registers", "steps")

#: Why ``form`` is missing from an action's ``when``; the message of ``form-in-guard``.
FORM_IN_GUARD = (
    "'form' is not available in an action's 'when': it decides which buttons show, "
    "before any form is filled"
)
FORM_IN_GUARD_HINT = "to branch on the submitted form, use 'route' with a 'when' per entry"


@dataclass(frozen=True, slots=True)
class Shape:
    """What may follow a name: ``fields`` maps each attribute to its own shape.

    ``Shape.ANY`` (``fields`` None) is opaque: anything below it is allowed. ``Shape.LEAF``
    has no attributes at all.
    """

    fields: Mapping[str, Shape] | None = None
    label: str | None = field(default=None, kw_only=True)
    """What this is, for messages: "form 'callback'". Defaults to its quoted path."""
    columns: frozenset[str] | None = field(default=None, kw_only=True)
    """Set for a register: the fields its queries may filter or sum on."""

    ANY: ClassVar[Shape]
    LEAF: ClassVar[Shape]
    DATE: ClassVar[Shape]
    DATETIME: ClassVar[Shape]

    @classmethod
    def of(cls, fields: Mapping[str, Shape] | Iterable[str], *, label: str | None = None) -> Shape:
        """A shape from a mapping, or from names that are all opaque."""
        if not isinstance(fields, Mapping):
            fields = dict.fromkeys(fields, ANY)
        return cls(MappingProxyType(dict(fields)), label=label)

    @classmethod
    def register(cls, name: str, columns: Iterable[str]) -> Shape:
        """A register: its four queries, filtering on ``columns``."""
        return cls(
            MappingProxyType(dict.fromkeys(sorted(REGISTER_METHODS), LEAF)),
            label=f"register '{name}'",
            columns=frozenset(columns),
        )


ANY = Shape()
LEAF = Shape(MappingProxyType({}))
Shape.ANY = ANY
Shape.LEAF = LEAF
Shape.DATE = Shape(MappingProxyType(dict.fromkeys(("year", "month", "day"), LEAF)), label="a date")
Shape.DATETIME = Shape(
    MappingProxyType(dict.fromkeys(("year", "month", "day", "hour", "minute", "second"), LEAF)),
    label="a datetime",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """The names one place of a definition may use."""

    roots: Mapping[str, Shape]
    unavailable: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Roots that exist elsewhere but not here, each with why (``form`` in a ``when``)."""
    functions: frozenset[str] = frozenset(FUNCTIONS)
    """The functions callable here."""


def check_names(rule: Rule, scope: Scope) -> tuple[RuleProblem, ...]:
    """Every name ``rule`` uses that ``scope`` does not have, with a did-you-mean."""
    problems: list[RuleProblem] = []
    for reference in rule.references:
        problem = _check_reference(reference, scope)
        if problem is not None:
            problems.append(problem)
    for call in rule.functions:
        name = call.path[0]
        if name not in scope.functions:
            problems.append(
                RuleProblem(
                    code="unknown-name",
                    message=f"'{name}()' is not available here",
                    offset=call.offset,
                    length=len(name),
                    hint=_did_you_mean(name, scope.functions, "()"),
                )
            )
    for query in rule.queries:
        shape = _shape_of(scope, ("registers", query.register))
        if shape is None or shape.columns is None:
            continue
        for column in query.fields:
            name = column.path[0]
            if name not in shape.columns:
                problems.append(
                    RuleProblem(
                        code="unknown-name",
                        message=f"'{name}' is not a field of register '{query.register}'",
                        offset=column.offset,
                        length=column.length,
                        hint=_did_you_mean(name, shape.columns),
                    )
                )
    return tuple(problems)


def _check_reference(reference: Reference, scope: Scope) -> RuleProblem | None:
    path = reference.path
    root = path[0]
    if root in scope.unavailable:
        is_form = root == "form"
        return RuleProblem(
            code="form-in-guard" if is_form else "unknown-name",
            message=scope.unavailable[root],
            offset=reference.offset,
            length=len(root),
            hint=FORM_IN_GUARD_HINT if is_form else None,
        )
    shape = scope.roots.get(root)
    if shape is None:
        message = f"unknown name '{root}'"
        if root in FUNCTIONS:
            message = f"'{root}' is a function: call it, as in '{FUNCTIONS[root].usage}'"
        return RuleProblem(
            code="unknown-name",
            message=message,
            offset=reference.offset,
            length=len(root),
            hint=_did_you_mean(root, scope.roots),
        )
    for i, name in enumerate(path[1:], start=1):
        if shape.fields is None:
            return None
        below = shape.fields.get(name)
        if below is None:
            parent = ".".join(path[:i])
            what = shape.label or f"'{parent}'"
            if shape.columns is not None:
                message = f"'{name}' is not a query of {what}"
            elif not shape.fields:
                message = f"'{parent}' has no fields: '{parent}.{name}' does not exist"
            else:
                message = f"'{parent}.{name}' is not a field of {what}"
            ends = reference.ends
            end = ends[i] if i < len(ends) else reference.offset + reference.length
            return RuleProblem(
                code="unknown-name",
                message=message,
                offset=reference.offset,
                length=end - reference.offset,
                hint=_did_you_mean(name, shape.fields, prefix=f"{parent}."),
            )
        shape = below
    return None


def _shape_of(scope: Scope, path: tuple[str, ...]) -> Shape | None:
    shape = scope.roots.get(path[0])
    for name in path[1:]:
        if shape is None or shape.fields is None:
            return None
        shape = shape.fields.get(name)
    return shape


def _did_you_mean(
    name: str, choices: Iterable[str], suffix: str = "", prefix: str = ""
) -> str | None:
    choices = sorted(choices)
    if not choices:
        return None
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return f"did you mean '{prefix}{close[0]}{suffix}'?"
    if len(choices) > 12:
        return None
    return "expected one of " + ", ".join(f"'{prefix}{c}{suffix}'" for c in choices)
