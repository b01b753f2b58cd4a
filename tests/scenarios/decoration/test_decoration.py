"""Owner's fit-out, 000 2.3.13 (title only), 1.1.5, 1.1.6, 1.3.4; workers' passes by 001 (六)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tests.scenarios.conftest import HK, actor

OFFICER = actor("lmyip", "cs_officer")
ENGINEER = actor("kkwan", "engineering")
SUPERVISOR = actor("kflee", "cs_supervisor")
FINANCE = actor("pyng", "finance")
PLANS = {"name": "plan.pdf", "size": 2048, "type": "application/pdf", "sha256": "0" * 64}

APPLICATION = {
    "unit": "T2-8B",
    "owner_name": "何志明",
    "phone": "+852 9876 5432",
    "contractor": "恒達裝修",
    "contractor_head": "黃志強",
    "contractor_phone": "+852 2345 6789",
    "scope": ["painting", "carpentry"],
    "starts_on": "2026-10-05T09:00",
    "ends_on": "2026-10-30T18:00",
    "plans": PLANS,
    "no_structural_change": "on",
}


def approved_and_paid(run) -> None:
    run.start_case(OFFICER, "decoration", APPLICATION)
    run.act("review", "reviewed", ENGINEER, {"acceptable": "on"})
    run.act("approve", "approve", SUPERVISOR)
    run.act("pay", "paid", FINANCE, {"receipt_no": "R-31"})


def test_deposit_is_the_estates_figure_and_passes_go_through_work_permit(run):
    approved_and_paid(run)
    assert run.case().steps["pay"]["deposit"] == Decimal("5000")  # Sunshine's own figure
    [permit] = run.children()
    assert run.case(permit).procedure == "work-permit"
    assert run.case(permit).data["contractor"] == "恒達裝修"
    run.act("record_start", "recorded", OFFICER)
    assert run.registers["occupancy_log"][0]["event"] == "fit_out_started"
    assert run.open_steps() == ["permits"]  # works wait for the passes


def test_works_are_watched_to_the_agreed_end_then_inspected_and_the_deposit_refunded(run):
    approved_and_paid(run)
    [permit] = run.children()
    run.act("record_start", "recorded", OFFICER)
    run.act(
        "receipt",
        "received",
        actor("pyng", "finance"),
        {"amount": "20", "receipt_no": "R-1", "blank_permits": 1},
        case_id=permit,
    )
    run.act(
        "review",
        "reviewed",
        actor("chho", "security_dept"),
        {"verified": "on", "permits_filled": "on"},
        case_id=permit,
    )
    run.act(
        "stamp", "stamped", OFFICER, {"receipt_returned": "on", "stamped": "on"}, case_id=permit
    )
    run.act("laminate", "laminated", actor("mktam", "admin_dept"), None, case_id=permit)
    run.act(
        "issue",
        "issued",
        OFFICER,
        {"issued_to": "contractor", "recipient": "黃志強", "issued_at": "2026-09-24T10:30"},
        case_id=permit,
    )
    assert run.task("works").due_at == datetime(2026, 10, 30, 18, 0, tzinfo=HK)
    run.act("works", "finished", ENGINEER)
    run.act("acceptance", "inspected", ENGINEER, {"passed": "", "issues": "走廊牆身刮花"})
    assert run.open_steps() == ["works"]
    run.act("works", "finished", ENGINEER)
    run.act("acceptance", "inspected", ENGINEER, {"passed": "on", "deductions": "800"})
    run.act("refund", "refunded", FINANCE, {"owner_signature": {"typed": "何志明"}})
    assert run.case().data["refund"] == Decimal("4200")
    assert run.registers["occupancy_log"][-1]["event"] == "fit_out_finished"
    assert run.case().outcome == "resolved"


def test_plans_not_acceptable_go_back_to_the_owner(run):
    run.start_case(OFFICER, "decoration", APPLICATION)
    run.act("review", "reviewed", ENGINEER, {"acceptable": "", "comments": "不可拆承重牆"})
    assert run.open_steps() == ["revise"]
