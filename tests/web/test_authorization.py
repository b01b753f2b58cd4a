"""The authorization matrix: every route of the app, called by four kinds of caller.

The route table is read from the app itself. Each handler declares who may call it
(``opt=`` with one of web/_common.py's PUBLIC, SIGNED_IN, MEMBER, ROLE, ADMIN, API_READ,
API_ACT), and ``EXPECT`` says what that means for each caller: anonymous, a user of
another estate, a member with the wrong role, a member with the right role. A route
that declares nothing, or that ``CALLS`` here does not know how to call, fails by name.

Every call runs through the ASGI app on a real database (SQLite, then
PostgreSQL) seeded with two estates. Besides the status, each call checks that a refused
caller changed nothing in the database and saw none of the other estate's data, that a
GET changed nothing, that the right caller's action took effect, that the user of the
other estate gets 404 also through their own estate's URL with this estate's ids, and
that every page carries the security headers and no inline script or event handler,
and that every form POST without its CSRF token, or with another session's, changes
nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from estateflow.engine import Actor
from estateflow.services import Authoring, People, Services, hash_password
from estateflow.services._bundles import bundle_hash
from estateflow.store import authoring as rows
from estateflow.store import open_store
from estateflow.web import Settings, create_app
from tests.conftest import REPO, fresh_pg_database
from tests.services.conftest import SUNSHINE, FakeClock
from tests.services.test_services import INTAKE as BASE_INTAKE
from tests.web._html import script_problems
from tests.web.conftest import INTAKE_FORM, PASSWORD, csrf_of

pytestmark = pytest.mark.anyio

TOWER = REPO / "examples" / "tower"
#: Typed into sunshine's case, register and draft: no caller from elsewhere may see it.
MARKER = "MARKER-sunshine-only-7f3a"
OVERLAY = "examples/sunshine/procedures/complaint.yaml"
GOOD = "extends: complaint\ntitle: {zh-Hans: 投诉, zh-Hant: 投訴, en: Complaints (edited)}\n"
INTAKE = {**BASE_INTAKE, "summary": f"走廊燈壞了三天 {MARKER}"}
#: Members of sunshine and their roles; ``tess`` is in the tower estate only, with
#: every role there (admin too), so that only the estate can be why she is refused.
SUNSHINE_PEOPLE = {
    "wychan": ["front_desk"],
    "kflee": ["cs_supervisor"],
    "hwong": ["responsible_dept"],
    "amy": ["admin", "front_desk"],
}
OUTSIDER = "tess"
#: API tokens: (user, scopes).
TOKENS = [
    ("wychan", ("read", "act")),
    ("wychan", ("read",)),
    ("wychan", ("act",)),
    ("kflee", ("read", "act")),
    ("kflee", ("read",)),
    ("hwong", ("read", "act")),
    (OUTSIDER, ("read", "act")),
]
#: Tables whose rows a request may leave changed without acting: who is signed in,
#: sign-in throttling, the log of who looked at what, the worker's heartbeat, the
#: monthly report summaries (a cache of what the cases already say).
BOOKKEEPING = {
    "sessions",
    "report_summaries",
    "login_throttle",
    "access_log",
    "worker_heartbeats",
    "schema_version",
    "api_tokens",  # when each token was last used
}

# -- what each declaration means -----------------------------------------------------------
ANONYMOUS, OTHER, WRONG, RIGHT = "anonymous", "other estate", "wrong role", "right role"
OK, LOGIN, NOT_FOUND, FORBIDDEN, UNAUTHORIZED = "ok", "login", "404", "403", "401"
EXPECT = {
    "public": {ANONYMOUS: OK, OTHER: OK, WRONG: OK, RIGHT: OK},
    "signed-in": {ANONYMOUS: LOGIN, OTHER: OK, WRONG: OK, RIGHT: OK},
    "member": {ANONYMOUS: LOGIN, OTHER: NOT_FOUND, WRONG: OK, RIGHT: OK},
    "role": {ANONYMOUS: LOGIN, OTHER: NOT_FOUND, WRONG: FORBIDDEN, RIGHT: OK},
    "admin": {ANONYMOUS: LOGIN, OTHER: NOT_FOUND, WRONG: FORBIDDEN, RIGHT: OK},
    "api-read": {ANONYMOUS: UNAUTHORIZED, OTHER: NOT_FOUND, WRONG: FORBIDDEN, RIGHT: OK},
    "api-act": {ANONYMOUS: UNAUTHORIZED, OTHER: NOT_FOUND, WRONG: FORBIDDEN, RIGHT: OK},
}


@dataclass(frozen=True)
class Call:
    """How to call one route. Strings may name ids: ``{case}``, ``{task}``, ``{version}``
    (a fresh complaint with prepare="case"), ``{digest}``, ``{draft}``, ``{schedule}``,
    ``{bundle}``, ``{path}``; ``{e}`` is the estate in the URL."""

    url: str
    right: str = "wychan"
    """A username; for the API ``user:scopes`` names a token."""
    wrong: tuple[str, ...] = ("hwong",)
    form: Mapping[str, Any] | None = None
    json: Mapping[str, Any] | None = None
    prepare: str | None = None
    """What to make fresh for this route first: "case", "draft", "history", "schedule"."""
    ok: frozenset[int] = frozenset({200})
    changes: bool = False
    """The right caller's call changes the database (an action, not a page)."""
    cross: bool = False
    """Also call as the other estate's user through their estate's URL, with our ids."""
    fresh: bool = False
    """Use a client signed in for this call only (it signs out)."""


