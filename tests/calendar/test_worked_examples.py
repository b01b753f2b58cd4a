"""Deadlines worked out by hand, the arithmetic in the comments.

The running example: a general complaint logged on Thursday 24 September 2026 at 17:50,
to be resolved within 24 working hours (``resolve_within.general: 24bh``), across the 2026
Mid-Autumn and National Day holidays. The holiday facts the arithmetic relies on are
checked against the packages first, so a change in the data fails here and not in a sum.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import holidays
import pytest

from estateflow.calendar import Pause, build_calendar, parse_duration

from .samples import (
    CN_OFFICE,
    HK_OFFICE,
    HK_SECURITY,
    HONG_KONG,
    LONDON,
    LONDON_OFFICE,
    NEW_YORK,
    NEW_YORK_SECURITY,
    SHANGHAI,
    at,
)

CN_LOGGED = at(SHANGHAI, 2026, 9, 24, 17, 50)
HK_LOGGED = at(HONG_KONG, 2026, 9, 24, 17, 50)
HOURS = timedelta(hours=1)
MINUTES = timedelta(minutes=1)


# -- the holiday facts, from the packages themselves -----------------------------------------


def test_mainland_2026_mid_autumn_and_national_day_from_chinesecalendar():
    assert chinese_calendar.get_holiday_detail(date(2026, 9, 25)) == (True, "Mid-autumn Festival")
    assert not any(chinese_calendar.is_workday(date(2026, 9, d)) for d in (25, 26, 27))
    assert all(
        chinese_calendar.get_holiday_detail(date(2026, 10, d)) == (True, "National Day")
        for d in range(1, 8)
    )
    # 调休: Sunday 20 September and Saturday 10 October are working days.
    assert date(2026, 9, 20).weekday() == 6 and chinese_calendar.is_workday(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(date(2026, 10, 10))
    ordinary = [date(2026, 9, d) for d in (24, 28, 29, 30)] + [date(2026, 10, d) for d in (8, 9)]
    assert all(chinese_calendar.is_workday(d) for d in ordinary)


def test_hong_kong_2026_general_holidays_from_holidays():
    general = holidays.HongKong(years=2026, categories=("optional",))
    # The day following Mid-Autumn (a Saturday) and National Day; Mid-Autumn itself is not.
    assert date(2026, 9, 26) in general and date(2026, 10, 1) in general
    assert date(2026, 9, 25) not in general
    assert not any(date(2026, 9, d) in general for d in (24, 28, 29, 30))


def test_the_calendars_agree_with_those_facts():
    assert [CN_OFFICE.is_working_day(date(2026, 9, d)) for d in range(24, 31)] == [
        True, False, False, False, True, True, True,
    ]  # fmt: skip
    assert not any(CN_OFFICE.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert CN_OFFICE.is_working_day(date(2026, 10, 10))  # 调休 Saturday
    assert CN_OFFICE.is_working_day(date(2026, 9, 20))  # 调休 Sunday
    assert HK_OFFICE.is_working_day(date(2026, 9, 25))
    assert not HK_OFFICE.is_working_day(date(2026, 9, 26))
    assert HK_OFFICE.is_working_day(date(2026, 10, 3))  # an ordinary Saturday morning


# -- mainland estate: mon-fri 08:30-12:00 and 14:00-17:30 (7 h a day) -------------------------


def test_mainland_complaint_24bh_crosses_mid_autumn_and_national_day():
    # Thu 24 Sep 17:50 is after the 17:30 close:        0 h
    # Fri 25 - Sun 27 Sep Mid-Autumn holiday:             0 h
    # Mon 28, Tue 29, Wed 30 Sep, 7 h each:              21 h   (3 h left)
    # Thu 1 - Wed 7 Oct National Day holiday:             0 h
    # Thu 8 Oct 08:30 + 3 h                            = 11:30
    deadline = CN_OFFICE.add(CN_LOGGED, parse_duration("24bh"))
    assert deadline == at(SHANGHAI, 2026, 10, 8, 11, 30)
    assert deadline.tzinfo == SHANGHAI


def test_mainland_complaint_without_public_holidays_would_be_due_a_week_earlier():
    plain = build_calendar(
        name="office",
        timezone="Asia/Shanghai",
        region=None,
        hours={"mon-fri": ["08:30-12:00", "14:00-17:30"]},
    )
    # Fri 25 Sep 7 h, Mon 28 14 h, Tue 29 21 h; Wed 30 08:30 + 3 h = 11:30
    assert plain.add(CN_LOGGED, parse_duration("24bh")) == at(SHANGHAI, 2026, 9, 30, 11, 30)


def test_mainland_48bh_counts_the_make_up_saturday():
    # 21 h by the close of Wed 30 Sep (as above)
    # Thu 8 Oct 7 h -> 28 h; Fri 9 Oct 7 h -> 35 h
    # Sat 10 Oct, 调休 working day with a weekday's hours: 7 h -> 42 h   (6 h left)
    # Mon 12 Oct: 08:30-12:00 3.5 h (2.5 h left); 14:00 + 2.5 h = 16:30
    assert CN_OFFICE.add(CN_LOGGED, parse_duration("48bh")) == at(SHANGHAI, 2026, 10, 12, 16, 30)
    assert CN_OFFICE.open_intervals(date(2026, 10, 10)) == (
        (at(SHANGHAI, 2026, 10, 10, 8, 30), at(SHANGHAI, 2026, 10, 10, 12)),
        (at(SHANGHAI, 2026, 10, 10, 14), at(SHANGHAI, 2026, 10, 10, 17, 30)),
    )


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        # Logged after hours: counts from the close of Thu 24 Sep.
        # Working days after it: Mon 28 (1), Tue 29 (2), Wed 30 (3) -> close 17:30.
        ("3bd", at(SHANGHAI, 2026, 9, 30, 17, 30)),
        # ... Thu 8 Oct (4), Fri 9 Oct (5).
        ("5bd", at(SHANGHAI, 2026, 10, 9, 17, 30)),
        # ... Sat 10 Oct, the 调休 Saturday, is the 6th.
        ("6bd", at(SHANGHAI, 2026, 10, 10, 17, 30)),
    ],
)
def test_mainland_business_days_from_after_hours(literal, expected):
    assert CN_OFFICE.add(CN_LOGGED, parse_duration(literal)) == expected


def test_mainland_business_day_from_inside_hours_keeps_the_time_of_day():
    # Mon 28 Sep 10:15 is 1 h 45 m into the day; the working day after is Tue 29 -> 10:15.
    assert CN_OFFICE.add(at(SHANGHAI, 2026, 9, 28, 10, 15), parse_duration("1bd")) == at(
        SHANGHAI, 2026, 9, 29, 10, 15
    )
    # Wed 30 Sep 15:00; the next working day is Thu 8 Oct -> 15:00.
    assert CN_OFFICE.add(at(SHANGHAI, 2026, 9, 30, 15), parse_duration("1bd")) == at(
        SHANGHAI, 2026, 10, 8, 15
    )
    # In the lunch break (12:40) the day's position is the end of the morning: 12:00.
    assert CN_OFFICE.add(at(SHANGHAI, 2026, 9, 28, 12, 40), parse_duration("1bd")) == at(
        SHANGHAI, 2026, 9, 29, 12
    )


# -- Hong Kong estate: mon-fri 09:00-12:00 and 13:00-18:00 (8 h), sat 09:00-12:00 (3 h) --------


def test_hong_kong_complaint_24bh_skips_the_day_following_mid_autumn():
    # Thu 24 Sep 17:50-18:00:                 10 m   (23 h 50 m left)
    # Fri 25 Sep (Mid-Autumn, not a holiday): 8 h    (15 h 50 m left)
    # Sat 26 Sep, day following Mid-Autumn:   0      (its 3 h are lost)
    # Sun 27 Sep, no hours:                   0
    # Mon 28 Sep:                             8 h    (7 h 50 m left)
    # Tue 29 Sep: 09:00-12:00 3 h (4 h 50 m left); 13:00 + 4 h 50 m = 17:50
    assert HK_OFFICE.add(HK_LOGGED, parse_duration("24bh")) == at(HONG_KONG, 2026, 9, 29, 17, 50)


def test_hong_kong_business_days():
    # 17:50 is 7 h 50 m into Thu's 8 h. Working days after Thu 24: Fri 25 (1);
    # Sat 26 is a holiday and Sun 27 has no hours; Mon 28 (2); Tue 29 (3) -> 17:50.
    assert HK_OFFICE.add(HK_LOGGED, parse_duration("3bd")) == at(HONG_KONG, 2026, 9, 29, 17, 50)
    # From Fri 2 Oct 17:50 (7 h 50 m in), 1bd is Sat 3 Oct, capped at its 3 h: 12:00.
    assert HK_OFFICE.add(at(HONG_KONG, 2026, 10, 2, 17, 50), parse_duration("1bd")) == at(
        HONG_KONG, 2026, 10, 3, 12
    )


# -- typhoon signal 8: an estate-wide pause of 2 hours ------------------------------------------


def test_typhoon_inside_working_time_pushes_the_deadline_by_two_working_hours():
    typhoon = Pause(start=at(HONG_KONG, 2026, 9, 28, 10), end=at(HONG_KONG, 2026, 9, 28, 12))
    # As above until Mon 28 Sep (15 h 50 m left), which now counts
    # 09:00-10:00 and 13:00-18:00 = 6 h                     (9 h 50 m left)
    # Tue 29 Sep: 8 h                                       (1 h 50 m left)
    # Wed 30 Sep: 09:00 + 1 h 50 m = 10:50
    deadline = HK_OFFICE.add(HK_LOGGED, parse_duration("24bh"), [typhoon])
    assert deadline == at(HONG_KONG, 2026, 9, 30, 10, 50)


def test_typhoon_outside_working_time_changes_nothing():
    evening = Pause(start=at(HONG_KONG, 2026, 9, 28, 19), end=at(HONG_KONG, 2026, 9, 28, 21))
    sunday = Pause(start=at(HONG_KONG, 2026, 9, 27, 10), end=at(HONG_KONG, 2026, 9, 27, 12))
    # Neither span holds open time, so the deadline stays Tue 29 Sep 17:50.
    for pause in (evening, sunday):
        assert HK_OFFICE.add(HK_LOGGED, parse_duration("24bh"), [pause]) == at(
            HONG_KONG, 2026, 9, 29, 17, 50
        )


def test_typhoon_across_lunch_costs_only_the_open_hour():
    lunch = Pause(start=at(HONG_KONG, 2026, 9, 28, 11), end=at(HONG_KONG, 2026, 9, 28, 13))
    # Only 11:00-12:00 was open: 1 h more. Tue 29 17:50-18:00 10 m (50 m left);
    # Wed 30 Sep 09:00 + 50 m = 09:50.
    assert HK_OFFICE.add(HK_LOGGED, parse_duration("24bh"), [lunch]) == at(
        HONG_KONG, 2026, 9, 30, 9, 50
    )


def test_typhoon_stops_wall_clock_deadlines_too():
    # A major complaint is forwarded within 10 minutes; a black rainstorm stops the clocks
    # 17:55-18:25. 17:50 + 5 m = 17:55, paused 30 m, then 5 m more: 18:30.
    rain = Pause(start=at(HONG_KONG, 2026, 9, 24, 17, 55), end=at(HONG_KONG, 2026, 9, 24, 18, 25))
    assert HK_OFFICE.add(HK_LOGGED, parse_duration("10m"), [rain]) == at(
        HONG_KONG, 2026, 9, 24, 18, 30
    )
    # Security works 24/7: the same pause pushes its 2 hours by its 30 minutes too.
    assert HK_SECURITY.add(HK_LOGGED, parse_duration("2bh"), [rain]) == at(
        HONG_KONG, 2026, 9, 24, 20, 20
    )


# -- remaining -----------------------------------------------------------------------------


def test_remaining_with_a_typhoon_and_when_overdue():
    typhoon = Pause(start=at(HONG_KONG, 2026, 9, 28, 10), end=at(HONG_KONG, 2026, 9, 28, 12))
    # Used by Mon 28 Sep 12:00: Thu 10 m + Fri 8 h + Mon 09:00-10:00 1 h = 9 h 10 m.
    left = HK_OFFICE.remaining(
        HK_LOGGED, parse_duration("24bh"), at(HONG_KONG, 2026, 9, 28, 12), [typhoon]
    )
    assert left == 14 * HOURS + 50 * MINUTES
    # Due Tue 29 17:50 without the typhoon; at Wed 30 10:00 it is overdue by
    # Tue 17:50-18:00 10 m + Wed 09:00-10:00 1 h = 1 h 10 m of working time.
    late = HK_OFFICE.remaining(HK_LOGGED, parse_duration("24bh"), at(HONG_KONG, 2026, 9, 30, 10))
    assert late == -(1 * HOURS + 10 * MINUTES)


def test_a_pause_still_running_freezes_the_clock():
    waiting = Pause(start=at(HONG_KONG, 2026, 9, 28, 10), end=None)
    assert HK_OFFICE.add(HK_LOGGED, parse_duration("24bh"), [waiting]) is None
    # Frozen at what was left at Mon 10:00: 24 h - (10 m + 8 h + 1 h) = 14 h 50 m.
    for now in (at(HONG_KONG, 2026, 9, 28, 11), at(HONG_KONG, 2026, 12, 1, 9)):
        left = HK_OFFICE.remaining(HK_LOGGED, parse_duration("24bh"), now, [waiting])
        assert left == 14 * HOURS + 50 * MINUTES


# -- daylight saving --------------------------------------------------------------------------


def test_london_office_across_the_spring_change():
    # Clocks go forward on Sun 29 Mar 2026. Fri 27 Mar 16:00 GMT: 16:00-17:00 1 h;
    # Mon 30 Mar 09:00 BST + 1 h = 10:00 BST (09:00 UTC).
    start = at(LONDON, 2026, 3, 27, 16)
    deadline = LONDON_OFFICE.add(start, parse_duration("2bh"))
    assert deadline == at(LONDON, 2026, 3, 30, 10)
    assert deadline.utcoffset() == HOURS
    # Wall time from Fri 16:00 UTC to Mon 09:00 UTC is 65 h, one less than the clocks say.
    assert LONDON_OFFICE.between(start, deadline, business=False) == 65 * HOURS


def test_new_york_security_across_the_spring_change():
    # Clocks jump from 02:00 to 03:00 on Sun 8 Mar 2026. From Sat 7 Mar 12:00 EST:
    start = at(NEW_YORK, 2026, 3, 7, 12)
    # 24 business hours of a 24/7 calendar are 24 real hours: Sun 13:00 EDT.
    assert NEW_YORK_SECURITY.add(start, parse_duration("24bh")) == at(NEW_YORK, 2026, 3, 8, 13)
    assert NEW_YORK_SECURITY.add(start, parse_duration("1d")) == at(NEW_YORK, 2026, 3, 8, 13)
    # 1bd is the same local time on the next day, 23 real hours later: Sun 12:00 EDT.
    one_day = NEW_YORK_SECURITY.add(start, parse_duration("1bd"))
    assert one_day == at(NEW_YORK, 2026, 3, 8, 12)
    assert NEW_YORK_SECURITY.between(start, one_day) == 23 * HOURS


def test_new_york_day_lengths_on_the_change_days():
    whole_days = build_calendar(
        name="desk", timezone="America/New_York", region=None, hours={"daily": ["00:00-24:00"]}
    )
    spring = whole_days.between(at(NEW_YORK, 2026, 3, 8), at(NEW_YORK, 2026, 3, 9))
    autumn = whole_days.between(at(NEW_YORK, 2026, 11, 1), at(NEW_YORK, 2026, 11, 2))
    assert (spring, autumn) == (23 * HOURS, 25 * HOURS)
    small_hours = build_calendar(
        name="desk",
        timezone="America/New_York",
        region=None,
        hours={"sun": ["01:00-02:00", "02:30-04:00"]},
    )
    # Spring: 01:00-02:00 EST is 1 h; 02:30 does not exist, so the second range opens
    # when the clocks jump to 03:00 EDT and lasts 1 h.
    (first, second) = small_hours.open_intervals(date(2026, 3, 8))
    assert second[0] == at(NEW_YORK, 2026, 3, 8, 3) and _length(second) == HOURS
    assert _length(first) == HOURS
    # Autumn: 01:00 EDT to 02:00 EST holds the repeated hour, 2 h in all.
    (first, _) = small_hours.open_intervals(date(2026, 11, 1))
    assert first[1].utcoffset() == -5 * HOURS
    assert _length(first) == 2 * HOURS


def _length(interval: tuple[datetime, datetime]) -> timedelta:
    # In UTC: subtracting two datetimes of one zone ignores a clock change between them.
    return interval[1].astimezone(UTC) - interval[0].astimezone(UTC)
