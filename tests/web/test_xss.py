"""Stored XSS: a script in every kind of field and in every label a definition carries.

A hostile estate (published as from the command line) labels everything with a payload
that opens a script, breaks out of a quoted attribute and adds an event handler: the
estate, its roles, registers, procedure, steps, actions, form, fields, help and options.
A member then types the payload into every field kind that takes text and tries it on
every kind that does not. Each page that shows any of it (start list, start page, the
refused form, case page, inbox, print view, registers, notifications, reports, admin
pages, the live form-state fragment) must hold it as text only, and the JSON API must
return it as JSON. Then an admin writes the payload into an overlay through the editor
and publishes it, with the same result.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from markupsafe import escape
from PIL import Image

from estateflow.services import hash_password
from tests.web._html import script_problems
from tests.web.conftest import PASSWORD, csrf_of, sign_in

pytestmark = pytest.mark.anyio

#: Opens a script, leaves a double- or single-quoted attribute, adds a handler.
PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
#: What must never reach a page unescaped.
RAW = ("<script>alert(1)", "<img src=x onerror")
#: The payload as autoescaped text: it is shown, not dropped.
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
LABEL = json.dumps({"en": PAYLOAD, "zh-Hant": PAYLOAD, "zh-Hans": PAYLOAD}, ensure_ascii=False)
#: The whole payload as an autoescaped attribute value.
AS_VALUE = str(escape(PAYLOAD))
OPTIONS = f"[{{value: a, label: {LABEL}}}, {{value: b, label: {LABEL}}}]"

ESTATE = f"""\
id: hostile
name: {LABEL}
region: HK
locale: en
currency: HKD
timezone: Asia/Hong_Kong
years: [2026]
library: ..
calendars:
  office: {{label: {LABEL}, hours: {{mon-fri: ["00:00-23:59"], sat-sun: ["00:00-23:59"]}}}}
roles:
  clerk: {{label: {LABEL}, calendar: office}}
registers:
  things:
    title: {LABEL}
    fields:
      unit: {{type: unit, required: true, label: {LABEL}}}
      note: {{type: text, label: {LABEL}}}
      kind: {{type: select, label: {LABEL}, options: {OPTIONS}}}
procedures: [hostile]
"""
#: Every field kind, each labelled and helped by the payload.
KINDS = {
    "text": "{type: text}",
    "textarea": "{type: textarea}",
    "integer": "{type: integer}",
    "decimal": "{type: decimal}",
    "money": "{type: money}",
    "date": "{type: date}",
    "time": "{type: time}",
    "datetime": "{type: datetime}",
    "duration": "{type: duration}",
    "select": f"{{type: select, options: {OPTIONS}}}",
    "multiselect": f"{{type: multiselect, options: {OPTIONS}}}",
    "boolean": "{type: boolean}",
    "phone": "{type: phone}",
    "id_document": "{type: id_document}",
    "email": "{type: email}",
    "unit": "{type: unit}",
    "staff": "{type: staff}",
    "file": "{type: file}",
    "photo": "{type: photo}",
    "signature": "{type: signature}",
    "rating": "{type: rating, min: 1, max: 5}",
    "table": f"{{type: table, columns: {{name: {{type: text, label: {LABEL}}}, "
    f"count: {{type: integer, label: {LABEL}}}}}}}",
}
FORM = f"id: hostile-form\ntitle: {LABEL}\nfields:\n" + "".join(
    f"  {kind}: {{{spec[1:-1]}, label: {LABEL}, help: {LABEL}}}\n" for kind, spec in KINDS.items()
)
PROCEDURE = f"""\
id: hostile
title: {LABEL}
roles: [clerk]
start: {{roles: [clerk], form: hostile-form, to: review}}
steps:
  review:
    title: {LABEL}
    role: clerk
    form: hostile-form
    actions:
      done: {{label: {LABEL}, to: closed}}
      drop: {{label: {LABEL}, to: closed}}
  closed: {{title: {LABEL}, terminal: resolved}}
