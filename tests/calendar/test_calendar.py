from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from estateflow.calendar import (
    MAX_CLOSED_DAYS,
    Calendar,
    CalendarError,
    Pause,
    build_calendar,
    parse_duration,
    parse_hours,
)
from estateflow.errors import CODES, SourceSpan
from estateflow.errors.codes import CALENDAR

from .samples import CN_OFFICE, HK_OFFICE, HK_SECURITY, HONG_KONG, SHANGHAI, at

WEEKDAYS = {"mon-fri": ["09:00-12:00", "13:00-18:00"]}


def build(**changes):
    args = {"name": "office", "timezone": "Asia/Hong_Kong", "hours": WEEKDAYS, "region": "HK"}
    return build_calendar(**{**args, **changes})


@pytest.mark.parametrize(
    ("timezone", "suggestion"),
    [
        ("asia/hong_kong", "Asia/Hong_Kong"),
        ("Asia/Hong Kong", "Asia/Hong_Kong"),
        ("Asia/Beijing", None),
        ("", None),
        ("../../etc/passwd", None),
        ("localtime", None),
    ],
)
def test_unknown_timezone(timezone, suggestion):
    with pytest.raises(CalendarError) as caught:
        build(timezone=timezone)
    error = caught.value
    assert (error.code, error.where) == ("unknown-timezone", ("timezone",))
    assert error.message == f"'{timezone}' is not a timezone"
    if suggestion:
        assert error.hint.startswith(f"did you mean '{suggestion}'?")


def test_unknown_region():
    with pytest.raises(CalendarError) as caught:
        build(region="XX")
    error = caught.value
    assert (error.code, error.where) == ("unknown-region", ("region",))


@pytest.mark.parametrize("hours", [{}, {"mon-fri": []}, {"daily": []}])
def test_a_calendar_that_never_opens(hours):
    with pytest.raises(CalendarError) as caught:
        build(hours=hours)
    error = caught.value
    assert (error.code, error.where) == ("no-working-time", ("hours",))


def test_bad_hours_keep_their_path():
    with pytest.raises(CalendarError) as caught:
        build(hours={"sat": ["12:00-09:00"]})
    error = caught.value
    assert (error.code, error.where) == ("bad-hours", ("hours", "sat", 0))


def test_a_date_both_closed_and_open():
    with pytest.raises(CalendarError) as caught:
        build(
            closed=[date(2026, 12, 24), date(2026, 12, 31)],
            open=[date(2026, 12, 28), date(2026, 12, 31)],
        )
    error = caught.value
    assert (error.code, error.where) == ("closed-and-open", ("open", 1))
    assert error.message == "2026-12-31 is listed both as closed and as open"


def test_direct_construction_is_checked_too():
    with pytest.raises(CalendarError, match="unknown-timezone"):
        Calendar(name="x", timezone="Mars/Olympus", hours=parse_hours("24/7"))
    with pytest.raises(CalendarError, match="closed-and-open"):
        Calendar(
            name="x",
            timezone="UTC",
            hours=parse_hours("24/7"),
            closed=frozenset({date(2026, 1, 1)}),
            open=frozenset({date(2026, 1, 1)}),
        )


def test_dates_must_be_dates():
    with pytest.raises(TypeError):
        build(closed=[datetime(2026, 12, 24, tzinfo=UTC)])
    with pytest.raises(TypeError):
        HK_OFFICE.is_working_day(datetime(2026, 12, 24, tzinfo=UTC))  # type: ignore[arg-type]


def test_calendar_error_is_data_for_the_definitions_layer():
    error = CalendarError("overlapping-hours", "'a' overlaps 'b' on mon", where=("hours", "mon", 1))
    assert error.hint == CODES["overlapping-hours"].hint
    deeper = error.within("calendars", "office")
    assert deeper.where == ("calendars", "office", "hours", "mon", 1)
    copy = pickle.loads(pickle.dumps(deeper))
    assert (copy.code, copy.message, copy.hint, copy.where) == (
        deeper.code,
        deeper.message,
        deeper.hint,
        deeper.where,
    )
    diagnostic = error.diagnostic(SourceSpan(path="estate.yaml", line=9, col=39))
    assert str(diagnostic) == "estate.yaml:9:39: overlapping-hours: 'a' overlaps 'b' on mon"
    warning = CalendarError("no-holiday-data", "no data for 2099").diagnostic(
        SourceSpan(path="e.yaml", line=1, col=1), severity="warning"
    )
    assert not warning.is_error


# -- which days are worked ---------------------------------------------------------------------


def test_the_estate_lists_come_before_the_region():
    estate = build_calendar(
        name="office",
        timezone="Asia/Shanghai",
        region="CN",
        hours={"mon-fri": ["09:00-17:00"], "sat": ["09:00-12:00"]},
        closed=[date(2026, 10, 10), date(2026, 9, 29)],
        open=[date(2026, 10, 2), date(2026, 10, 11)],
    )
    assert not estate.is_working_day(date(2026, 10, 10))  # closed beats 调休
    assert not estate.is_working_day(date(2026, 9, 29))  # an ordinary Tuesday, closed
    # Open days are worked as full working days, whatever their weekday.
    for day in (date(2026, 10, 2), date(2026, 10, 11)):
        ymd = (day.year, day.month, day.day)
        assert estate.open_intervals(day) == ((at(SHANGHAI, *ymd, 9), at(SHANGHAI, *ymd, 17)),)
    # A 调休 Saturday too, although Saturday usually closes at noon.
    assert estate.open_intervals(date(2026, 9, 20))[0][1] == at(SHANGHAI, 2026, 9, 20, 17)


