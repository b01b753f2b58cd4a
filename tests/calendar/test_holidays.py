from __future__ import annotations

from datetime import date

import chinese_calendar
import holidays
import pytest

from estateflow.calendar import REGIONS, CalendarError, holiday_years, missing_holiday_years

from .samples import HK_OFFICE, MO_OFFICE, TW_OFFICE


def test_mainland_years_are_those_chinesecalendar_was_edited_for():
    years = holiday_years("CN")
    assert 2026 in years and 2004 in years
    assert 2003 not in years
    # Exactly the years the package accepts; any other year makes it raise.
    for year in (min(years) - 1, max(years) + 1):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(date(year, 6, 1))
    assert years == frozenset(range(min(years), max(years) + 1))


@pytest.mark.parametrize("region", ["HK", "MO", "TW"])
def test_sar_and_taiwan_years_come_from_the_law_the_package_computes(region):
    years = holiday_years(region)
    assert {2026, 2027, 2050} <= years
    assert 2101 not in years


def test_missing_years_for_the_lint_warning():
    newest = max(holiday_years("CN"))
    assert missing_holiday_years("CN", [2026, newest + 1, 2026, 2099]) == (newest + 1, 2099)
    assert missing_holiday_years("HK", [2026, 2027]) == ()
    assert missing_holiday_years("TW", []) == ()


@pytest.mark.parametrize("region", ["SG", "hk", "", "China"])
def test_unknown_region(region):
    with pytest.raises(CalendarError) as caught:
        holiday_years(region)
    assert caught.value.code == "unknown-region"
    assert caught.value.where == ("region",)
    assert "CN, HK, MO, TW" in caught.value.hint


def test_lower_case_region_gets_a_suggestion():
    with pytest.raises(CalendarError) as caught:
        holiday_years("hk")
    error = caught.value
    assert error.hint.startswith("did you mean 'HK'?")
    assert REGIONS == ("CN", "HK", "MO", "TW")


def test_hong_kong_uses_the_general_holidays_offices_close_on():
    # Good Friday is a general holiday but not a statutory one.
    assert date(2026, 4, 3) in holidays.HongKong(years=2026, categories=("optional",))
    assert date(2026, 4, 3) not in holidays.HongKong(years=2026)
    assert not HK_OFFICE.is_working_day(date(2026, 4, 3))
    assert not HK_OFFICE.is_working_day(date(2026, 4, 4))  # the day following, a Saturday
    assert HK_OFFICE.is_working_day(date(2026, 4, 2))


def test_macau_and_taiwan_2026():
    # Macau: the day following National Day; a Tuesday-to-Saturday office.
    assert not MO_OFFICE.is_working_day(date(2026, 10, 2))
    assert MO_OFFICE.is_working_day(date(2026, 10, 3))
    assert not MO_OFFICE.is_working_day(date(2026, 10, 5))  # Monday: no hours
    # Taiwan: National Day falls on Saturday 10 Oct, observed Friday 9 Oct.
    assert not TW_OFFICE.is_working_day(date(2026, 10, 9))
    assert TW_OFFICE.is_working_day(date(2026, 10, 8))
    # Taiwan's 2024 make-up working Saturday (補行上班) is worked.
    assert date(2024, 2, 17) in holidays.Taiwan(years=2024).weekend_workdays
    assert TW_OFFICE.is_working_day(date(2024, 2, 17))
    # The estate's own closed day.
    assert not TW_OFFICE.is_working_day(date(2026, 12, 24))
