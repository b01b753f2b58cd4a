"""What rules say about values: their kind in messages, and the checks every helper makes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any, NoReturn

from jinja2 import Undefined

from estateflow.errors import RuleError
from estateflow.rules._limits import DECIMAL_PRECISION, MAX_INTEGER_DIGITS

#: Arithmetic for every rule, whatever the thread's decimal context says. Overflow traps
#: at MAX_INTEGER_DIGITS digits before the point; inexact results round quietly.
DECIMAL = Context(
    prec=DECIMAL_PRECISION,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_INTEGER_DIGITS - 1,
    Emin=-(DECIMAL_PRECISION + MAX_INTEGER_DIGITS),
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

#: Exact types that count as numbers; bool is left out on purpose (``true + 1``).
NUMBER_TYPES = frozenset({Decimal, int})

_KINDS: dict[type, str] = {
    str: "text",
    Decimal: "number",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "none",
    list: "list",
    tuple: "list",
    dict: "record",
    date: "date",
    datetime: "datetime",
    time: "time",
    timedelta: "duration",
}


def kind(value: Any) -> str:
    """The kind of a value as an author thinks of it: 'text', 'number', 'date'…"""
    found = _KINDS.get(type(value))
    if found is not None:
        return found
    if isinstance(value, Undefined):
        return "undefined"
    for cls, name in _KINDS.items():
        if isinstance(value, cls):
            return name
    name = type(value).__name__
    return {"RegisterView": "register", "Duration": "duration"}.get(name, name.lower())


def defined(value: Any) -> Any:
    """``value``, or the undefined error it stands for (a missing field is never falsy)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def is_number(value: Any) -> bool:
    return type(value) in NUMBER_TYPES


def number(value: Any, what: str) -> Decimal:
    """``value`` as a Decimal; ``what`` names it in the error (e.g. "'days'")."""
    value = defined(value)
    if type(value) is Decimal:
        return value
    if type(value) is int:
        return DECIMAL.create_decimal(value)
    raise RuleError("rule-type", f"{what} needs a number, not a {kind(value)}")


def whole(value: Any, what: str) -> int:
    """``value`` as an int when it is a whole number."""
    value = number(value, what)
    if value != value.to_integral_value():
        raise RuleError("rule-value", f"{what} needs a whole number, not {value}")
    return int(value)


def fail(code: str, message: str) -> NoReturn:
    raise RuleError(code, message)
