"""The JSON API: procedures, starting cases, tasks, acting, cases with events, registers.

Requests carry ``Authorization: Bearer <token>``; a token belongs to one user in one
estate and has scopes (``read`` for GET, ``act`` to start, claim and act). The API acts
with that user's roles, exactly as the pages do: another estate is not found (404).
Errors are problem details (RFC 9457, ``application/problem+json``): 401 without a
valid token, 403 for a missing scope or role, 404, 409 for a stale version or a closed
task, 422 for invalid data with the messages per field. The OpenAPI document is served
at ``/api/schema/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from http import HTTPStatus
from typing import Any, TypedDict

from litestar import Request, Response, Router, get, post, route
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import FromPath, JSONBody

from estateflow.definitions import Bundle
from estateflow.engine import Actor
from estateflow.errors import Closed, Conflict, Invalid, NotAllowed, NotFound
from estateflow.services import CaseView, People, Registers, Services, TaskView
from estateflow.services._privacy import private_case, private_events
from estateflow.web._common import API_ACT, API_READ, PUBLIC, _state

PROBLEM = "application/problem+json"


class Unauthorized(Exception):
    """No token, or one that is not known."""


class MissingScope(Exception):
    """The token lacks the scope this call needs."""


# -- bodies ---------------------------------------------------------------------------------
@dataclass
class StartCase:
    procedure: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Act:
    action: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    """The case version the caller saw; a newer case answers 409."""


# -- what answers look like (the OpenAPI document's schemas; the handlers build plain dicts)
Label = dict[str, str]
"""Text per language: ``{"en": ..., "zh-Hant": ...}``."""


class TaskOut(TypedDict):
    case_id: str
    task_id: str
    case_number: str
    procedure: str
    procedure_title: Label
    step: str
    step_title: Label
    role: str | None
    assignee: str | None
    status: str
    unit: str
    opened_at: str
    due_at: str | None


class ActionOut(TypedDict):
    task_id: str
    step: str
    action: str
    label: Label
    form: str | None
    needs_claim: bool


class EventOut(TypedDict):
    type: str
    at: str
    actor: str | None
    payload: dict[str, Any]


class CaseOut(TypedDict):
    id: str
    number: str
    procedure: str
    title: Label
    status: str
    outcome: str | None
    version: int
    data: dict[str, Any]
    tasks: list[TaskOut]
    actions: list[ActionOut]
    opened_at: str
    closed_at: str | None
    due_at: str | None
    parent: str | None


class CaseWithEvents(CaseOut):
    events: list[EventOut]


class OptionOut(TypedDict):
    value: str
    label: Label


class FieldOut(TypedDict):
    id: str
    type: str
    label: Label
    required: bool
    options: list[OptionOut]


class ProcedureOut(TypedDict):
    id: str
    title: Label
    start_form: str | None
    fields: list[FieldOut]


class RegisterOut(TypedDict):
    id: str
    title: Label
    fields: list[str]


class RegisterRowOut(TypedDict):
    id: int
    unit: str
    data: dict[str, Any]
    case_id: str | None
    case_number: str | None
    created_at: str
    removed_at: str | None
    removed_by: str | None


class RegisterRowsOut(TypedDict):
    id: str
    title: Label
    rows: list[RegisterRowOut]


class _ProblemBase(TypedDict):
    type: str
    title: str
    status: int
    detail: str


# total=False, not NotRequired: with postponed annotations a TypedDict cannot see it.
class Problem(_ProblemBase, total=False):
    """Problem details (RFC 9457); ``errors`` names the fields of invalid data."""

    errors: Any


_WHY = {
    400: "The body is not JSON",
    401: "No token, or one that is not known",
    403: "The token lacks the scope, or the user the role",
    404: "Not there, or not the caller's estate",
    409: "The case changed since the caller saw it, or the task is closed",
    422: "Invalid data: the messages per field are in errors",
}


def _problems(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=_WHY[code],
            media_type=PROBLEM,
            generate_examples=False,
        )
        for code in (400, 401, 403, 404, *codes)
    }


# -- plain JSON -----------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """JSON-ready: Decimals as text (exact), datetimes in ISO 8601, mappings as objects."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def _task(task: TaskView) -> dict[str, Any]:
    return plain(
        {
            "case_id": task.case_id,
            "task_id": task.task_id,
            "case_number": task.case_number,
            "procedure": task.procedure,
            "procedure_title": task.procedure_title,
            "step": task.step,
            "step_title": task.step_title,
            "role": task.role,
            "assignee": task.assignee,
            "status": task.status,
            "unit": task.unit,
            "opened_at": task.opened_at,
            "due_at": task.due_at,
        }
    )


