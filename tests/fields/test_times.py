from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estateflow.calendar import Duration
from estateflow.fields import FieldError, parse_value
from tests.fields.samples import field

HK = "Asia/Hong_Kong"


@pytest.mark.parametrize(
    "raw",
    [
        "2026-03-01",
        " 2026-3-1 ",
        "2026/03/01",
        "2026年3月1日",
        "２０２６-０３-０１",
        date(2026, 3, 1),
    ],
)
def test_date_is_stored_as_iso_text(raw):
    assert parse_value(field("date"), raw) == "2026-03-01"


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01"])
def test_a_date_that_does_not_exist_is_refused(raw):
    with pytest.raises(FieldError, match=r"^this date does not exist"):
        parse_value(field("date"), raw)


@pytest.mark.parametrize("raw", ["01/03/2026", "tomorrow", "20260301", 20260301])
def test_a_date_in_another_shape_is_refused(raw):
    with pytest.raises(FieldError, match=r"^enter a date like 2026-03-01$"):
        parse_value(field("date"), raw)


def test_date_bounds_name_the_bound():
    spec = field("date", min="2026-01-01", max="2026-12-31")
    assert parse_value(spec, "2026-01-01") == "2026-01-01"
    with pytest.raises(FieldError, match=r"^this date is before 2026-01-01$"):
        parse_value(spec, "2025-12-31")
    with pytest.raises(FieldError, match=r"^this date is after 2026-12-31$"):
        parse_value(spec, "2027-01-01")


def test_a_moment_for_a_date_field_takes_its_local_date():
    late = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)  # 04:00 on 1 March in Hong Kong
    assert parse_value(field("date"), late, timezone=HK) == "2026-03-01"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("09:30", "09:30"), ("9:30", "09:30"), ("09:30:00", "09:30"), ("23:59:15", "23:59:15"),
     (time(8, 5), "08:05")],
)  # fmt: skip
def test_time_is_stored_as_hh_mm(raw, stored):
    assert parse_value(field("time"), raw) == stored


@pytest.mark.parametrize("raw", ["24:00", "09:60", "930", "9.30"])
def test_a_bad_time_is_refused(raw):
    with pytest.raises(FieldError, match=r"^enter a time like 09:30$"):
        parse_value(field("time"), raw)


def test_time_bounds():
    spec = field("time", min="08:00", max="18:00")
    with pytest.raises(FieldError, match=r"^this time is before 08:00$"):
        parse_value(spec, "07:59")
    with pytest.raises(FieldError, match=r"^this time is after 18:00$"):
        parse_value(spec, "18:01")


def test_datetime_local_input_is_read_in_the_callers_timezone():
    assert parse_value(field("datetime"), "2026-03-01T09:30", timezone=HK) == (
        "2026-03-01T09:30:00+08:00"
    )
    assert parse_value(field("datetime"), "2026-03-01 09:30", timezone="Asia/Taipei") == (
        "2026-03-01T09:30:00+08:00"
    )


def test_datetime_with_an_offset_is_moved_into_the_callers_timezone():
    assert parse_value(field("datetime"), "2026-03-01T01:30:00Z", timezone=HK) == (
        "2026-03-01T09:30:00+08:00"
    )
    aware = datetime(2026, 3, 1, 9, 30, 45, 123, tzinfo=ZoneInfo(HK))
    assert parse_value(field("datetime"), aware, timezone=HK) == "2026-03-01T09:30:45+08:00"


def test_datetime_without_an_offset_or_timezone_asks_for_the_offset():
    with pytest.raises(FieldError, match="UTC offset"):
        parse_value(field("datetime"), "2026-03-01T09:30")
    assert parse_value(field("datetime"), "2026-03-01T09:30+08:00") == "2026-03-01T09:30:00+08:00"


@pytest.mark.parametrize("raw", ["2026-02-30T09:30", "2026-03-01T25:00", "2026-03-01", "now"])
def test_a_bad_datetime_is_refused(raw):
    with pytest.raises(FieldError, match="2026-03-01 09:30"):
        parse_value(field("datetime"), raw, timezone=HK)


def test_datetime_bounds_are_read_in_the_timezone():
    spec = field("datetime", min="2026-03-01T08:00")
    with pytest.raises(FieldError, match=r"^this is before 2026-03-01 08:00$"):
        parse_value(spec, "2026-03-01T07:59", timezone=HK)
    # 00:30 UTC is 08:30 in Hong Kong: after the bound.
    assert parse_value(spec, "2026-03-01T00:30Z", timezone=HK) == "2026-03-01T08:30:00+08:00"


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)))
def test_datetime_round_trips(moment):
    moment = moment.replace(microsecond=0)
    stored = parse_value(field("datetime"), moment.isoformat(), timezone=HK)
    assert datetime.fromisoformat(stored) == moment.replace(tzinfo=ZoneInfo(HK))
    assert parse_value(field("datetime"), stored, timezone=HK) == stored


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("10m", "10m"), ("1h", "1h"), (" 2 H ", "2h"), ("3bd", "3bd"), (timedelta(minutes=90), "90m"),
     (timedelta(hours=48), "2d"), (timedelta(seconds=45), "45s"), (Duration(amount=24, unit="bh"),
     "24bh")],
)  # fmt: skip
def test_duration_is_stored_as_a_literal(raw, stored):
    assert parse_value(field("duration"), raw) == stored


@pytest.mark.parametrize("raw", ["1.5h", "10", "ten minutes", "-1h", timedelta(seconds=-5)])
def test_a_bad_duration_is_refused(raw):
    with pytest.raises(FieldError, match=r"^enter a duration like 30m, 2h or 3d$"):
        parse_value(field("duration"), raw)


def test_duration_bounds_compare_lengths_across_units():
    spec = field("duration", min="10m", max="2h")
    assert parse_value(spec, "120m") == "120m"
    with pytest.raises(FieldError, match=r"^enter at least 10m$"):
        parse_value(spec, "300s")
    with pytest.raises(FieldError, match=r"^enter at most 2h$"):
        parse_value(spec, "1d")
