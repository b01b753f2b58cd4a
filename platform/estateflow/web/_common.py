"""What every page needs: settings, the visit (session and cookie), CSRF, membership."""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie, FormMultiDict
from litestar.response import Redirect

from estateflow.definitions import Bundle
from estateflow.engine import Actor
from estateflow.services import (
    Attachments,
    Services,
    Sessions,
    SessionView,
    UploadRefused,
)

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


#: Who may call a route, declared on every handler as ``opt=`` and checked by calling
#: every route as every kind of caller (tests/web/test_authorization.py), which also
#: fails on a route that declares none. The handlers enforce it; this names what they do.
PUBLIC = {"access": "public"}
"""Anyone, signed in or not."""
SIGNED_IN = {"access": "signed-in"}
"""Any signed-in user (no estate in the URL); others are sent to sign in."""
MEMBER = {"access": "member"}
"""Any member of the estate in the URL, whatever their roles; a stranger gets 404."""
ROLE = {"access": "role"}
"""A member holding the role the definitions ask for (to start, claim or act); 403 else."""
ADMIN = {"access": "admin"}
"""A member with the estate's ``admin`` role; other members get 403."""
API_READ = {"access": "api-read"}
"""A bearer token of a member of the estate in the URL, with the ``read`` scope."""
API_ACT = {"access": "api-act"}
"""A bearer token with the ``act`` scope, of a member holding the role asked for."""


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
    chosen = await _state(request).people.locale(visit.session.user)
    visit.lang = chosen or bundle.estate.locale
    user = {"name": actor.name or actor.username, "admin": "admin" in actor.roles}
    return Member(actor=actor, bundle=bundle, user=user)


@dataclass
class Posted:
    """A member's POST, read once: the visit, the membership, the submitted form, and
    whether its CSRF token is this session's. Each handler decides what a refused token
    means for it (most re-render what was typed with a message)."""

    request: Request
    visit: Visit
    member: Member
    form: FormMultiDict
    token_ok: bool

    def finish(self, response: Response) -> Response:
        return _finish(self.request, self.visit, response)


async def _posted(
    request: Request,
    estate_id: str,
    *,
    membership: Callable[[Request, Visit, str], Awaitable[Member | None]] = _member,
    anonymous: Callable[[Request], Response] = _login_redirect,
) -> Posted | Response:
    """The prologue of every member's POST: visit, membership, form, CSRF.

    Returns the finished ``anonymous`` response when nobody is signed in; the body is not
    read then. ``membership`` may refuse (an admin page raises NotAllowed) before it is.
    """
    visit = await _visit(request)
    member = await membership(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, anonymous(request))
    submitted = await request.form()
    return Posted(
        request=request,
        visit=visit,
        member=member,
        form=submitted,
        token_ok=_csrf_ok(visit, request, submitted),
    )


async def _uploads(
    request: Request, estate_id: str, specs: Mapping[str, Any], submitted: Any
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """File and photo fields, also as table columns: new uploads checked and stored,
    earlier ones kept. Returns what ``collect(..., files=)`` takes, and the refusals."""
    attachments: Attachments = _state(request).attachments
    values: dict[str, Any] = {}
    errors: dict[str, tuple[str, ...]] = {}

    async def one(spec: Any, key: str, where: str) -> Any:
        upload = submitted.get(key)
        if upload is not None and getattr(upload, "filename", ""):
            data = await upload.read()
            try:
                return attachments.save(
                    estate_id,
                    data,
                    upload.filename,
                    photo=spec.type == "photo",
                    accept=spec.accept,
                    max_size=spec.max_size,
                )
            except UploadRefused as refused:
                errors[where] = (str(refused),)
                return None
        kept = str(submitted.get(f"{key}.keep") or "")
        return attachments.describe(estate_id, kept) if kept else None

    for spec in specs.values():
        if spec.type in ("file", "photo"):
            ref = await one(spec, f"f.{spec.id}", spec.id)
            if ref is not None:
                values[spec.id] = ref
        elif spec.type == "table":
            cells: dict[int, dict[str, Any]] = {}
            prefix = f"f.{spec.id}."
            for column in spec.columns:
                if column.type not in ("file", "photo"):
                    continue
                for key in submitted:
                    if key.startswith(prefix) and key.endswith(f".{column.id}"):
                        row = key[len(prefix) : -len(column.id) - 1]
                        if not row.isdigit():
                            continue
                        ref = await one(column, key, f"{spec.id}[{row}].{column.id}")
                        if ref is not None:
                            cells.setdefault(int(row), {})[column.id] = ref
            if cells:
                values[spec.id] = cells
    return values, errors