def _case(view: CaseView, events: list[Any] | None = None) -> dict[str, Any]:
    out = {
        "id": view.id,
        "number": view.number,
        "procedure": view.procedure,
        "title": view.title,
        "status": view.status,
        "outcome": view.outcome,
        "version": view.version,
        "data": view.data,
        "tasks": [_task(t) for t in view.tasks],
        "actions": [
            {
                "task_id": a.task_id,
                "step": a.step,
                "action": a.action,
                "label": a.label,
                "form": a.form,
                "needs_claim": a.needs_claim,
            }
            for a in view.actions
        ],
        "opened_at": view.opened_at,
        "closed_at": view.closed_at,
        "due_at": view.due_at,
        "parent": view.parent,
    }
    if events is not None:
        out["events"] = [
            {"type": e.type, "at": e.at, "actor": e.actor, "payload": e.payload} for e in events
        ]
    return plain(out)


def _fields(bundle: Bundle, form_id: str | None) -> list[dict[str, Any]]:
    form = bundle.forms.get(form_id) if form_id else None
    if form is None:
        return []
    return plain(
        [
            {
                "id": spec.id,
                "type": spec.type,
                "label": spec.label,
                "required": spec.required,
                "options": [{"value": o.value, "label": o.label} for o in spec.options or ()],
            }
            for spec in form.fields.values()
        ]
    )


# -- who is calling --------------------------------------------------------------------------
@dataclass
class Caller:
    actor: Actor
    bundle: Bundle
    services: Services


async def _caller(request: Request, estate_id: str, scope: str) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    people: People = _state(request).people
    seen = await people.check_token(token.strip())
    if seen is None:
        raise Unauthorized("the token is not known")
    if seen.estate_id != estate_id:
        raise NotFound("there is nothing here, or it is not yours to see")
    if scope not in seen.scopes:
        raise MissingScope(f"the token lacks the '{scope}' scope")
    services: Services = _state(request).services
    actor = await services.actor(estate_id, seen.username)
    bundle = await services.published_bundle(estate_id)
    return Caller(actor=actor, bundle=bundle, services=services)


# -- endpoints --------------------------------------------------------------------------------
@get(
    "/e/{estate_id:str}/procedures",
    summary="Procedures the caller may start",
    opt=API_READ,
    responses=_problems(),
)
async def procedures(request: Request, estate_id: FromPath[str]) -> list[ProcedureOut]:
    caller = await _caller(request, estate_id, "read")
    bundle = caller.bundle
    return [
        plain(
            {
                "id": p.id,
                "title": p.title,
                "start_form": p.start.form,
                "fields": _fields(bundle, p.start.form),
            }
        )
        for p in bundle.procedures.values()
        if p.id in bundle.estate.procedures and caller.actor.roles & set(p.start.roles)
    ]


@post(
    "/e/{estate_id:str}/cases",
    summary="Start a case",
    status_code=201,
    opt=API_ACT,
    responses=_problems(422),
)
async def start(request: Request, estate_id: FromPath[str], data: JSONBody[StartCase]) -> CaseOut:
    caller = await _caller(request, estate_id, "act")
    bundle = caller.bundle
    proc = bundle.procedures.get(data.procedure)
    if proc is None or proc.id not in bundle.estate.procedures:
        raise NotFound(f"no procedure '{data.procedure}'")
    if not caller.actor.roles & set(proc.start.roles):
        raise NotAllowed("your roles cannot start this procedure")
    view = await caller.services.start_case(estate_id, proc.id, data.data, actor=caller.actor)
    return _case(view)


@get(
    "/e/{estate_id:str}/tasks",
    summary="Open tasks for the caller and their role queues",
    opt=API_READ,
    responses=_problems(),
)
async def tasks(request: Request, estate_id: FromPath[str]) -> list[TaskOut]:
    caller = await _caller(request, estate_id, "read")
    return [_task(t) for t in await caller.services.inbox(estate_id, actor=caller.actor)]


@get(
    "/e/{estate_id:str}/cases/{case_id:str}",
    summary="A case with its tasks and events",
    opt=API_READ,
    responses=_problems(),
)
async def case(
    request: Request, estate_id: FromPath[str], case_id: FromPath[str]
) -> CaseWithEvents:
    caller = await _caller(request, estate_id, "read")
    # Id numbers masked unless the caller's role may see them (services/_privacy.py).
    view = await private_case(caller.services, estate_id, case_id, actor=caller.actor)
    events = await private_events(caller.services, estate_id, case_id, actor=caller.actor)
    return _case(view, events)


