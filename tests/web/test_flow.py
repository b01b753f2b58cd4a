"""Signing in, starting a case and acting on it, as plain HTML forms (no JavaScript)."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import INTAKE_FORM, csrf_of, sign_in

pytestmark = pytest.mark.anyio

INTAKE = INTAKE_FORM


async def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = await client.get("/e/sunshine/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/e/sunshine"


async def test_wrong_password_keeps_the_username_and_says_why(client):
    page = await client.get("/login")
    response = await client.post(
        "/login", data={"username": "wychan", "password": "nope", "csrf": csrf_of(page.text)}
    )
    assert response.status_code == 200
    assert "Wrong username or password." in response.text
    assert 'value="wychan"' in response.text


async def test_start_a_complaint_and_see_it_in_the_supervisors_inbox(client, services):
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    assert 'name="f.severity"' in form.text
    data = {**INTAKE, "csrf": csrf_of(form.text)}
    response = await client.post("/e/sunshine/start/complaint", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    case_url = response.headers["location"]
    page = await client.get(case_url)
    assert "TS-2026-000001" in page.text
    assert "剩餘 10分鐘" in page.text  # forward within 10 minutes; in the estate's language
    assert '<span class="status open">進行中</span>' in page.text  # in the reader's language

    await client.post("/logout", data={"csrf": csrf_of(page.text)})
    inbox = await sign_in(client, "kflee")
    assert "TS-2026-000001" in inbox  # the supervisor may forward it: it is in their queue
    assert "剩餘 10分鐘" in inbox
    assert "隊列：前台客服" in inbox  # the queue by the role's label in the estate
    case_page = await client.get(case_url)
    assert "前台客服" in case_page.text.split('class="meta"', 1)[1].split("</p>", 1)[0]


async def test_invalid_start_form_keeps_what_was_typed(client):
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    data = {**INTAKE, "f.severity": "", "csrf": csrf_of(form.text)}
    response = await client.post("/e/sunshine/start/complaint", data=data)
    assert response.status_code == 200
    assert "請修正標記的欄目。" in response.text  # the estate's language: zh-Hant
    assert "走廊燈壞了三天" in response.text


async def test_act_through_the_case_page(client):
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    response = await client.post(
        "/e/sunshine/start/complaint",
        data={**INTAKE, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    case_url = response.headers["location"]
    page = await client.get(case_url)
    await client.post("/logout", data={"csrf": csrf_of(page.text)})
    await sign_in(client, "kflee")
    page = await client.get(case_url)
    action = re.search(r'action="([^"]+/act)"', page.text)[1]
    version = re.search(r'name="version" value="(\d+)"', page.text)[1]
    done = await client.post(
        action,
        data={
            "csrf": csrf_of(page.text),
            "version": version,
            "action": "dispatch",
            "f.department": "engineering",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = await client.get(case_url)
    assert "轉呈當事部門：dispatch" in page.text  # the step's title, in the estate's language


async def test_inbox_search_finds_traditional_titles_typed_in_simplified(client):
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    await client.post("/e/sunshine/start/complaint", data={**INTAKE, "csrf": csrf_of(form.text)})
    await client.post("/logout", data={"csrf": csrf_of(form.text)})
    await sign_in(client, "kflee")
    simplified = await client.get("/e/sunshine/", params={"q": "转呈"})  # the step is 轉呈當事部門
    assert "TS-2026-000001" in simplified.text
    unrelated = await client.get("/e/sunshine/", params={"q": "维修"})
    assert "TS-2026-000001" not in unrelated.text
    htmx = await client.get(
        "/e/sunshine/",
        params={"q": "转呈"},
        headers={"HX-Request": "true", "HX-Target": "task-rows"},
    )
    assert htmx.text.lstrip().startswith('<div id="task-rows"')  # only the rows block
    assert "<html" not in htmx.text


async def test_notifications_page_lists_what_was_sent_to_my_roles(client, services, clock):
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    await client.post("/e/sunshine/start/complaint", data={**INTAKE, "csrf": csrf_of(form.text)})
    clock.advance(minutes=11)
    await services.fire_due()  # the forwarding deadline of a major complaint is missed
    await client.post("/logout", data={"csrf": csrf_of(form.text)})
    await sign_in(client, "kflee")
    page = await client.get("/e/sunshine/notifications")
    assert "TS-2026-000001" in page.text
    # The role, the reason and the step as the reader says them (zh-Hant here).
    row = page.text.split("TS-2026-000001", 1)[1].split("</tr>", 1)[0]
    assert "<td>客服主管</td>" in row and "已超時 · 轉呈當事部門" in row


async def test_unit_and_staff_fields_offer_the_estates_units_and_people(client, services):
    await services.add_register_rows("sunshine", "members", [{"unit": "T3-9C", "name": "甲"}])
    await sign_in(client, "wychan")
    page = await client.get("/e/sunshine/start/complaint")
    assert 'list="dl-units"' in page.text
    assert '<option value="T3-9C">' in page.text
    assert '<option value="kflee">李家輝</option>' in page.text
