"""The notifications sent to the user's roles."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from estateflow.services import (
    Sessions,
)
from estateflow.web._common import (
    _base,
    _finish,
    _login_redirect,
    _member,
    _state,
    _visit,
)
from estateflow.web._render import render

_REASONS = {
    "warning": "deadline close",
    "deadline": "deadline missed",
    "case-warning": "case deadline close",
    "case-deadline": "case deadline missed",
}


@get("/e/{estate_id:str}/notifications")
async def notifications(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    sessions: Sessions = _state(request).sessions
    items = await sessions.notifications(estate_id, member.actor.roles)
    context = _base(
        visit,
        estate=member.bundle.estate,
        user=member.user,
        nav="notifications",
        items=items,
        reasons=_REASONS,
    )
    return _finish(request, visit, render(request, "notifications.html", context))


ROUTES = [notifications]