SEE = frozenset({303})
API = frozenset({200})
CALLS: dict[str, Call] = {
    # -- anyone
    "GET /login": Call("/login"),
    "POST /login": Call("/login", form={"username": "nobody", "password": "not this one"}),
    "POST /logout": Call("/logout", form={}, ok=SEE, fresh=True),
    "POST /language": Call("/language", form={"locale": "", "next": "/"}, ok=SEE),
    "GET /health": Call("/health"),
    "GET /static/{file_path}": Call("/static/app.js"),
    "HEAD /static/{file_path}": Call("/static/app.css"),
    "GET /api/schema": Call("/api/schema"),
    "GET /api/schema/openapi.json": Call("/api/schema/openapi.json"),
    "GET /api/schema/{path}": Call("/api/schema/swagger", ok=frozenset({404})),
    **{
        f"{method} /api/v1/{{rest}}": Call(
            "/api/v1/nothing/here", json={} if method != "GET" else None, ok=frozenset({404})
        )
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
    # -- signed in, no estate
    "GET /": Call("/", ok=SEE),
    # -- any member of the estate
    "GET /e/{estate_id}": Call("/e/{e}/"),
    "GET /e/{estate_id}/start": Call("/e/{e}/start"),
    "GET /e/{estate_id}/cases/{case_id}": Call("/e/{e}/cases/{case}", cross=True),
    "GET /e/{estate_id}/cases/{case_id}/print": Call("/e/{e}/cases/{case}/print", cross=True),
    "POST /e/{estate_id}/forms/{form_id}/state": Call(
        "/e/{e}/forms/complaint-investigation/state?case={case}&task={task}",
        form={"f.findings": "a draft"},
        prepare="case",
        ok=frozenset({201}),
        changes=True,
        cross=True,
    ),
    "GET /e/{estate_id}/files/{digest}": Call("/e/{e}/files/{digest}", cross=True),
    "GET /e/{estate_id}/notifications": Call("/e/{e}/notifications"),
    "GET /e/{estate_id}/reports": Call("/e/{e}/reports"),
    "GET /e/{estate_id}/books": Call("/e/{e}/books"),
    "GET /e/{estate_id}/books/{book}": Call("/e/{e}/books/complaint"),
    "GET /e/{estate_id}/registers": Call("/e/{e}/registers"),
    "GET /e/{estate_id}/registers/{register}": Call("/e/{e}/registers/members"),
    # -- a member with the role the definitions ask for
    "GET /e/{estate_id}/start/{procedure_id}": Call("/e/{e}/start/complaint"),
    "POST /e/{estate_id}/start/{procedure_id}": Call(
        "/e/{e}/start/complaint", form=INTAKE_FORM, ok=SEE, changes=True
    ),
    "POST /e/{estate_id}/cases/{case_id}/tasks/{task_id}/act": Call(
        "/e/{e}/cases/{case}/tasks/{task}/act",
        right="wychan",  # the sunshine desk forwards complaints itself
        wrong=("hwong",),
        form={"action": "dispatch", "version": "{version}", "f.department": "engineering"},
        prepare="case",
        ok=SEE,
        changes=True,
        cross=True,
    ),
    "POST /e/{estate_id}/cases/{case_id}/tasks/{task_id}/claim": Call(
        "/e/{e}/cases/{case}/tasks/{task}/claim",
        right="wychan",  # the sunshine desk forwards complaints itself
        wrong=("hwong",),
        form={},
        prepare="case",
        ok=SEE,
        changes=True,
        cross=True,
    ),
    # -- estate admins
    "GET /e/{estate_id}/admin": Call("/e/{e}/admin", right="amy", wrong=("wychan",)),
    "GET /e/{estate_id}/admin/source": Call(
        "/e/{e}/admin/source?path={path}", right="amy", wrong=("wychan",)
    ),
    "GET /e/{estate_id}/admin/procedures/{procedure_id}": Call(
        "/e/{e}/admin/procedures/complaint", right="amy", wrong=("wychan",)
    ),
    "GET /e/{estate_id}/admin/forms/{form_id}": Call(
        "/e/{e}/admin/forms/complaint-intake", right="amy", wrong=("wychan",)
    ),
    "GET /e/{estate_id}/admin/edit": Call(
        f"/e/{{e}}/admin/edit?path={OVERLAY}", right="amy", wrong=("wychan",)
    ),
    "POST /e/{estate_id}/admin/edit": Call(
        "/e/{e}/admin/edit",
        right="amy",
        wrong=("wychan",),
        form={"path": OVERLAY, "text": GOOD},
        ok=SEE,
        changes=True,
    ),
    "GET /e/{estate_id}/admin/drafts/{draft_id}": Call(
        "/e/{e}/admin/drafts/{draft}", right="amy", wrong=("wychan",), cross=True
    ),
    "POST /e/{estate_id}/admin/drafts/{draft_id}/publish": Call(
        "/e/{e}/admin/drafts/{draft}/publish",
        right="amy",
        wrong=("wychan",),
        form={"effective_at": ""},
        prepare="draft",
        ok=SEE,
        changes=True,
        cross=True,
    ),
    "POST /e/{estate_id}/admin/rollback": Call(
        "/e/{e}/admin/rollback",
        right="amy",
        wrong=("wychan",),
        form={"to": "{bundle}"},
        prepare="history",
        ok=SEE,
        changes=True,
        cross=True,
    ),
    "POST /e/{estate_id}/admin/schedules/{schedule_id}/cancel": Call(
        "/e/{e}/admin/schedules/{schedule}/cancel",
        right="amy",
        wrong=("wychan",),
        form={},
        prepare="schedule",
        ok=SEE,
        changes=True,
        cross=True,
    ),
    # -- the JSON API, with bearer tokens
    "GET /api/v1/e/{estate_id}/procedures": Call(
        "/api/v1/e/{e}/procedures", right="wychan:read", wrong=("wychan:act",)
    ),
    "GET /api/v1/e/{estate_id}/tasks": Call(
        "/api/v1/e/{e}/tasks", right="wychan:read", wrong=("wychan:act",)
    ),
    "GET /api/v1/e/{estate_id}/cases/{case_id}": Call(
        "/api/v1/e/{e}/cases/{case}", right="wychan:read", wrong=("wychan:act",), cross=True
    ),
    "GET /api/v1/e/{estate_id}/registers": Call(
        "/api/v1/e/{e}/registers", right="wychan:read", wrong=("wychan:act",)
    ),
    "GET /api/v1/e/{estate_id}/registers/{register}": Call(
        "/api/v1/e/{e}/registers/members", right="wychan:read", wrong=("wychan:act",)
    ),
    "POST /api/v1/e/{estate_id}/cases": Call(
        "/api/v1/e/{e}/cases",
        right="wychan:read,act",
        wrong=("wychan:read", "hwong:read,act"),
        json={"procedure": "complaint", "data": INTAKE},
        ok=frozenset({201}),
        changes=True,
    ),
    "POST /api/v1/e/{estate_id}/cases/{case_id}/tasks/{task_id}/act": Call(
        "/api/v1/e/{e}/cases/{case}/tasks/{task}/act",
        right="wychan:read,act",
        wrong=("wychan:read", "hwong:read,act"),
        json={"action": "dispatch", "data": {"department": "engineering"}, "version": "{version}"},
        prepare="case",
        ok=API,
        changes=True,
        cross=True,
    ),
    "POST /api/v1/e/{estate_id}/cases/{case_id}/tasks/{task_id}/claim": Call(
        "/api/v1/e/{e}/cases/{case}/tasks/{task}/claim",
        right="wychan:read,act",
        wrong=("wychan:read", "hwong:read,act"),
        json={},
        prepare="case",
        ok=API,
        changes=True,
        cross=True,
    ),
}


# -- the seeded world ---------------------------------------------------------------------------
@dataclass
class World:
    services: Services
    app: Any
    ids: dict[str, Any]
    sqlite: bool
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    seen_html: int = 0


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def world(tmp_path_factory):
    """SQLite: every route."""
    url = f"sqlite:///{tmp_path_factory.mktemp('authz') / 'authz.sqlite3'}"
    async with _seeded(url, tmp_path_factory) as seeded:
        yield seeded


@pytest.fixture(scope="module")
def pg_url():
    with fresh_pg_database() as dsn:
        yield dsn


@pytest.fixture(scope="module")
async def pg_world(pg_url, tmp_path_factory):
    """PostgreSQL: the routes whose estate filter lives in SQL (PG_SAMPLE)."""
    async with _seeded(pg_url, tmp_path_factory) as seeded:
        yield seeded


def _who(username: str) -> Actor:
    roles = SUNSHINE_PEOPLE.get(username, [])
    return Actor(username=username, name=username, roles=frozenset(roles))


@contextlib.asynccontextmanager
async def _seeded(db_url: str, tmp_path_factory: Any) -> AsyncIterator[World]:
    """Two estates, their members and tokens, a case, a file, a register row, a draft."""
    from tests.scenarios.conftest import THU_0924_1000

    store = await open_store(db_url)
    services = Services(store, clock=FakeClock(THU_0924_1000))
    await services.publish_estate(SUNSHINE)
    await services.publish_estate(TOWER)
    password = hash_password(PASSWORD)
    for username, roles in SUNSHINE_PEOPLE.items():
        await services.add_user(username, username, password)
        await services.grant(username, "sunshine", roles)
    tower = await services.published_bundle("tower")
    await services.add_user(OUTSIDER, OUTSIDER, password)
    await services.grant(OUTSIDER, "tower", sorted({*tower.estate.roles, "admin"}))
    files = Path(tmp_path_factory.mktemp("authz-files"))
    app = create_app(services, settings=Settings(files=files))

    case = await services.start_case("sunshine", "complaint", INTAKE, actor=_who("wychan"))
    await services.add_register_rows(
        "sunshine", "members", [{"unit": "T1-1A", "name": MARKER, "sex": "f"}]
    )
    digest = app.state.attachments.save("sunshine", _png(), "p.png", photo=True)["sha256"]
    info = await Authoring(services).published("sunshine")
    async with services.store.unit_of_work(writes=True) as uow:
        draft = _draft(uow, info.bundle_hash, f"{GOOD}# {MARKER}\n", services.clock())
    world = World(
        services=services,
        app=app,
        ids={"case": case.id, "digest": digest, "draft": draft, "path": info.estate_path},
        sqlite=db_url.startswith("sqlite"),
    )
    people = People(services.store, services.clock)
    for username, scopes in TOKENS:
        estate = "tower" if username == OUTSIDER else "sunshine"
        key = f"{username}:{','.join(scopes)}"
        world.tokens[key] = await people.add_token(username, estate, list(scopes))
    async with contextlib.AsyncExitStack() as stack:
        for username in [None, *SUNSHINE_PEOPLE, OUTSIDER]:
            client = await stack.enter_async_context(_http(app))
            world.csrf[username or ANONYMOUS] = await _sign_in(client, username)
            world.clients[username or ANONYMOUS] = client
        try:
            yield world
        finally:
            await store.close()


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(out, format="PNG")
    return out.getvalue()


def _http(app: Any) -> httpx.AsyncClient:
    """A client calling the app in this event loop. (Litestar's test client runs it in a
    thread of its own, where the PostgreSQL pool, made in this loop, cannot be used.)"""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def _sign_in(client: httpx.AsyncClient, username: str | None) -> str:
    """Signs ``client`` in (unless None); returns its session's CSRF token."""
    page = await client.get("/login")
    if username is not None:
        response = await client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        page = await client.get("/login")
    return csrf_of(page.text)


async def _prepare(world: World, what: str | None) -> dict[str, Any]:
    """Fresh objects for one route, so that its right call acts on something untouched.
    Drafts, bundles and schedules go straight to the store: checking an estate is slow,
    and what is checked here is who may use them."""
    services = world.services
    now = services.clock()
    if what == "case":
        view = await services.start_case("sunshine", "complaint", INTAKE, actor=_who("wychan"))
        [task] = [t for t in view.state.tasks if t.is_open]
        return {"case": view.id, "task": task.id, "version": view.version}
    info = await Authoring(services).published("sunshine")
    async with services.store.unit_of_work(writes=True) as uow:
        if what == "draft":
            return {"draft": _draft(uow, info.bundle_hash, GOOD, now)}
        if what == "history":
            # Another bundle published over the current one: there is one to go back to.
            sources = {**info.sources}
            sources[info.estate_path] += f"\n# edited {len(world.ids)}\n"
            digest = bundle_hash(sources)
            uow.save_bundle(
                bundle_hash=digest,
                estate_id="sunshine",
                estate_path=info.estate_path,
                sources=sources,
                at=now,
            )
            uow.publish("sunshine", digest, by="amy", at=now)
            return {"bundle": info.bundle_hash}
        if what == "schedule":
            at = now + timedelta(days=3)
            args = {"estate_id": "sunshine", "bundle_hash": info.bundle_hash, "by": "amy"}
            rows.schedule_publish(uow, **args, effective_at=at, at=now)
    if what == "schedule":
        async with services.store.unit_of_work(writes=False) as uow:
            later = [s for s in await rows.schedules(uow, "sunshine") if s["effective_at"] > now]
        return {"schedule": later[0]["id"]}
    return {}


def _draft(uow: Any, base: str, text: str, now: Any) -> str:
    return rows.add_overlay_draft(
        uow, estate_id="sunshine", path=OVERLAY, text=text, base_hash=base, by="amy", at=now
    )


async def _published(services: Services) -> str:
    async with services.store.unit_of_work(writes=False) as uow:
        return await uow.published("sunshine", services.clock())


async def fingerprint(world: World) -> str:
    """A digest of every row that acting could change (not sessions and the like)."""
    digest = hashlib.sha256()
    async with world.services.store.unit_of_work(writes=False) as uow:
        for table in sorted(set(await _tables(uow, world.sqlite)) - BOOKKEEPING):
            rows = await uow.tx.fetch(f'SELECT * FROM "{table}"')
            digest.update(table.encode())
            for row in sorted(repr(sorted(dict(r).items())) for r in rows):
                digest.update(row.encode())
    return digest.hexdigest()


async def _tables(uow: Any, sqlite: bool) -> list[str]:
    if sqlite:
        rows = await uow.tx.fetch("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = await uow.tx.fetch(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    return [r["name"] for r in rows]


def _fill(value: Any, ids: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and whole[1] in ids:
            return ids[whole[1]]
        return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m[1], m[0])), value)
    if isinstance(value, Mapping):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


