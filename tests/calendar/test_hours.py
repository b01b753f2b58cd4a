from __future__ import annotations

import pytest

from estateflow.calendar import (
    ALWAYS,
    CalendarError,
    TimeRange,
    WeeklyHours,
    parse_hours,
    parse_time_range,
)


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def span(text: str) -> TimeRange:
    start, end = text.split("-")
    return TimeRange(start=minutes(start), end=minutes(end))


def test_weekday_ranges_and_a_saturday_morning():
    hours = parse_hours({"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": ["09:00-12:00"]})
    assert hours.on(0) == hours.on(4) == (span("09:00-12:00"), span("13:00-18:00"))
    assert hours.on(5) == (span("09:00-12:00"),)
    assert hours.on(6) == ()
    assert not hours.always
    assert str(hours) == (
        "{mon: [09:00-12:00, 13:00-18:00], tue: [09:00-12:00, 13:00-18:00], "
        "wed: [09:00-12:00, 13:00-18:00], thu: [09:00-12:00, 13:00-18:00], "
        "fri: [09:00-12:00, 13:00-18:00], sat: [09:00-12:00]}"
    )


def test_around_the_clock():
    hours = parse_hours("24/7")
    assert hours.always and hours == WeeklyHours.around_the_clock()
    assert all(day == (TimeRange(start=0, end=1440),) for day in hours.days)
    assert str(hours) == ALWAYS


def test_daily_single_strings_and_end_of_day():
    hours = parse_hours({"daily": "22:00-24:00", "sun": ["8:00-9:30"]})
    assert hours.on(2) == (span("22:00-24:00"),)
    assert hours.on(6) == (span("08:00-09:30"), span("22:00-24:00"))
    assert str(span("22:00-24:00")) == "22:00-24:00"


def test_touching_ranges_are_joined_and_keys_add_up():
    hours = parse_hours({"mon-fri": ["09:00-12:00", "12:00-13:00"], "fri": ["14:00-16:00"]})
    assert hours.on(0) == (span("09:00-13:00"),)
    assert hours.on(4) == (span("09:00-13:00"), span("14:00-16:00"))


def test_workday_hours_are_the_first_weekday_with_hours():
    assert parse_hours({"tue-sat": ["10:00-13:00"]}).workday == (span("10:00-13:00"),)
    assert parse_hours({"sat-sun": ["10:00-11:00"]}).workday == (span("10:00-11:00"),)
    assert parse_hours({}).is_empty


@pytest.mark.parametrize(
    ("spec", "code", "where", "message"),
    [
        (
            {"mon-fri": ["09:00-12:00", "18:00-13:00"]},
            "bad-hours",
            ("hours", "mon-fri", 1),
            "'18:00-13:00' ends before it starts",
        ),
        ({"mon": ["9am-6pm"]}, "bad-hours", ("hours", "mon", 0), "'9am-6pm' is not a time range"),
        (
            {"mon": ["09:00-25:00"]},
            "bad-hours",
            ("hours", "mon", 0),
            "'25:00' in '09:00-25:00' is not a time of day",
        ),
        (
            {"mon": ["24:00-24:00"]},
            "bad-hours",
            ("hours", "mon", 0),
            "'24:00' in '24:00-24:00' is not a time of day",
        ),
        ({"mon": ["09:00-09:00"]}, "bad-hours", ("hours", "mon", 0), "'09:00-09:00' is empty"),
        ({"mon": ["09:60-10:00"]}, "bad-hours", ("hours", "mon", 0), None),
        ({"mon": ["09:00-10:00-11:00"]}, "bad-hours", ("hours", "mon", 0), None),
        ({"mon-fry": ["09:00-18:00"]}, "bad-hours", ("hours", "mon-fry"), "'mon-fry' is not a day"),
        (
            {"fri-mon": ["09:00-18:00"]},
            "bad-hours",
            ("hours", "fri-mon"),
            "'fri-mon' runs backwards",
        ),
        ({"mon": 9}, "bad-hours", ("hours", "mon"), None),
        ({"mon": [900]}, "bad-hours", ("hours", "mon", 0), None),
        ("24x7", "bad-hours", ("hours",), "'24x7' is not a set of hours"),
        (None, "bad-hours", ("hours",), None),
        (
            {"mon-fri": ["09:00-12:30", "12:00-18:00"]},
            "overlapping-hours",
            ("hours", "mon-fri", 1),
            "'12:00-18:00' overlaps '09:00-12:30' on mon",
        ),
        (
            {"daily": ["08:00-12:00"], "sat": ["07:00-09:00"]},
            "overlapping-hours",
            ("hours", "sat", 0),
            "'07:00-09:00' overlaps '08:00-12:00' on sat",
        ),
    ],
)
def test_bad_hours_are_located(spec, code, where, message):
    with pytest.raises(CalendarError) as caught:
        parse_hours(spec)
    error = caught.value
    assert (error.code, error.where) == (code, where)
    if message is not None:
        assert error.message == message
    assert error.hint and not error.message.endswith(".")


def test_unknown_day_suggests_the_nearest():
    with pytest.raises(CalendarError) as caught:
        parse_hours({"mon-fry": ["09:00-18:00"]})
    error = caught.value
    assert error.hint.startswith("did you mean 'fri'?")


def test_overnight_ranges_only_for_shifts():
    night = parse_time_range("19:00-07:00", overnight=True)
    assert night.overnight and night.minutes == 12 * 60
    assert not parse_time_range("07:00-19:00").overnight
    with pytest.raises(CalendarError, match="ends before it starts"):
        parse_time_range("19:00-07:00")
