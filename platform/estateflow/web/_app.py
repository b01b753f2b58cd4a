"""The Litestar application: pages rendered on the server, enhanced by htmx.

Every page works as plain links and form POSTs followed by redirects (303); htmx adds
partial updates on top. Every POST checks the CSRF token of the session; every URL
carries the estate, and every query is made through services for that estate and the
signed-in user's roles there, so another estate's case is simply not found.
"""

from __future__ import annotations

import contextlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from estateflow import fields as f
from estateflow.definitions import Bundle, FormSpec
from estateflow.engine import Actor
from estateflow.errors import (
    Closed,
    Conflict,
    DefinitionError,
    EstateFlowError,
    Invalid,
    NotAllowed,
    NotFound,
    render_all,
)
from estateflow.services import (
    Attachments,
    CaseView,
    LoginRefused,
    Services,
    Sessions,
    SessionView,
    UploadRefused,
)
from estateflow.web._forms import as_inputs, collect
from estateflow.web._render import render
from estateflow.web._search import fold
from estateflow.web._timeline import case_data, countdown, timeline

STATIC = Path(__file__).parent / "static"
COOKIE = "ef_session"

#: Content Security Policy: no inline script or style, nothing from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
    "Cache-Control": "no-store",
}


def _default_files() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return Path(os.environ.get("ESTATEFLOW_FILES") or base / "estateflow" / "files")


@dataclass
class Settings:
    secure_cookies: bool = False
    """Send the session cookie over HTTPS only (on behind a TLS proxy)."""
    files: Path = field(default_factory=_default_files)
    """Where uploaded files and photos are kept (``$ESTATEFLOW_FILES``)."""


@dataclass
class Visit:
    """One request's session, and whether its cookie must be (re)set."""

    session: SessionView
    fresh: bool
    lang: str = "en"
    flash: list[dict[str, str]] = field(default_factory=list)


def _state(request: Request) -> Any:
    return request.app.state


async def _visit(request: Request) -> Visit:
    sessions: Sessions = _state(request).sessions
    sid = request.cookies.get(COOKIE)
    session = await sessions.open(sid)
    return Visit(session=session, fresh=session.id != sid)


def _finish(request: Request, visit: Visit, response: Response) -> Response:
    if visit.fresh:
        settings: Settings = _state(request).settings
        response.set_cookie(
            Cookie(
                key=COOKIE,
                value=visit.session.id,
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
                path="/",
            )
        )
    return response


def _csrf_ok(visit: Visit, request: Request, form: Mapping[str, Any]) -> bool:
    token = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    return hmac.compare_digest(str(token), visit.session.csrf)


def _base(visit: Visit, **extra: Any) -> dict[str, Any]:
    return {
        "pickers": None,
        "csrf": visit.session.csrf,
        "lang": visit.lang,
        "user": None,
        "estate": None,
        "flash": visit.flash,
        "nav": "",
        **extra,
    }


