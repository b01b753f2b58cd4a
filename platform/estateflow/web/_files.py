"""Uploaded files, served to members of their estate only."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get
from litestar.params import FromPath

from estateflow.errors import (
    NotFound,
)
from estateflow.services import (
    Attachments,
)
from estateflow.web._common import (
    MEMBER,
    _finish,
    _login_redirect,
    _member,
    _state,
    _visit,
)


@get("/e/{estate_id:str}/files/{digest:str}", opt=MEMBER)
async def file(request: Request, estate_id: FromPath[str], digest: FromPath[str]) -> Response:
    """An uploaded file, to members of its estate only, never run or sniffed as a page."""
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    attachments: Attachments = _state(request).attachments
    found = attachments.read(estate_id, digest)
    if found is None:
        raise NotFound("no such file")
    data, meta = found
    inline = meta["type"] in ("image/jpeg", "image/png", "image/gif", "image/webp")
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(meta['name'])}",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return _finish(request, visit, Response(content=data, media_type=meta["type"], headers=headers))


ROUTES = [file]
