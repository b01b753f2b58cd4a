"""The functions and filters a definition author may use, and nothing more.

Functions are called by name (``max(0, x)``, ``days(3)``); filters follow a pipe
(``form.name|upper``). Each checks its arguments and raises a coded :class:`RuleError`
instead of letting a Python exception out. The allowlist points each call at its
implementation here (``fn_<name>``), so data can never shadow a function.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import Undefined

from estateflow.calendar import Calendar, CalendarError, Duration, Unit, parse_duration
from estateflow.errors import RuleError
from estateflow.rules._limits import MAX_ROUND_PLACES
from estateflow.rules._values import DECIMAL, defined, kind, number, whole


@dataclass(frozen=True, slots=True, kw_only=True)
class Function:
    name: str
    impl: Callable[..., Any]
    usage: str
    """How to call it, for hints: ``days(n)``."""
    needs: str | None = None
    """What it reads from the evaluation besides its arguments: 'now' or 'calendar'."""
    signature: inspect.Signature | None = None


# -- functions ---------------------------------------------------------------------------
def fn_min(*values: Any) -> Any:
    return _extreme(min, "min", values)


def fn_max(*values: Any) -> Any:
    return _extreme(max, "max", values)


def fn_abs(value: Any) -> Any:
    value = defined(value)
    if type(value) is timedelta:
        return abs(value)
    return DECIMAL.abs(number(value, "'abs'"))


def fn_round(value: Any, places: Any = 0) -> Decimal:
    """Rounds half up (2.5 → 3, 0.125 → 0.13), as money is rounded, not half to even."""
    value = number(value, "'round'")
    places = whole(places, "'round' places")
    if not 0 <= places <= MAX_ROUND_PLACES:
        raise RuleError("rule-value", f"'round' takes 0 to {MAX_ROUND_PLACES} places, not {places}")
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=DECIMAL)


def fn_today(now: Any) -> date:
    """The date of ``now``, in ``now``'s own time zone."""
    if not isinstance(now, datetime):
        raise RuleError("undefined", "'today()' needs 'now', which this evaluation was not given")
    return now.date()


