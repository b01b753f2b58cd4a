"""Arithmetic as rules see it: exact decimals, bounded text and lists, checked types.

Every ``+ - * / // %`` and unary sign of a compiled rule comes here (:mod:`._closures`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from estateflow.calendar import Duration
from estateflow.errors import RuleError
from estateflow.rules._limits import MAX_LIST_LENGTH, MAX_STRING_LENGTH
from estateflow.rules._values import DECIMAL, NUMBER_TYPES, defined, kind, whole

#: Every arithmetic operator a rule may use.
BINARY = frozenset({"+", "-", "*", "/", "//", "%"})
UNARY = frozenset({"+", "-"})

_TEMPORAL = (date, datetime, time, timedelta, Duration)
_SEQUENCES = (list, tuple)


def binary(operator: str, left: Any, right: Any) -> Any:
    if type(left) in NUMBER_TYPES and type(right) in NUMBER_TYPES:
        return _arithmetic(operator, left, right)
    defined(left)
    defined(right)
    if operator == "+":
        if type(left) is str and type(right) is str:
            _check_text(len(left) + len(right))
            return left + right
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _check_list(len(left) + len(right))
            return [*left, *right]
    elif operator == "*":
        if type(right) in NUMBER_TYPES and isinstance(left, (str, *_SEQUENCES)):
            return _repeat(left, right)
        if type(left) in NUMBER_TYPES and isinstance(right, (str, *_SEQUENCES)):
            return _repeat(right, left)
        if type(left) is timedelta and type(right) in NUMBER_TYPES:
            return _scale(left, right)
        if type(right) is timedelta and type(left) in NUMBER_TYPES:
            return _scale(right, left)
    elif operator == "%" and type(left) is str:
        # '%s' % x is string formatting, a way into objects' text we do not offer.
        raise RuleError("rule-type", "'%' works on numbers only: formatting text is not allowed")
    if operator in ("+", "-") and (_temporal(left) or _temporal(right)):
        return _time_arithmetic(operator, left, right)
    raise RuleError("rule-type", f"cannot apply '{operator}' to a {kind(left)} and a {kind(right)}")


def unary(operator: str, value: Any) -> Any:
    value = defined(value)
    if type(value) in NUMBER_TYPES:
        return DECIMAL.minus(value) if operator == "-" else DECIMAL.plus(value)
    if type(value) is timedelta:
        return -value if operator == "-" else value
    raise RuleError("rule-type", f"cannot apply '{operator}' to a {kind(value)}")


def _arithmetic(operator: str, left: Decimal | int, right: Decimal | int) -> Decimal:
    if operator == "+":
        return DECIMAL.add(left, right)
    if operator == "-":
        return DECIMAL.subtract(left, right)
    if operator == "*":
        return DECIMAL.multiply(left, right)
    if not right:
        raise RuleError("rule-value", "division by zero")
    if operator == "/":
        return DECIMAL.divide(left, right)
    # Python's floor semantics, as authors expect from `//` and `%` (Decimal truncates).
    quotient = DECIMAL.divide_int(left, right)
    remainder = DECIMAL.remainder(left, right)
    if remainder and (remainder < 0) != (right < 0):
        quotient = DECIMAL.subtract(quotient, 1)
        remainder = DECIMAL.add(remainder, right)
    return quotient if operator == "//" else remainder


def _repeat(sequence: str | list | tuple, times: Decimal | int) -> Any:
    count = max(whole(times, "repetition"), 0)
    if isinstance(sequence, str):
        _check_text(len(sequence) * count)
    else:
        _check_list(len(sequence) * count)
    return sequence * count


def _scale(span: timedelta, factor: Decimal | int) -> timedelta:
    try:
        return span * whole(factor, "a duration's factor")
    except OverflowError:
        raise RuleError("rule-limit", "the duration is too long") from None


def _temporal(value: Any) -> bool:
    return isinstance(value, _TEMPORAL)


def _time_arithmetic(operator: str, left: Any, right: Any) -> Any:
    left, right = _wall(left), _wall(right)
    if type(left) is date and type(right) is timedelta and right % timedelta(days=1):
        # date + hours(3) would silently drop the hours.
        raise RuleError("rule-type", "cannot add hours or minutes to a date: use a datetime")
    try:
        result = left + right if operator == "+" else left - right
    except OverflowError:
        raise RuleError("rule-limit", "the date is out of range") from None
    except TypeError:
        raise RuleError(
            "rule-type", f"cannot apply '{operator}' to a {kind(left)} and a {kind(right)}"
        ) from None
    return result


def _wall(value: Any) -> Any:
    """A wall-clock Duration as the timedelta it is; business ones need the calendar."""
    if not isinstance(value, Duration):
        return value
    if value.span is None or value.business:
        raise RuleError(
            "rule-type",
            f"'{value}' counts business time: use add_duration(t, d) with the calendar",
        )
    return value.span


def _check_text(length: int) -> None:
    if length > MAX_STRING_LENGTH:
        raise RuleError(
            "rule-limit", f"the text would be {length} characters long, over {MAX_STRING_LENGTH}"
        )


def _check_list(length: int) -> None:
    if length > MAX_LIST_LENGTH:
        raise RuleError("rule-limit", f"the list would have {length} items, over {MAX_LIST_LENGTH}")
