from __future__ import annotations

import pickle
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estateflow.calendar import (
    MAX_DURATION,
    UNITS,
    CalendarError,
    Duration,
    DurationError,
    is_duration_literal,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "amount", "unit", "business", "span"),
    [
        ("30s", 30, "s", False, timedelta(seconds=30)),
        ("10m", 10, "m", False, timedelta(minutes=10)),
        ("1h", 1, "h", False, timedelta(hours=1)),
        ("24h", 24, "h", False, timedelta(hours=24)),
        ("2d", 2, "d", False, timedelta(days=2)),
        ("24bh", 24, "bh", True, timedelta(hours=24)),
        ("3bd", 3, "bd", True, None),
    ],
)
def test_parse_duration(text, amount, unit, business, span):
    duration = parse_duration(text)
    assert duration == Duration(amount=amount, unit=unit)
    assert (duration.business, duration.span, str(duration)) == (business, span, text)


@given(st.integers(min_value=0, max_value=3660), st.sampled_from(UNITS))
def test_str_is_the_canonical_literal(amount, unit):
    duration = Duration(amount=amount, unit=unit)
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize(
    "text", ["", "10", "m", "2 hours", "1.5h", "10x", "-5m", "+5m", " 10m", "10M", "10 m", "1w"]
)
def test_bad_durations_say_what_is_accepted(text):
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    error = caught.value
    assert error.code == "bad-duration"
    assert error.message == f"'{text}' is not a duration"
    assert "24bh" in error.hint and "3bd" in error.hint and "10m" in error.hint
    assert isinstance(error, ValueError) and isinstance(error, CalendarError)


def test_message_style_is_lower_case_without_a_final_period():
    with pytest.raises(DurationError) as caught:
        parse_duration("Ten minutes")
    error = caught.value
    assert error.message[0].islower() or error.message[0] == "'"
    assert not error.message.endswith(".")


def test_a_duration_longer_than_ten_years_is_refused():
    assert parse_duration("3660d").span == MAX_DURATION
    with pytest.raises(DurationError, match="longer than"):
        parse_duration("87841bh")
    with pytest.raises(DurationError):
        parse_duration("9999999999m")


def test_a_duration_cannot_be_built_wrong_either():
    with pytest.raises(DurationError):
        Duration(amount=-1, unit="h")
    with pytest.raises(DurationError):
        Duration(amount=1, unit="w")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("10m", True),
        ("24bh", True),
        ("2 hours", True),  # meant as a duration: parse_duration explains the forms
        ("1.5h", True),
        ("2小时", True),
        ("params.forward_within[case.severity]", False),
        ("case.due", False),
        ("10", False),
        ("", False),
        (10, False),
        (None, False),
    ],
)
def test_is_duration_literal(text, literal):
    assert is_duration_literal(text) is literal


def test_duration_error_pickles_for_the_worker():
    with pytest.raises(DurationError) as caught:
        parse_duration("2 hours")
    error = caught.value
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.code, copy.message, copy.hint) == (
        DurationError,
        error.code,
        error.message,
        error.hint,
    )
