"""The web app over a real store, through Litestar's HTTP test client."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from estateflow.services import Services, hash_password
from estateflow.store import open_store
from estateflow.web import Settings, create_app
from tests.scenarios.conftest import THU_0924_1000
from tests.services.conftest import SUNSHINE, FakeClock

PASSWORD = "correct horse battery"
#: A valid complaint intake as the start form posts it.
INTAKE_FORM = {
    "f.unit": "T1-12A",
    "f.complainant": "陳國棟",
    "f.relation": "owner",
    "f.phone": "9123 4567",
    "f.channel": "phone",
    "f.received_at": "2026-09-24T10:00",
    "f.severity": "major",
    "f.summary": "走廊燈壞了三天",
    "f.repeated_back": "on",
}
PEOPLE = {
    "wychan": ("陳穎欣", ["front_desk"]),
    "kflee": ("李家輝", ["cs_supervisor"]),
    "ymho": ("何燕萍", ["cs_manager"]),
    "hwong": ("黃浩", ["responsible_dept"]),
    "smcheung": ("張淑敏", ["dept_manager"]),
}
_HASH = hash_password(PASSWORD)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(THU_0924_1000)


@pytest.fixture
async def services(tmp_path, clock):
    store = await open_store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    svc = Services(store, clock=clock)
    await svc.publish_estate(SUNSHINE)
    for username, (name, roles) in PEOPLE.items():
        await svc.add_user(username, name, _HASH)
        await svc.grant(username, "sunshine", roles)
    try:
        yield svc
    finally:
        await store.close()


@pytest.fixture
async def client(services, tmp_path):
    app = create_app(services, settings=Settings(files=tmp_path / "files"))
    async with AsyncTestClient(app=app) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no csrf field on the page"
    return match[1]


async def sign_in(client, username: str) -> str:
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf": csrf_of(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = await client.get("/", follow_redirects=True)
    return home.text
