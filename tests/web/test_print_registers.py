"""Print views of cases (A4, signature lines) and the generic register pages."""

from __future__ import annotations

import pytest

from estateflow.services import People
from tests.web.conftest import INTAKE_FORM, csrf_of, sign_in

pytestmark = pytest.mark.anyio


async def _complaint(client) -> str:
    form = await client.get("/e/sunshine/start/complaint")
    started = await client.post(
        "/e/sunshine/start/complaint",
        data={**INTAKE_FORM, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    return started.headers["location"]


async def test_a_complaint_prints_as_the_handbooks_record_with_signature_lines(client, services):
    await sign_in(client, "wychan")
    await People(services.store, services.clock).set_locale("wychan", "zh-Hans")
    case_url = await _complaint(client)
    page = await client.get(case_url)
    assert f'href="{case_url}/print"' in page.text

    printed = await client.get(f"{case_url}/print")
    assert printed.status_code == 200
    text = printed.text
    assert "业户投诉处理表" in text and "投诉处理记录表" in text
    assert "TS-2026-000001" in text and "走廊燈壞了三天" in text
    assert "陳穎欣" in text  # who opened it, by name
    assert "2026年9月24日" in text  # when, written for the language
    assert text.count('class="line"') == 4  # complainant, receiver, department, manager
    assert 'href="/static/print.css"' in text
    css = await client.get("/static/print.css")
    assert "@page { size: A4" in css.text


async def test_another_procedure_prints_the_generic_record(client, services):
    from estateflow.web._print import layout

    assert layout("complaint") == "print/complaint.html"
    assert layout("visitor") == "print/visitor.html"
    assert layout("lost-found") == "print/generic.html"


async def test_print_of_another_estates_case_is_not_found(client):
    await sign_in(client, "wychan")
    response = await client.get("/e/sunshine/cases/nope/print")
    assert response.status_code == 404


async def test_every_declared_register_has_a_page_with_search_and_history(client, services):
    await services.add_register_rows(
        "sunshine",
        "members",
        [{"unit": "T3-9C", "name": "甲", "sex": "f"}, {"unit": "T1-12A", "name": "乙"}],
    )
    async with services.store.unit_of_work(writes=True) as uow:
        await uow.change_register(
            "sunshine",
            {"register": "members", "op": "remove", "where": {"name": "乙"}},
            case_id=None,
            at=services.clock(),
        )
    await sign_in(client, "wychan")
    await People(services.store, services.clock).set_locale("wychan", "en")
    listing = await client.get("/e/sunshine/registers")
    bundle = await services.published_bundle("sunshine")
    for register in bundle.estate.registers.values():
        assert f'href="/e/sunshine/registers/{register.id}"' in listing.text
        assert register.title["en"] in listing.text

    current = await client.get("/e/sunshine/registers/members")
    assert "甲" in current.text and "Female" in current.text
    assert "乙" not in current.text  # removed: only with its history
    history = await client.get("/e/sunshine/registers/members?show=all")
    assert "乙" in history.text and 'class="removed"' in history.text
    found = await client.get("/e/sunshine/registers/members?show=all&q=T3-9C")
    assert "甲" in found.text and "乙" not in found.text
    missing = await client.get("/e/sunshine/registers/nothing-like-this")
    assert missing.status_code == 404


async def test_register_rows_through_the_api(client, services):
    await services.add_register_rows("sunshine", "keys", [{"tag_no": "K-1", "unit": "T1-12A"}])
    token = await People(services.store, services.clock).add_token("wychan", "sunshine", ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    listing = await client.get("/api/v1/e/sunshine/registers", headers=headers)
    assert "keys" in {r["id"] for r in listing.json()}
    rows = await client.get("/api/v1/e/sunshine/registers/keys", headers=headers)
    assert rows.json()["rows"][0]["data"]["tag_no"] == "K-1"
