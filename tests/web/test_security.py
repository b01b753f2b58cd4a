"""Sessions, CSRF, throttling, isolation between estates and the response headers."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from estateflow.services import LOGIN_FAILURES
from estateflow.web import create_app
from tests.web.conftest import INTAKE_FORM, PASSWORD, csrf_of, sign_in

pytestmark = pytest.mark.anyio


async def test_session_id_changes_at_sign_in(client):
    await client.get("/login")
    planted = client.cookies.get("ef_session")
    await sign_in(client, "wychan")
    assert client.cookies.get("ef_session") not in (None, planted)


async def test_a_planted_session_id_never_becomes_signed_in(services, client):
    # Mallory gets a session id from the login page and plants it in the victim's browser.
    await client.get("/login")
    planted = client.cookies.get("ef_session")
    await sign_in(client, "wychan")  # the victim signs in with the planted cookie
    async with AsyncTestClient(app=create_app(services)) as mallory:
        mallory.cookies.set("ef_session", planted)
        response = await mallory.get("/e/sunshine/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_post_without_or_with_a_wrong_csrf_token_changes_nothing(client, services):
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    for token in ("", "forged", csrf_of(form.text)[:-2] + "xx"):
        response = await client.post(
            "/e/sunshine/start/complaint", data={**INTAKE_FORM, "csrf": token}
        )
        assert response.status_code == 200
        assert "表單已過期" in response.text
        assert "走廊燈壞了三天" in response.text  # what was typed is still there
    async with services.store.unit_of_work(writes=False) as uow:
        assert await uow.tx.fetchval('SELECT count(*) FROM "cases"') == 0


async def test_another_browsers_token_is_refused(services, client):
    await sign_in(client, "wychan")
    async with AsyncTestClient(app=create_app(services)) as other:
        await sign_in(other, "kflee")
        theirs = csrf_of((await other.get("/e/sunshine/start/complaint")).text)
    response = await client.post(
        "/e/sunshine/start/complaint", data={**INTAKE_FORM, "csrf": theirs}
    )
    assert "表單已過期" in response.text


async def test_idle_session_is_signed_out(client, clock):
    await sign_in(client, "wychan")
    clock.advance(minutes=29)
    assert (await client.get("/e/sunshine/", follow_redirects=False)).status_code == 200
    clock.advance(minutes=31)
    response = await client.get("/e/sunshine/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_repeated_wrong_passwords_lock_the_username_for_every_process(services, client):
    for _ in range(LOGIN_FAILURES):
        page = await client.get("/login")
        await client.post(
            "/login",
            data={"username": "wychan", "password": "wrong-password", "csrf": csrf_of(page.text)},
        )
    # Another process (another app over the same database) refuses the right password too.
    async with AsyncTestClient(app=create_app(services)) as elsewhere:
        page = await elsewhere.get("/login")
        response = await elsewhere.post(
            "/login", data={"username": "wychan", "password": PASSWORD, "csrf": csrf_of(page.text)}
        )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text


async def test_open_redirect_after_sign_in_is_refused(client):
    page = await client.get("/login")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil"):
        response = await client.post(
            "/login",
            data={
                "username": "kflee",
                "password": PASSWORD,
                "csrf": csrf_of(page.text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"
        page = await client.get("/login")


async def test_no_redirect_leaves_the_site_or_breaks_its_header(client):
    """Browsers drop tabs and line breaks from a URL: '/\t/evil' is '//evil' to them."""
    await sign_in(client, "kflee")
    for target in ("/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil"):
        page = await client.get("/login")
        response = await client.post(
            "/language",
            data={"locale": "", "next": target, "csrf": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target
    page = await client.get("/login")
    response = await client.post(
        "/language",
        data={"locale": "", "next": "/x\r\nSet-Cookie: planted=1", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert "\n" not in response.headers["location"]
    assert "planted" not in response.headers.get("set-cookie", "")


async def test_a_member_of_one_estate_cannot_see_another_estates_case(services, client):
    await services.publish_estate(services_tower())
    await services.add_user("outsider", "Outsider", "")
    await services.grant("outsider", "tower", ["cs_supervisor"])
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    started = await client.post(
        "/e/sunshine/start/complaint",
        data={**INTAKE_FORM, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    case_id = started.headers["location"].rsplit("/", 1)[1]
    # Signed in as wychan, but asking through the tower estate's URL: not found.
    response = await client.get(f"/e/tower/cases/{case_id}")
    assert response.status_code == 404
    assert "TS-2026" not in response.text


def services_tower():
    from tests.conftest import REPO

    return REPO / "examples" / "tower"


async def test_security_headers_on_every_page(client):
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "HttpOnly" in response.headers["set-cookie"]
    assert "SameSite=lax" in response.headers["set-cookie"]


async def test_security_headers_on_errors_too(client):
    """An exception handler's response skips ``after_request``: error pages, problem
    details and Litestar's own 404 must carry the headers all the same."""
    await sign_in(client, "wychan")
    for url in ("/e/sunshine/cases/no-such-case", "/api/v1/nothing", "/no/such/page"):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.headers["x-frame-options"] == "DENY", url


async def test_labels_from_definitions_are_escaped(client, services):
    await sign_in(client, "wychan")
    page = await client.get("/e/sunshine/start/complaint")
    assert "<script" not in page.text.split("</head>", 1)[1].replace('<script src="/static/', "")


XSS = "<script>alert(1)</script>"


async def test_script_typed_into_any_field_shows_as_text_on_every_page(client, services):
    """Every text a user types (names, summary, register rows, a refused unit) comes back
    escaped: on the refused form, the case page, its print view, registers, the inbox."""
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    await services.add_register_rows("sunshine", "members", [{"unit": "T1-1A", "name": XSS}])
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    refused = await client.post(
        "/e/sunshine/start/complaint",
        data={**INTAKE_FORM, "csrf": csrf_of(form.text), "f.unit": f"T1{XSS}"},
    )
    assert refused.status_code == 200 and XSS not in refused.text
    assert escaped in refused.text  # the refused unit is shown again, as text
    started = await client.post(
        "/e/sunshine/start/complaint",
        data={
            **INTAKE_FORM,
            "csrf": csrf_of(form.text),
            "f.complainant": XSS,
            "f.summary": f"燈壞了 {XSS}",
        },
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    case_url = started.headers["location"]
    pages = [
        case_url,
        f"{case_url}/print",
        "/e/sunshine/",
        "/e/sunshine/registers",
        "/e/sunshine/notifications",
        "/e/sunshine/start/complaint",
    ]
    for url in pages:
        page = await client.get(url)
        assert page.status_code == 200, url
        assert XSS not in page.text, url
    assert escaped in (await client.get(case_url)).text
    assert escaped in (await client.get(f"{case_url}/print")).text
