"""Photos are cleaned and scaled down; files are checked by content and kept per estate."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.web.conftest import csrf_of, sign_in

pytestmark = pytest.mark.anyio

REPAIR = {
    "f.origin": "client",
    "f.kind": "repair",
    "f.unit": "T1-12A",
    "f.requester": "陳國棟",
    "f.phone": "9123 4567",
    "f.trade": "electrical",
    "f.detail": "走廊燈不亮",
}


def jpeg_with_location(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {2: (22.0, 17.0, 0.0), 4: (114.0, 10.0, 0.0)}  # GPS: where it was taken
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def start_repair(client, files):
    form = await client.get("/e/sunshine/start/repair")
    return await client.post(
        "/e/sunshine/start/repair",
        data={**REPAIR, "csrf": csrf_of(form.text)},
        files=files,
        follow_redirects=False,
    )


async def test_photo_loses_its_exif_and_is_scaled_down(client, services):
    await sign_in(client, "wychan")
    original = jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif()  # the original does carry EXIF
    response = await start_repair(client, {"f.photo": ("light.jpg", original, "image/jpeg")})
    assert response.status_code == 303, response.text
    case_id = response.headers["location"].rsplit("/", 1)[1]
    view = await services.get_case("sunshine", case_id, actor=_desk())
    ref = view.data["photo"]
    served = await client.get(f"/e/sunshine/files/{ref['sha256']}")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/jpeg")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    stored = Image.open(io.BytesIO(served.content))
    assert max(stored.size) == 1600
    assert not stored.getexif()


async def test_a_disguised_file_is_refused_and_the_form_keeps_what_was_typed(client):
    await sign_in(client, "wychan")
    response = await start_repair(
        client, {"f.photo": ("photo.jpg", b"#!/bin/sh\nrm -rf /\n", "image/jpeg")}
    )
    assert response.status_code == 200
    assert "this is not a photo" in response.text
    assert "走廊燈不亮" in response.text


async def test_files_are_not_served_through_another_estate(client, services):
    from tests.conftest import REPO

    await services.publish_estate(REPO / "examples" / "tower")
    await services.grant("wychan", "tower", ["front_desk"])
    await sign_in(client, "wychan")
    response = await start_repair(
        client, {"f.photo": ("light.jpg", jpeg_with_location((400, 300)), "image/jpeg")}
    )
    case_id = response.headers["location"].rsplit("/", 1)[1]
    view = await services.get_case("sunshine", case_id, actor=_desk())
    digest = view.data["photo"]["sha256"]
    assert (await client.get(f"/e/sunshine/files/{digest}")).status_code == 200
    assert (await client.get(f"/e/tower/files/{digest}")).status_code == 404


def _desk():
    from estateflow.engine import Actor

    return Actor(username="wychan", roles=frozenset({"front_desk"}))


async def test_a_work_permit_with_a_photo_per_worker_can_be_started(client, services):
    """001 (六)1: the permit needs each worker's ID and photo, rows of a table."""
    await services.add_user("lmyip", "葉麗明", (await _hash()))
    await services.grant("lmyip", "sunshine", ["cs_officer"])
    await sign_in(client, "lmyip")
    form = await client.get("/e/sunshine/start/work-permit")
    photo = jpeg_with_location((800, 1000))
    response = await client.post(
        "/e/sunshine/start/work-permit",
        data={
            "csrf": csrf_of(form.text),
            "f.sponsor_department": "engineering",
            "f.contractor": "恒達工程有限公司",
            "f.contractor_head": "黃志強",
            "f.contractor_phone": "2345 6789",
            "f.fee": "20",
            "f.workers.0.name": "李大明",
            "f.workers.0.id_document": "A123456(3)",
        },
        files={"f.workers.0.photo": ("worker.jpg", photo, "image/jpeg")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    case_id = response.headers["location"].rsplit("/", 1)[1]
    from estateflow.engine import Actor

    view = await services.get_case(
        "sunshine", case_id, actor=Actor(username="lmyip", roles=frozenset({"cs_officer"}))
    )
    [worker] = view.data["workers"]
    assert worker["name"] == "李大明"
    assert worker["photo"]["type"] == "image/jpeg"
    assert (await client.get(f"/e/sunshine/files/{worker['photo']['sha256']}")).status_code == 200


async def _hash() -> str:
    from estateflow.services import hash_password
    from tests.web.conftest import PASSWORD

    return hash_password(PASSWORD)


#: What a browser could run if a file were served as it claims to be.
ACTIVE = {
    "page.html": b"<!doctype html><html><script>alert(document.cookie)</script></html>",
    "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle/></svg>',
    "note.txt": b"<script>alert(1)</script>",
    "data.xml": b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">'
    b"alert(1)</x:script>",
}
#: ``filename*`` with only unreserved characters and %XX: no quote, no line break.
SAFE_DISPOSITION = re.compile(r"^(inline|attachment); filename\*=UTF-8''[A-Za-z0-9%._~-]+$")


def _headers_are_safe(response, disposition: str) -> None:
    assert response.status_code == 200
    assert SAFE_DISPOSITION.match(response.headers["content-disposition"])
    assert response.headers["content-disposition"].startswith(f"{disposition};")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["cache-control"].startswith("private")


async def test_files_are_served_as_their_content_with_safe_headers(client):
    """HTML, SVG and XML are sniffed as bytes, never served inline or as what their name
    says; a PDF downloads; a picture shows inline; the name cannot break the header."""
    attachments = client.app.state.attachments
    await sign_in(client, "wychan")
    for name, data in ACTIVE.items():
        ref = attachments.save("sunshine", data, name, photo=False)
        served = await client.get(f"/e/sunshine/files/{ref['sha256']}")
        _headers_are_safe(served, "attachment")
        assert served.headers["content-type"] == "application/octet-stream", name
        assert served.content == data
    pdf = attachments.save("sunshine", b"%PDF-1.4\n%%EOF\n", "plan.pdf", photo=False)
    served = await client.get(f"/e/sunshine/files/{pdf['sha256']}")
    _headers_are_safe(served, "attachment")
    assert served.headers["content-type"] == "application/pdf"
    image = io.BytesIO()
    Image.new("RGB", (20, 10)).save(image, format="PNG")
    hostile = 'x"; filename=evil.html\r\nSet-Cookie: ef_session=planted; \u202egpj.png'
    png = attachments.save("sunshine", image.getvalue(), hostile, photo=True)
    served = await client.get(f"/e/sunshine/files/{png['sha256']}")
    _headers_are_safe(served, "inline")
    assert served.headers["content-type"] == "image/png"
    assert "set-cookie" not in served.headers
    assert "%22" in served.headers["content-disposition"]  # the quote, encoded


async def test_an_uploaded_file_is_checked_for_size_and_kind(client, services):
    from estateflow.services import UploadRefused

    attachments = client.app.state.attachments
    with pytest.raises(UploadRefused, match="larger than"):
        attachments.save(
            "sunshine", b"%PDF-" + b"0" * 2_000_000, "big.pdf", photo=False, max_size=1_000_000
        )
    with pytest.raises(UploadRefused, match="not accepted"):
        attachments.save(
            "sunshine", ACTIVE["page.html"], "x.pdf", photo=False, accept=("application/pdf",)
        )
    with pytest.raises(UploadRefused, match="empty"):
        attachments.save("sunshine", b"", "nothing.pdf", photo=False)
    # Above the body limit the request is refused before any of it is stored.
    await sign_in(client, "wychan")
    response = await start_repair(
        client, {"f.photo": ("huge.jpg", b"\xff\xd8\xff" + b"0" * (26 * 1024 * 1024), "image/jpeg")}
    )
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not [p for p in attachments.root.rglob("*") if p.is_file()]