# -- one request ---------------------------------------------------------------------------------
@dataclass
class Seen:
    status: int
    location: str
    body: str
    headers: Any


async def _send(
    world: World, method: str, call: Call, who: str | None, ids: dict, csrf: str | None = None
) -> Seen:
    """``who``: None for nobody, a username (pages) or ``user:scopes`` (API token);
    ``csrf``: send this token instead of the session's own."""
    url = _fill(call.url, ids)
    api = url.startswith("/api/v1/")
    headers: dict[str, str] = {}
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if api and who is not None:
        token = world.tokens[who if ":" in who else f"{who}:read,act"]
        headers["Authorization"] = f"Bearer {token}"
    if call.json is not None and method != "GET":
        kwargs["json"] = _fill(dict(call.json), ids)
    if api or not call.fresh or who is None:
        client = world.clients[ANONYMOUS if api else who or ANONYMOUS]
        token = world.csrf[ANONYMOUS if api else who or ANONYMOUS] if csrf is None else csrf
        return _seen(method, await _request(client, token, method, url, call, ids, kwargs))
    async with _http(world.app) as client:  # it signs out: not a shared client
        token = await _sign_in(client, who) if csrf is None else csrf
        return _seen(method, await _request(client, token, method, url, call, ids, kwargs))


async def _request(client, csrf, method, url, call, ids, kwargs) -> Any:
    if call.form is not None and method == "POST" and not url.startswith("/api/v1/"):
        form = {k: str(v) for k, v in _fill(dict(call.form), ids).items()}
        kwargs["data"] = {**form, "csrf": csrf}
    return await client.request(method, url, **kwargs)


