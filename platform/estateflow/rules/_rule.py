from __future__ import annotations

import decimal
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import UndefinedError

from estateflow.errors import RuleError
from estateflow.rules._check import check
from estateflow.rules._closures import Compiled, NotCompilable, compile_tree
from estateflow.rules._functions import FUNCTIONS
from estateflow.rules._limits import CACHE_SIZE, MAX_DEPTH
from estateflow.rules._parse import parse
from estateflow.rules._problems import RuleProblem, RuleSyntaxError
from estateflow.rules._references import Reference, RegisterQuery


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A compiled expression: check its names with :func:`check_names`, run it with
    :func:`evaluate`. Equal when the source is."""

    source: str
    compiled: Compiled = field(repr=False, compare=False, hash=False)
    """The checked tree as Python closures; run it only through :func:`evaluate`."""
    references: tuple[Reference, ...] = field(compare=False, hash=False)
    functions: tuple[Reference, ...] = field(default=(), compare=False, hash=False)
    """Each call of a listed function, e.g. ``("today",)``."""
    queries: tuple[RegisterQuery, ...] = field(default=(), compare=False, hash=False)
    is_constant: bool = field(default=False, compare=False, hash=False)
    """Uses no name and no function that reads the evaluation: same value every time."""


@lru_cache(maxsize=CACHE_SIZE)
def compile_rule(source: str) -> Rule:
    """Parse, check against the allowlist, compile; cached by source text.

    Raises:
        RuleSyntaxError: with every problem the allowlist found (a syntax error stops at
            the first).
    """
    parsed = parse(source)
    findings = check(parsed)
    if findings.problems:
        raise RuleSyntaxError(findings.problems)
    try:
        compiled = compile_tree(parsed.node)
    except (NotCompilable, RecursionError, MemoryError) as exc:
        # The allowlist should make this unreachable; a located error beats a traceback.
        raise RuleSyntaxError(
            [
                RuleProblem(
                    code="too-complex",
                    message=f"the expression cannot be compiled: {exc}",
                    offset=0,
                    length=max(len(source), 1),
                )
            ]
        ) from None
    reads_evaluation = any(FUNCTIONS[f.path[0]].needs for f in findings.functions)
    is_constant = not (findings.references or findings.queries or reads_evaluation)
    return Rule(
        source=source,
        compiled=compiled,
        references=tuple(findings.references),
        functions=tuple(findings.functions),
        queries=tuple(findings.queries),
        is_constant=is_constant,
    )


def evaluate(rule: Rule, env: Mapping[str, Any], *, calendar: Any = None) -> Any:
    """The value of ``rule`` over ``env`` (``case``, ``form``, ``now``, ``registers``…).

    Values are plain dicts, lists, str, Decimal, int, bool, None, dates and times,
    durations and :class:`RegisterView`; dict keys read as attributes (``case.severity``)
    or subscripts (``params.forward_within[case.severity]``). ``calendar`` serves the
    business-time helpers.

    Raises:
        RuleError: for every failure: a missing value (``undefined``; never a silent
            false), a limit, a wrong type, a division by zero.
    """
    try:
        result = rule.compiled(env, calendar)
        _check_result(result, 0)
    except RuleError:
        raise
    except Exception as exc:
        raise _translate(exc) from None
    return result


def _check_result(value: Any, depth: int) -> None:
    """A list or record built by the expression may hold a missing value: refuse it."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if depth < MAX_DEPTH and type(value) in (list, tuple, dict):
        for item in value.values() if type(value) is dict else value:
            _check_result(item, depth + 1)


_PYTHON_KINDS = {
    "decimal.Decimal": "number",
    "Decimal": "number",
    "int": "number",
    "float": "number",
    "str": "text",
    "NoneType": "none",
    "dict": "record",
    "tuple": "list",
    "bool": "boolean",
    "datetime.date": "date",
    "datetime.datetime": "datetime",
    "datetime.timedelta": "duration",
    "StrictUndefined": "undefined",
}
_PYTHON_KIND = re.compile(r"'(" + "|".join(map(re.escape, _PYTHON_KINDS)) + r")'")


def _translate(exc: Exception) -> RuleError:
    if isinstance(exc, UndefinedError):
        return RuleError("undefined", str(exc.message or exc))
    if isinstance(exc, ZeroDivisionError | decimal.DivisionByZero):
        return RuleError("rule-value", "division by zero")
    if isinstance(exc, decimal.Overflow | OverflowError):
        return RuleError("rule-limit", "a number or date is out of range")
    if isinstance(exc, RecursionError | MemoryError):
        return RuleError("rule-limit", "the expression needs too much to evaluate")
    if isinstance(exc, decimal.InvalidOperation):
        return RuleError("rule-value", "the arithmetic has no defined result")
    if isinstance(exc, TypeError):
        text = _PYTHON_KIND.sub(lambda m: f"'{_PYTHON_KINDS[m[1]]}'", str(exc))
        return RuleError("rule-type", text.replace("instances of ", ""))
    return RuleError("rule-type", f"the expression failed: {type(exc).__name__}: {exc}")
