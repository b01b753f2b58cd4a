"""Business-time helpers, through a calendar the caller passes to ``evaluate``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from estateflow.calendar import Duration, build_calendar
from estateflow.errors import RuleError
from estateflow.rules import compile_rule, evaluate

LONDON = ZoneInfo("Europe/London")
#: Weekdays 09:00-17:00, no public holidays: the arithmetic is easy to follow by hand.
OFFICE = build_calendar(
    name="office", timezone="Europe/London", region=None, hours={"mon-fri": ["09:00-17:00"]}
)
#: Thursday 24 September 2026, 16:00: one open hour left today.
THU_1600 = datetime(2026, 9, 24, 16, 0, tzinfo=LONDON)


def run(source: str, calendar=OFFICE, **env):
    return evaluate(compile_rule(source), {"now": THU_1600, **env}, calendar=calendar)


def test_add_business_hours_skips_closed_time():
    assert run("add_business_hours(now, 2)") == datetime(2026, 9, 25, 10, 0, tzinfo=LONDON)
    assert run("add_business_hours(now, 1.5)") == datetime(2026, 9, 25, 9, 30, tzinfo=LONDON)


def test_add_business_days_keeps_the_time_of_day():
    assert run("add_business_days(now, 1)") == datetime(2026, 9, 25, 16, 0, tzinfo=LONDON)
    assert run("add_business_days(now, 2)") == datetime(2026, 9, 28, 16, 0, tzinfo=LONDON)


def test_business_time_between_counts_open_time_only():
    assert run("business_time_between(now, now + days(1))") == timedelta(hours=8)
    assert run("business_time_between(now, now + days(1)) >= hours(8)") is True


def test_add_duration_takes_literals_and_params():
    assert run("add_duration(now, duration('24bh'))") == datetime(2026, 9, 29, 16, 0, tzinfo=LONDON)
    params = {"resolve_within": {"general": Duration(amount=2, unit="bh")}}
    got = run("add_duration(now, params.resolve_within['general'])", params=params)
    assert got == datetime(2026, 9, 25, 10, 0, tzinfo=LONDON)
    assert run("add_duration(now, hours(1))") == THU_1600 + timedelta(hours=1)


def test_wall_clock_durations_need_no_calendar():
    assert run("add_duration(now, duration('10m'))", calendar=None) == THU_1600 + timedelta(
        minutes=10
    )
    assert run("now + duration('1h')", calendar=None) == THU_1600 + timedelta(hours=1)


def test_business_duration_in_plain_arithmetic_is_refused():
    with pytest.raises(RuleError) as caught:
        run("now + duration('2bh')")
    assert caught.value.code == "rule-type"
    assert "add_duration" in caught.value.message


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("duration('2 hours')", "rule-value"),
        ("duration(2)", "rule-type"),
        ("add_business_hours(today(), 2)", "rule-type"),
        ("add_business_hours(now, 'x')", "rule-type"),
        ("add_business_days(now, 1.5)", "rule-value"),
        ("add_duration(now, 3)", "rule-type"),
        ("add_business_days(now, 99999999)", "rule-value"),
        ("add_business_hours(now, -1)", "rule-value"),
        ("add_business_hours(now, -1.5)", "rule-value"),
    ],
)
def test_helper_errors_are_coded(source, code):
    with pytest.raises(RuleError) as caught:
        run(source)
    assert caught.value.code == code


def test_business_helpers_without_a_calendar_fail_clearly():
    with pytest.raises(RuleError) as caught:
        run("add_business_hours(now, 2)", calendar=None)
    assert caught.value.code == "undefined"
    assert "calendar" in caught.value.message