def _seen(method: str, response: Any) -> Seen:
    return Seen(
        status=response.status_code,
        location=response.headers.get("location", ""),
        body=response.text if method != "HEAD" else "",
        headers=response.headers,
    )


def _outcome(seen: Seen, call: Call) -> str:
    if seen.status == 303 and seen.location.startswith("/login?next="):
        return LOGIN
    if seen.status == 401 and not seen.body:
        return LOGIN  # an htmx fragment: nothing to redirect into
    if seen.status in call.ok:
        return OK
    return {404: NOT_FOUND, 403: FORBIDDEN, 401: UNAUTHORIZED}.get(seen.status, str(seen.status))


def check_page(seen: Seen, where: str) -> None:
    """Security headers on every response; no inline script or on* handler in a page."""
    csp = seen.headers.get("content-security-policy", "")
    # Pages run our own scripts only; an uploaded file runs none at all.
    assert "script-src 'self'" in csp or "default-src 'none'; sandbox" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert seen.headers.get("x-content-type-options") == "nosniff", where
    if seen.headers.get("content-type", "").startswith("text/html"):
        assert "frame-ancestors 'none'" in csp, where
        assert seen.headers.get("referrer-policy") == "same-origin", where
        assert not script_problems(seen.body), f"{where}: {script_problems(seen.body)}"


