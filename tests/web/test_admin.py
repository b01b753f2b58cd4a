"""Admin pages and authoring in the browser, through Litestar's test client."""

from __future__ import annotations

import re

import pytest

from estateflow.errors import NotFound
from estateflow.services import Authoring
from estateflow.store import authoring as rows
from tests.services.test_services import INTAKE
from tests.web.conftest import _HASH, INTAKE_FORM, csrf_of, sign_in

pytestmark = pytest.mark.anyio

OVERLAY = "examples/sunshine/procedures/complaint.yaml"
GOOD = "extends: complaint\ntitle: {zh-Hans: 投诉, zh-Hant: 投訴, en: Complaints (edited)}\n"
#: Line 6 sends 'dispatch' to a step that does not exist.
BROKEN = (
    "extends: complaint\n"
    "title: {zh-Hans: 投诉, zh-Hant: 投訴, en: Complaints (edited)}\n"
    "steps:\n"
    "  forward:\n"
    "    actions:\n"
    "      dispatch: {to: [investigatx]}\n"
)


@pytest.fixture
async def admin(services):
    await services.add_user("amy", "Amy Admin", _HASH)
    await services.grant("amy", "sunshine", ["admin", "front_desk"])
    return "amy"


async def _published(services) -> str:
    async with services.store.unit_of_work(writes=False) as uow:
        return await uow.published("sunshine", services.clock())


async def _case_bundle(services, case_id: str) -> str:
    async with services.store.unit_of_work(writes=False) as uow:
        return (await uow.load_case("sunshine", case_id)).bundle_hash


async def _save(client, path: str, text: str) -> str:
    page = await client.get("/e/sunshine/admin/edit")
    response = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": csrf_of(page.text), "path": path, "text": text},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_admin_pages_are_for_estate_admins_only(client, admin):
    await sign_in(client, "wychan")
    for url in (
        "/e/sunshine/admin",
        "/e/sunshine/admin/source?path=procedures/complaint.yaml",
        "/e/sunshine/admin/procedures/complaint",
        "/e/sunshine/admin/forms/complaint-intake",
        "/e/sunshine/admin/edit",
    ):
        assert (await client.get(url)).status_code == 403, url
    inbox = await client.get("/e/sunshine/")
    response = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": csrf_of(inbox.text), "path": OVERLAY, "text": GOOD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "/admin" not in inbox.text  # no nav link for members who are not admins


async def test_overview_lists_procedures_forms_sources_and_versions(client, services, admin):
    await sign_in(client, admin)
    page = await client.get("/e/sunshine/admin")
    assert page.status_code == 200
    digest = await _published(services)
    assert digest[:12] in page.text
    assert "001 (三); 003 二.3 附件 §1-5" in page.text  # the complaint procedure's clauses
    assert 'href="/e/sunshine/admin/forms/complaint-intake"' in page.text
    assert "procedures/complaint.yaml" in page.text
    assert 'href="/e/sunshine/admin"' in page.text  # the nav link


async def test_source_diagram_and_live_form_preview(client, admin):
    await sign_in(client, admin)
    source = await client.get("/e/sunshine/admin/source?path=procedures/complaint.yaml")
    assert source.status_code == 200
    assert "(唯讀)" in source.text  # zh-Hant: the estate's language
    assert 'id="L1"' in source.text
    diagram = await client.get("/e/sunshine/admin/procedures/complaint")
    assert "<svg" in diagram.text and 'data-procedure="complaint"' in diagram.text
    preview = await client.get("/e/sunshine/admin/forms/complaint-intake")
    assert preview.status_code == 200
    assert 'hx-post="/e/sunshine/forms/complaint-intake/state?procedure=complaint"' in preview.text
    assert 'name="f.severity"' in preview.text
    state = await client.post(
        "/e/sunshine/forms/complaint-intake/state?procedure=complaint",
        data={"csrf": csrf_of(preview.text), **INTAKE_FORM},
    )
    assert state.status_code in (200, 201)  # the existing endpoint answers a POST with 201


async def _drafts(services) -> list[dict]:
    async with services.store.unit_of_work(writes=False) as uow:
        return await rows.overlay_drafts(uow, "sunshine")


