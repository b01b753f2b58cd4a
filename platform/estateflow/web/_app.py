"""The Litestar application: pages rendered on the server, enhanced by htmx.

Every page works as plain links and form POSTs followed by redirects (303); htmx adds
partial updates on top. Every POST checks the CSRF token of the session; every URL
carries the estate, and every query is made through services for that estate and the
signed-in user's roles there, so another estate's case is simply not found.
"""

from __future__ import annotations

import os

from litestar import Litestar, Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.static_files import create_static_files_router
from litestar.types import Message, Scope

from estateflow.errors import (
    DefinitionError,
    NotAllowed,
    NotFound,
    render_all,
)
from estateflow.services import Attachments, People, Registers, Services, Sessions
from estateflow.services._ops import health as health_report
from estateflow.web import (
    _admin,
    _api,
    _auth,
    _cases,
    _files,
    _i18n,
    _notifications,
    _print,
    _registers,
    _reports,
)
from estateflow.web._common import (
    PUBLIC,
    SECURITY_HEADERS,
    STATIC,
    Settings,
    _state,
)
from estateflow.web._i18n import N_
from estateflow.web._render import render

#: Feature modules, each with its ROUTES; a new feature adds its module here.
FEATURES = (
    _auth,
    _cases,
    _files,
    _notifications,
    _reports,
    _i18n,
    _print,
    _registers,
    _api,
    _admin,
)


@get("/health", opt=PUBLIC)
async def health(request: Request) -> Response:
    """The database and the worker's heartbeat; 503 when the database is down."""
    services: Services = _state(request).services
    report = await health_report(services)
    return Response(content=report, status_code=503 if report["status"] == "down" else 200)


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
        request, 404, N_("Not found"), N_("There is nothing here, or it is not yours to see.")
    )


def _not_allowed(request: Request, exc: Exception) -> Response:
    return _error_page(request, 403, N_("Not allowed"), str(exc))


def _definition_error(request: Request, exc: DefinitionError) -> Response:
    return _error_page(
        request,
        500,
        N_("The procedure definitions have errors"),
        N_("An administrator must fix these before this page works."),
        render_all(exc.diagnostics, lambda path: None),
    )


def _method_not_allowed(request: Request, exc: MethodNotAllowedException) -> Response:
    """Raised before any router's handlers run: the API still answers problem details."""
    if request.url.path.startswith("/api/"):
        return _api.problem(405, "Method Not Allowed", str(exc.detail), headers=exc.headers)
    response = _error_page(request, 405, N_("Not allowed"), str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


def _store_error(request: Request, exc: Exception) -> Response:
    return _error_page(request, 503, N_("Please try again"), f"{exc}. Nothing was lost.")


async def _headers(message: Message, scope: Scope) -> None:
    """The security headers on every response, where the handler set none of its own:
    pages, errors (an exception handler's response skips ``after_request``), files."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for key, value in SECURITY_HEADERS.items():
            if key not in headers:
                headers[key] = value


def create_app(services: Services, *, settings: Settings | None = None) -> Litestar:
    """The web application over ``services`` (which holds the store and the clock)."""
    from estateflow.store import StoreError

    app = Litestar(
        route_handlers=[
            *(route for feature in FEATURES for route in feature.ROUTES),
            health,
            create_static_files_router(path="/static", directories=[STATIC], opt=PUBLIC),
        ],
        exception_handlers={
            NotFound: _not_found,
            NotFoundException: _not_found,
            NotAllowed: _not_allowed,
            MethodNotAllowedException: _method_not_allowed,
            DefinitionError: _definition_error,
            StoreError: _store_error,
        },
        before_send=[_headers],
        openapi_config=_api.OPENAPI,
        # The OpenAPI document describes the JSON API only (its router opts back in):
        # pages are HTML for browsers, not operations a client should be generated for.
        include_in_schema=False,
        request_max_body_size=25 * 1024 * 1024,
        debug=os.environ.get("ESTATEFLOW_DEBUG") == "1",
    )
    app.state.services = services
    app.state.sessions = Sessions(services.store, services.clock)
    app.state.people = People(services.store, services.clock)
    app.state.registers = Registers(services.store)
    app.state.settings = settings or Settings()
    app.state.attachments = Attachments(app.state.settings.files)
    return app
