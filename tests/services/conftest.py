"""Services over a real database: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from estateflow.engine import Actor
from estateflow.services import Services
from estateflow.store import open_store
from tests.conftest import REPO
from tests.scenarios.conftest import THU_0924_1000

SUNSHINE = REPO / "examples" / "sunshine"


class FakeClock:
    """The one clock services read; tests move it by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'estateflow.sqlite3'}"
    return request.getfixturevalue("pg_dsn")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(THU_0924_1000)


STAFF = {
    "wychan": ("front_desk",),
    "kflee": ("cs_supervisor",),
    "ymho": ("cs_manager",),
    "hwong": ("responsible_dept",),
    "smcheung": ("dept_manager",),
    "kkwan": ("engineering",),
    "lmyip": ("cs_officer",),
}


@pytest.fixture
async def services(db_url, clock):
    store = await open_store(db_url)
    svc = Services(store, clock=clock)
    await svc.publish_estate(SUNSHINE)
    for username, roles in STAFF.items():
        await svc.add_user(username, username)
        await svc.grant(username, "sunshine", list(roles))
    try:
        yield svc
    finally:
        await store.close()


def who(username: str) -> Actor:
    return Actor(username=username, name=username, roles=frozenset(STAFF[username]))