async def test_base_library_files_are_read_only(client, services, admin):
    await sign_in(client, admin)
    page = await client.get("/e/sunshine/admin/edit")
    response = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": csrf_of(page.text), "path": "procedures/complaint.yaml", "text": GOOD},
    )
    # The editor again, with the reason and the text as typed; nothing saved.
    assert response.status_code == 200
    assert re.search(r'id="edit-error">[^<]*base library files are read-only', response.text)
    assert 'value="procedures/complaint.yaml"' in response.text
    assert "Complaints (edited)" in response.text
    assert await _drafts(services) == []
    # A refusal quotes what was typed: as text, never as markup.
    script = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": csrf_of(page.text), "path": "<b>x</b>.yaml", "text": GOOD},
    )
    assert "&#39;&lt;b&gt;x&lt;/b&gt;.yaml&#39; is not an overlay" in script.text
    assert "<b>x</b>" not in script.text


@pytest.mark.parametrize("token", ["", "forged"])
async def test_an_expired_token_gives_the_editor_back_with_the_text(client, services, admin, token):
    await sign_in(client, admin)
    response = await client.post(
        "/e/sunshine/admin/edit", data={"csrf": token, "path": OVERLAY, "text": BROKEN}
    )
    assert response.status_code == 200
    assert re.search(r'id="edit-error">表單已過期', response.text)
    assert f'value="{OVERLAY}"' in response.text
    assert "dispatch: {to: [investigatx]}" in response.text  # the typed text, in the textarea
    assert csrf_of(response.text) not in ("", "forged")  # a fresh token to submit again with
    assert await _drafts(services) == []
    again = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": csrf_of(response.text), "path": OVERLAY, "text": BROKEN},
        follow_redirects=False,
    )
    assert again.status_code == 303 and len(await _drafts(services)) == 1


async def test_an_expired_token_or_a_bad_date_publishes_nothing(client, services, admin):
    await sign_in(client, admin)
    before = await _published(services)
    draft_url = await _save(client, OVERLAY, GOOD)
    token = csrf_of((await client.get("/e/sunshine/admin/edit")).text)
    for data, reason in (
        ({"csrf": "forged", "effective_at": "2026-10-01T09:00"}, "表單已過期"),
        ({"csrf": token, "effective_at": "next tuesday"}, "&#39;next tuesday&#39; is not a"),
    ):
        response = await client.post(f"{draft_url}/publish", data=data)
        assert response.status_code == 200
        assert re.search(r'id="edit-error">' + reason, response.text)
        assert f'value="{data["effective_at"]}"' in response.text  # kept as typed
        assert 'id="publish"' in response.text  # the draft page, ready to try again
    assert await _published(services) == before
    assert (await Authoring(services).overview("sunshine"))["pending"] == []


async def test_an_expired_token_rolls_nothing_back(client, services, admin):
    authoring = Authoring(services)
    actor = await authoring.admin("sunshine", admin)
    draft_id, _ = await authoring.save_draft("sunshine", OVERLAY, GOOD, actor=actor)
    after = await authoring.publish_draft("sunshine", draft_id, actor=actor)
    await sign_in(client, admin)
    response = await client.post("/e/sunshine/admin/rollback", data={"csrf": "forged"})
    assert response.status_code == 200
    assert re.search(r'id="admin-error">表單已過期', response.text)
    assert 'id="rollback"' in response.text
    assert await _published(services) == after


