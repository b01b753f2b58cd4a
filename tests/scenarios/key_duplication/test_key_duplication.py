"""Key duplication, 000 2.4.1 (title only): the estate's price; copies kept go in the register."""

from __future__ import annotations

from decimal import Decimal

import pytest

from estateflow.errors import Invalid
from tests.scenarios.conftest import actor

OFFICER = actor("lmyip", "cs_officer")
ENGINEER = actor("kkwan", "engineering")

REQUEST = {
    "unit": "T1-3A",
    "applicant": "李先生",
    "relation": "owner",
    "kind": "door",
    "copies": "3",
}


def test_fee_is_the_estates_price_per_key(run):
    """Sunshine sets HK$30 a key; the handbooks give no price (000 2.6.2 is a title only)."""
    run.start_case(OFFICER, "key-duplication", REQUEST)
    assert run.case().data["fee"] == Decimal("90")


def test_someone_other_than_the_owner_needs_a_written_authorisation(run):
    run.start_case(OFFICER, "key-duplication", {**REQUEST, "relation": "authorised"})
    with pytest.raises(Invalid) as caught:
        run.act("verify", "approve", OFFICER, {"identity_checked": "on"})
    assert set(caught.value.errors) == {"authorisation"}


def test_copies_left_with_the_office_go_into_the_keys_register(run):
    run.start_case(OFFICER, "key-duplication", REQUEST)
    run.act("verify", "approve", OFFICER, {"identity_checked": "on"})
    run.act("cut", "done", ENGINEER)
    run.act(
        "handover",
        "handed_over",
        OFFICER,
        {"receipt_no": "R-5", "entrust_copies": "1", "signature": {"typed": "李先生"}},
    )
    run.act("entrust", "sealed", OFFICER, {"tag_no": "K-9", "sealed_in_front_of_owner": "on"})
    [row] = run.registers["keys"]
    assert (row["unit"], row["kind"], row["sets"]) == ("T1-3A", "door", 1)
