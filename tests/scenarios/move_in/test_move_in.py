"""Owner move-in, 000 2.2.1 (title only) from 000 1.1.4, 1.4.2, 1.5.2 and 001 (四)4."""

from __future__ import annotations

from decimal import Decimal

from tests.scenarios.conftest import actor

OFFICER = actor("lmyip", "cs_officer")
DESK = actor("wychan", "front_desk")
ENGINEER = actor("kkwan", "engineering")
SIGNED = {"typed": "陳國棟"}

APPLICATION = {
    "unit": "T1-12A",
    "owner_name": "陳國棟",
    "phone": "+852 9123 4567",
    "occupancy": "owner",
    "move_in_on": "2026-10-01",
    "members": "4",
}


def start(run) -> None:
    run.start_case(OFFICER, "move-in", APPLICATION)
    run.act(
        "documents",
        "checked",
        OFFICER,
        {"ownership_checked": "on", "owner_file_opened": "on"},
    )


def test_fees_and_inspection_run_side_by_side_before_the_handover(run):
    start(run)
    assert run.open_steps() == ["fees", "inspection"]
    run.act(
        "fees",
        "paid",
        OFFICER,
        {"property_fee": "1500", "other_fees": "200", "receipt_no": "R-1"},
    )
    assert run.case().steps["fees"]["total"] == Decimal("1700")
    assert run.open_steps() == ["inspection"]  # the join waits for the inspection
    run.act("inspection", "inspected", ENGINEER, {"owner_signature": SIGNED})
    assert run.open_steps() == ["handover"]


def test_defects_found_at_inspection_start_a_repair_and_the_inspection_stays_open(run):
    start(run)
    run.act(
        "inspection",
        "report_defects",
        ENGINEER,
        {"defect_list": "廚房水龍頭漏水", "owner_signature": SIGNED},
    )
    [repair] = run.children()
    assert run.case(repair).procedure == "repair"
    assert run.case(repair).data["detail"] == "廚房水龍頭漏水"
    assert "inspection" in run.open_steps()


def test_handover_is_signed_and_the_move_in_is_logged_and_reported(run):
    start(run)
    run.act("fees", "paid", OFFICER, {"property_fee": "1500", "receipt_no": "R-1"})
    run.act("inspection", "inspected", ENGINEER, {"owner_signature": SIGNED})
    run.act(
        "handover",
        "handed_over",
        OFFICER,
        {"keys": "3", "owner_cards_handed": "on", "owner_signature": SIGNED},
    )
    run.act("record", "recorded", DESK)
    assert run.case().outcome == "resolved"
    [row] = run.registers["occupancy_log"]
    assert (row["unit"], row["event"], row["name"]) == ("T1-12A", "moved_in", "陳國棟")
    told = run.of_type("Notified")[-1]
    assert told.payload["roles"] == ["cs_supervisor"]  # 000 1.5.2: report to the CS supervisor


def test_missing_papers_put_the_move_in_on_hold(run):
    run.start_case(OFFICER, "move-in", APPLICATION)
    run.act(
        "documents", "incomplete", OFFICER, {"ownership_checked": "on", "owner_file_opened": "on"}
    )
    assert run.case().outcome == "cancelled"
