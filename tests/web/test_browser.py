"""A real browser against a real server: the complaint from intake to closed, with
JavaScript on and again with it off.

The server runs as a subprocess (``estateflow serve``) on a free loopback port with its
clock fixed at Thursday 24 September 2026, 10:00 in Hong Kong, so countdowns and
deadlines are the same on any day. Chromium is Debian's (``which chromium``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator

import pytest

from estateflow.services import Services, hash_password
from estateflow.store import open_store
from tests.conftest import REPO
from tests.web._server import running_server
from tests.web.conftest import PASSWORD

ARTIFACTS = REPO / "artifacts" / "screenshots"
PEOPLE = {
    "wychan": ("陳穎欣", ["front_desk"]),
    "kflee": ("李家輝", ["cs_supervisor"]),
    "hwong": ("黃浩", ["responsible_dept"]),
    "smcheung": ("張淑敏", ["dept_manager"]),
}


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


async def _prepare(url: str) -> None:
    store = await open_store(url)
    services = Services(store)
    await services.publish_estate(REPO / "examples" / "sunshine")
    password_hash = hash_password(PASSWORD)
    for username, (name, roles) in PEOPLE.items():
        await services.add_user(username, name, password_hash)
        await services.grant(username, "sunshine", roles)
    await store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'browser.sqlite3'}"
    asyncio.run(_prepare(url))
    with running_server(url, str(folder / "files")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/e/sunshine/**")


def _sign_out(page) -> None:
    page.click("form.logout button")
    page.wait_for_url("**/login")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_complaint_from_intake_to_closed(server, browser, javascript):
    context = browser.new_context(
        java_script_enabled=javascript, locale="zh-HK", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    suffix = "js" if javascript else "nojs"

    # The front desk records a general complaint.
    _sign_in(page, server, "wychan")
    page.click("nav a[href='/e/sunshine/start']")
    page.click("a[href='/e/sunshine/start/complaint']")
    page.fill("[name='f.unit']", "T1-12A")
    page.fill("[name='f.complainant']", "陳國棟")
    page.select_option("[name='f.relation']", "owner")
    page.fill("[name='f.phone']", "9123 4567")
    page.select_option("[name='f.channel']", "phone")
    page.fill("[name='f.received_at']", "2026-09-24T10:00")
    page.select_option("[name='f.severity']", "general")
    page.fill("[name='f.summary']", "走廊燈壞了 <script>alert(1)</script>")
    page.check("[name='f.repeated_back']")
    _shot(page, f"start-form-{suffix}")
    page.click("form.case-form button.primary")
    try:
        page.wait_for_url("**/cases/*", timeout=8000)
    except Exception:
        _shot(page, f"debug-{suffix}")
        raise
    number = page.locator("h1").inner_text().split()[0]
    assert number.startswith("TS-2026-")
    case_url = page.url
    # The complainant's text shows as text: nothing ran, the tag is visible as typed.
    assert "<script>alert(1)</script>" in page.locator("dl.data").inner_text()
    _sign_out(page)

    # The supervisor finds it in the inbox with its countdown, and forwards it.
    _sign_in(page, server, "kflee")
    row = page.locator("tr", has_text=number)
    assert "剩餘 20分鐘" in row.inner_text()  # a general complaint: forward within 20 minutes
    _shot(page, f"inbox-{suffix}")
    row.locator(f"a:has-text('{number}')").click()
    page.wait_for_url(case_url)
    page.select_option("[name='f.department']", "engineering")
    page.click("button[value='dispatch']")
    page.wait_for_url(case_url)
    _sign_out(page)

    # The responsible department investigates: valid, our matter, no repair needed.
    _sign_in(page, server, "hwong")
    page.goto(case_url)
    page.fill("[name='f.findings']", "燈管損壞，已更換")
    page.check("[name='f.valid']")
    page.fill("[name='f.verified_by']", "hwong")
    page.select_option("[name='f.scope']", "ours")
    page.fill("[name='f.measures']", "更換燈管")
    page.click("button[value='done']")
    page.wait_for_url(case_url)
    _sign_out(page)

    # The owner (the front desk who took it) tells the complainant.
    _sign_in(page, server, "wychan")
    page.goto(case_url)
    page.fill("[name='f.informed_at']", "2026-09-24T10:30")
    page.select_option("[name='f.method']", "phone")
    page.fill("[name='f.content']", "已更換燈管")
    page.click("button[value='informed']")
    page.wait_for_url(case_url)
    _sign_out(page)

    # The department manager calls back; the complainant is satisfied and signs.
    _sign_in(page, server, "smcheung")
    page.goto(case_url)
    page.fill("[name='f.called_at']", "2026-09-24T15:00")
    page.select_option("[name='f.method']", "phone")
    page.check("[name='f.satisfied']")
    page.fill("[name='f.signature.typed']", "陳國棟")
    _shot(page, f"case-{suffix}")
    page.click("button[value='record']")
    page.wait_for_url(case_url)
    status = page.locator(".status")
    assert "closed" in status.get_attribute("class")
    assert status.inner_text() == "已結案: 已解決"  # the status and outcome in zh-Hant
    context.close()


#: The inbox heading in each language, as the screenshots must show it.
HEADINGS = {"zh-Hans": "待办", "zh-Hant": "待辦", "en": "Inbox"}


def test_screenshots_of_the_inbox_a_case_and_a_form_in_three_languages(server, browser):
    context = browser.new_context(locale="zh-HK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, server, "kflee")
    page.goto(f"{server}/e/sunshine/start/complaint")
    page.fill("[name='f.unit']", "T2-8B")
    page.fill("[name='f.complainant']", "林美華")
    page.select_option("[name='f.relation']", "owner")
    page.fill("[name='f.phone']", "9876 5432")
    page.select_option("[name='f.channel']", "phone")
    page.fill("[name='f.received_at']", "2026-09-24T10:00")
    page.select_option("[name='f.severity']", "minor")
    page.fill("[name='f.summary']", "電梯按鈕失靈")
    page.check("[name='f.repeated_back']")
    page.click("form.case-form button.primary")
    page.wait_for_url("**/cases/*")
    case_url = page.url
    for locale, heading in HEADINGS.items():
        page.goto(f"{server}/e/sunshine/")
        page.select_option("form.language select", locale)
        with page.expect_navigation():
            page.click("form.language button")
        assert page.locator("html").get_attribute("lang") == locale
        assert page.locator("h1").inner_text() == heading
        _shot(page, f"inbox-{locale}")
        page.goto(case_url)
        page.wait_for_selector("form.case-form")
        _shot(page, f"case-{locale}")
        page.goto(f"{server}/e/sunshine/start/complaint")
        page.wait_for_selector("[name='f.summary']")
        _shot(page, f"form-{locale}")
        page.goto(f"{case_url}/print")
        page.wait_for_selector("article.sheet")
        _shot(page, f"print-{locale}")
    context.close()