@post(
    "/e/{estate_id:str}/cases/{case_id:str}/tasks/{task_id:str}/act",
    summary="Take an action on a task",
    status_code=200,
    opt=API_ACT,
    responses=_problems(409, 422),
)
async def act(
    request: Request,
    estate_id: FromPath[str],
    case_id: FromPath[str],
    task_id: FromPath[str],
    data: JSONBody[Act],
) -> CaseOut:
    caller = await _caller(request, estate_id, "act")
    await caller.services.get_case(estate_id, case_id, actor=caller.actor)  # 404 first
    view = await caller.services.take_action(
        estate_id,
        case_id,
        task_id,
        data.action,
        data.data,
        actor=caller.actor,
        expected_version=data.version,
    )
    return _case(view)


@post(
    "/e/{estate_id:str}/cases/{case_id:str}/tasks/{task_id:str}/claim",
    summary="Claim a task from a role queue",
    status_code=200,
    opt=API_ACT,
    responses=_problems(409),
)
async def claim(
    request: Request, estate_id: FromPath[str], case_id: FromPath[str], task_id: FromPath[str]
) -> CaseOut:
    caller = await _caller(request, estate_id, "act")
    view = await caller.services.claim_task(estate_id, case_id, task_id, actor=caller.actor)
    return _case(view)


@get(
    "/e/{estate_id:str}/registers",
    summary="The registers the estate keeps",
    opt=API_READ,
    responses=_problems(),
)
async def registers(request: Request, estate_id: FromPath[str]) -> list[RegisterOut]:
    caller = await _caller(request, estate_id, "read")
    return [
        plain({"id": r.id, "title": r.title, "fields": list(r.fields)})
        for r in caller.bundle.estate.registers.values()
    ]


@get(
    "/e/{estate_id:str}/registers/{register:str}",
    summary="A register's rows with history",
    opt=API_READ,
    responses=_problems(),
)
async def register_rows(
    request: Request, estate_id: FromPath[str], register: FromPath[str]
) -> RegisterRowsOut:
    caller = await _caller(request, estate_id, "read")
    keeper: Registers = _state(request).registers
    page = await keeper.read(caller.bundle, register)
    return plain(
        {
            "id": page.spec.id,
            "title": page.spec.title,
            "rows": [
                {
                    "id": e.id,
                    "unit": e.unit,
                    "data": e.data,
                    "case_id": e.case_id,
                    "case_number": e.case_number,
                    "created_at": e.created_at,
                    "removed_at": e.removed_at,
                    "removed_by": e.removed_by,
                }
                for e in page.entries
            ],
        }
    )


@route(
    "/{rest:path}",
    http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
    opt=PUBLIC,
)
async def nothing_here(rest: FromPath[str]) -> None:
    """Any other path under the API answers 404 as problem details, not an HTML page."""
    raise NotFound(f"no API endpoint '{rest}'")


# -- problem details -----------------------------------------------------------------------------
def problem(
    status: int,
    title: str,
    detail: str = "",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    return Response(content=body, status_code=status, media_type=PROBLEM, headers=headers)


def _handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unauthorized):
        return problem(401, "Unauthorized", str(exc))
    if isinstance(exc, MissingScope | NotAllowed):
        return problem(403, "Forbidden", str(exc))
    if isinstance(exc, NotFound | NotFoundException):
        return problem(404, "Not found", "there is nothing here, or it is not yours to see")
    if isinstance(exc, Conflict | Closed):
        return problem(409, "Conflict", str(exc))
    if isinstance(exc, Invalid):
        return problem(422, "Invalid data", "correct the fields named in errors", errors=exc.errors)
    if isinstance(exc, ValidationException):
        return problem(422, "Invalid request", str(exc.detail), errors=plain(exc.extra or []))
    if isinstance(exc, HTTPException):  # malformed JSON (400), a method not served (405)
        title = HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, title, str(exc.detail), headers=exc.headers)
    raise exc


router = Router(
    path="/api/v1",
    route_handlers=[
        procedures,
        start,
        tasks,
        case,
        act,
        claim,
        registers,
        register_rows,
        nothing_here,
    ],
    exception_handlers={
        Unauthorized: _handle,
        MissingScope: _handle,
        NotAllowed: _handle,
        NotFound: _handle,
        NotFoundException: _handle,
        Conflict: _handle,
        Closed: _handle,
        Invalid: _handle,
        ValidationException: _handle,
        HTTPException: _handle,
    },
    tags=["api"],
    include_in_schema=True,
    security=[{"bearer": []}],
)

ROUTES = [router]

#: The OpenAPI document of the API, served at /api/schema and /api/schema/openapi.json.
#: JSON only: Litestar's viewers (Swagger, ReDoc, ...) load scripts from a CDN and run
#: inline ones, which the site's CSP forbids, so they would show a blank page.
OPENAPI = OpenAPIConfig(
    title="EstateFlow API",
    version="1",
    render_plugins=[JsonRenderPlugin()],
    components=Components(
        security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
    ),
    openapi_router=Router(path="/api/schema", route_handlers=[], opt=PUBLIC),
)
