"""Repair callbacks, 003 二.2 客户回访操作规程: client repairs by phone within 24 working
hours (a 100% target); internal ones face to face, at least 70%, no time stated."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.conftest import HK, actor

OFFICER = actor("lmyip", "cs_officer")


def request(origin: str) -> dict:
    return {
        "origin": origin,
        "repair_no": "WX-2026-000001",
        "unit": "T1-12A",
        "requester": "陳國棟",
        "phone": "+852 9123 4567",
        "detail": "走廊燈",
    }


def test_client_repair_is_called_back_within_24_working_hours(run):
    """Thursday 24 September 2026 at 17:50 in Sunshine's office hours (Mon-Fri 09:00-13:00
    and 14:00-18:00, Sat 09:00-13:00): Thu 10m; Fri 25 8h (8h10m); Sat 26 is a Hong Kong
    holiday; Mon 28 8h (16h10m); Tue 29 09:00-13:00 (20h10m) and 14:00 + 3h50m = 17:50."""
    run.now = datetime(2026, 9, 24, 17, 50, tzinfo=HK)
    run.start_case(OFFICER, "repair-callback", request("client"))
    assert run.task("callback").due_at == datetime(2026, 9, 29, 17, 50, tzinfo=HK)


def test_internal_repair_callback_has_no_deadline(run):
    run.start_case(OFFICER, "repair-callback", request("internal"))
    assert run.task("callback").due_at is None


def test_callback_targets_are_100_and_70_percent(sunshine):
    params = sunshine.procedures["repair-callback"].params
    assert (params["callback_target_client"], params["callback_target_internal"]) == (100, 70)
    assert params["callback_method"] == {"client": "phone", "internal": "face_to_face"}