def test_years_the_package_does_not_know_follow_the_estate_lists():
    # 1 Oct 2027 is a Friday; chinesecalendar has no 2027 data, so the weekday hours apply
    # unless the estate closes it.
    assert CN_OFFICE.is_working_day(date(2027, 10, 1))
    estate = build_calendar(
        name="office",
        timezone="Asia/Shanghai",
        region="CN",
        hours={"mon-fri": ["09:00-17:00"]},
        closed=[date(2027, 10, 1)],
        open=[date(2027, 9, 26)],
    )
    assert not estate.is_working_day(date(2027, 10, 1))
    assert estate.is_working_day(date(2027, 9, 26))  # a Sunday the estate works


def test_around_the_clock_ignores_holidays():
    assert HK_SECURITY.is_working_day(date(2026, 10, 1))
    assert HK_SECURITY.is_open(at(HONG_KONG, 2026, 10, 1, 3, 0))
    closed_night = build(hours={"daily": ["00:00-24:00"]})
    assert not closed_night.is_working_day(date(2026, 10, 1))


def test_is_open_includes_the_start_of_a_range_and_not_its_end():
    assert HK_OFFICE.is_open(at(HONG_KONG, 2026, 9, 24, 9))
    assert HK_OFFICE.is_open(at(HONG_KONG, 2026, 9, 24, 11, 59))
    assert not HK_OFFICE.is_open(at(HONG_KONG, 2026, 9, 24, 12))
    assert not HK_OFFICE.is_open(at(HONG_KONG, 2026, 9, 26, 10))  # holiday
    assert HK_OFFICE.is_open(datetime(2026, 9, 24, 1, 30, tzinfo=UTC))  # 09:30 in Hong Kong


def test_results_come_back_in_the_calendar_timezone():
    start = datetime(2026, 9, 24, 9, 50, tzinfo=UTC)  # 17:50 in Hong Kong
    deadline = HK_OFFICE.add(start, parse_duration("10m"))
    assert deadline.tzinfo == HONG_KONG and deadline == at(HONG_KONG, 2026, 9, 24, 18)


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 9, 24, 17, 50)
    aware = at(HONG_KONG, 2026, 9, 24, 17, 50)
    one_hour = parse_duration("1bh")
    with pytest.raises(TypeError, match="timezone-aware"):
        HK_OFFICE.add(naive, one_hour)
    with pytest.raises(TypeError):
        HK_OFFICE.between(aware, naive)
    with pytest.raises(TypeError):
        HK_OFFICE.remaining(aware, one_hour, naive)
    with pytest.raises(TypeError):
        HK_OFFICE.is_open(naive)
    with pytest.raises(TypeError):
        Pause(start=naive, end=None)


def test_between_runs_backwards_and_can_count_wall_time():
    start, end = at(HONG_KONG, 2026, 9, 24, 17), at(HONG_KONG, 2026, 9, 25, 10)
    # Thu 17:00-18:00 and Fri 09:00-10:00.
    assert HK_OFFICE.between(start, end) == timedelta(hours=2)
    assert HK_OFFICE.between(end, start) == -timedelta(hours=2)
    assert HK_OFFICE.between(start, end, business=False) == timedelta(hours=17)


def test_zero_durations_end_where_they_start():
    sunday = at(HONG_KONG, 2026, 9, 27, 10)
    for literal in ("0bh", "0bd", "0m"):
        assert HK_OFFICE.add(sunday, parse_duration(literal)) == sunday
        assert HK_OFFICE.remaining(sunday, parse_duration(literal), sunday) == timedelta(0)


def test_remaining_for_business_days():
    # 3bd from Thu 24 Sep 17:50 is due Tue 29 Sep 17:50: 10 m + 8 h + 8 h + 7 h 50 m = 24 h.
    start = at(HONG_KONG, 2026, 9, 24, 17, 50)
    assert HK_OFFICE.remaining(start, parse_duration("3bd"), start) == timedelta(hours=24)
    assert HK_OFFICE.remaining(
        start, parse_duration("3bd"), at(HONG_KONG, 2026, 9, 29, 17, 50)
    ) == timedelta(0)


def test_twenty_years_without_open_time_give_up():
    mondays = [date(2026, 1, 5) + timedelta(weeks=w) for w in range(MAX_CLOSED_DAYS // 7 + 60)]
    mondays_only = build_calendar(
        name="odd", timezone="UTC", region=None, hours={"mon": ["09:00-10:00"]}, closed=mondays
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(CalendarError) as caught:
        mondays_only.add(start, parse_duration("1bh"))
    assert caught.value.code == "no-working-time"
    with pytest.raises(CalendarError):
        mondays_only.add(start, parse_duration("1bd"))
    # A bounded question still has an answer.
    assert mondays_only.between(start, start + timedelta(days=30)) == timedelta(0)


def test_every_calendar_code_is_registered():
    for code in (
        "bad-duration",
        "bad-hours",
        "overlapping-hours",
        "unknown-region",
        "unknown-timezone",
        "no-working-time",
        "no-holiday-data",
        "business-without-calendar",
        "closed-and-open",
    ):
        assert code in CODES, code
        assert CODES[code].hint, code


BAD_CASES = Path(__file__).parents[1] / "definitions" / "bad"
#: Codes whose bad case needs more than one file (a procedure and an estate).
NEEDS_TWO_FILES = {"business-without-calendar"}


def test_every_calendar_code_has_a_bad_case():
    declared = {
        path.read_text(encoding="utf-8").split()[2] for path in BAD_CASES.glob("calendar-*.yaml")
    }
    assert {code.code for code in CALENDAR} - NEEDS_TWO_FILES <= declared
