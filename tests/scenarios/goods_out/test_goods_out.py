"""Goods-out release slip, 000 2.2.3 (title only) and 002's gate script."""

from __future__ import annotations

from datetime import datetime

import pytest

from estateflow.errors import Invalid
from tests.scenarios.conftest import HK, actor

DESK = actor("wychan", "front_desk")
GUARD = actor("akwong", "security")
SUPERVISOR = actor("kflee", "cs_supervisor")

APPLICATION = {
    "unit": "T1-3A",
    "applicant": "李小姐",
    "relation": "tenant",
    "move_at": "2026-09-24T15:00",
    "items": [{"item": "雪櫃", "quantity": "1"}],
}
ISSUE = {
    "identity_checked": "on",
    "owner_consent": "on",
    "valid_until": "2026-09-24T18:00",
    "slip_no": "F-9",
}


def test_a_tenant_needs_the_owners_consent(run):
    run.start_case(DESK, "goods-out", APPLICATION)
    with pytest.raises(Invalid) as caught:
        run.act("verify", "issue", DESK, {**ISSUE, "owner_consent": ""})
    assert set(caught.value.errors) == {"owner_consent"}


def test_the_slip_is_checked_at_the_gate_until_it_expires(run):
    run.start_case(DESK, "goods-out", APPLICATION)
    run.act("verify", "issue", DESK, ISSUE)
    assert run.task("gate").due_at == datetime(2026, 9, 24, 18, 0, tzinfo=HK)
    run.advance(hours=9)
    [missed] = run.of_type("DeadlineMissed")
    assert missed.at == datetime(2026, 9, 24, 18, 0, tzinfo=HK)


def test_goods_that_do_not_match_the_slip_go_to_the_supervisor(run):
    run.start_case(DESK, "goods-out", APPLICATION)
    run.act("verify", "issue", DESK, ISSUE)
    run.act("gate", "released", GUARD, {"matches": "", "notes": "多了一部電視"})
    assert run.open_steps() == ["held"]
    run.act("held", "stop", SUPERVISOR)
    assert run.case().outcome == "rejected"
