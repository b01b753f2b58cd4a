"""Paid and agency services, 000 2.6, 2.3.8 (titles only), 1.1.11, 1.4.5: the fee table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from estateflow.errors import Invalid
from tests.scenarios.conftest import actor

OFFICER = actor("lmyip", "cs_officer")
DEPT = actor("hwong", "responsible_dept")
ENGINEER = actor("kkwan", "engineering")
SUPERVISOR = actor("kflee", "cs_supervisor")


def request(service: str, quantity: str = "1", **extra) -> dict:
    return {
        "unit": "T2-8B",
        "requester": "何太",
        "phone": "+852 9876 5432",
        "service": service,
        "quantity": quantity,
        "detail": "每週兩次",
        **extra,
    }


@pytest.mark.parametrize(
    ("service", "quantity", "estimate"),
    [
        ("housekeeping", "3", "360"),
        ("cleaning", "1", "400"),
        ("laundry", "4", "100"),
        ("ticket_booking", "2", "40"),
        ("errand", "1", "30"),
        ("paid_repair", "1.5", "270"),
    ],
)
def test_estimate_is_the_estates_rate_times_the_quantity(run, service, quantity, estimate):
    run.start_case(OFFICER, "paid-service", request(service, quantity))
    assert run.case().data["estimate"] == Decimal(estimate)


def test_without_a_rate_the_price_must_be_quoted(run, sunshine):
    from dataclasses import replace

    from tests.scenarios.conftest import Run

    bare = replace(sunshine.procedures["paid-service"], params={"rates": {"laundry": None}})
    bundle = replace(sunshine, procedures={**sunshine.procedures, "paid-service": bare})
    other = Run(bundle=bundle, now=run.now)
    with pytest.raises(Invalid) as caught:
        other.start_case(OFFICER, "paid-service", request("laundry"))
    assert set(caught.value.errors) == {"unit_price"}
    other.start_case(OFFICER, "paid-service", request("laundry", unit_price="18"))


def test_the_service_is_charged_on_the_actual_quantity(run):
    run.start_case(OFFICER, "paid-service", request("housekeeping", "3"))
    run.act("confirm", "agreed", OFFICER, {"price_agreed": "on", "requested_by_owner": "on"})
    run.act("work", "done", DEPT, {"quantity": "4"})
    run.act(
        "charge",
        "paid",
        OFFICER,
        {"materials": "15", "receipt_no": "R-8", "owner_signature": {"typed": "何太"}},
    )
    assert run.case().data["fee"] == Decimal("495")  # 4 hours x 120 + 15 materials
    assert run.case().outcome == "resolved"


def test_a_paid_repair_goes_through_the_repair_procedure_first(run):
    run.start_case(OFFICER, "paid-service", request("paid_repair", "2"))
    run.act("confirm", "agreed", OFFICER, {"price_agreed": "on", "requested_by_owner": "on"})
    [repair] = run.children()
    assert run.case(repair).procedure == "repair"
    assert run.case(repair).data["paid"] is True
    assert run.open_steps() == ["repair"]
