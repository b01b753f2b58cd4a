"""The notifications sent to the user's roles."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from estateflow.definitions import Bundle
from estateflow.fields import label_text
from estateflow.services import (
    Sessions,
)
from estateflow.web._common import (
    MEMBER,
    _base,
    _finish,
    _login_redirect,
    _member,
    _state,
    _visit,
)
from estateflow.web._i18n import N_, gettext, using
from estateflow.web._render import render

#: Why the engine notified (``Notified.reason``), for translation.
_REASONS = {
    "warning": N_("deadline close"),
    "deadline": N_("deadline missed"),
    "case-warning": N_("case deadline close"),
    "case-deadline": N_("case deadline missed"),
}


def _rows(items: list[Any], bundle: Bundle, lang: str) -> list[dict[str, Any]]:
    """Each notification with its role, reason and step as the reader says them
    (notifications queued before the step was recorded show the task's id)."""
    rows = []
    for item in items:
        payload = item["payload"]
        procedure = bundle.procedures.get(payload.get("procedure") or "")
        step = procedure.steps.get(payload.get("step") or "") if procedure else None
        title = getattr(step, "title", None)
        reason = payload.get("reason") or ""
        rows.append(
            {
                "item": item,
                "role": payload.get("role"),
                "reason": gettext(_REASONS[reason]) if reason in _REASONS else reason,
                "step": label_text(title, lang, fallback="") if title else "",
                "task": payload.get("task_id") or "",
            }
        )
    return rows


@get("/e/{estate_id:str}/notifications", opt=MEMBER)
async def notifications(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    sessions: Sessions = _state(request).sessions
    items = await sessions.notifications(estate_id, member.actor.roles)
    with using(visit.lang):
        rows = _rows(items, member.bundle, visit.lang)
    context = _base(
        visit, estate=member.bundle.estate, user=member.user, nav="notifications", rows=rows
    )
    return _finish(request, visit, render(request, "notifications.html", context))


ROUTES = [notifications]
