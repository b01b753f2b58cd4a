"""Concurrent requests against a real server process: nothing acts twice."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from estateflow.engine import Actor
from estateflow.services import Services, hash_password
from estateflow.store import open_store
from tests.conftest import REPO
from tests.services.test_services import INTAKE
from tests.web._server import running_server
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.anyio


async def prepare(url: str) -> str:
    store = await open_store(url)
    services = Services(store)
    await services.publish_estate(REPO / "examples" / "sunshine")
    password_hash = hash_password(PASSWORD)
    for username, roles in (
        ("wychan", ["front_desk"]),
        ("kflee", ["cs_supervisor"]),
        ("ymho", ["cs_supervisor"]),
    ):
        await services.add_user(username, username, password_hash)
        await services.grant(username, "sunshine", roles)
    view = await services.start_case(
        "sunshine",
        "complaint",
        INTAKE,
        actor=Actor(username="wychan", roles=frozenset({"front_desk"})),
    )
    await store.close()
    return view.id


async def signed_in(base: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30)
    page = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf": token, "next": "/"}
    )
    assert response.status_code == 303
    return client


async def act_form(client: httpx.AsyncClient, case_id: str) -> tuple[str, dict]:
    page = await client.get(f"/e/sunshine/cases/{case_id}")
    action = re.search(r'action="([^"]+/act)"', page.text)[1]
    return action, {
        "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text)[1],
        "version": re.search(r'name="version" value="(\d+)"', page.text)[1],
        "action": "dispatch",
    }


async def actions_taken(url: str, case_id: str) -> int:
    store = await open_store(url)
    try:
        events = await Services(store).case_events("sunshine", case_id)
    finally:
        await store.close()
    return [e.type for e in events].count("ActionTaken")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.sqlite3'}"
    return request.getfixturevalue("pg_dsn")


async def test_a_double_submit_acts_once(url, tmp_path):
    case_id = await prepare(url)
    with running_server(url, str(tmp_path / "files"), "--no-worker") as base:
        client = await signed_in(base, "kflee")
        action, data = await act_form(client, case_id)
        data["f.department"] = "engineering"
        first, second = await asyncio.gather(
            client.post(action, data=data), client.post(action, data=data)
        )
        await client.aclose()
    # Both clicks land on the case page as it now is; the act happened once.
    assert {first.status_code, second.status_code} == {303}
    assert await actions_taken(url, case_id) == 1


async def test_two_people_on_one_task_one_acts_the_other_is_told(url, tmp_path):
    case_id = await prepare(url)
    with running_server(url, str(tmp_path / "files"), "--no-worker") as base:
        one, two = await signed_in(base, "kflee"), await signed_in(base, "ymho")
        (action, data_one), (_, data_two) = (
            await act_form(one, case_id),
            await act_form(two, case_id),
        )
        data_one["f.department"], data_two["f.department"] = "engineering", "security"
        answers = await asyncio.gather(
            one.post(action, data=data_one), two.post(action, data=data_two)
        )
        await one.aclose()
        await two.aclose()
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 303]
    told = next(a for a in answers if a.status_code == 200)
    assert "已有他人先處理了此個案" in told.text
    assert await actions_taken(url, case_id) == 1
