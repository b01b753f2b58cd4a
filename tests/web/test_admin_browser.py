"""Issue 13 in a real browser: an estate admin edits an overlay on one server process,
sees the mistake at its line, fixes it and publishes; another server process on the same
database keeps serving the old version until then, and the new one right after."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from tests.web._server import running_server
from tests.web.test_admin import BROKEN, OVERLAY
from tests.web.test_admin_servers import FIXED, NEW_TITLE, database, prepare
from tests.web.test_browser import _shot, _sign_in, browser  # noqa: F401 (a fixture)


def _run(coroutine):
    """Run a coroutine beside Playwright's sync API, which owns this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_admin_fixes_a_mistake_in_the_browser_and_both_servers_switch(browser, tmp_path):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'admin-browser.sqlite3'}"
    first_bundle, _ = _run(prepare(url))
    files = str(tmp_path / "files")
    with (
        running_server(url, files, "--no-worker") as one,
        running_server(url, files, "--no-worker") as two,
    ):
        admin = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        staff = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        page, other = admin.new_page(), staff.new_page()
        try:
            _sign_in(page, one, "amy")
            _sign_in(other, two, "wychan")
            assert other.locator("a[href='/e/sunshine/admin']").count() == 0

            page.click("a[href='/e/sunshine/admin']")
            page.wait_for_url("**/e/sunshine/admin")
            assert "001 (三)" in page.content()

            # The diagram and the live form preview.
            page.click("a[href='/e/sunshine/admin/procedures/complaint']")
            page.wait_for_url("**/admin/procedures/complaint")
            assert page.locator("#diagram svg").count() == 1
            # A full page load: htmx (deferred) is ready once "load" has fired.
            page.goto(f"{one}/e/sunshine/admin/forms/complaint-intake")
            with page.expect_response("**/forms/complaint-intake/state**") as answer:
                page.select_option("[name='f.severity']", "major")
            assert answer.value.ok

            # A mistake typed in; meanwhile the admin signs in again in another tab, so
            # this page's form has expired: the editor comes back with the text kept.
            page.goto(f"{one}/e/sunshine/admin/edit")
            page.fill("#path", OVERLAY)
            page.fill("#text", BROKEN)
            _sign_in(admin.new_page(), one, "amy")
            page.click("#check-draft")
            page.wait_for_load_state()
            assert page.url == f"{one}/e/sunshine/admin/edit"
            assert "表單已過期" in page.locator("#edit-error").inner_text()
            assert page.input_value("#text") == BROKEN
            assert page.input_value("#path") == OVERLAY

            # Sent again, the mistake is seen at its line; the other server keeps the old
            # version.
            page.click("#check-draft")
            page.wait_for_url("**/admin/drafts/*")
            assert f"{OVERLAY}:6:23" in page.locator("#check").inner_text()
            assert "dispatch: {to: [investigatx]}" in page.locator("#check").inner_text()
            assert page.locator("#publish").count() == 0
            _shot(page, "admin-draft-error")
            other.goto(f"{two}/e/sunshine/start/complaint")
            assert NEW_TITLE not in other.content()

            # The fix, published; the other server switches without a restart.
            page.fill("#text", FIXED)
            page.click("#check-draft")
            page.wait_for_url("**/admin/drafts/*")
            assert "沒有錯誤" in page.locator("#check-result").inner_text()
            assert "+title: {zh-Hans: 投诉（修订）" in page.locator("#diff").inner_text()
            _shot(page, "admin-draft-ok")
            page.click("#publish")
            page.wait_for_url("**/e/sunshine/admin")
            other.goto(f"{two}/e/sunshine/start/complaint")
            assert NEW_TITLE in other.content()
        finally:
            admin.close()
            staff.close()
    published, _ = _run(database(url))
    assert published != first_bundle
