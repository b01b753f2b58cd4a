"""Admin pages of an estate: definitions in use, sources with lint, diagrams, form
previews, and authoring overlays (draft, check, diff, publish, schedule, roll back).

Every route checks the ``admin`` role of the signed-in user in that estate (services'
``Authoring.admin``); other members get 403, strangers 404, as elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from estateflow import fields as f
from estateflow.definitions import Bundle, FormSpec, procedure_graph, render_svg
from estateflow.engine import Actor
from estateflow.errors import DefinitionError, NotAllowed, NotFound, render_all
from estateflow.services import Authoring, DraftCheck, Services
from estateflow.web._common import (
    Member,
    Visit,
    _base,
    _csrf_ok,
    _finish,
    _login_redirect,
    _member,
    _state,
    _visit,
)
from estateflow.web._forms import as_inputs
from estateflow.web._render import render


async def _admin(
    request: Request, visit: Visit, estate_id: str
) -> tuple[Member, Actor, Authoring] | None:
    """The signed-in estate admin; None when not signed in, NotAllowed without the role."""
    member = await _member(request, visit, estate_id)
    if member is None:
        return None
    authoring = Authoring(_state(request).services)
    actor = await authoring.admin(estate_id, member.actor.username)
    return member, actor, authoring


def _page(visit: Visit, member: Member, **extra: Any) -> dict[str, Any]:
    return _base(visit, estate=member.bundle.estate, user=member.user, nav="admin", **extra)


def _forms_used(bundle: Bundle) -> dict[str, list[str]]:
    """Each form of the bundle with the procedures that use it."""
    used: dict[str, list[str]] = {}
    for proc in bundle.procedures.values():
        names = [proc.start.form] if proc.start.form else []
        names += [step.form for step in proc.steps.values() if getattr(step, "form", None)]
        for name in dict.fromkeys(names):
            used.setdefault(name, []).append(proc.id)
    return dict(sorted(used.items()))


def _procedure_for(bundle: Bundle, form_id: str) -> str | None:
    return next(iter(_forms_used(bundle).get(form_id, [])), None)


def _diagram(bundle: Bundle, procedure_id: str, lang: str) -> str:
    proc = bundle.procedures.get(procedure_id)
    if proc is None:
        raise NotFound(f"no procedure '{procedure_id}' here")
    return render_svg(procedure_graph(proc, bundle.estate, lang))


# -- overview ---------------------------------------------------------------------------------
@get("/e/{estate_id:str}/admin")
async def overview(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, authoring = found
    state = await authoring.overview(estate_id)
    bundle = member.bundle
    context = _page(
        visit,
        member,
        bundle=bundle,
        info=state["published"],
        history=state["history"],
        pending=state["pending"],
        drafts=state["drafts"],
        editable=state["editable"],
        previous=state["previous"],
        forms_used=_forms_used(bundle),
        files=sorted(state["published"].sources),
        tz=bundle.estate.timezone,
    )
    return _finish(request, visit, render(request, "admin/overview.html", context))


# -- published sources, diagrams, form previews -----------------------------------------------
@get("/e/{estate_id:str}/admin/source")
async def source(request: Request, estate_id: FromPath[str], path: FromQuery[str]) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, authoring = found
    info = await authoring.published(estate_id)
    text = info.sources.get(path)
    if text is None:
        raise NotFound(f"no file '{path}' in the published bundle")
    diagnostics = [d for d in await authoring.lint_published(estate_id) if d.span.path == path]
    context = _page(
        visit,
        member,
        path=path,
        lines=_annotated(text, diagnostics),
        count=len(diagnostics),
        can_edit=path in (await authoring.overview(estate_id))["editable"],
    )
    return _finish(request, visit, render(request, "admin/source.html", context))


def _annotated(text: str, diagnostics: list[Any]) -> list[dict[str, Any]]:
    """Each line of ``text`` with the diagnostics that point at it."""
    at: dict[int, list[Any]] = {}
    for diagnostic in diagnostics:
        at.setdefault(max(diagnostic.span.line, 1), []).append(diagnostic)
    return [
        {"number": n, "text": line, "notes": at.get(n, [])}
        for n, line in enumerate(text.splitlines() or [""], start=1)
    ]


@get("/e/{estate_id:str}/admin/procedures/{procedure_id:str}")
async def diagram(
    request: Request, estate_id: FromPath[str], procedure_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, _ = found
    svg = _diagram(member.bundle, procedure_id, visit.lang)
    context = _page(visit, member, procedure=member.bundle.procedures[procedure_id], svg=svg)
    return _finish(request, visit, render(request, "admin/diagram.html", context))


@get("/e/{estate_id:str}/admin/forms/{form_id:str}")
async def form_preview(
    request: Request, estate_id: FromPath[str], form_id: FromPath[str]
) -> Response:
    """The form as people will fill it, with its rules live through the form-state
    endpoint every form uses (nothing submitted from here opens a case)."""
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, actor, _ = found
    form = member.bundle.forms.get(form_id)
    procedure = _procedure_for(member.bundle, form_id)
    if form is None or procedure is None:
        raise NotFound(f"no form '{form_id}' in use here")
    services: Services = _state(request).services
    _, _, env = await services.form_env(estate_id, procedure, actor=actor)
    context = _page(visit, member, **_preview(member.bundle, form, env), procedure_id=procedure)
    context["live"] = True
    return _finish(request, visit, render(request, "admin/form.html", context))


def _preview(bundle: Bundle, form: FormSpec, env: Any) -> dict[str, Any]:
    estate = bundle.estate
    state = f.evaluate_form_state(
        form.fields,
        None,
        env=env,
        currency=estate.currency,
        region=estate.region,
        timezone=estate.timezone,
    )
    return {
        "form": form,
        "values": as_inputs(form.fields, state.values),
        "errors": {},
        "state": state,
    }


# -- authoring --------------------------------------------------------------------------------
@get("/e/{estate_id:str}/admin/edit")
async def edit(request: Request, estate_id: FromPath[str], path: FromQuery[str] = "") -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, authoring = found
    info = await authoring.published(estate_id)
    folder = info.estate_path.rsplit("/", 1)[0] if "/" in info.estate_path else ""
    context = _page(
        visit,
        member,
        path=path,
        text=info.sources.get(path, ""),
        folder=folder,
        check=None,
        draft=None,
    )
    return _finish(request, visit, render(request, "admin/edit.html", context))


@post("/e/{estate_id:str}/admin/edit")
async def save(request: Request, estate_id: FromPath[str]) -> Response:
    """Save the edit as a draft (upload or textarea), then show what checking found."""
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    _, actor, authoring = found
    submitted = await request.form()
    if not _csrf_ok(visit, request, submitted):
        raise NotAllowed("the form expired: reload the page and try again")
    path = str(submitted.get("path") or "").strip()
    text = str(submitted.get("text") or "")
    upload = submitted.get("file")
    if upload is not None and getattr(upload, "filename", ""):
        data = await upload.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NotAllowed("an overlay must be UTF-8 text") from None
        if not path:
            info = await authoring.published(estate_id)
            folder = info.estate_path.rsplit("/", 1)[0]
            kind = str(submitted.get("kind") or "procedures")
            path = f"{folder}/{kind}/{upload.filename}"
    draft_id, _ = await authoring.save_draft(estate_id, path, text, actor=actor)
    target = f"/e/{estate_id}/admin/drafts/{draft_id}"
    return _finish(request, visit, Redirect(path=target, status_code=303))


@get("/e/{estate_id:str}/admin/drafts/{draft_id:str}")
async def draft_page(
    request: Request, estate_id: FromPath[str], draft_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, authoring = found
    draft = await authoring.draft(estate_id, draft_id)
    checked = await authoring.check(estate_id, draft["path"], draft["text"])
    sources = {**(await authoring.published(estate_id)).sources, checked.path: checked.text}
    context = _page(
        visit,
        member,
        path=draft["path"],
        text=draft["text"],
        draft=draft,
        check=checked,
        best=_best(checked, sources),
        previews=_draft_previews(checked, visit.lang),
        tz=member.bundle.estate.timezone,
    )
    return _finish(request, visit, render(request, "admin/edit.html", context))


def _best(checked: DraftCheck, sources: dict[str, str]) -> list[dict[str, Any]]:
    """Each error (then warning) with its file:line:col, message, source line and hint;
    an overlay's mistake can show in a base file (the merged procedure), hence all sources."""
    ordered = sorted(checked.diagnostics, key=lambda d: (not d.is_error, d.span.sort_key()))
    return [
        {
            "where": f"{d.span.path}:{d.span.line}:{d.span.col}",
            "diagnostic": d,
            "rendered": render_all([d], sources.get),
        }
        for d in ordered
    ]