# -- the tests ----------------------------------------------------------------------------------
def _route_table(app: Any) -> dict[str, Any]:
    """``"METHOD /path"`` of every route the app serves -> its handler (OPTIONS left out:
    Litestar answers it itself, with no body, for any path)."""
    table = {}
    for route in app.routes:
        for method, handler in getattr(route, "route_handler_map", {}).items():
            if method == "OPTIONS":
                continue
            handler = handler[0] if isinstance(handler, tuple) else handler
            table[f"{method} {route.path_format}"] = handler
    return table


async def test_every_route_declares_who_may_call_it_and_is_in_the_matrix(world):
    table = _route_table(world.app)
    undeclared = sorted(k for k, h in table.items() if h.opt.get("access") not in EXPECT)
    assert not undeclared, f"routes without an access declaration (opt=...): {undeclared}"
    unknown = sorted(set(table) - set(CALLS))
    assert not unknown, f"routes the authorization matrix does not call: {unknown}"
    gone = sorted(set(CALLS) - set(table))
    assert not gone, f"CALLS names routes the app no longer has: {gone}"


@pytest.mark.parametrize("route", list(CALLS))
async def test_route_answers_each_caller_as_declared(world, route):
    await _matrix(world, route)


#: The routes that read this estate's rows by id (cases, tasks, files, drafts, schedules,
#: bundles) or act: on PostgreSQL too, where those estate filters are other SQL.
PG_SAMPLE = [route for route, call in CALLS.items() if call.cross or call.changes]


