from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from estateflow.calendar import Pause, merge_pauses, parse_duration

from .samples import HK_OFFICE, HONG_KONG, at


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, 28, hour, minute, tzinfo=UTC)


def test_merge_sorts_joins_and_drops_empty_pauses():
    merged = merge_pauses(
        [
            Pause(start=utc(5), end=utc(6)),
            Pause(start=utc(1), end=utc(2)),
            Pause(start=utc(1, 30), end=utc(3)),
            Pause(start=utc(3), end=utc(4)),  # touches the one before
            Pause(start=utc(7), end=utc(7)),  # empty
        ]
    )
    assert merged == (Pause(start=utc(1), end=utc(4)), Pause(start=utc(5), end=utc(6)))


def test_an_open_pause_swallows_everything_after_it():
    merged = merge_pauses(
        [
            Pause(start=utc(3), end=None),
            Pause(start=utc(1), end=utc(2)),
            Pause(start=utc(4), end=utc(9)),
            Pause(start=utc(2, 30), end=utc(3, 30)),
        ]
    )
    assert merged == (Pause(start=utc(1), end=utc(2)), Pause(start=utc(2, 30), end=None))


def test_merged_pauses_are_in_utc():
    (pause,) = merge_pauses([Pause(start=at(HONG_KONG, 2026, 9, 28, 10), end=None)])
    assert pause.start.tzinfo is UTC and pause.start == utc(2)


def test_a_pause_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="before it starts"):
        Pause(start=utc(2), end=utc(1))


def test_a_pause_before_the_start_does_not_count():
    start = at(HONG_KONG, 2026, 9, 24, 17, 50)
    earlier = Pause(start=at(HONG_KONG, 2026, 9, 24, 9), end=at(HONG_KONG, 2026, 9, 24, 12))
    assert HK_OFFICE.add(start, parse_duration("24bh"), [earlier]) == HK_OFFICE.add(
        start, parse_duration("24bh")
    )


def test_starting_inside_a_pause_waits_for_its_end():
    # Paused until Fri 25 Sep 10:00: the 1 hour runs 10:00-11:00.
    start = at(HONG_KONG, 2026, 9, 25, 9, 30)
    pause = Pause(start=at(HONG_KONG, 2026, 9, 25, 9), end=at(HONG_KONG, 2026, 9, 25, 10))
    assert HK_OFFICE.add(start, parse_duration("1bh"), [pause]) == at(HONG_KONG, 2026, 9, 25, 11)
    assert HK_OFFICE.add(start, parse_duration("1h"), [pause]) == at(HONG_KONG, 2026, 9, 25, 11)


def test_a_long_pause_is_stepped_over_in_one_go():
    start = at(HONG_KONG, 2026, 9, 24, 17, 50)
    years = Pause(start=at(HONG_KONG, 2026, 9, 25, 0), end=at(HONG_KONG, 2040, 9, 25, 0))
    # 10 m on Thu; then Tue 25 Sep 2040 from 09:00: 50 m left -> 09:50.
    deadline = HK_OFFICE.add(start, parse_duration("1bh"), [years])
    assert deadline == at(HONG_KONG, 2040, 9, 25, 9, 50)
    assert HK_OFFICE.between(start, deadline, [years]) == timedelta(hours=1)


def test_business_days_with_a_pause_push_by_the_paused_open_time():
    start = at(HONG_KONG, 2026, 9, 24, 17, 50)
    # 3bd is Tue 29 Sep 17:50; a pause over Mon 28 09:00-12:00 holds 3 open hours, so the
    # deadline moves 3 working hours on: Tue 17:50-18:00 10 m (2 h 50 m left);
    # Wed 30 Sep 09:00 + 2 h 50 m = 11:50.
    pause = Pause(start=at(HONG_KONG, 2026, 9, 28, 9), end=at(HONG_KONG, 2026, 9, 28, 12))
    deadline = HK_OFFICE.add(start, parse_duration("3bd"), [pause])
    assert deadline == at(HONG_KONG, 2026, 9, 30, 11, 50)
