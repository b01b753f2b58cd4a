"""``add_span``: the inverse of ``between``, for warnings at a fraction of a deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from estateflow.calendar import Pause, build_calendar

HK = ZoneInfo("Asia/Hong_Kong")
OFFICE = build_calendar(
    name="office",
    timezone="Asia/Hong_Kong",
    region="HK",
    hours={"mon-fri": ["09:00-13:00", "14:00-18:00"], "sat": ["09:00-13:00"]},
)


def test_eighty_percent_of_24_business_hours_lands_in_open_time():
    # Thu 24 Sep 2026 17:50; 80% of 24 h = 19h12m of open time: Thu 10m, Fri 8h (8h10m),
    # Sat 26 is a holiday, Mon 28 8h (16h10m), Tue 29: 3h02m more = 09:00 + 3h02m = 12:02.
    start = datetime(2026, 9, 24, 17, 50, tzinfo=HK)
    warn = OFFICE.add_span(start, timedelta(hours=24) * 0.8)
    assert warn == datetime(2026, 9, 29, 12, 2, tzinfo=HK)
    assert OFFICE.between(start, warn) == timedelta(hours=19, minutes=12)


def test_wall_clock_span_skips_pauses():
    start = datetime(2026, 9, 24, 10, 0, tzinfo=HK)
    pause = Pause(
        start=datetime(2026, 9, 24, 10, 2, tzinfo=HK), end=datetime(2026, 9, 24, 10, 32, tzinfo=HK)
    )
    assert OFFICE.add_span(start, timedelta(minutes=5), (pause,), business=False) == datetime(
        2026, 9, 24, 10, 35, tzinfo=HK
    )
