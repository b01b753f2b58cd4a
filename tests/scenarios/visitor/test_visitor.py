"""Visitor reception, 000 2.1.3 and 001 (二): registration, the host, overstay."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.conftest import HK, actor

DESK = actor("wychan", "front_desk")
SUPERVISOR = actor("kflee", "cs_supervisor")
GUARD = actor("akwong", "security")

REGISTRATION = {
    "entry_point": "front_desk",
    "visitor_name": "張偉",
    "organisation": "快遞",
    "headcount": "1",
    "unit": "T2-8B",
    "host": "何太",
    "purpose": "送貨",
    "visit_at": "2026-09-24T10:00",
    "leave_at": "2026-09-24T11:00",
}


def allowed(run) -> None:
    run.start_case(DESK, "visitor", REGISTRATION)
    run.act(
        "contact_host",
        "answered",
        DESK,
        {"method": "intercom", "result": "allowed", "directions_given": "on"},
    )


def test_host_absent_means_the_visitor_is_not_let_in(run):
    """001 (二)2: the office asks the host; nobody there, nobody in."""
    run.start_case(DESK, "visitor", REGISTRATION)
    run.act(
        "contact_host",
        "answered",
        DESK,
        {"method": "phone", "result": "absent", "message": "無人接聽"},
    )
    assert (run.case().status, run.case().outcome) == ("closed", "absent")


def test_visit_is_due_at_the_registered_leave_time(run):
    """000 2.1.3: the leave time written at registration is the deadline of the visit."""
    allowed(run)
    visit = run.task("visiting")
    assert visit.due_at == datetime(2026, 9, 24, 11, 0, tzinfo=HK)
    assert visit.warn_at == datetime(2026, 9, 24, 10, 50, tzinfo=HK)


def test_overstay_escalates_once_to_supervisor_and_security(run):
    allowed(run)
    run.advance(hours=2)
    [missed] = run.of_type("DeadlineMissed")
    assert missed.at == datetime(2026, 9, 24, 11, 0, tzinfo=HK)
    told = [
        e.payload["roles"] for e in run.of_type("Notified") if e.payload["reason"] == "deadline"
    ]
    assert told == [["cs_supervisor", "security"]]


def test_registered_extension_moves_the_deadline(run):
    allowed(run)
    run.advance(minutes=40)
    run.act("visiting", "extend", DESK)
    run.act(
        "extend_stay",
        "registered",
        DESK,
        {"leave_at": "2026-09-24T12:30", "notified_by_host": "on"},
    )
    assert run.task("visiting").due_at == datetime(2026, 9, 24, 12, 30, tzinfo=HK)
    run.advance(minutes=60)  # 11:40: past the first leave time, before the new one
    assert run.of_type("DeadlineMissed") == []
    run.act("visiting", "left", GUARD)
    assert run.case().data["left_at"] == "2026-09-24T11:40:00+08:00"  # stored as a form would
    assert run.case().outcome == "resolved"