"""
#: Valid values for every kind, the payload wherever free text is allowed.
TYPED = {
    "f.text": PAYLOAD,
    "f.textarea": f"line one\n{PAYLOAD}",
    "f.integer": "3",
    "f.decimal": "1.5",
    "f.money": "12.50",
    "f.date": "2026-09-24",
    "f.time": "10:00",
    "f.datetime": "2026-09-24T10:00",
    "f.duration": "2h",
    "f.select": "a",
    "f.multiselect": ["a", "b"],
    "f.boolean": "on",
    "f.phone": "9123 4567",
    "f.id_document": "A123456(3)",
    "f.email": "o'hara&co@example.com",
    "f.unit": "T1-12A",
    "f.staff": "clerk",
    "f.signature.typed": PAYLOAD,
    "f.rating": "4",
    "f.table.0.name": PAYLOAD,
    "f.table.0.count": "2",
}
#: The payload in every field that checks its value: each is refused and shown again.
REFUSED = {key: PAYLOAD for key in TYPED if not key.startswith("f.table")} | {
    "f.table.0.count": PAYLOAD,
    "f.multiselect": [PAYLOAD],
}

#: The kinds that check their value, and those of them typed into a text input.
CHECKED = [k for k in KINDS if k not in ("text", "textarea", "signature", "table", "file", "photo")]
TYPED_INTO = [k for k in CHECKED if k not in ("select", "multiselect", "boolean", "rating")]


def assert_safe(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} reached the page unescaped"
    assert not script_problems(html), f"{where}: {script_problems(html)}"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 20, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
async def hostile(services, tmp_path):
    await services.publish_estate(_library(tmp_path) / "estate")
    await services.add_user("clerk", PAYLOAD, hash_password(PASSWORD))  # a name, too
    await services.grant("clerk", "hostile", ["clerk", "admin"])
    await services.add_register_rows(
        "hostile", "things", [{"unit": "T1-1A", "note": PAYLOAD, "kind": "a"}]
    )
    return "hostile"


async def test_a_script_in_any_field_or_label_stays_text_on_every_page(client, hostile):
    await sign_in(client, "clerk")
    base = "/e/hostile"
    start = await client.get(f"{base}/start/hostile")
    assert start.status_code == 200
    assert_safe(start.text, "start page")
    assert ESCAPED in start.text  # the labels are there, as text
    token = csrf_of(start.text)

    refused = await client.post(f"{base}/start/hostile", data={**REFUSED, "csrf": token})
    assert refused.status_code == 200
    assert_safe(refused.text, "the refused form")
    for kind in CHECKED:
        assert f'class="field {kind} invalid"' in refused.text, f"{kind} was not refused"
    for kind in TYPED_INTO:  # what was typed is shown again in its input, as text
        assert re.search(rf'id="f-{kind}"[^>]*value="{re.escape(AS_VALUE)}"', refused.text), kind

    fragment = await client.post(
        f"{base}/forms/hostile-form/state?procedure=hostile", data={**REFUSED, "csrf": token}
    )
    assert fragment.status_code in (200, 201)
    assert_safe(fragment.text, "the live form state")

    name = f"{PAYLOAD}.pdf"
    started = await client.post(
        f"{base}/start/hostile",
        data={**TYPED, "csrf": token},
        files={
            "f.file": (name, b"%PDF-1.4\n%%EOF\n", "application/pdf"),
            "f.photo": (name.replace(".pdf", ".jpg"), _jpeg(), "image/jpeg"),
        },
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    case_url = started.headers["location"]
    case = await client.get(case_url)
    assert ESCAPED in case.text  # what was typed is shown, as text
    pages = [
        f"{base}/",
        f"{base}/start",
        case_url,
        f"{case_url}/print",
        f"{base}/registers",
        f"{base}/registers/things",
        f"{base}/notifications",
        f"{base}/reports",
        f"{base}/books",
        f"{base}/admin",
        f"{base}/admin/procedures/hostile",
        f"{base}/admin/forms/hostile-form",
        "/",
    ]
    for url in pages:
        page = await client.get(url, follow_redirects=True)
        assert page.status_code == 200, url
        assert_safe(page.text, url)

    # The task's form, filled with the payload again, acted on: the timeline and print.
    case = await client.get(case_url)
    act = re.search(r'action="([^"]+/act)"', case.text)[1]
    version = re.search(r'name="version" value="(\d+)"', case.text)[1]
    done = await client.post(
        act,
        data={**TYPED, "csrf": token, "action": "done", "version": version},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    for url in (case_url, f"{case_url}/print"):
        page = await client.get(url)
        assert_safe(page.text, f"{url} after acting")
        assert ESCAPED in page.text


async def test_the_api_returns_a_script_as_json_data(client, services, hostile):
    from estateflow.services import People

    token = await People(services.store, services.clock).add_token(
        "clerk", "hostile", ["read", "act"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    data = {k[2:]: v for k, v in TYPED.items() if "." not in k[2:]}
    data |= {"boolean": True, "signature": {"typed": PAYLOAD}, "multiselect": ["a"]}
    data["table"] = [{"name": PAYLOAD, "count": 2}]
    started = await client.post(
        "/api/v1/e/hostile/cases", json={"procedure": "hostile", "data": data}, headers=headers
    )
    assert started.status_code == 201, started.text
    for url in (
        f"/api/v1/e/hostile/cases/{started.json()['id']}",
        "/api/v1/e/hostile/procedures",
        "/api/v1/e/hostile/registers/things",
        "/api/v1/e/hostile/tasks",
    ):
        response = await client.get(url, headers=headers)
        assert response.headers["content-type"].startswith("application/json"), url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert PAYLOAD in _strings(response.json()), url  # as it was typed: JSON, not HTML


def _strings(value):
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


OVERLAY = "examples/sunshine/procedures/complaint.yaml"
FORM_OVERLAY = "examples/sunshine/forms/complaint-intake.yaml"


async def test_labels_written_through_the_overlay_editor_and_published_stay_text(client, services):
    from tests.web.conftest import _HASH

    await services.add_user("amy", PAYLOAD, _HASH)
    await services.grant("amy", "sunshine", ["admin", "front_desk"])
    await sign_in(client, "amy")
    drafts = {
        OVERLAY: (
            f"extends: complaint\ntitle: {LABEL}\n"
            f"steps:\n  forward:\n    title: {LABEL}\n"
            f"    actions:\n      dispatch: {{label: {LABEL}}}\n"
        ),
        FORM_OVERLAY: (
            f"extends: complaint-intake\ntitle: {LABEL}\n"
            # A field of a form overlay is checked before the merge: it names its type.
            f"fields:\n  summary: {{type: textarea, label: {LABEL}, help: {LABEL}}}\n"
            f"  channel: {{type: select, options: {OPTIONS}}}\n"
        ),
    }
    for path, text in drafts.items():
        page = await client.get(f"/e/sunshine/admin/edit?path={path}")
        saved = await client.post(
            "/e/sunshine/admin/edit",
            data={"csrf": csrf_of(page.text), "path": path, "text": text},
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        draft = await client.get(saved.headers["location"])
        assert draft.status_code == 200, draft.text[-3000:]
        assert_safe(draft.text, f"draft of {path}")
        published = await client.post(
            f"{saved.headers['location']}/publish",
            data={"csrf": csrf_of(draft.text), "effective_at": ""},
            follow_redirects=False,
        )
        assert published.headers["location"] == "/e/sunshine/admin", f"{path}: not published"

    # A broken overlay: its diagnostics quote the payload (a key, a value) on the draft page.
    broken = f"extends: complaint\n{json.dumps(PAYLOAD)}: 1\ntitle: {{en: {json.dumps(PAYLOAD)}\n"
    page = await client.get("/e/sunshine/admin/edit")
    saved = await client.post(
        "/e/sunshine/admin/edit",
        data={"csrf": csrf_of(page.text), "path": OVERLAY, "text": broken},
        follow_redirects=False,
    )
    draft = await client.get(saved.headers["location"])
    assert "error" in draft.text.lower()
    assert_safe(draft.text, "draft with errors")

    from tests.web.conftest import INTAKE_FORM

    start = await client.get("/e/sunshine/start/complaint")
    started = await client.post(
        "/e/sunshine/start/complaint",
        data={**INTAKE_FORM, "f.channel": "a", "csrf": csrf_of(start.text)},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    case_url = started.headers["location"]
    for url in (
        "/e/sunshine/start",
        "/e/sunshine/start/complaint",
        "/e/sunshine/",
        case_url,
        f"{case_url}/print",
        "/e/sunshine/admin",
        "/e/sunshine/admin/procedures/complaint",
        "/e/sunshine/admin/forms/complaint-intake",
        f"/e/sunshine/admin/source?path={OVERLAY}",
        "/e/sunshine/reports",
    ):
        page = await client.get(url)
        assert page.status_code == 200, url
        assert_safe(page.text, url)
    assert ESCAPED in (await client.get(case_url)).text


def test_the_hostile_library_is_a_valid_estate(tmp_path):
    """The payload must reach the pages, not stop at the checker (warnings aside)."""
    from estateflow.definitions import check_paths

    root = _library(tmp_path)
    result = check_paths([root / "estate"], cwd=root)
    assert not result.errors, [str(d) for d in result.errors]


def _library(tmp_path):
    root = tmp_path / "library"
    for folder in ("estate", "forms", "procedures"):
        (root / folder).mkdir(parents=True)
    (root / "estate" / "estate.yaml").write_text(ESTATE, encoding="utf-8")
    (root / "forms" / "hostile-form.yaml").write_text(FORM, encoding="utf-8")
    (root / "procedures" / "hostile.yaml").write_text(PROCEDURE, encoding="utf-8")
    return root