async def test_a_mistake_shows_at_its_line_and_is_never_published(client, services, admin):
    from estateflow.engine import Actor

    before = await _published(services)
    await sign_in(client, admin)
    draft_url = await _save(client, OVERLAY, BROKEN)
    page = await client.get(draft_url)
    assert "不能發佈" in page.text
    assert f"{OVERLAY}:6:23" in page.text
    assert "dispatch: {to: [investigatx]}" in page.text
    assert "did you mean &#39;investigate&#39;?" in page.text
    assert 'id="publish"' not in page.text
    # Publishing the broken draft by hand changes nothing.
    draft_id = draft_url.rsplit("/", 1)[1]
    refused = await client.post(
        f"{draft_url}/publish", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert refused.headers["location"] == draft_url
    assert await _published(services) == before

    old = await services.start_case(
        "sunshine", "complaint", INTAKE, actor=Actor(username="wychan", roles={"front_desk"})
    )
    fixed_url = await _save(client, OVERLAY, GOOD)
    fixed = await client.get(fixed_url)
    assert "沒有錯誤" in fixed.text
    assert "+title: {zh-Hans: 投诉, zh-Hant: 投訴, en: Complaints (edited)}" in fixed.text
    assert "<svg" in fixed.text  # the preview of the edited procedure
    published = await client.post(
        f"{fixed_url}/publish", data={"csrf": csrf_of(fixed.text)}, follow_redirects=False
    )
    assert published.status_code == 303
    after = await _published(services)
    assert after != before
    new = await services.start_case(
        "sunshine", "complaint", INTAKE, actor=Actor(username="wychan", roles={"front_desk"})
    )
    assert await _case_bundle(services, new.id) == after
    assert await _case_bundle(services, old.id) == before
    # Drafts are kept, broken one included.
    async with services.store.unit_of_work(writes=False) as uow:
        kept = await rows.overlay_drafts(uow, "sunshine")
    assert draft_id in {d["id"] for d in kept} and len(kept) == 2

    # Roll back: the bundle before is published again.
    overview = await client.get("/e/sunshine/admin")
    assert re.search(r'id="rollback">回退到 ' + before[:12], overview.text)
    back = await client.post(
        "/e/sunshine/admin/rollback", data={"csrf": csrf_of(overview.text)}, follow_redirects=False
    )
    assert back.status_code == 303
    assert await _published(services) == before


async def test_a_publish_takes_effect_at_its_date(services, clock, admin):
    authoring = Authoring(services)
    actor = await authoring.admin("sunshine", admin)
    before = await _published(services)
    draft_id, checked = await authoring.save_draft("sunshine", OVERLAY, GOOD, actor=actor)
    assert not checked.errors
    from datetime import timedelta

    when = clock() + timedelta(days=2)
    digest = await authoring.publish_draft("sunshine", draft_id, actor=actor, effective_at=when)
    assert await _published(services) == before
    assert (await authoring.overview("sunshine"))["pending"][0]["bundle_hash"] == digest
    clock.advance(days=2)
    assert await _published(services) == digest
    assert (await services.published_bundle("sunshine")).procedures["complaint"].title[
        "en"
    ] == "Complaints (edited)"
    # A later immediate publish (a rollback) wins over the schedule that has arrived.
    clock.advance(minutes=1)
    assert await authoring.rollback("sunshine", actor=actor, to=before) == before
    assert await _published(services) == before


async def test_an_uploaded_overlay_is_checked_and_a_path_outside_is_refused(client, admin):
    await sign_in(client, admin)
    page = await client.get("/e/sunshine/admin/edit")
    token = csrf_of(page.text)
    response = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": token, "kind": "procedures"},
        files={"file": ("complaint.yaml", GOOD.encode(), "application/yaml")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    draft = await client.get(response.headers["location"])
    assert f"覆蓋檔案 <code>{OVERLAY}</code>" in draft.text
    assert "沒有錯誤" in draft.text
    outside = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": token, "kind": "procedures"},
        files={"file": ("../../../procedures/complaint.yaml", GOOD.encode(), "text/plain")},
        follow_redirects=False,
    )
    assert outside.status_code == 200
    assert re.search(r'id="edit-error">[^<]*is not an overlay of this estate', outside.text)
    assert "Complaints (edited)" in outside.text  # the uploaded text, to fix and save
    latin = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": token, "kind": "procedures"},
        files={"file": ("complaint.yaml", "title: café".encode("latin-1"), "text/plain")},
    )
    assert re.search(r'id="edit-error">an overlay must be UTF-8 text', latin.text)


async def test_a_scheduled_publish_can_be_cancelled(services, clock, admin):
    from datetime import timedelta

    authoring = Authoring(services)
    actor = await authoring.admin("sunshine", admin)
    before = await _published(services)
    draft_id, _ = await authoring.save_draft("sunshine", OVERLAY, GOOD, actor=actor)
    await authoring.publish_draft(
        "sunshine", draft_id, actor=actor, effective_at=clock() + timedelta(hours=1)
    )
    pending = (await authoring.overview("sunshine"))["pending"]
    await authoring.cancel_schedule("sunshine", pending[0]["id"], actor=actor)
    clock.advance(hours=2)
    assert await _published(services) == before
    assert (await authoring.overview("sunshine"))["pending"] == []
    with pytest.raises(NotFound):  # already cancelled (or another estate's): nothing to do
        await authoring.cancel_schedule("sunshine", pending[0]["id"], actor=actor)
