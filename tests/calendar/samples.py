"""Calendars and moments shared by the calendar tests; all dates fixed, none from today."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from estateflow.calendar import build_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
HONG_KONG = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

#: A mainland front desk with the long lunch break usual there: 7 open hours a weekday.
CN_OFFICE = build_calendar(
    name="office",
    timezone="Asia/Shanghai",
    region="CN",
    hours={"mon-fri": ["08:30-12:00", "14:00-17:30"]},
)
#: A Hong Kong front desk: 8 hours a weekday, 3 on Saturday morning.
HK_OFFICE = build_calendar(
    name="office",
    timezone="Asia/Hong_Kong",
    region="HK",
    hours={"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": ["09:00-12:00"]},
)
MO_OFFICE = build_calendar(
    name="office",
    timezone="Asia/Macau",
    region="MO",
    hours={"tue-sat": ["10:00-13:00", "14:30-19:00"]},
)
TW_OFFICE = build_calendar(
    name="office",
    timezone="Asia/Taipei",
    region="TW",
    hours={"mon-fri": "08:30-17:30"},
    closed=[datetime(2026, 12, 24).date()],
)
LONDON_OFFICE = build_calendar(
    name="office", timezone="Europe/London", region=None, hours={"mon-fri": ["09:00-17:00"]}
)
#: Hours around the small-hours clock changes, to catch daylight-saving mistakes.
NEW_YORK_NIGHTS = build_calendar(
    name="nights",
    timezone="America/New_York",
    region=None,
    hours={"daily": ["00:30-02:30", "03:00-05:00", "22:00-24:00"]},
)
NEW_YORK_SECURITY = build_calendar(
    name="security", timezone="America/New_York", region=None, hours="24/7"
)
HK_SECURITY = build_calendar(name="security", timezone="Asia/Hong_Kong", region="HK", hours="24/7")

ALL = {
    "cn-office": CN_OFFICE,
    "hk-office": HK_OFFICE,
    "mo-office": MO_OFFICE,
    "tw-office": TW_OFFICE,
    "london-office": LONDON_OFFICE,
    "new-york-nights": NEW_YORK_NIGHTS,
    "new-york-security": NEW_YORK_SECURITY,
    "hk-security": HK_SECURITY,
}


def at(zone: ZoneInfo, *fields: int) -> datetime:
    """A local wall-clock moment, ``at(HONG_KONG, 2026, 9, 24, 17, 50)``."""
    return datetime(*fields, tzinfo=zone)  # type: ignore[misc]
