"""The inbox, starting a case, the case page, acting, claiming and live form state."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from estateflow import fields as f
from estateflow.definitions import Bundle, FormSpec
from estateflow.errors import (
    Closed,
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
)
from estateflow.services import (
    CaseView,
    Services,
    Sessions,
)
from estateflow.web._common import (
    MEMBER,
    ROLE,
    Member,
    Posted,
    Visit,
    _base,
    _finish,
    _login_redirect,
    _member,
    _posted,
    _state,
    _uploads,
    _visit,
)
from estateflow.web._forms import as_inputs, collect
from estateflow.web._i18n import N_, gettext, using
from estateflow.web._render import render
from estateflow.web._search import fold
from estateflow.web._timeline import case_data, countdown, timeline

#: Shown when a form comes back with a stale or missing CSRF token.
EXPIRED = N_("This form had expired. Nothing was saved: check it and submit again.")


# -- inbox ------------------------------------------------------------------------------------
@get("/e/{estate_id:str}/", opt=MEMBER)
async def inbox(
    request: Request, estate_id: FromPath[str], q: FromQuery[str] = "", show: FromQuery[str] = "all"
) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    services: Services = _state(request).services
    tasks = await services.inbox(estate_id, actor=member.actor)
    now = services.clock()
    rows = []
    needle = fold(q.strip())
    for task in tasks:
        text, state = countdown(member.bundle, task, now, visit.lang)
        if show == "mine" and task.assignee != member.actor.username:
            continue
        if show == "queue" and task.assignee is not None:
            continue
        if show == "overdue" and state != "late":
            continue
        if needle and needle not in _haystack(task):
            continue
        due = (
            task.due_at.astimezone(_tz(member.bundle)).strftime("%m-%d %H:%M")
            if task.due_at
            else ""
        )
        rows.append({"task": task, "countdown": text, "state": state, "due_at": due})
    rows.sort(
        key=lambda r: (
            {"late": 0, "soon": 1, "ok": 2, "none": 3}[r["state"]],
            r["task"].due_at or datetime.max.replace(tzinfo=now.tzinfo),
        )
    )
    context = _base(
        visit, estate=member.bundle.estate, user=member.user, nav="inbox", rows=rows, q=q, show=show
    )
    return _finish(request, visit, render(request, "inbox.html", context))


def _tz(bundle: Bundle) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(bundle.estate.timezone)


def _haystack(task: Any) -> str:
    parts = [
        task.case_number,
        task.unit,
        task.step,
        task.procedure,
        task.assignee or "",
        task.role or "",
        *task.step_title.values(),
        *task.procedure_title.values(),
    ]
    return fold(" ".join(parts))


# -- starting a case --------------------------------------------------------------------------
@get("/e/{estate_id:str}/start", opt=MEMBER)
async def start_list(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    procedures = [
        p
        for p in member.bundle.procedures.values()
        if p.id in member.bundle.estate.procedures and member.actor.roles & set(p.start.roles)
    ]
    context = _base(
        visit, estate=member.bundle.estate, user=member.user, nav="start", procedures=procedures
    )
    return _finish(request, visit, render(request, "start_list.html", context))


def _start_form(bundle: Bundle, procedure_id: FromPath[str]) -> tuple[Any, FormSpec]:
    proc = bundle.procedures.get(procedure_id)
    if proc is None or procedure_id not in bundle.estate.procedures:
        raise NotFound(f"no procedure '{procedure_id}' here")
    form = bundle.forms.get(proc.start.form) if proc.start.form else None
    return proc, form or FormSpec(id=f"{proc.id}-start")


@get("/e/{estate_id:str}/start/{procedure_id:str}", opt=ROLE)
async def start_page(
    request: Request, estate_id: FromPath[str], procedure_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    proc, form = _start_form(member.bundle, procedure_id)
    if not member.actor.roles & set(proc.start.roles):
        raise NotAllowed("your roles cannot start this procedure")
    services: Services = _state(request).services
    _, _, env = await services.form_env(estate_id, proc.id, actor=member.actor)
    state = f.evaluate_form_state(
        form.fields,
        None,
        env=env,
        currency=member.bundle.estate.currency,
        region=member.bundle.estate.region,
        timezone=member.bundle.estate.timezone,
    )
    context = _base(
        visit,
        estate=member.bundle.estate,
        user=member.user,
        nav="start",
        procedure=proc,
        form=form,
        values=as_inputs(form.fields, state.values),
        errors={},
        state=state,
        error="",
    )
    context["pickers"] = await _state(request).sessions.pickers(estate_id)
    return _finish(request, visit, render(request, "start.html", context))


@post("/e/{estate_id:str}/start/{procedure_id:str}", opt=ROLE)
async def start_case(
    request: Request, estate_id: FromPath[str], procedure_id: FromPath[str]
) -> Response:
    posted = await _posted(request, estate_id)
    if not isinstance(posted, Posted):
        return posted
    visit, member, submitted = posted.visit, posted.member, posted.form
    proc, form = _start_form(member.bundle, procedure_id)
    raw = collect(form.fields, submitted)
    context = _base(
        visit,
        estate=member.bundle.estate,
        user=member.user,
        nav="start",
        procedure=proc,
        form=form,
        values=raw,
        errors={},
        state=None,
        error="",
    )
    if not posted.token_ok:
        context["error"] = EXPIRED
        return posted.finish(render(request, "start.html", context))
    files, refused_files = await _uploads(request, estate_id, form.fields, submitted)
    raw = collect(form.fields, submitted, files)
    services: Services = _state(request).services
    try:
        if refused_files:
            raise Invalid(refused_files)
        view = await services.start_case(estate_id, proc.id, raw, actor=member.actor)
    except Invalid as invalid:
        context["errors"] = {**invalid.errors, **refused_files}
        context["error"] = N_("Please correct the marked fields.")
        return posted.finish(render(request, "start.html", context))
    return posted.finish(Redirect(path=f"/e/{estate_id}/cases/{view.id}", status_code=303))


# -- the case page ----------------------------------------------------------------------------
async def _case_page(
    request: Request,
    visit: Visit,
    member: Member,
    view: CaseView,
    *,
    refused: Mapping[str, Any] | None = None,
    conflict: str = "",
    status: int = 200,
) -> Response:
    services: Services = _state(request).services
    bundle = member.bundle
    estate = bundle.estate
    now = services.clock()
    tasks = []
    sessions: Sessions = _state(request).sessions
    env = None
    for task in view.tasks:
        actions = [a for a in view.actions if a.task_id == task.task_id]
        step = bundle.procedures[view.procedure].steps[task.step]
        form = bundle.forms.get(step.form) if step.form else None
        values, errors, state = {}, {}, None
        if form is not None and actions:
            if refused and refused.get("task_id") == task.task_id:
                values, errors = refused["raw"], refused.get("errors", {})
            else:
                draft = await sessions.load_draft(_draft_key(visit, view.id, task.task_id))
                values = draft or {}
            if env is None:
                _, _, env = await services.form_env(
                    estate.id, None, actor=member.actor, case_id=view.id
                )
            state = f.evaluate_form_state(
                form.fields,
                values or None,
                env=env,
                currency=estate.currency,
                region=estate.region,
                timezone=estate.timezone,
            )
            values = {**as_inputs(form.fields, state.values), **values}
        text, due_state = countdown(bundle, task, now, visit.lang)
        tasks.append(
            {
                "view": task,
                "actions": actions,
                "form": form,
                "inputs": values,
                "errors": errors,
                "state": state,
                "countdown": text,
                "state_": due_state,
            }
        )
    for task in tasks:
        task["state"], task["due_state"] = task["state"], task.pop("state_")
    events = await services.case_events(estate.id, view.id)
    children = sorted({t.child for t in view.state.tasks if t.child})
    context = _base(
        visit,
        estate=estate,
        user=member.user,
        case=view,
        tasks=tasks,
        data=case_data(bundle, view, visit.lang),
        timeline=timeline(bundle, events, visit.lang, view.procedure),
        children=children,
        conflict=conflict,
    )
    context["pickers"] = await sessions.pickers(estate.id)
    return render(request, "case.html", context, status=status)


def _first(lang: str, exc: Exception) -> str:
    with using(lang):
        return gettext(
            "Someone acted on this case first (%(reason)s). "
            "Nothing of yours was saved; here is the case as it is now."
        ) % {"reason": exc}


def _draft_key(visit: Visit, case_id: str, task_id: str) -> str:
    return f"{visit.session.user}/{case_id}/{task_id}"


@get("/e/{estate_id:str}/cases/{case_id:str}", opt=MEMBER)
async def case_page(request: Request, estate_id: FromPath[str], case_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    services: Services = _state(request).services
    view = await services.get_case(estate_id, case_id, actor=member.actor)
    return _finish(request, visit, await _case_page(request, visit, member, view))


@post("/e/{estate_id:str}/cases/{case_id:str}/tasks/{task_id:str}/act", opt=ROLE)
async def act(
    request: Request, estate_id: FromPath[str], case_id: FromPath[str], task_id: FromPath[str]
) -> Response:
    posted = await _posted(request, estate_id)
    if not isinstance(posted, Posted):
        return posted
    visit, member, submitted = posted.visit, posted.member, posted.form
    services: Services = _state(request).services
    action = str(submitted.get("action") or "")
    view = await services.get_case(estate_id, case_id, actor=member.actor)
    task = next((t for t in view.state.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound(f"no task '{task_id}'")
    step = member.bundle.procedures[view.procedure].steps[task.step]
    form = member.bundle.forms.get(step.form) if step.form else None
    raw = collect(form.fields, submitted) if form else {}
    refused = {"task_id": task_id, "raw": raw}
    if not posted.token_ok:
        page = await _case_page(request, visit, member, view, refused=refused, conflict=EXPIRED)
        return posted.finish(page)
    try:
        version = int(str(submitted.get("version") or ""))
    except ValueError:
        version = None
    files, refused_files = await _uploads(
        request, estate_id, form.fields if form else {}, submitted
    )
    raw = collect(form.fields, submitted, files) if form else {}
    refused["raw"] = raw
    try:
        if refused_files:
            raise Invalid(refused_files)
        await services.take_action(
            estate_id, case_id, task_id, action, raw, actor=member.actor, expected_version=version
        )
    except Invalid as invalid:
        refused["errors"] = {**invalid.errors, **refused_files}
        page = await _case_page(
            request,
            visit,
            member,
            view,
            refused=refused,
            conflict=N_("Please correct the marked fields."),
        )
        return posted.finish(page)
    except (Conflict, Closed) as exc:
        current = await services.get_case(estate_id, case_id, actor=member.actor)
        mine = next((t for t in current.state.tasks if t.id == task_id), None)
        if mine is not None and mine.closed_by == member.actor.username and not mine.is_open:
            # A double submit of the same form: the first one acted; show its result.
            return posted.finish(Redirect(path=f"/e/{estate_id}/cases/{case_id}", status_code=303))
        page = await _case_page(
            request,
            visit,
            member,
            current,
            refused=refused,
            conflict=_first(visit.lang, exc),
        )
        return posted.finish(page)
    await _state(request).sessions.delete_draft(_draft_key(visit, case_id, task_id))
    return posted.finish(Redirect(path=f"/e/{estate_id}/cases/{case_id}", status_code=303))


@post("/e/{estate_id:str}/cases/{case_id:str}/tasks/{task_id:str}/claim", opt=ROLE)
async def claim(
    request: Request, estate_id: FromPath[str], case_id: FromPath[str], task_id: FromPath[str]
) -> Response:
    posted = await _posted(request, estate_id)
    if not isinstance(posted, Posted):
        return posted
    services: Services = _state(request).services
    if posted.token_ok:
        # Somebody may have claimed it first: the case page then shows who.
        with contextlib.suppress(Conflict):
            await services.claim_task(estate_id, case_id, task_id, actor=posted.member.actor)
    return posted.finish(Redirect(path=f"/e/{estate_id}/cases/{case_id}", status_code=303))


@post("/e/{estate_id:str}/forms/{form_id:str}/state", opt=MEMBER)
async def form_state(
    request: Request,
    estate_id: FromPath[str],
    form_id: FromPath[str],
    case: FromQuery[str] = "",
    task: FromQuery[str] = "",
    procedure: FromQuery[str] = "",
) -> Response:
    """Re-evaluate a form as it is being filled (htmx, on change): visibility, required,
    computed values and messages; saves a draft of a task's form on the way."""
    posted = await _posted(request, estate_id, anonymous=_unauthorized)
    if not isinstance(posted, Posted):
        return posted
    visit, member, submitted = posted.visit, posted.member, posted.form
    form = member.bundle.forms.get(form_id)
    if form is None:
        raise NotFound(f"no form '{form_id}'")
    if not posted.token_ok:
        return posted.finish(Response(content="", status_code=403))
    raw = collect(form.fields, submitted)
    services: Services = _state(request).services
    proc_id = procedure or next(
        (p.id for p in member.bundle.procedures.values() if p.start.form == form_id), None
    )
    _, _, env = await services.form_env(
        estate_id, proc_id, actor=member.actor, case_id=case or None
    )
    estate = member.bundle.estate
    state = f.evaluate_form_state(
        form.fields,
        raw,
        env=env,
        currency=estate.currency,
        region=estate.region,
        timezone=estate.timezone,
    )
    if case and task:
        await _state(request).sessions.save_draft(_draft_key(visit, case, task), estate_id, raw)
    touched = {k: v for k, v in state.errors.items() if raw.get(k) not in (None, "", [])}
    values = {**as_inputs(form.fields, state.values), **raw}
    shown = set(submitted.getall("_shown", []))
    with using(visit.lang):
        html = _UPDATES.render(
            specs=form.fields,
            values=values,
            errors=touched,
            state=state,
            lang=visit.lang,
            estate=estate,
            shown=shown,
        )
    return posted.finish(Response(content=html, media_type="text/html"))


def _unauthorized(request: Request) -> Response:
    # htmx asks here while a form is being filled: no login page to swap in.
    return Response(content="", status_code=401)


from jinja2 import Template  # noqa: E402  (kept beside its one use)

from estateflow.web._render import _ENV  # noqa: E402

#: The out-of-band updates after a change: inputs being typed in are never replaced.
_UPDATES: Template = _ENV.from_string(
    '{% import "macros/fields.html" as fields %}'
    "{{ fields.updates(specs, values, errors, state, lang, estate, shown) }}"
)


ROUTES = [inbox, start_list, start_page, start_case, case_page, act, claim, form_state]
