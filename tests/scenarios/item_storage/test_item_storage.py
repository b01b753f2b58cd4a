"""Item storage, 000 2.3.3 (title only), 1.1.7, 1.5.6: a register row from deposit to pick-up."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.conftest import HK, actor

DESK = actor("wychan", "front_desk")
SIGNED = {"typed": "張太"}

DEPOSIT = {
    "unit": "T3-5C",
    "depositor": "張太",
    "description": "兩箱書",
    "pieces": "2",
    "no_valuables": "on",
    "depositor_signature": SIGNED,
}


def test_sunshine_keeps_items_a_week_by_default(run):
    """Sunshine's own figure (keep_days: 7): the handbooks give none."""
    run.start_case(DESK, "item-storage", DEPOSIT)
    assert run.case().data["collect_by"] == "2026-10-01T10:00:00+08:00"


def test_deposit_and_collection_add_and_remove_the_register_row(run):
    run.start_case(DESK, "item-storage", DEPOSIT)
    run.act("receive", "stored", DESK, {"tag_no": "J-12"})
    [row] = run.registers["stored_items"]
    assert (row["tag_no"], row["unit"], row["pieces"]) == ("J-12", "T3-5C", 2)
    run.act(
        "held",
        "collected",
        DESK,
        {"collected_by": "張太", "identity_checked": "on", "signature": SIGNED},
    )
    assert run.registers["stored_items"] == []
    assert run.case().outcome == "resolved"


def test_items_left_past_their_date_are_reported_to_the_supervisor(run):
    run.start_case(DESK, "item-storage", {**DEPOSIT, "collect_by": "2026-09-25T18:00"})
    run.act("receive", "stored", DESK, {"tag_no": "J-13"})
    run.advance(days=2)
    [missed] = run.of_type("DeadlineMissed")
    assert missed.at == datetime(2026, 9, 25, 18, 0, tzinfo=HK)