def fn_date(value: Any) -> date:
    """A date from a date, a datetime (its date) or ISO text ('2026-09-24')."""
    value = defined(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if type(value) is str:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise RuleError("rule-value", f"'{value[:40]}' is not a date like 2026-09-24") from None
    raise RuleError("rule-type", f"'date' needs a date or text, not a {kind(value)}")


def fn_days(n: Any) -> timedelta:
    return _span(n, "days", 86_400)


def fn_hours(n: Any) -> timedelta:
    return _span(n, "hours", 3_600)


def fn_minutes(n: Any) -> timedelta:
    return _span(n, "minutes", 60)


def _span(n: Any, name: str, seconds: int) -> timedelta:
    amount = number(n, f"'{name}'")
    try:
        micro = int(DECIMAL.multiply(amount, seconds * 1_000_000).to_integral_value())
        return timedelta(microseconds=micro)
    except (OverflowError, ArithmeticError):
        raise RuleError("rule-limit", f"{name}({amount}) is too long a span") from None


def fn_duration(text: Any) -> Duration:
    """A duration literal as text: ``duration('24bh')``."""
    text = defined(text)
    if type(text) is not str:
        raise RuleError("rule-type", f"'duration' needs a text such as '24bh', not a {kind(text)}")
    try:
        return parse_duration(text.strip())
    except CalendarError as exc:
        raise RuleError("rule-value", exc.message) from None


def fn_add_business_hours(calendar: Calendar | None, start: Any, n: Any) -> datetime:
    """The moment ``n`` hours of the calendar's open time have passed after ``start``."""
    hours = number(n, "'add_business_hours'")
    if hours == hours.to_integral_value():
        amount: Duration | timedelta = _duration(int(hours), "bh")
    elif hours < 0:
        raise RuleError("rule-value", f"'add_business_hours' needs hours from 0 up, not {hours}")
    else:
        amount = _span(hours, "hours", 3_600)
    return _on_calendar(calendar, "add_business_hours", start, amount)


def fn_add_business_days(calendar: Calendar | None, start: Any, n: Any) -> datetime:
    """The same time of day ``n`` working days after ``start`` (see ``Calendar.add``)."""
    days = whole(n, "'add_business_days'")
    return _on_calendar(calendar, "add_business_days", start, _duration(days, "bd"))


def _duration(amount: int, unit: Unit) -> Duration:
    try:
        return Duration(amount=amount, unit=unit)
    except CalendarError as exc:
        raise RuleError("rule-value", exc.message) from None


def fn_add_duration(calendar: Calendar | None, start: Any, duration: Any) -> datetime:
    """``start`` plus a duration, counting business units on the calendar."""
    duration = defined(duration)
    if type(duration) is timedelta:
        return _moment(start, "add_duration") + duration
    if not isinstance(duration, Duration):
        raise RuleError("rule-type", f"'add_duration' needs a duration, not a {kind(duration)}")
    if not duration.business and duration.span is not None:
        return _moment(start, "add_duration") + duration.span
    return _on_calendar(calendar, "add_duration", start, duration)


def fn_business_time_between(calendar: Calendar | None, start: Any, end: Any) -> timedelta:
    """The calendar's open time from ``start`` to ``end`` (negative if ``end`` is first)."""
    calendar = _calendar(calendar, "business_time_between")
    try:
        return calendar.between(
            _moment(start, "business_time_between"), _moment(end, "business_time_between")
        )
    except CalendarError as exc:
        raise RuleError("rule-value", exc.message) from None


def _on_calendar(
    calendar: Calendar | None, name: str, start: Any, amount: Duration | timedelta
) -> datetime:
    calendar = _calendar(calendar, name)
    start = _moment(start, name)
    try:
        if isinstance(amount, Duration):
            return calendar.add(start, amount)
        result = calendar.add_span(start, amount)
        assert result is not None  # only an open-ended pause gives None
        return result
    except CalendarError as exc:
        raise RuleError("rule-value", exc.message) from None
    except OverflowError:
        raise RuleError("rule-limit", f"'{name}' goes past the end of time") from None


def _calendar(calendar: Calendar | None, name: str) -> Calendar:
    if calendar is None:
        raise RuleError("undefined", f"'{name}' needs a calendar, and this evaluation has none")
    return calendar


def _moment(value: Any, name: str) -> datetime:
    value = defined(value)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise RuleError(
            "rule-type", f"'{name}' needs a datetime with a time zone, not a {kind(value)}"
        )
    return value


def _extreme(pick: Callable[..., Any], name: str, values: tuple[Any, ...]) -> Any:
    if len(values) == 1 and isinstance(values[0], list | tuple):
        values = tuple(values[0])
    if not values:
        raise RuleError("rule-value", f"'{name}' of nothing: give it at least one value")
    values = tuple(defined(v) for v in values)
    try:
        return pick(values)
    except TypeError:
        kinds = sorted({kind(v) for v in values})
        raise RuleError(
            "rule-type", f"'{name}' cannot compare {' and '.join(kinds)} values"
        ) from None


# -- filters -----------------------------------------------------------------------------
def filter_length(value: Any) -> int:
    value = defined(value)
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise RuleError("rule-type", f"'length' needs a text or a list, not a {kind(value)}")


def filter_default(value: Any, fallback: Any) -> Any:
    """``fallback`` when ``value`` is empty (none) or missing, else ``value``."""
    if value is None or isinstance(value, Undefined):
        return fallback
    return value


def filter_round(value: Any, places: Any = 0) -> Decimal:
    return fn_round(value, places)


def filter_lower(value: Any) -> str:
    return _text(value, "lower").lower()


def filter_upper(value: Any) -> str:
    return _text(value, "upper").upper()


def filter_abs(value: Any) -> Any:
    return fn_abs(value)


def filter_min(values: Any) -> Any:
    return _extreme(min, "min", (_sequence(values, "min"),))


def filter_max(values: Any) -> Any:
    return _extreme(max, "max", (_sequence(values, "max"),))


def _text(value: Any, name: str) -> str:
    value = defined(value)
    if type(value) is not str:
        raise RuleError("rule-type", f"'{name}' needs a text, not a {kind(value)}")
    return value


def _sequence(value: Any, name: str) -> list | tuple:
    value = defined(value)
    if not isinstance(value, list | tuple):
        raise RuleError("rule-type", f"'{name}' needs a list, not a {kind(value)}")
    return value


def _function(name: str, usage: str, needs: str | None = None) -> Function:
    impl = globals()[f"fn_{name}"]
    signature = inspect.signature(impl)
    if needs:
        # ``now`` or the calendar is passed by the sandbox, not written by the author.
        signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    return Function(name=name, impl=impl, usage=usage, needs=needs, signature=signature)


def _filter(name: str, usage: str) -> Function:
    impl = globals()[f"filter_{name}"]
    return Function(name=name, impl=impl, usage=usage, signature=inspect.signature(impl))


#: Functions by name. ``now`` is not one: it is a name the evaluation is given. The
#: business-time ones use the calendar passed to ``evaluate``.
FUNCTIONS: Mapping[str, Function] = {
    f.name: f
    for f in (
        _function("abs", "abs(x)"),
        _function("add_business_days", "add_business_days(t, n)", needs="calendar"),
        _function("add_business_hours", "add_business_hours(t, n)", needs="calendar"),
        _function("add_duration", "add_duration(t, d)", needs="calendar"),
        _function("business_time_between", "business_time_between(t1, t2)", needs="calendar"),
        _function("date", "date(x)"),
        _function("days", "days(n)"),
        _function("duration", "duration('24bh')"),
        _function("hours", "hours(n)"),
        _function("max", "max(a, b, …) or max(list)"),
        _function("min", "min(a, b, …) or min(list)"),
        _function("minutes", "minutes(n)"),
        _function("round", "round(x, places)"),
        _function("today", "today()", needs="now"),
    )
}

#: Filters by name; their first argument is the value before the pipe.
FILTERS: Mapping[str, Function] = {
    f.name: f
    for f in (
        _filter("abs", "x|abs"),
        _filter("default", "x|default(fallback)"),
        _filter("length", "x|length"),
        _filter("lower", "x|lower"),
        _filter("max", "list|max"),
        _filter("min", "list|min"),
        _filter("round", "x|round(places)"),
        _filter("upper", "x|upper"),
    )
}
