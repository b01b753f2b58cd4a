"""The JSON API shows full id numbers only to the roles the estate allows, and logs it."""

from __future__ import annotations

import pytest

from estateflow.engine import Actor, Event
from estateflow.services import People
from estateflow.services import _privacy as privacy
from estateflow.store import dumps
from tests.web import conftest as web
from tests.web.conftest import PEOPLE
from tests.web.test_api import API, INTAKE, bearer

# The web suite's fixtures: a SQLite store the test client's event loop can use.
anyio_backend, clock, services, client = web.anyio_backend, web.clock, web.services, web.client

pytestmark = pytest.mark.anyio

HKID = {"kind": "hkid", "number": "A1234563"}


async def test_api_masks_id_numbers_for_roles_not_allowed(services, client):
    people = People(services.store, services.clock)
    tokens = {u: await people.add_token(u, "sunshine", ["read", "act"]) for u in PEOPLE}
    started = await client.post(
        f"{API}/cases",
        json={"procedure": "complaint", "data": INTAKE},
        headers=bearer(tokens["wychan"]),
    )
    assert started.status_code in (200, 201), started.text
    case_id = started.json()["id"]
    async with services.store.unit_of_work(writes=True) as uow:
        row = await uow.load_case("sunshine", case_id)
        state = {**row.state, "data": {**row.state["data"], "owner_id": HKID}}
        uow.tx.defer('UPDATE "cases" SET "state" = $1 WHERE "id" = $2', dumps(state), case_id)

    async def owner_id(user: str) -> str:
        answer = await client.get(f"{API}/cases/{case_id}", headers=bearer(tokens[user]))
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["owner_id"]["number"]

    assert await owner_id("kflee") == "A123***(3)"
    await privacy.configure(services, "sunshine", full_id_roles=["cs_manager"])
    assert await owner_id("ymho") == "A1234563"
    assert await owner_id("kflee") == "A123***(3)"
    log = await privacy.access_log(services, "sunshine")
    assert [(e["actor"], e["action"]) for e in log] == [("ymho", "view-id")]


async def test_event_payloads_are_masked_too(services, monkeypatch):
    events = [Event(type="CaseStarted", at=services.clock(), payload={"data": {"id": HKID}})]

    async def fake_events(estate_id, case_id):
        return events

    monkeypatch.setattr(services, "case_events", fake_events)
    actor = Actor(username="kflee", name="", roles=frozenset(PEOPLE["kflee"][1]))
    masked = await privacy.private_events(services, "sunshine", "x", actor=actor)
    assert masked[0].payload["data"]["id"]["number"] == "A123***(3)"
