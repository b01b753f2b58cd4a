"""Daily staff check, 002 总则: recorded daily; 000 2.1.1.2 a: five minutes early."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.scenarios.conftest import THU_0924_1000, actor

MANAGER = actor("ymho", "cs_manager")
SUPERVISOR = actor("kflee", "cs_supervisor")
ALL_MET = {"uniform": "on", "shoes": "on", "grooming": "on", "conduct": "on", "work": "on"}


def sheet(arrived: str) -> dict:
    return {
        "shift_starts_at": "2026-09-24T09:00",
        "arrived_at": arrived,
        "staff_signature": {"typed": "陳穎欣"},
        **ALL_MET,
    }


def start(run) -> None:
    run.start_case(MANAGER, "daily-check", {"staff": "wychan", "post": "front_desk"})


def test_the_check_is_recorded_within_the_day(run):
    start(run)
    assert run.task("inspect").due_at == THU_0924_1000 + timedelta(days=1)
    run.advance(days=1, minutes=1)
    told = [
        e.payload["roles"] for e in run.of_type("Notified") if e.payload["reason"] == "deadline"
    ]
    assert told == [["office_manager"]]


@pytest.mark.parametrize(
    ("arrived", "score"), [("2026-09-24T08:55", 100), ("2026-09-24T08:56", 90)]
)
def test_arriving_less_than_five_minutes_early_costs_points(run, arrived, score):
    start(run)
    run.act("inspect", "recorded", MANAGER, sheet(arrived))
    assert run.case().data["score"] == score
    assert run.open_steps() == (["appraisal"] if score == 100 else ["correct"])


def test_a_failed_item_is_put_right_before_the_appraisal(run):
    start(run)
    run.act("inspect", "recorded", MANAGER, {**sheet("2026-09-24T08:50"), "shoes": ""})
    run.act("correct", "corrected", SUPERVISOR, {"correction": "已換黑色皮鞋"})
    run.act("appraisal", "filed", MANAGER)
    assert run.case().outcome == "resolved"


def test_the_sheets_written_figures(sunshine):
    """002 个人卫生: nails no more than 2 mm past the fingertip; 000 2.1.1.2 a: 5 minutes."""
    params = sunshine.procedures["daily-check"].params
    assert (params["nail_limit_mm"], params["arrive_early_minutes"], params["record_within"]) == (
        2,
        5,
        "1d",
    )
    label = sunshine.forms["daily-check-sheet"].fields["grooming"].label["zh-Hans"]
    assert "2毫米" in label
