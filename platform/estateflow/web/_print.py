"""Print views: a case as the handbook's paper record, on A4, with signature lines.

The layout is chosen by procedure (``templates/print/<procedure>.html``), else the
generic record; each shows the case data, every step with who acted and when, and the
signatures captured in the forms (a typed name or the drawn image).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.params import FromPath

from estateflow import fields as f
from estateflow.definitions import Bundle
from estateflow.services import CaseView, Services
from estateflow.web._common import (
    MEMBER,
    _base,
    _finish,
    _login_redirect,
    _member,
    _state,
    _visit,
)
from estateflow.web._render import TEMPLATES, render
from estateflow.web._timeline import case_data


def layout(procedure: str) -> str:
    """The print template for ``procedure``: its own if there is one, else generic."""
    name = f"print/{procedure}.html"
    return name if (TEMPLATES / name).is_file() else "print/generic.html"


def steps(bundle: Bundle, view: CaseView, events: list[Any], lang: str) -> list[dict[str, Any]]:
    """Each action taken, in order: the step, the action, who, when, and what was entered."""
    proc = bundle.procedures[view.procedure]
    zone = ZoneInfo(bundle.estate.timezone)
    out: list[dict[str, Any]] = []
    for event in events:
        if event.type not in ("CaseStarted", "ActionTaken", "CaseClosed"):
            continue
        payload = event.payload
        row: dict[str, Any] = {
            "at": event.at.astimezone(zone),
            "who": event.actor or "",
            "step": "",
            "action": "",
            "fields": [],
            "signatures": [],
        }
        if event.type == "CaseStarted":
            row["step"] = proc.title
        elif event.type == "CaseClosed":
            row["step"] = {"en": f"closed: {payload.get('outcome') or ''}"}
        else:
            step_id = str(payload.get("task_id") or "").rsplit("-", 1)[0]
            step = proc.steps.get(step_id)
            row["step"] = step.title if step else step_id
            form = bundle.forms.get(step.form) if step and step.form else None
            action = step.actions.get(payload.get("action")) if step else None
            row["action"] = action.label if action else payload.get("action", "")
            values = payload.get("values") or {}
            for field_id, spec in (form.fields if form else {}).items():
                value = values.get(field_id)
                if value in (None, "", [], {}):
                    continue
                if spec.type == "signature":
                    # Drawn (an image) or typed (a name): the layout asks for both keys.
                    row["signatures"].append(
                        {
                            "label": spec.label,
                            "image": value.get("image", ""),
                            "typed": value.get("typed", ""),
                        }
                    )
                    continue
                text = f.display_value(spec, value, locale=lang, currency=bundle.estate.currency)
                row["fields"].append({"label": spec.label, "text": text})
        out.append(row)
    return out


@get("/e/{estate_id:str}/cases/{case_id:str}/print", opt=MEMBER)
async def print_case(
    request: Request, estate_id: FromPath[str], case_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    services: Services = _state(request).services
    view = await services.get_case(estate_id, case_id, actor=member.actor)
    events = await services.case_events(estate_id, case_id)
    bundle = member.bundle
    names = dict((await _state(request).sessions.pickers(estate_id))["staff"])
    context = _base(
        visit,
        estate=bundle.estate,
        user=member.user,
        case=view,
        procedure=bundle.procedures[view.procedure],
        data=case_data(bundle, view, visit.lang),
        steps=steps(bundle, view, events, visit.lang),
        names=names,
        printed_by=member.user["name"],
        printed_at=services.clock(),
    )
    return _finish(request, visit, render(request, layout(view.procedure), context))


ROUTES = [print_case]
