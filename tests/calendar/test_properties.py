"""Properties of the business-time arithmetic, over fixed dates in 2026 (never today).

Moments are whole minutes so that they often fall exactly on opening and closing times,
and some are drawn near the 2026 daylight-saving changes of London and New York. Results
are compared in UTC: Python compares two datetimes of one zone by their wall-clock fields,
which puts 01:30 EDT and 01:30 EST on the morning of 1 November at the same moment.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from estateflow.calendar import Calendar, Duration, Pause, merge_pauses

from .samples import ALL, CN_OFFICE, HK_OFFICE, HK_SECURITY, NEW_YORK_SECURITY

EXAMPLES = settings(max_examples=120, deadline=None)
TINY = timedelta(microseconds=1)
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
#: 2026 clock changes: New York 8 Mar and 1 Nov, London 29 Mar and 25 Oct.
DST_CHANGES = [datetime(2026, m, d, tzinfo=UTC) for m, d in ((3, 8), (3, 29), (10, 25), (11, 1))]

calendars = st.sampled_from(sorted(ALL)).map(ALL.__getitem__)
moments = st.one_of(
    st.integers(0, 365 * 24 * 60).map(lambda m: YEAR_START + timedelta(minutes=m)),
    st.builds(
        lambda change, m: change + timedelta(minutes=m),
        st.sampled_from(DST_CHANGES),
        st.integers(-6 * 24 * 60, 6 * 24 * 60),
    ),
)
measured = st.one_of(
    st.builds(Duration, amount=st.integers(0, 60), unit=st.just("bh")),
    st.builds(Duration, amount=st.integers(0, 3000), unit=st.sampled_from(["m", "s"])),
    st.builds(Duration, amount=st.integers(0, 72), unit=st.just("h")),
    st.builds(Duration, amount=st.integers(0, 10), unit=st.just("d")),
)
business_days = st.builds(Duration, amount=st.integers(0, 12), unit=st.just("bd"))
# (offset from the start, length), in minutes.
pause_shapes = st.lists(st.tuples(st.integers(-3000, 20000), st.integers(0, 3000)), max_size=4)


def u(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def pauses_from(start: datetime, shapes: list[tuple[int, int]]) -> list[Pause]:
    return [
        Pause(start=start + timedelta(minutes=o), end=start + timedelta(minutes=o + n))
        for o, n in shapes
    ]


def paused(moment: datetime, pauses: list[Pause]) -> bool:
    return any(p.start <= moment and (p.end is None or moment < p.end) for p in pauses)


@EXAMPLES
@given(calendars, moments, measured, pause_shapes)
def test_add_then_measure_gives_the_duration_back(calendar: Calendar, start, duration, shapes):
    pauses = pauses_from(start, shapes)
    deadline = calendar.add(start, duration, pauses)
    assert deadline is not None and deadline >= start
    elapsed = calendar.between(start, deadline, pauses, business=duration.business)
    assert elapsed == duration.span


@EXAMPLES
@given(calendars, moments, measured, pause_shapes)
def test_a_deadline_is_the_first_moment_the_duration_is_used_up(
    calendar: Calendar, start, duration, shapes
):
    pauses = pauses_from(start, shapes)
    deadline = calendar.add(start, duration, pauses)
    if not duration.amount:
        return
    just_before = deadline.astimezone(UTC) - TINY
    # Counted time was running right up to the deadline: never in a closed or paused span.
    assert not paused(just_before, pauses)
    if duration.business:
        assert calendar.is_open(just_before)
        assert calendar.is_working_day(just_before.astimezone(calendar.zone).date())


@EXAMPLES
@given(calendars, moments, business_days, pause_shapes)
def test_business_days_land_in_open_time_and_pauses_push_them(
    calendar: Calendar, start, duration, shapes
):
    deadline = calendar.add(start, duration)
    if duration.amount:
        at = deadline.astimezone(UTC)
        assert deadline > start
        assert calendar.is_open(at) or calendar.is_open(at - TINY)
    pauses = pauses_from(start, shapes)
    pushed = calendar.add(start, duration, pauses)
    assert u(pushed) >= u(deadline)
    assert calendar.between(start, pushed, pauses) == calendar.between(start, deadline)


@EXAMPLES
@given(calendars, moments, st.integers(0, 10))
def test_each_business_day_more_is_the_next_working_day(calendar: Calendar, start, count):
    first = calendar.add(start, Duration(amount=count + 1, unit="bd")).date()
    second = calendar.add(start, Duration(amount=count + 2, unit="bd")).date()
    assert second > first and calendar.is_working_day(second)
    assert not any(
        calendar.is_working_day(first + timedelta(days=n)) for n in range(1, (second - first).days)
    )


@EXAMPLES
@given(calendars, moments, measured, st.integers(1, 600))
def test_longer_durations_never_end_sooner(calendar: Calendar, start, duration, more):
    longer = Duration(amount=duration.amount + more, unit=duration.unit)
    assert u(calendar.add(start, longer)) > u(calendar.add(start, duration))


@EXAMPLES
@given(calendars, moments, st.one_of(measured, business_days), moments, pause_shapes)
def test_remaining_agrees_with_the_deadline(calendar: Calendar, start, duration, now, shapes):
    pauses = pauses_from(start, shapes)
    deadline = calendar.add(start, duration, pauses)
    left = calendar.remaining(start, duration, now, pauses)
    assert calendar.remaining(start, duration, deadline, pauses) == timedelta(0)
    if now < deadline:
        assert left > timedelta(0) or now < start or deadline == start
    if left < timedelta(0):
        assert now > deadline


@EXAMPLES
@given(calendars, moments, measured, pause_shapes, st.randoms(use_true_random=False))
def test_pauses_count_the_same_however_they_are_given(
    calendar: Calendar, start, duration, shapes, rng: random.Random
):
    pauses = pauses_from(start, shapes)
    # Shuffled, repeated, and each split in two at its middle.
    split = [
        piece
        for p in pauses
        for piece in (
            Pause(start=p.start, end=p.start + (p.end - p.start) / 2),
            Pause(start=p.start + (p.end - p.start) / 2, end=p.end),
        )
    ]
    shuffled = pauses + split
    rng.shuffle(shuffled)
    assert u(calendar.add(start, duration, shuffled)) == u(calendar.add(start, duration, pauses))
    assert merge_pauses(shuffled) == merge_pauses(pauses)


@EXAMPLES
@given(calendars, moments, moments, moments, pause_shapes, st.booleans())
def test_between_adds_up(calendar: Calendar, a, b, c, shapes, business):
    pauses = pauses_from(a, shapes)
    ab = calendar.between(a, b, pauses, business=business)
    bc = calendar.between(b, c, pauses, business=business)
    assert calendar.between(a, c, pauses, business=business) == ab + bc
    assert abs(ab) <= abs(b - a)


@EXAMPLES
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)))
def test_mainland_working_days_are_chinesecalendars(day):
    # 调休 Saturdays and Sundays are worked; national holidays are not, weekday or not.
    assert CN_OFFICE.is_working_day(day) == chinese_calendar.is_workday(day)


HK_GENERAL_2026 = holidays.HongKong(years=2026, categories=("optional",))


@EXAMPLES
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)))
def test_hong_kong_working_days_skip_general_holidays_and_sundays(day):
    expected = day.weekday() != 6 and day not in HK_GENERAL_2026
    assert HK_OFFICE.is_working_day(day) == expected


@EXAMPLES
@given(st.sampled_from([HK_SECURITY, NEW_YORK_SECURITY]), moments, st.integers(0, 200))
def test_around_the_clock_business_hours_are_real_hours(calendar: Calendar, start, hours):
    business = calendar.add(start, Duration(amount=hours, unit="bh"))
    assert u(business) == u(calendar.add(start, Duration(amount=hours, unit="h")))
    assert u(business) - start == timedelta(hours=hours)
