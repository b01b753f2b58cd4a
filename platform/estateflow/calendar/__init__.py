"""Business time: calendars, public holidays of four regions, pauses, duration arithmetic.

Layer: just above ``errors``, below ``rules``; pure (no clock, no database, no asyncio), and
it imports nothing of ours but :mod:`estateflow.errors`. The holiday data comes from the
pinned ``chinesecalendar`` (mainland China, with its 调休 working days) and ``holidays``
(Hong Kong, Macau, Taiwan) packages, so results depend on their versions, never on today.

A :class:`Calendar` says when one part of an estate is open (office hours with breaks per
weekday, or ``24/7``) in its timezone, closes it on the region's public holidays and the
estate's own closed days, and does deadline arithmetic over it: :meth:`Calendar.add`,
:meth:`Calendar.between`, :meth:`Calendar.remaining`, whose clocks stop during a :class:`Pause`.
Problems with what a definition wrote raise :class:`CalendarError` with a registered code
and the path to the faulty value.
"""

from estateflow.calendar._calendar import MAX_CLOSED_DAYS, Calendar, build_calendar, check_timezone
from estateflow.calendar._duration import (
    MAX_DURATION,
    UNITS,
    Duration,
    Unit,
    is_duration_literal,
    parse_duration,
)
from estateflow.calendar._errors import CalendarError, DurationError
from estateflow.calendar._holidays import (
    REGIONS,
    check_region,
    holiday_years,
    missing_holiday_years,
)
from estateflow.calendar._hours import (
    ALWAYS,
    DAILY,
    DAY_KEYS,
    TimeRange,
    WeeklyHours,
    parse_hours,
    parse_time_range,
)
from estateflow.calendar._pause import Pause, merge_pauses

__all__ = (
    "ALWAYS",
    "DAILY",
    "DAY_KEYS",
    "MAX_CLOSED_DAYS",
    "MAX_DURATION",
    "REGIONS",
    "UNITS",
    "Calendar",
    "CalendarError",
    "Duration",
    "DurationError",
    "Pause",
    "TimeRange",
    "Unit",
    "WeeklyHours",
    "build_calendar",
    "check_region",
    "check_timezone",
    "holiday_years",
    "is_duration_literal",
    "merge_pauses",
    "missing_holiday_years",
    "parse_duration",
    "parse_hours",
    "parse_time_range",
)
