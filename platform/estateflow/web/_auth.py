"""Signing in and out, and the start page that picks an estate."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from estateflow.services import (
    LoginRefused,
    Sessions,
)
from estateflow.web._common import (
    PUBLIC,
    SIGNED_IN,
    _base,
    _csrf_ok,
    _finish,
    _login_redirect,
    _safe_next,
    _state,
    _visit,
)
from estateflow.web._i18n import N_, browser_locale, gettext, using
from estateflow.web._render import render


# -- sign in and out ------------------------------------------------------------------------
@get("/login", name="login", opt=PUBLIC)
async def login_page(request: Request, next: FromQuery[str] = "/") -> Response:
    visit = await _visit(request)
    visit.lang = browser_locale(request)
    context = _base(visit, next=_safe_next(next), username="", error="")
    return _finish(request, visit, render(request, "login.html", context))


@post("/login", opt=PUBLIC)
async def login(request: Request) -> Response:
    visit = await _visit(request)
    visit.lang = browser_locale(request)
    form = await request.form()
    username = str(form.get("username") or "").strip()
    target = _safe_next(str(form.get("next") or "/"))
    context = _base(visit, next=target, username=username, error="")
    if not _csrf_ok(visit, request, form):
        context["error"] = N_("Your sign-in form had expired. Please sign in again.")
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
        with using(visit.lang):
            message = gettext("Too many failed sign-ins. Try again in %(minutes)s minutes.")
        context["error"] = message % {"minutes": minutes}
        return _finish(request, visit, render(request, "login.html", context, status=429))
    if signed_in is None:
        context["error"] = N_("Wrong username or password.")
        return _finish(request, visit, render(request, "login.html", context))
    visit.session, visit.fresh = signed_in, True
    return _finish(request, visit, Redirect(path=target, status_code=303))


@post("/logout", opt=PUBLIC)
async def logout(request: Request) -> Response:
    visit = await _visit(request)
    form = await request.form()
    if _csrf_ok(visit, request, form):
        sessions: Sessions = _state(request).sessions
        visit.session, visit.fresh = await sessions.logout(visit.session), True
    return _finish(request, visit, Redirect(path="/login", status_code=303))


@get("/", opt=SIGNED_IN)
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


ROUTES = [login_page, login, logout, home]
