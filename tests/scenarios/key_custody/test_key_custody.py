"""Keys in custody, 000 2.4 (title only): the keys register follows each key set."""

from __future__ import annotations

from tests.scenarios.conftest import THU_0924_1000, actor, minutes

OFFICER = actor("lmyip", "cs_officer")
SIGNED = {"typed": "陳國棟"}


def entrust(run) -> None:
    run.start_case(
        OFFICER,
        "key-custody",
        {
            "unit": "T1-12A",
            "owner_name": "陳國棟",
            "phone": "+852 9123 4567",
            "kind": "door",
            "sets": "1",
            "purpose": "away",
            "owner_signature": SIGNED,
        },
    )
    run.act("seal", "sealed", OFFICER, {"tag_no": "K-1", "sealed_in_front_of_owner": "on"})


def test_lent_keys_are_marked_out_and_due_back_in_four_hours(run):
    entrust(run)
    assert run.registers["keys"][0]["status"] == "in_cabinet"
    run.act("held", "lend", OFFICER)
    run.act(
        "lend",
        "lent",
        OFFICER,
        {"borrower": "關師傅", "reason": "水管爆裂", "owner_authorised": "on"},
    )
    row = run.registers["keys"][0]
    assert (row["status"], row["holder"]) == ("lent", "關師傅")
    assert minutes(run.task("out").due_at, THU_0924_1000) == 240  # Sunshine: lend_for 4h
    run.act("out", "returned", OFFICER, {"resealed": "on"})
    assert run.registers["keys"][0]["status"] == "in_cabinet"
    assert run.open_steps() == ["held"]


def test_the_owner_takes_the_keys_back_and_the_row_goes(run):
    entrust(run)
    run.act("held", "give_back", OFFICER)
    run.act(
        "give_back", "collected", OFFICER, {"identity_checked": "on", "owner_signature": SIGNED}
    )
    assert run.registers["keys"] == []
    assert run.case().outcome == "resolved"