def _draft_previews(checked: DraftCheck, lang: str) -> list[dict[str, Any]]:
    """Diagrams of the procedures (and previews of the forms) the overlay defines."""
    bundle = checked.bundle
    if bundle is None:
        return []
    previews: list[dict[str, Any]] = []
    kind = "forms" if "/forms/" in f"/{checked.path}" else "procedures"
    stem = checked.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if kind == "procedures":
        ids = [stem] if stem in bundle.procedures else []
        for proc_id in ids:
            previews.append(
                {"kind": "procedure", "id": proc_id, "svg": _diagram(bundle, proc_id, lang)}
            )
    elif stem in bundle.forms:
        form = bundle.forms[stem]
        previews.append({"kind": "form", "id": stem, "form": form, **_preview(bundle, form, {})})
    return previews


def _effective(value: str, timezone: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise NotAllowed(f"'{value}' is not a date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment


@post("/e/{estate_id:str}/admin/drafts/{draft_id:str}/publish")
async def publish(request: Request, estate_id: FromPath[str], draft_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, actor, authoring = found
    submitted = await request.form()
    if not _csrf_ok(visit, request, submitted):
        raise NotAllowed("the form expired: reload the page and try again")
    effective_at = _effective(
        str(submitted.get("effective_at") or ""), member.bundle.estate.timezone
    )
    try:
        await authoring.publish_draft(estate_id, draft_id, actor=actor, effective_at=effective_at)
    except DefinitionError:
        # The draft page shows every error; nothing was published.
        return _finish(
            request,
            visit,
            Redirect(path=f"/e/{estate_id}/admin/drafts/{draft_id}", status_code=303),
        )
    return _finish(request, visit, Redirect(path=f"/e/{estate_id}/admin", status_code=303))


@post("/e/{estate_id:str}/admin/rollback")
async def rollback(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    _, actor, authoring = found
    submitted = await request.form()
    if not _csrf_ok(visit, request, submitted):
        raise NotAllowed("the form expired: reload the page and try again")
    to = str(submitted.get("to") or "") or None
    await authoring.rollback(estate_id, actor=actor, to=to)
    return _finish(request, visit, Redirect(path=f"/e/{estate_id}/admin", status_code=303))


@post("/e/{estate_id:str}/admin/schedules/{schedule_id:str}/cancel")
async def cancel(
    request: Request, estate_id: FromPath[str], schedule_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    _, actor, authoring = found
    submitted = await request.form()
    if not _csrf_ok(visit, request, submitted):
        raise NotAllowed("the form expired: reload the page and try again")
    await authoring.cancel_schedule(estate_id, schedule_id, actor=actor)
    return _finish(request, visit, Redirect(path=f"/e/{estate_id}/admin", status_code=303))


ROUTES = [
    overview,
    source,
    diagram,
    form_preview,
    edit,
    save,
    draft_page,
    publish,
    rollback,
    cancel,
]
