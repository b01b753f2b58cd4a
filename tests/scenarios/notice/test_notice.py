"""Notices, 004 三.4: produce, approve, post and notify, take down at the end."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.conftest import HK, actor

DESK = actor("wychan", "front_desk")
SUPERVISOR = actor("kflee", "cs_supervisor")


def test_a_notice_is_approved_posted_and_taken_down_when_it_expires(run):
    run.start_case(
        SUPERVISOR,
        "notice",
        {"kind": "payment", "subject": "十月管理費", "content": "請於十月十日前繳交"},
    )
    run.act(
        "draft",
        "drafted",
        DESK,
        {"checked": "on", "post_until": "2026-10-10T18:00"},
    )
    run.act("approve", "revise", SUPERVISOR)
    assert run.open_steps() == ["draft"]
    run.act("draft", "drafted", DESK, {"checked": "on", "post_until": "2026-10-10T18:00"})
    run.act("approve", "approve", SUPERVISOR)
    run.act("post", "posted", DESK, {"places": "大堂告示欄", "channels": ["wechat", "portal"]})
    assert run.task("on_board").due_at == datetime(2026, 10, 10, 18, 0, tzinfo=HK)
    run.act("on_board", "taken_down", DESK)
    assert run.case().outcome == "resolved"
