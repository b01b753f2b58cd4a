"""Contractor work permits, 001 (六): the whole chain within 30 minutes."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.conftest import HK, THU_0924_1000, actor, minutes

OFFICER = actor("lmyip", "cs_officer")
FINANCE = actor("pyng", "finance")
SECURITY = actor("chho", "security_dept")
ADMIN = actor("mktam", "admin_dept")

PHOTO = {"name": "worker.jpg", "size": 20480, "type": "image/jpeg", "sha256": "0" * 64}
APPLICATION = {
    "sponsor_department": "engineering",
    "contractor": "恒達工程有限公司",
    "contractor_head": "黃志強",
    "contractor_phone": "+852 2345 6789",
    "workers": [
        {"name": "李大明", "id_document": {"kind": "hkid", "number": "A123456(3)"}, "photo": PHOTO}
    ],
    "fee": "20",
}


def run_chain(run, gap_minutes: int) -> None:
    """Walk the six steps of 001 (六)1-5, ``gap_minutes`` apart."""
    run.start_case(OFFICER, "work-permit", APPLICATION)
    steps = [
        (
            "receipt",
            "received",
            FINANCE,
            {"amount": "20", "receipt_no": "R-0001", "blank_permits": 1},
        ),
        ("review", "reviewed", SECURITY, {"verified": "on", "permits_filled": "on"}),
        ("stamp", "stamped", OFFICER, {"receipt_returned": "on", "stamped": "on"}),
        ("laminate", "laminated", ADMIN, None),
        (
            "issue",
            "issued",
            OFFICER,
            {"issued_to": "contractor", "recipient": "黃志強", "issued_at": "2026-09-24T10:30"},
        ),
    ]
    for step, action, who, form in steps:
        run.advance(minutes=gap_minutes)
        run.act(step, action, who, form)


def test_permit_chain_must_finish_within_30_minutes(run):
    """001 (六)6: 此程序需於30分鐘內完成."""
    run.start_case(OFFICER, "work-permit", APPLICATION)
    case = run.case()
    assert minutes(case.due_at, THU_0924_1000) == 30
    assert minutes(case.warn_at, THU_0924_1000) == 20  # warned 10 minutes before
    assert run.open_steps() == ["receipt"]


def test_permit_on_time_never_escalates(run):
    run_chain(run, gap_minutes=5)  # 25 minutes in all
    run.advance(hours=2)
    case = run.case()
    assert (case.status, case.outcome) == ("closed", "resolved")
    assert "CaseDeadlineMissed" not in run.types()


def test_permit_running_late_escalates_exactly_once(run):
    run_chain(run, gap_minutes=7)  # the fifth step would be at 35 minutes
    run.advance(hours=3)
    [missed] = run.of_type("CaseDeadlineMissed")
    assert missed.at == datetime(2026, 9, 24, 10, 30, tzinfo=HK)
    told = [
        e.payload["roles"]
        for e in run.of_type("Notified")
        if e.payload["reason"] == "case-deadline"
    ]
    assert told == [["cs_supervisor", "property_manager"]]
    assert len(run.of_type("CaseDeadlineWarned")) == 1


def test_rejected_review_goes_back_to_customer_service(run):
    run.start_case(OFFICER, "work-permit", APPLICATION)
    run.act(
        "receipt", "received", FINANCE, {"amount": "20", "receipt_no": "R-0002", "blank_permits": 1}
    )
    run.act("review", "reviewed", SECURITY, {"issues": "相片不清"})
    assert run.open_steps() == ["correct"]
