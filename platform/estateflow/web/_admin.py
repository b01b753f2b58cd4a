"""Admin pages of an estate: definitions in use, sources with lint, diagrams, form
previews, and authoring overlays (draft, check, diff, publish, schedule, roll back).

Every route checks the ``admin`` role of the signed-in user in that estate (services'
``Authoring.admin``); other members get 403, strangers 404, as elsewhere. A form sent
back with an expired token, or refused (a base library path, a file that is not UTF-8, a
bad effective date), shows its page again with what was typed and the reason.
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
from estateflow.web._cases import EXPIRED
from estateflow.web._common import (
    ADMIN,
    Member,
    Posted,
    Visit,
    _base,
    _finish,
    _login_redirect,
    _member,
    _posted,
    _state,
    _visit,
)
from estateflow.web._forms import as_inputs
from estateflow.web._i18n import gettext, using
from estateflow.web._render import render


async def _admin_member(request: Request, visit: Visit, estate_id: str) -> Member | None:
    """The signed-in estate admin; None when not signed in, NotAllowed without the role."""
    member = await _member(request, visit, estate_id)
    if member is not None:
        await _authoring(request).admin(estate_id, member.actor.username)
    return member


def _authoring(request: Request) -> Authoring:
    return Authoring(_state(request).services)


async def _admin(
    request: Request, visit: Visit, estate_id: str
) -> tuple[Member, Actor, Authoring] | None:
    member = await _admin_member(request, visit, estate_id)
    if member is None:
        return None
    return member, member.actor, _authoring(request)


async def _admin_post(request: Request, estate_id: str) -> Posted | Response:
    return await _posted(request, estate_id, membership=_admin_member)


def _told(visit: Visit, message: str) -> str:
    """``message`` in the visitor's language as plain text: the template escapes it (``_()``
    there would mark it safe, and a refusal can quote what was typed)."""
    with using(visit.lang):
        return gettext(message)


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
@get("/e/{estate_id:str}/admin", opt=ADMIN)
async def overview(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, authoring = found
    return _finish(request, visit, await _overview_page(request, visit, member, authoring))


async def _overview_page(
    request: Request, visit: Visit, member: Member, authoring: Authoring, error: str = ""
) -> Response:
    state = await authoring.overview(member.bundle.estate.id)
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
        error=error,
    )
    return render(request, "admin/overview.html", context)


# -- published sources, diagrams, form previews -----------------------------------------------
@get("/e/{estate_id:str}/admin/source", opt=ADMIN)
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


@get("/e/{estate_id:str}/admin/procedures/{procedure_id:str}", opt=ADMIN)
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


@get("/e/{estate_id:str}/admin/forms/{form_id:str}", opt=ADMIN)
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
@get("/e/{estate_id:str}/admin/edit", opt=ADMIN)
async def edit(request: Request, estate_id: FromPath[str], path: FromQuery[str] = "") -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, authoring = found
    info = await authoring.published(estate_id)
    page = await _editor(request, visit, member, authoring, path, info.sources.get(path, ""))
    return _finish(request, visit, page)


async def _editor(
    request: Request,
    visit: Visit,
    member: Member,
    authoring: Authoring,
    path: str,
    text: str,
    error: str = "",
) -> Response:
    """The editor with ``text`` in it (nothing checked yet), and why it came back."""
    info = await authoring.published(member.bundle.estate.id)
    folder = info.estate_path.rsplit("/", 1)[0] if "/" in info.estate_path else ""
    context = _page(
        visit, member, path=path, text=text, folder=folder, check=None, draft=None, error=error
    )
    return render(request, "admin/edit.html", context)


@post("/e/{estate_id:str}/admin/edit", opt=ADMIN)
async def save(request: Request, estate_id: FromPath[str]) -> Response:
    """Save the edit as a draft (upload or textarea), then show what checking found."""
    posted = await _admin_post(request, estate_id)
    if not isinstance(posted, Posted):
        return posted
    authoring = _authoring(request)
    submitted = posted.form
    path = str(submitted.get("path") or "").strip()
    text = str(submitted.get("text") or "")

    async def again(error: str) -> Response:
        page = await _editor(request, posted.visit, posted.member, authoring, path, text, error)
        return posted.finish(page)

    if not posted.token_ok:
        return await again(_told(posted.visit, EXPIRED))
    upload = submitted.get("file")
    if upload is not None and getattr(upload, "filename", ""):
        data = await upload.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return await again("an overlay must be UTF-8 text")
        if not path:
            info = await authoring.published(estate_id)
            folder = info.estate_path.rsplit("/", 1)[0]
            kind = str(submitted.get("kind") or "procedures")
            path = f"{folder}/{kind}/{upload.filename}"
    try:
        draft_id, _ = await authoring.save_draft(estate_id, path, text, actor=posted.member.actor)
    except NotAllowed as refused:  # a base library file, a path outside, too long
        return await again(str(refused))
    return posted.finish(Redirect(path=f"/e/{estate_id}/admin/drafts/{draft_id}", status_code=303))


@get("/e/{estate_id:str}/admin/drafts/{draft_id:str}", opt=ADMIN)
async def draft_page(
    request: Request, estate_id: FromPath[str], draft_id: FromPath[str]
) -> Response:
    visit = await _visit(request)
    found = await _admin(request, visit, estate_id)
    if found is None:
        return _finish(request, visit, _login_redirect(request))
    member, _, authoring = found
    return _finish(request, visit, await _draft_page(request, visit, member, authoring, draft_id))


async def _draft_page(
    request: Request,
    visit: Visit,
    member: Member,
    authoring: Authoring,
    draft_id: str,
    *,
    error: str = "",
    effective_at: str = "",
) -> Response:
    """A saved draft with what checking found, its diff and previews."""
    estate_id = member.bundle.estate.id
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
        error=error,
        effective_at=effective_at,
    )
    return render(request, "admin/edit.html", context)


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


@post("/e/{estate_id:str}/admin/drafts/{draft_id:str}/publish", opt=ADMIN)
async def publish(request: Request, estate_id: FromPath[str], draft_id: FromPath[str]) -> Response:
    posted = await _admin_post(request, estate_id)
    if not isinstance(posted, Posted):
        return posted
    authoring = _authoring(request)
    typed = str(posted.form.get("effective_at") or "")

    async def again(error: str) -> Response:
        page = await _draft_page(
            request,
            posted.visit,
            posted.member,
            authoring,
            draft_id,
            error=error,
            effective_at=typed,
        )
        return posted.finish(page)

    if not posted.token_ok:
        return await again(_told(posted.visit, EXPIRED))
    try:
        effective_at = _effective(typed, posted.member.bundle.estate.timezone)
        await authoring.publish_draft(
            estate_id, draft_id, actor=posted.member.actor, effective_at=effective_at
        )
    except NotAllowed as refused:  # not a date and time
        return await again(str(refused))
    except DefinitionError:
        # The draft page shows every error; nothing was published.
        target = f"/e/{estate_id}/admin/drafts/{draft_id}"
        return posted.finish(Redirect(path=target, status_code=303))
    return posted.finish(Redirect(path=f"/e/{estate_id}/admin", status_code=303))


async def _expired_overview(request: Request, posted: Posted, authoring: Authoring) -> Response:
    message = _told(posted.visit, EXPIRED)
    page = await _overview_page(request, posted.visit, posted.member, authoring, message)
    return posted.finish(page)


@post("/e/{estate_id:str}/admin/rollback", opt=ADMIN)
async def rollback(request: Request, estate_id: FromPath[str]) -> Response:
    posted = await _admin_post(request, estate_id)
    if not isinstance(posted, Posted):
        return posted
    authoring = _authoring(request)
    if not posted.token_ok:
        return await _expired_overview(request, posted, authoring)
    to = str(posted.form.get("to") or "") or None
    await authoring.rollback(estate_id, actor=posted.member.actor, to=to)
    return posted.finish(Redirect(path=f"/e/{estate_id}/admin", status_code=303))


@post("/e/{estate_id:str}/admin/schedules/{schedule_id:str}/cancel", opt=ADMIN)
async def cancel(
    request: Request, estate_id: FromPath[str], schedule_id: FromPath[str]
) -> Response:
    posted = await _admin_post(request, estate_id)
    if not isinstance(posted, Posted):
        return posted
    authoring = _authoring(request)
    if not posted.token_ok:
        return await _expired_overview(request, posted, authoring)
    await authoring.cancel_schedule(estate_id, schedule_id, actor=posted.member.actor)
    return posted.finish(Redirect(path=f"/e/{estate_id}/admin", status_code=303))


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
