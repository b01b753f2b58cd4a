"""Public holidays and make-up working days of the four regions, from the pinned packages.

Mainland China comes from ``chinesecalendar``, which is edited by hand each year from the
State Council's notice and so knows the 调休 working days; Hong Kong, Macau and Taiwan
come from ``holidays``, which computes them from each region's law.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import chinese_calendar
import holidays as holidays_package

from estateflow.calendar._errors import CalendarError

#: Regions whose public holidays EstateFlow knows.
REGIONS = ("CN", "HK", "MO", "TW")

#: Fixed-date national holidays that a year's data must list for the year to count as
#: covered (where one falls on a Sunday, Hong Kong and Macau list the day after instead).
_ANCHORS: dict[str, tuple[tuple[int, int], ...]] = {
    "CN": ((1, 1), (5, 1), (10, 1)),
    "HK": ((1, 1), (7, 1), (10, 1), (12, 25)),
    "MO": ((1, 1), (10, 1), (12, 20)),
    "TW": ((1, 1), (10, 10)),
}
#: ``holidays`` categories whose days an estate office is closed on. Hong Kong and Macau:
#: the general (public) holidays that government offices and banks close on, which the
#: package files as "optional" (its "public" are the fewer statutory holidays of labour
#: law). Taiwan: the DGPA calendar of days off, observed days included.
_CATEGORIES = {"HK": ("optional",), "MO": ("optional",), "TW": ("public",)}
_ESTIMATED = "estimated"


def check_region(region: str) -> None:
    """Raise ``unknown-region`` unless ``region`` is one of :data:`REGIONS`."""
    if region in REGIONS:
        return
    close = [r for r in REGIONS if r == str(region).upper()] or difflib.get_close_matches(
        str(region), REGIONS, n=1
    )
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise CalendarError(
        "unknown-region",
        f"'{region}' is not a region with holiday data",
        f"{hint}use one of {', '.join(REGIONS)}",
        ("region",),
    )


def holiday_years(region: str) -> frozenset[int]:
    """The years for which the package holds ``region``'s public holidays.

    A year counts as covered when the package lists every fixed-date national holiday of
    the region for it (New Year's Day and National Day everywhere; Labour Day for the
    mainland; SAR Establishment Day and Christmas for Hong Kong; SAR Establishment Day for
    Macau) and marks none of that year's dates as estimated. For the mainland this is
    exactly the years ``chinesecalendar`` has been edited for (it raises for any other);
    ``holidays`` computes the SARs and Taiwan from their law up to its ``end_year``, so
    one-off decisions for years after its release (an extra day off, a Taiwanese bridge
    holiday) still have to come from the estate's own ``closed`` and ``open`` lists.

    Raises:
        CalendarError: ``unknown-region``.
    """
    check_region(region)
    return _covered_years(region)


def missing_holiday_years(region: str, years: Iterable[int]) -> tuple[int, ...]:
    """Those of ``years`` that :func:`holiday_years` does not cover, sorted, for the
    ``no-holiday-data`` warning. In them the estate's own lists decide alone."""
    covered = holiday_years(region)
    return tuple(sorted({year for year in years if year not in covered}))


@cache
def region_days(region: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """``(closed, working)``: the region's public holidays in ``year``, and the weekend
    days worked in their place (调休 / 補行上班). Both empty for a year not covered."""
    if year not in _covered_years(region):
        return frozenset(), frozenset()
    if region == "CN":
        closed = frozenset(d for d in chinese_calendar.holidays if d.year == year)
        working = frozenset(d for d in chinese_calendar.workdays if d.year == year)
        return closed, working
    table = _package_year(region, year)
    closed = frozenset(d for d in table if d.year == year)
    working = frozenset(d for d in table.weekend_workdays if d.year == year)
    return closed, working


@cache
def _covered_years(region: str) -> frozenset[int]:
    anchors = _ANCHORS[region]
    if region == "CN":
        known = chinese_calendar.holidays
        years = {d.year for d in known}
        return frozenset(y for y in years if all(date(y, m, d) in known for m, d in anchors))
    cls = holidays_package.country_holidays(region).__class__
    covered = set()
    for year in range(cls.start_year, cls.end_year + 1):
        table = _package_year(region, year)
        if any(_ESTIMATED in name for name in table.values()):
            continue
        if all(_listed(table, date(year, m, d)) for m, d in anchors):
            covered.add(year)
    return frozenset(covered)


def _listed(table: holidays_package.HolidayBase, day: date) -> bool:
    return day in table or (day.weekday() == 6 and day + timedelta(days=1) in table)


@cache
def _package_year(region: str, year: int) -> holidays_package.HolidayBase:
    return holidays_package.country_holidays(
        # expand=False: a lookup of another year must not grow the cached table.
        region,
        years=year,
        categories=_CATEGORIES[region],
        language="en_US",
        expand=False,
    )
