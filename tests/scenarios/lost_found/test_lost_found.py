"""Lost and found, 000 2.3.3 (sic, title only): the register row follows the item."""

from __future__ import annotations

from datetime import timedelta

import pytest

from estateflow.errors import NotAllowed
from tests.scenarios.conftest import THU_0924_1000, actor

DESK = actor("wychan", "front_desk")
GUARD = actor("akwong", "security")
SUPERVISOR = actor("kflee", "cs_supervisor")

FOUND = {"description": "黑色銀包", "found_where": "大堂", "finder": "黃保安"}


def found(run, post_notice: str = "") -> None:
    run.start_case(GUARD, "lost-found", FOUND)
    run.act("register", "registered", DESK, {"tag_no": "L-1", "post_notice": post_notice})


def test_found_item_is_registered_and_returned_to_its_owner(run):
    found(run)
    assert run.registers["lost_found"][0]["status"] == "held"
    run.act("held", "claim", DESK)
    run.act(
        "claim",
        "returned",
        DESK,
        {
            "claimant": "陳先生",
            "id_document": {"kind": "hkid", "number": "A123456(3)"},
            "description_matches": "on",
            "signature": {"typed": "陳先生"},
        },
    )
    row = run.registers["lost_found"][0]
    assert (row["status"], row["returned_to"]) == ("returned", "陳先生")


def test_a_notice_is_posted_when_asked(run):
    found(run, post_notice="on")
    [notice] = run.children()
    assert run.case(notice).procedure == "notice"
    assert run.case(notice).data["kind"] == "lost_property"
    assert run.open_steps() == ["held"]


def test_unclaimed_after_sunshines_30_days_the_supervisor_hands_it_to_the_police(run):
    found(run)
    assert run.task("held").due_at == THU_0924_1000 + timedelta(days=30)
    with pytest.raises(NotAllowed):
        run.act("held", "to_police", DESK)
    run.act("held", "to_police", SUPERVISOR)
    run.act("to_police", "handed_over", SUPERVISOR, {"station": "黃大仙警署", "receipt_no": "P-1"})
    assert run.registers["lost_found"][0]["status"] == "to_police"
    assert run.case().outcome == "handed_over"
