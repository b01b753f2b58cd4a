"""Dates, times of day, moments and durations, stored as ISO text and duration literals.

Storage forms: a date ``2026-03-01``, a time ``09:30`` (``09:30:15`` when it has seconds),
a datetime ``2026-03-01T09:30:00+08:00`` in the caller's time zone, a duration ``90m``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from estateflow.calendar import Duration, DurationError, parse_duration
from estateflow.fields._errors import FieldError
from estateflow.fields._spec import FieldSpec

#: Longest text read as a date, time or duration.
MAX_TIME_LENGTH = 40

_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_DATETIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
#: Nominal length of each duration unit, to compare durations with a field's bounds.
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "bh": 3600, "bd": 86400}
_DATE_HINT = "enter a date like 2026-03-01"
_TIME_HINT = "enter a time like 09:30"
_DATETIME_HINT = "enter a date and time like 2026-03-01 09:30"
_DURATION_HINT = "enter a duration like 30m, 2h or 3d"


def _text(raw: str, hint: str) -> str:
    if len(raw) > MAX_TIME_LENGTH:
        raise FieldError(hint)
    return unicodedata.normalize("NFKC", raw).strip()


def parse_date(field: FieldSpec, raw: Any, timezone: str | None = None) -> str:
    if isinstance(raw, datetime):
        value = _in_zone(raw, timezone).date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        match = _DATE.fullmatch(_text(raw, _DATE_HINT))
        if match is None:
            raise FieldError(_DATE_HINT)
        try:
            value = date(*(int(part) for part in match.groups()))
        except ValueError:
            raise FieldError(f"this date does not exist; {_DATE_HINT}") from None
    else:
        raise FieldError(_DATE_HINT)
    low, high = _date_bound(field.min), _date_bound(field.max)
    if low is not None and value < low:
        raise FieldError(f"this date is before {low.isoformat()}")
    if high is not None and value > high:
        raise FieldError(f"this date is after {high.isoformat()}")
    return value.isoformat()


def parse_time(field: FieldSpec, raw: Any) -> str:
    if isinstance(raw, datetime):
        raw = raw.time()
    if isinstance(raw, time):
        value = raw.replace(microsecond=0, tzinfo=None)
    elif isinstance(raw, str):
        match = _TIME.fullmatch(_text(raw, _TIME_HINT))
        if match is None:
            raise FieldError(_TIME_HINT)
        hour, minute, second = (int(part or 0) for part in match.groups())
        try:
            value = time(hour, minute, second)
        except ValueError:
            raise FieldError(_TIME_HINT) from None
    else:
        raise FieldError(_TIME_HINT)
    low, high = _time_bound(field.min), _time_bound(field.max)
    if low is not None and value < low:
        raise FieldError(f"this time is before {time_text(low)}")
    if high is not None and value > high:
        raise FieldError(f"this time is after {time_text(high)}")
    return time_text(value)


def time_text(value: time) -> str:
    return value.isoformat("seconds" if value.second else "minutes")


def parse_datetime(field: FieldSpec, raw: Any, timezone: str | None) -> str:
    """An aware moment in ``timezone``; text without an offset is read as local time there.

    Without ``timezone`` only text with an offset (``+08:00`` or ``Z``) is understood.
    """
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        text = _text(raw, _DATETIME_HINT)
        if _DATETIME.fullmatch(text) is None:
            raise FieldError(_DATETIME_HINT)
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise FieldError(f"this date or time does not exist; {_DATETIME_HINT}") from None
    else:
        raise FieldError(_DATETIME_HINT)
    if value.tzinfo is None and timezone is None:
        raise FieldError("enter the time with its UTC offset, like 2026-03-01T09:30+08:00")
    value = _in_zone(value, timezone).replace(microsecond=0)
    low, high = _moment_bound(field.min, timezone), _moment_bound(field.max, timezone)
    if low is not None and value < low:
        raise FieldError(f"this is before {_moment_text(low)}")
    if high is not None and value > high:
        raise FieldError(f"this is after {_moment_text(high)}")
    return value.isoformat(timespec="seconds")


def _moment_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _in_zone(value: datetime, timezone: str | None) -> datetime:
    if timezone is None:
        return value
    zone = ZoneInfo(timezone)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)


def parse_duration_value(field: FieldSpec, raw: Any) -> str:
    """A duration literal: ``30s``, ``10m``, ``2h``, ``3d``, ``24bh``, ``3bd``."""
    if isinstance(raw, Duration):
        value = raw
    elif isinstance(raw, timedelta):
        value = duration_of(raw)
    elif isinstance(raw, str):
        text = _text(raw, _DURATION_HINT).lower().replace(" ", "")
        try:
            value = parse_duration(text)
        except DurationError:
            raise FieldError(_DURATION_HINT) from None
    else:
        raise FieldError(_DURATION_HINT)
    length = duration_seconds(value)
    low = None if field.min is None else _duration_bound(field.min)
    high = None if field.max is None else _duration_bound(field.max)
    if low is not None and length < duration_seconds(low):
        raise FieldError(f"enter at least {low}")
    if high is not None and length > duration_seconds(high):
        raise FieldError(f"enter at most {high}")
    return str(value)


def duration_of(span: timedelta) -> Duration:
    """The literal in the largest unit that states ``span`` exactly (whole seconds)."""
    seconds = int(span.total_seconds())
    if seconds < 0 or span != timedelta(seconds=seconds):
        raise FieldError(_DURATION_HINT)
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return _duration(seconds // _UNIT_SECONDS[unit], unit)
    return _duration(seconds, "s")


def _duration(amount: int, unit: str) -> Duration:
    try:
        return Duration(amount=amount, unit=unit)  # type: ignore[arg-type]
    except DurationError:
        raise FieldError("this duration is too long") from None


def duration_seconds(value: Duration) -> int:
    """Nominal length: a business hour counts as an hour, a business day as a day."""
    return value.amount * _UNIT_SECONDS[value.unit]


def _duration_bound(bound: Any) -> Duration:
    return bound if isinstance(bound, Duration) else parse_duration(str(bound))


def _date_bound(bound: Any) -> date | None:
    if bound is None or isinstance(bound, date):
        return bound
    return date.fromisoformat(str(bound))


def _time_bound(bound: Any) -> time | None:
    if bound is None or isinstance(bound, time):
        return bound
    return time.fromisoformat(str(bound))


def _moment_bound(bound: Any, timezone: str | None) -> datetime | None:
    if bound is None:
        return None
    value = bound if isinstance(bound, datetime) else datetime.fromisoformat(str(bound))
    if value.tzinfo is None and timezone is None:
        return None
    return _in_zone(value, timezone)