def _safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no '//' (an open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return "/"
    return target


def _login_redirect(request: Request) -> Redirect:
    return Redirect(path=f"/login?next={quote(str(request.url.path))}", status_code=303)


@dataclass
class Member:
    actor: Actor
    bundle: Bundle
    user: dict[str, Any]


async def _member(request: Request, visit: Visit, estate_id: str) -> Member | None:
    """The signed-in user as a member of ``estate_id``; None when not signed in.

    Raises NotFound when the user is not a member: another estate is not there for them.
    """
    if visit.session.user is None:
        return None
    services: Services = _state(request).services
    actor = await services.actor(estate_id, visit.session.user)
    bundle = await services.published_bundle(estate_id)
    visit.lang = bundle.estate.locale
    return Member(actor=actor, bundle=bundle, user={"name": actor.name or actor.username})


async def _uploads(
    request: Request, estate_id: str, specs: Mapping[str, Any], submitted: Any
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """File and photo fields: new uploads checked and stored, earlier ones kept."""
    attachments: Attachments = _state(request).attachments
    values: dict[str, Any] = {}
    errors: dict[str, tuple[str, ...]] = {}
    for spec in specs.values():
        if spec.type not in ("file", "photo"):
            continue
        upload = submitted.get(f"f.{spec.id}")
        if upload is not None and getattr(upload, "filename", ""):
            data = await upload.read()
            try:
                values[spec.id] = attachments.save(
                    estate_id,
                    data,
                    upload.filename,
                    photo=spec.type == "photo",
                    accept=spec.accept,
                    max_size=spec.max_size,
                )
            except UploadRefused as refused:
                errors[spec.id] = (str(refused),)
            continue
        kept = str(submitted.get(f"f.{spec.id}.keep") or "")
        meta = attachments.describe(estate_id, kept) if kept else None
        if meta is not None:
            values[spec.id] = meta
    return values, errors


# -- sign in and out ------------------------------------------------------------------------
@get("/login", name="login")
async def login_page(request: Request, next: FromQuery[str] = "/") -> Response:
    visit = await _visit(request)
    context = _base(visit, next=_safe_next(next), username="", error="")
    return _finish(request, visit, render(request, "login.html", context))


@post("/login")
async def login(request: Request) -> Response:
    visit = await _visit(request)
    form = await request.form()
    username = str(form.get("username") or "").strip()
    target = _safe_next(str(form.get("next") or "/"))
    context = _base(visit, next=target, username=username, error="")
    if not _csrf_ok(visit, request, form):
        context["error"] = "Your sign-in form had expired. Please sign in again."
        return _finish(request, visit, render(request, "login.html", context))
    sessions: Sessions = _state(request).sessions
    address = request.client.host if request.client else "unknown"
    try:
        signed_in = await sessions.login(
            visit.session, username, str(form.get("password") or ""), address
        )
    except LoginRefused as refused:
        minutes = max(
            1, int((refused.retry_at - _state(request).services.clock()).total_seconds() // 60) + 1
        )
        context["error"] = f"Too many failed sign-ins. Try again in {minutes} minutes."
        return _finish(request, visit, render(request, "login.html", context, status=429))
    if signed_in is None:
        context["error"] = "Wrong username or password."
        return _finish(request, visit, render(request, "login.html", context))
    visit.session, visit.fresh = signed_in, True
    return _finish(request, visit, Redirect(path=target, status_code=303))


@post("/logout")
async def logout(request: Request) -> Response:
    visit = await _visit(request)
    form = await request.form()
    if _csrf_ok(visit, request, form):
        sessions: Sessions = _state(request).sessions
        visit.session, visit.fresh = await sessions.logout(visit.session), True
    return _finish(request, visit, Redirect(path="/login", status_code=303))


@get("/")
async def home(request: Request) -> Response:
    visit = await _visit(request)
    if visit.session.user is None:
        return _finish(request, visit, _login_redirect(request))
    sessions: Sessions = _state(request).sessions
    estates = await sessions.estates_of(visit.session.user)
    if len(estates) == 1:
        return _finish(
            request, visit, Redirect(path=f"/e/{estates[0]['estate_id']}/", status_code=303)
        )
    context = _base(visit, estates=estates, user={"name": visit.session.user})
    return _finish(request, visit, render(request, "estates.html", context))


# -- inbox ------------------------------------------------------------------------------------
@get("/e/{estate_id:str}/")
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
        text, state = countdown(member.bundle, task, now)
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
@get("/e/{estate_id:str}/start")
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


@get("/e/{estate_id:str}/start/{procedure_id:str}")
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


@post("/e/{estate_id:str}/start/{procedure_id:str}")
async def start_case(
    request: Request, estate_id: FromPath[str], procedure_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    proc, form = _start_form(member.bundle, procedure_id)
    submitted = await request.form()
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
    if not _csrf_ok(visit, request, submitted):
        context["error"] = "This form had expired. Nothing was saved: check it and submit again."
        return _finish(request, visit, render(request, "start.html", context))
    files, refused_files = await _uploads(request, estate_id, form.fields, submitted)
    raw.update(files)
    services: Services = _state(request).services
    try:
        if refused_files:
            raise Invalid(refused_files)
        view = await services.start_case(estate_id, proc.id, raw, actor=member.actor)
    except Invalid as invalid:
        context["errors"] = {**invalid.errors, **refused_files}
        context["error"] = "Please correct the marked fields."
        return _finish(request, visit, render(request, "start.html", context))
    return _finish(
        request, visit, Redirect(path=f"/e/{estate_id}/cases/{view.id}", status_code=303)
    )


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
        text, due_state = countdown(bundle, task, now)
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


def _draft_key(visit: Visit, case_id: str, task_id: str) -> str:
    return f"{visit.session.user}/{case_id}/{task_id}"


@get("/e/{estate_id:str}/cases/{case_id:str}")
async def case_page(request: Request, estate_id: FromPath[str], case_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    services: Services = _state(request).services
    view = await services.get_case(estate_id, case_id, actor=member.actor)
    return _finish(request, visit, await _case_page(request, visit, member, view))


@post("/e/{estate_id:str}/cases/{case_id:str}/tasks/{task_id:str}/act")
async def act(
    request: Request, estate_id: FromPath[str], case_id: FromPath[str], task_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    services: Services = _state(request).services
    submitted = await request.form()
    action = str(submitted.get("action") or "")
    view = await services.get_case(estate_id, case_id, actor=member.actor)
    task = next((t for t in view.state.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound(f"no task '{task_id}'")
    step = member.bundle.procedures[view.procedure].steps[task.step]
    form = member.bundle.forms.get(step.form) if step.form else None
    raw = collect(form.fields, submitted) if form else {}
    refused = {"task_id": task_id, "raw": raw}
    if not _csrf_ok(visit, request, submitted):
        page = await _case_page(
            request,
            visit,
            member,
            view,
            refused=refused,
            conflict="This form had expired. Nothing was saved: check it and submit again.",
        )
        return _finish(request, visit, page)
    try:
        version = int(str(submitted.get("version") or ""))
    except ValueError:
        version = None
    files, refused_files = await _uploads(
        request, estate_id, form.fields if form else {}, submitted
    )
    raw.update(files)
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
            conflict="Please correct the marked fields.",
        )
        return _finish(request, visit, page)
    except (Conflict, Closed) as exc:
        current = await services.get_case(estate_id, case_id, actor=member.actor)
        mine = next((t for t in current.state.tasks if t.id == task_id), None)
        if mine is not None and mine.closed_by == member.actor.username and not mine.is_open:
            # A double submit of the same form: the first one acted; show its result.
            return _finish(
                request, visit, Redirect(path=f"/e/{estate_id}/cases/{case_id}", status_code=303)
            )
        page = await _case_page(
            request,
            visit,
            member,
            current,
            refused=refused,
            conflict=f"Someone acted on this case first ({exc}). "
            "Nothing of yours was saved; here is the case as it is now.",
        )
        return _finish(request, visit, page)
    await _state(request).sessions.delete_draft(_draft_key(visit, case_id, task_id))
    return _finish(
        request, visit, Redirect(path=f"/e/{estate_id}/cases/{case_id}", status_code=303)
    )


@post("/e/{estate_id:str}/cases/{case_id:str}/tasks/{task_id:str}/claim")
async def claim(
    request: Request, estate_id: FromPath[str], case_id: FromPath[str], task_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    submitted = await request.form()
    services: Services = _state(request).services
    if _csrf_ok(visit, request, submitted):
        # Somebody may have claimed it first: the case page then shows who.
        with contextlib.suppress(Conflict):
            await services.claim_task(estate_id, case_id, task_id, actor=member.actor)
    return _finish(
        request, visit, Redirect(path=f"/e/{estate_id}/cases/{case_id}", status_code=303)
    )


@post("/e/{estate_id:str}/forms/{form_id:str}/state")
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
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, Response(content="", status_code=401))
    form = member.bundle.forms.get(form_id)
    if form is None:
        raise NotFound(f"no form '{form_id}'")
    submitted = await request.form()
    if not _csrf_ok(visit, request, submitted):
        return _finish(request, visit, Response(content="", status_code=403))
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
    html = _UPDATES.render(
        specs=form.fields,
        values=values,
        errors=touched,
        state=state,
        lang=visit.lang,
        estate=estate,
        shown=shown,
    )
    return _finish(request, visit, Response(content=html, media_type="text/html"))


from jinja2 import Template  # noqa: E402  (kept beside its one use)

from estateflow.web._render import _ENV  # noqa: E402

#: The out-of-band updates after a change: inputs being typed in are never replaced.
_UPDATES: Template = _ENV.from_string(
    '{% import "macros/fields.html" as fields %}'
    "{{ fields.updates(specs, values, errors, state, lang, estate, shown) }}"
)


@get("/e/{estate_id:str}/files/{digest:str}")
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


@get("/health")
async def health(request: Request) -> Response:
    services: Services = _state(request).services
    try:
        async with services.store.unit_of_work(writes=False) as uow:
            await uow.estates()
    except EstateFlowError as exc:
        return Response(content={"status": "down", "database": str(exc)}, status_code=503)
    return Response(content={"status": "ok"})


# -- errors -----------------------------------------------------------------------------------
def _error_page(
    request: Request, status: int, title: str, message: str, diagnostics: str = ""
) -> Response:
    context = {
        "csrf": "",
        "lang": "en",
        "user": None,
        "estate": None,
        "flash": [],
        "nav": "",
        "title": title,
        "message": message,
        "diagnostics": diagnostics,
    }
    return render(request, "error.html", context, status=status)


def _not_found(request: Request, exc: Exception) -> Response:
    return _error_page(
        request, 404, "Not found", "There is nothing here, or it is not yours to see."
    )


def _not_allowed(request: Request, exc: Exception) -> Response:
    return _error_page(request, 403, "Not allowed", str(exc))


def _definition_error(request: Request, exc: DefinitionError) -> Response:
    return _error_page(
        request,
        500,
        "The procedure definitions have errors",
        "An administrator must fix these before this page works.",
        render_all(exc.diagnostics, lambda path: None),
    )


def _store_error(request: Request, exc: Exception) -> Response:
    return _error_page(request, 503, "Please try again", f"{exc}. Nothing was lost.")


async def _headers(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def create_app(services: Services, *, settings: Settings | None = None) -> Litestar:
    """The web application over ``services`` (which holds the store and the clock)."""
    from estateflow.store import StoreError

    app = Litestar(
        route_handlers=[
            login_page,
            login,
            logout,
            home,
            inbox,
            start_list,
            start_page,
            start_case,
            case_page,
            act,
            claim,
            form_state,
            file,
            notifications,
            health,
            create_static_files_router(path="/static", directories=[STATIC]),
        ],
        exception_handlers={
            NotFound: _not_found,
            NotFoundException: _not_found,
            NotAllowed: _not_allowed,
            DefinitionError: _definition_error,
            StoreError: _store_error,
        },
        after_request=_headers,
        request_max_body_size=25 * 1024 * 1024,
        debug=os.environ.get("ESTATEFLOW_DEBUG") == "1",
    )
    app.state.services = services
    app.state.sessions = Sessions(services.store, services.clock)
    app.state.settings = settings or Settings()
    app.state.attachments = Attachments(app.state.settings.files)
    return app
