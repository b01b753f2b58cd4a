"""Owner visits, 000 2.3.14 (title only), 1.1.3 (reply rate 100%), 1.3.3."""

from __future__ import annotations

from tests.scenarios.conftest import actor

SUPERVISOR = actor("kflee", "cs_supervisor")
DEPT = actor("hwong", "responsible_dept")
OFFICER = actor("lmyip", "cs_officer")


def test_reply_rate_target_is_100_percent(sunshine):
    assert sunshine.procedures["owner-visit"].params["reply_rate_target"] == 100


def test_what_the_owner_raised_is_put_right_and_the_result_replied(run):
    run.start_case(SUPERVISOR, "owner-visit", {"unit": "T3-5C", "reason": "regular"})
    run.act(
        "visit",
        "recorded",
        SUPERVISOR,
        {"opinions": "平台燈光不足", "satisfaction": "3", "issues": "on"},
    )
    run.act("rectify", "done", DEPT, {"result": "已加裝燈具"})
    assert run.open_steps() == ["reply"]
    run.act("reply", "replied", OFFICER)
    assert run.case().outcome == "resolved"
