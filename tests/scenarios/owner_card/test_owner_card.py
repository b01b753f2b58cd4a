"""Owner access cards, 001 (四): three free cards per member, 50 per extra card."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.scenarios.conftest import actor

OFFICER = actor("lmyip", "cs_officer")


def household(run, unit: str, members: int) -> None:
    run.registers.setdefault("members", []).extend(
        {"unit": unit, "name": f"member {i}"} for i in range(members)
    )


def issue(run, unit: str, cards: int) -> str:
    case_id = run.start_case(
        OFFICER, "owner-card", {"unit": unit, "occasion": "additional", "cards": str(cards)}
    )
    run.act("prepare", "prepared", OFFICER, {"card_numbers": "0001-0008"}, case_id=case_id)
    run.act(
        "handover",
        "handed_over",
        OFFICER,
        {
            "handed_at": "2026-09-24T11:00",
            "members_reported": "2",
            "receipt_no": "R-77",
            "owner_signature": {"typed": "陳國棟"},
        },
        case_id=case_id,
    )
    return case_id


@pytest.mark.parametrize(("cards", "fee"), [(6, "0"), (7, "50"), (8, "100")])
def test_fee_is_fifty_per_card_beyond_three_per_member(run, cards, fee):
    """001 (四)2 and (四)5: a household of two gets six free cards; 加證50元/張."""
    household(run, "T1-3A", 2)
    case_id = run.start_case(
        OFFICER, "owner-card", {"unit": "T1-3A", "occasion": "additional", "cards": str(cards)}
    )
    assert run.case(case_id).data["fee"] == Decimal(fee)


def test_issued_cards_are_recorded_and_count_against_the_quota_later(run):
    household(run, "T1-3A", 2)
    first = issue(run, "T1-3A", 8)
    assert run.case(first).data["fee"] == Decimal("100")
    assert sum(1 for r in run.registers["cards"] if r["unit"] == "T1-3A") == 8
    assert run.case(first).outcome == "resolved"
    # One more card later: only that card is charged, the two extra were paid for before.
    second = run.start_case(
        OFFICER, "owner-card", {"unit": "T1-3A", "occasion": "additional", "cards": "1"}
    )
    assert run.case(second).data["fee"] == Decimal("50")