@pytest.mark.postgres
@pytest.mark.parametrize("route", PG_SAMPLE)
async def test_route_answers_each_caller_as_declared_on_postgresql(pg_world, route):
    await _matrix(pg_world, route)


async def _matrix(world: World, route: str) -> None:
    method, _ = route.split(" ", 1)
    call = CALLS[route]
    handler = _route_table(world.app)[route]
    access = handler.opt["access"]
    ids = {**world.ids, **await _prepare(world, call.prepare), "e": "sunshine"}
    api = call.url.startswith("/api/v1/")
    outsider = f"{OUTSIDER}:read,act" if api else OUTSIDER
    callers = [
        (ANONYMOUS, None, ids),
        (OTHER, outsider, ids),
        *((WRONG, wrong, ids) for wrong in call.wrong),
    ]
    if call.cross:
        callers.append((OTHER, outsider, {**ids, "e": "tower"}))
    callers.append((RIGHT, call.right, ids))
    if method == "POST" and not api:
        await _forged(world, route, call, ids)
    for kind, who, where in callers:
        label = f"{route} as {kind} ({who}) at {_fill(call.url, where)}"
        before = await fingerprint(world)
        seen = await _send(world, method, call, who, where)
        after = await fingerprint(world)
        got = _outcome(seen, call)
        assert got == EXPECT[access][kind], f"{label}: got {got} ({seen.status} {seen.location})"
        check_page(seen, label)
        if kind == OTHER:
            assert MARKER not in seen.body, f"{label}: shows sunshine's data"
        if got != OK:
            assert before == after, f"{label}: refused, yet the database changed"
            assert MARKER not in seen.body, f"{label}: refused, yet shows the data"
        elif method in ("GET", "HEAD"):
            assert before == after, f"{label}: a GET changed the database"
        elif kind == RIGHT and call.changes:
            assert before != after, f"{label}: answered {seen.status} but nothing changed"


async def _forged(world: World, route: str, call: Call, ids: dict) -> None:
    """The right caller's own form, without its CSRF token or with another session's
    (a pair from a browser the attacker controls): nothing may change."""
    theirs = world.csrf[OUTSIDER]
    for token in ("", "forged", theirs):
        before = await fingerprint(world)
        seen = await _send(world, "POST", call, call.right, ids, csrf=token)
        after = await fingerprint(world)
        assert before == after, f"{route} with CSRF token {token!r}: the database changed"
        assert seen.status < 500, f"{route} with CSRF token {token!r}: {seen.status}"
