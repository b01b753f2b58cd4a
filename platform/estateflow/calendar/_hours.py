from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from estateflow.calendar._errors import CalendarError, Where

#: The hours value of a calendar that never closes, not even on public holidays.
ALWAYS = "24/7"
#: Day keys of an hours mapping, Monday first (``date.weekday()`` order).
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Key for all seven days.
DAILY = "daily"

MINUTES_PER_DAY = 24 * 60
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_RANGE_FORM = "write HH:MM-HH:MM, for example '09:00-18:00' (the end may be '24:00')"
_DAY_FORM = f"use {', '.join(DAY_KEYS)}, a range such as 'mon-fri', or '{DAILY}'"
_HOURS_FORM = (
    f"write '{ALWAYS}' or a map of days to ranges, "
    "for example {mon-fri: ['09:00-12:00', '13:00-18:00'], sat: ['09:00-12:00']}"
)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class TimeRange:
    """Local wall-clock times of one day, in minutes after midnight."""

    start: int
    end: int
    """Up to 1440 (``24:00``). Not after ``start`` only in an overnight shift range."""

    @property
    def minutes(self) -> int:
        return (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


_FULL_DAY = (TimeRange(start=0, end=MINUTES_PER_DAY),)


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyHours:
    """Opening hours for each day of the week, before holidays are applied."""

    days: tuple[tuple[TimeRange, ...], ...]
    """Seven entries, Monday first; each sorted, disjoint and never touching (touching
    ranges are joined)."""
    always: bool = False
    """Written as ``24/7``: open at every moment, public holidays and closed days included."""

    def __post_init__(self) -> None:
        if len(self.days) != len(DAY_KEYS):
            raise ValueError("WeeklyHours needs the ranges of seven days")

    @classmethod
    def around_the_clock(cls) -> WeeklyHours:
        return cls(days=(_FULL_DAY,) * len(DAY_KEYS), always=True)

    def on(self, weekday: int) -> tuple[TimeRange, ...]:
        """The ranges of ``date.weekday()`` ``weekday`` (0 is Monday)."""
        return self.days[weekday]

    @property
    def is_empty(self) -> bool:
        return not any(self.days)

    @property
    def workday(self) -> tuple[TimeRange, ...]:
        """The hours a make-up working day or an ``open`` day is worked with.

        Those of the first of Monday to Friday that has any (Monday for most offices),
        else of the first weekend day that has any.
        """
        for ranges in self.days:
            if ranges:
                return ranges
        return ()

    def __str__(self) -> str:
        if self.always:
            return ALWAYS
        parts = [
            f"{key}: [{', '.join(map(str, ranges))}]"
            for key, ranges in zip(DAY_KEYS, self.days, strict=True)
            if ranges
        ]
        return "{" + ", ".join(parts) + "}"


def parse_time_range(text: str, *, overnight: bool = False) -> TimeRange:
    """Read ``HH:MM-HH:MM``.

    Args:
        overnight: allow an end at or before the start (a night shift ``19:00-07:00``);
            office hours never cross midnight, so they are split into two days instead.

    Raises:
        CalendarError: ``bad-hours``, with an empty ``where``.
    """
    if not isinstance(text, str):
        raise CalendarError("bad-hours", f"'{text}' is not a time range", _RANGE_FORM)
    parts = text.split("-")
    if len(parts) != 2:
        raise CalendarError("bad-hours", f"'{text}' is not a time range", _RANGE_FORM)
    start = _minutes(parts[0].strip(), text, end=False)
    end = _minutes(parts[1].strip(), text, end=True)
    if start == end or (end < start and not overnight):
        what = "is empty" if start == end else "ends before it starts"
        raise CalendarError(
            "bad-hours",
            f"'{text}' {what}",
            "split a range that crosses midnight into two days: '22:00-24:00' and '00:00-06:00'",
        )
    return TimeRange(start=start, end=end)


def parse_hours(spec: object) -> WeeklyHours:
    """Read the ``hours`` of a calendar: ``"24/7"`` or a mapping of days to ranges.

    Keys are ``mon`` to ``sun``, ranges in that order such as ``mon-fri``, and ``daily``.
    A value is a list of ``HH:MM-HH:MM`` (or one such string). A day named by several keys
    gets the ranges of all of them, which must not overlap; ranges that only touch
    (``09:00-12:00`` and ``12:00-13:00``) are joined.

    Raises:
        CalendarError: ``bad-hours`` or ``overlapping-hours``; ``where`` starts with
            ``"hours"``, then the day key and the index in its list.
    """
    if isinstance(spec, str) and spec.strip() == ALWAYS:
        return WeeklyHours.around_the_clock()
    if not isinstance(spec, Mapping):
        raise CalendarError("bad-hours", f"'{spec}' is not a set of hours", _HOURS_FORM, ("hours",))
    seen: list[tuple[int, TimeRange, Where, str]] = []
    for key, value in spec.items():
        days = _days(key)
        entries: Sequence[object]
        if isinstance(value, str):
            entries, paths = (value,), [("hours", key)]
        elif isinstance(value, Sequence):
            entries, paths = value, [("hours", key, i) for i in range(len(value))]
        else:
            raise CalendarError(
                "bad-hours",
                f"the hours of '{key}' must be a list of ranges such as '09:00-18:00'",
                _HOURS_FORM,
                ("hours", key),
            )
        for entry, path in zip(entries, paths, strict=True):
            try:
                time_range = parse_time_range(entry)  # type: ignore[arg-type]
            except CalendarError as error:
                raise error.within(*path) from None
            seen.extend((day, time_range, path, str(entry)) for day in days)
    _check_overlaps(seen)
    per_day: list[list[TimeRange]] = [[] for _ in DAY_KEYS]
    for day, time_range, _, _ in seen:
        per_day[day].append(time_range)
    return WeeklyHours(days=tuple(_joined(ranges) for ranges in per_day))


def _check_overlaps(seen: list[tuple[int, TimeRange, Where, str]]) -> None:
    # Report the clash whose later range comes first in the file, at that later range.
    clashes = []
    for i, (day, a, _, a_text) in enumerate(seen):
        for j in range(i + 1, len(seen)):
            other_day, b, b_where, b_text = seen[j]
            if other_day == day and a.start < b.end and b.start < a.end:
                clashes.append((j, day, a_text, b_text, b_where))
    if clashes:
        _, day, first, second, where = min(clashes)
        raise CalendarError(
            "overlapping-hours",
            f"'{second}' overlaps '{first}' on {DAY_KEYS[day]}",
            None,
            where,
        )


def _joined(ranges: list[TimeRange]) -> tuple[TimeRange, ...]:
    out: list[TimeRange] = []
    for time_range in sorted(ranges):
        if out and out[-1].end == time_range.start:
            out[-1] = TimeRange(start=out[-1].start, end=time_range.end)
        else:
            out.append(time_range)
    return tuple(out)


def _days(key: object) -> tuple[int, ...]:
    if not isinstance(key, str):
        raise CalendarError("bad-hours", f"'{key}' is not a day", _DAY_FORM, ("hours", key))
    if key == DAILY:
        return tuple(range(len(DAY_KEYS)))
    names = key.split("-")
    if len(names) > 2 or not all(name in DAY_KEYS for name in names):
        bad = next((n for n in names if n not in DAY_KEYS), key) if len(names) <= 2 else key
        close = difflib.get_close_matches(bad, (*DAY_KEYS, DAILY), n=1)
        hint = f"did you mean '{close[0]}'? " + _DAY_FORM if close else _DAY_FORM
        raise CalendarError("bad-hours", f"'{key}' is not a day", hint, ("hours", key))
    first, last = DAY_KEYS.index(names[0]), DAY_KEYS.index(names[-1])
    if last < first:
        raise CalendarError(
            "bad-hours",
            f"'{key}' runs backwards",
            f"name days from Monday to Sunday: '{names[0]}-sun' and 'mon-{names[-1]}'",
            ("hours", key),
        )
    return tuple(range(first, last + 1))


def _minutes(text: str, whole: str, *, end: bool) -> int:
    match = _TIME.fullmatch(text)
    if match is None:
        raise CalendarError("bad-hours", f"'{whole}' is not a time range", _RANGE_FORM)
    hours, minutes = int(match[1]), int(match[2])
    value = hours * 60 + minutes
    if minutes > 59 or value > MINUTES_PER_DAY or (value == MINUTES_PER_DAY and not end):
        raise CalendarError("bad-hours", f"'{text}' in '{whole}' is not a time of day", _RANGE_FORM)
    return value


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
