"""Issue 13 acceptance, over HTTP against two real server processes on one database.

An estate admin introduces a mistake in an overlay and sees it at its line; both servers
keep serving the published version. After the fix, publishing switches both (they read
the ``published`` row), new cases use the new bundle, and old cases keep theirs.
"""

from __future__ import annotations

import re

import httpx
import pytest

from estateflow.engine import Actor
from estateflow.services import Services, hash_password
from estateflow.store import open_store
from tests.conftest import REPO
from tests.services.test_services import INTAKE
from tests.web._server import running_server
from tests.web.conftest import INTAKE_FORM, PASSWORD
from tests.web.test_admin import BROKEN, OVERLAY

pytestmark = pytest.mark.anyio

NEW_TITLE = "投訴（修訂）"
FIXED = (
    "extends: complaint\n"
    "title: {zh-Hans: 投诉（修订）, zh-Hant: 投訴（修訂）, en: Complaints (revised)}\n"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'admin.sqlite3'}"
    return request.getfixturevalue("pg_dsn")


async def prepare(url: str) -> tuple[str, str]:
    """The published bundle and a case opened on it."""
    store = await open_store(url)
    try:
        services = Services(store)
        digest = await services.publish_estate(REPO / "examples" / "sunshine")
        password_hash = hash_password(PASSWORD)
        for username, roles in (("amy", ["admin", "front_desk"]), ("wychan", ["front_desk"])):
            await services.add_user(username, username, password_hash)
            await services.grant(username, "sunshine", roles)
        view = await services.start_case(
            "sunshine", "complaint", INTAKE, actor=Actor(username="wychan", roles={"front_desk"})
        )
    finally:
        await store.close()
    return digest, view.id


async def database(url: str) -> tuple[str, dict[str, str]]:
    """The published bundle now, and the bundle of every case."""
    store = await open_store(url)
    try:
        async with store.unit_of_work(writes=False) as uow:
            published = await uow.published("sunshine")
            cases = {}
            for case_id, _, _ in await uow.case_ids("sunshine"):
                cases[case_id] = (await uow.load_case("sunshine", case_id)).bundle_hash
    finally:
        await store.close()
    return published, cases


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


async def signed_in(base: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=60)
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf(page.text), "next": "/"},
    )
    assert response.status_code == 303
    return client


async def save_draft(admin: httpx.AsyncClient, text: str) -> str:
    page = await admin.get("/e/sunshine/admin/edit", params={"path": OVERLAY})
    response = await admin.post(
        "/e/sunshine/admin/edit", data={"csrf": csrf(page.text), "path": OVERLAY, "text": text}
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def title_served(client: httpx.AsyncClient) -> bool:
    page = await client.get("/e/sunshine/start/complaint")
    assert page.status_code == 200
    return NEW_TITLE in page.text


async def test_a_mistake_is_shown_and_kept_out_then_the_fix_switches_both_servers(url, tmp_path):
    first_bundle, old_case = await prepare(url)
    files = str(tmp_path / "files")
    with (
        running_server(url, files, "--no-worker") as one,
        running_server(url, files, "--no-worker") as two,
    ):
        admin = await signed_in(one, "amy")
        staff_one, staff_two = await signed_in(one, "wychan"), await signed_in(two, "wychan")
        try:
            # A form that expired (a wrong token) gives the editor back with the text.
            expired = await admin.post(
                "/e/sunshine/admin/edit", data={"csrf": "stale", "path": OVERLAY, "text": BROKEN}
            )
            assert expired.status_code == 200
            assert 'id="edit-error">表單已過期' in expired.text
            assert "dispatch: {to: [investigatx]}" in expired.text

            # The mistake: seen at its line, with the source line and the hint.
            broken = await save_draft(admin, BROKEN)
            page = await admin.get(broken)
            assert f"{OVERLAY}:6:23" in page.text
            assert "dispatch: {to: [investigatx]}" in page.text
            assert "不能發佈" in page.text
            refused = await admin.post(f"{broken}/publish", data={"csrf": csrf(page.text)})
            assert refused.headers["location"] == broken  # back to the errors
            assert not await title_served(staff_one)
            assert not await title_served(staff_two)
            assert (await database(url))[0] == first_bundle

            # The fix, published on server one, switches server two as well.
            fixed = await save_draft(admin, FIXED)
            page = await admin.get(fixed)
            assert "沒有錯誤" in page.text
            assert "+title: {zh-Hans: 投诉（修订）" in page.text
            published = await admin.post(f"{fixed}/publish", data={"csrf": csrf(page.text)})
            assert published.status_code == 303
            assert await title_served(staff_one)
            assert await title_served(staff_two)

            # A new case opened on server two uses the new bundle; the old case keeps its.
            start = await staff_two.get("/e/sunshine/start/complaint")
            opened = await staff_two.post(
                "/e/sunshine/start/complaint", data={"csrf": csrf(start.text), **INTAKE_FORM}
            )
            assert opened.status_code == 303, opened.text
            new_case = opened.headers["location"].rstrip("/").rsplit("/", 1)[1]
            assert (await staff_one.get(f"/e/sunshine/cases/{old_case}")).status_code == 200
        finally:
            for client in (admin, staff_one, staff_two):
                await client.aclose()
    published, cases = await database(url)
    assert published != first_bundle
    assert cases[new_case] == published
    assert cases[old_case] == first_bundle
