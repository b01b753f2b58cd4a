"""Lock change, 000 2.4.2 (title only): keys of the old lock leave the register."""

from __future__ import annotations

from tests.scenarios.conftest import actor

OFFICER = actor("lmyip", "cs_officer")
ENGINEER = actor("kkwan", "engineering")


def test_old_keys_in_custody_are_withdrawn_and_new_ones_entrusted(run):
    run.registers["keys"] = [
        {"tag_no": "K-1", "unit": "T1-3A", "kind": "door"},
        {"tag_no": "K-2", "unit": "T1-3A", "kind": "mailbox"},
    ]
    run.start_case(
        OFFICER,
        "lock-change",
        {
            "unit": "T1-3A",
            "applicant": "李先生",
            "relation": "owner",
            "kind": "door",
            "reason": "keys_lost",
        },
    )
    run.act("verify", "approve", OFFICER, {"identity_checked": "on"})
    run.act(
        "change", "changed", ENGINEER, {"new_keys": "3", "technician_signature": {"typed": "關"}}
    )
    run.act(
        "handover",
        "handed_over",
        OFFICER,
        {"entrust_copies": "1", "signature": {"typed": "李先生"}},
    )
    assert [r["tag_no"] for r in run.registers["keys"]] == ["K-2"]  # the letter-box key stays
    run.act("entrust", "sealed", OFFICER, {"tag_no": "K-3", "sealed_in_front_of_owner": "on"})
    assert [r["tag_no"] for r in run.registers["keys"]] == ["K-2", "K-3"]
    assert run.case().outcome == "resolved"
