"""Owner move-out, 000 2.2.2 (title only) from 000 1.5.2: goods go out on a slip, keys back."""

from __future__ import annotations

from tests.scenarios.conftest import actor

OFFICER = actor("lmyip", "cs_officer")
DESK = actor("wychan", "front_desk")
GUARD = actor("akwong", "security")
SIGNED = {"typed": "何志明"}

NOTICE = {
    "unit": "T2-8B",
    "name": "何志明",
    "relation": "owner",
    "phone": "+852 9876 5432",
    "move_out_at": "2026-09-25T09:00",
    "reason": "sold",
    "moving_goods": "on",
    "goods": [{"item": "沙發", "quantity": "1"}, {"item": "紙箱", "quantity": "20"}],
}


def test_goods_slip_and_key_return_both_finish_before_the_move_out_is_logged(run):
    run.registers["keys"] = [{"tag_no": "K-7", "unit": "T2-8B", "kind": "door"}]
    run.start_case(OFFICER, "move-out", NOTICE)
    run.act("clearance", "cleared", OFFICER, {"fees_settled": "on"})
    [slip] = run.children()
    assert run.case(slip).procedure == "goods-out"
    assert run.case(slip).data["items"][1]["item"] == "紙箱"
    run.act("return_items", "returned", OFFICER, {"owner_signature": SIGNED})
    assert run.registers["keys"] == []  # entrusted keys went back to the owner
    assert run.open_steps() == ["goods_pass"]  # still waiting for the goods to leave
    run.act(
        "verify",
        "issue",
        DESK,
        {"identity_checked": "on", "valid_until": "2026-09-25T18:00", "slip_no": "F-1"},
        case_id=slip,
    )
    run.act("gate", "released", GUARD, {"matches": "on"}, case_id=slip)
    assert run.open_steps() == ["record"]
    run.act("record", "recorded", DESK)
    assert run.case().outcome == "resolved"
    assert run.registers["occupancy_log"][0]["event"] == "moved_out"


def test_without_goods_no_slip_is_needed(run):
    run.start_case(OFFICER, "move-out", {**NOTICE, "moving_goods": "", "goods": []})
    run.act("clearance", "cleared", OFFICER, {"fees_settled": "on"})
    run.act("return_items", "returned", OFFICER, {"owner_signature": SIGNED})
    assert run.children() == []
    assert run.open_steps() == ["record"]
