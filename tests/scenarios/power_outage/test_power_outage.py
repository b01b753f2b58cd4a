"""Power cuts, 000 2.3.5 (sic, title only)."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.conftest import HK, actor

DESK = actor("wychan", "front_desk")
ENGINEER = actor("kkwan", "engineering")
SUPERVISOR = actor("kflee", "cs_supervisor")


def test_unplanned_cut_lifts_checked_standby_running_then_restored(run):
    run.start_case(
        ENGINEER,
        "power-outage",
        {"area": "第2座", "expected_back": "2026-09-24T12:00", "cause": "電纜故障"},
    )
    assert run.open_steps() == ["inform", "lifts", "standby"]
    run.act("lifts", "trapped", ENGINEER)
    [lift] = run.children()
    assert run.case(lift).procedure == "elevator-entrapment"
    run.act("lifts", "clear", ENGINEER)
    run.act("standby", "running", ENGINEER)
    run.act("inform", "informed", DESK, {"channels": ["wechat"]})
    assert run.task("restore").due_at == datetime(2026, 9, 24, 12, 0, tzinfo=HK)
    run.act("restore", "restored", ENGINEER, {"equipment_checked": "on"})
    run.act("record", "recorded", SUPERVISOR)
    assert run.case().outcome == "resolved"


def test_a_planned_cut_gets_a_notice(run):
    run.start_case(ENGINEER, "power-outage", {"planned": "on", "area": "全屋苑"})
    run.act("inform", "post_notice", DESK, {"channels": ["board"]})
    [notice] = run.children()
    assert run.case(notice).data["kind"] == "outage"
