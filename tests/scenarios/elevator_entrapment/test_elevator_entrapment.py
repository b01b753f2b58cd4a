"""People trapped in a lift, 000 2.8.8 (title only)."""

from __future__ import annotations

from tests.scenarios.conftest import THU_0924_1000, actor, minutes

GUARD = actor("akwong", "security")
ENGINEER = actor("kkwan", "engineering")
OFFICER = actor("lmyip", "cs_officer")

REPORT = {"lift": "L2", "floor": "7", "people": "2", "reported_by": "intercom"}


def rescue_started(run) -> None:
    run.start_case(GUARD, "elevator-entrapment", REPORT)
    run.act("comfort", "in_touch", GUARD, {"told_not_to_force": "on"})
    run.act("call_contractor", "called", ENGINEER, {"contractor": "安達電梯"})


def test_rescue_is_due_within_the_estates_30_minutes(run):
    """Sunshine's lift contract: 30 minutes (the handbooks give no figure)."""
    rescue_started(run)
    assert minutes(run.task("rescue").due_at, THU_0924_1000) == 30
    assert minutes(run.task("rescue").warn_at, THU_0924_1000) == 15
    run.advance(minutes=31)
    [missed] = run.of_type("DeadlineMissed")
    told = [
        e.payload["roles"] for e in run.of_type("Notified") if e.payload["reason"] == "deadline"
    ]
    assert told == [["cs_supervisor", "office_manager"]]
    assert missed.payload["task_id"].startswith("rescue")


def test_an_injury_opens_an_accident_case_beside_the_lift_check(run):
    rescue_started(run)
    run.act("rescue", "freed", ENGINEER, {"arrived_at": "2026-09-24T10:20", "injured": "on"})
    [accident] = run.children()
    assert run.case(accident).procedure == "accident"
    run.act("inspect", "checked", ENGINEER, {"fault": "門鎖故障"})
    run.act("record", "recorded", OFFICER, {"visited": "on"})
    assert run.case().outcome == "resolved"
