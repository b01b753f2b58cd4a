"""Internal coordination, 004 三.5: report to the department and follow up until solved."""

from __future__ import annotations

from tests.scenarios.conftest import actor

DESK = actor("wychan", "front_desk")
DEPT = actor("hwong", "responsible_dept")


def test_followed_up_until_solved(run):
    run.start_case(DESK, "coordination", {"department": "environment", "matter": "大堂垃圾桶滿溢"})
    run.act("handle", "done", DEPT, {"result": "已清理"})
    run.act("confirm", "not_solved", DESK)
    run.act("handle", "done", DEPT, {"result": "增加清理次數"})
    run.act("confirm", "solved", DESK)
    assert run.case().outcome == "resolved"
