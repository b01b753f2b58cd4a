"""``estateflow serve`` (the web app and the worker, for real use) and ``estateflow demo``
(the same, on a seeded SQLite database with the example estates and demo users)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from estateflow.cli import _ops
from estateflow.cli._admin import default_database_url
from estateflow.definitions import builtin_library
from estateflow.engine import Actor
from estateflow.errors import DefinitionError, EstateFlowError, Invalid, render_all
from estateflow.services import Services, hash_password, system_clock
from estateflow.store import open_store

DEMO_PASSWORD = "estateflow-demo"
TESTING_VARIABLE = "ESTATEFLOW_TESTING"


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the web app (and the worker) for real use")
    _server_options(serve)
    serve.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="database (default: $ESTATEFLOW_DATABASE_URL or a SQLite file)",
    )
    serve.add_argument(
        "--publish",
        action="append",
        default=[],
        metavar="ESTATE_DIR",
        help="publish this estate before serving (repeatable)",
    )
    serve.set_defaults(run=_serve)

    demo = sub.add_parser("demo", help="the example estates with demo users, served locally")
    _server_options(demo)
    demo.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="database (default: demo.sqlite3 in the user data folder)",
    )
    demo.add_argument("--reset", action="store_true", help="start again from an empty database")
    demo.add_argument(
        "--no-serve",
        action="store_true",
        help="prepare the database and print the accounts, then exit",
    )
    demo.set_defaults(run=_demo)


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("ESTATEFLOW_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ESTATEFLOW_PORT", "8000")))
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run the worker in this process (run `estateflow worker`)",
    )
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        default=os.environ.get("ESTATEFLOW_SECURE_COOKIES") == "1",
        help="session cookie over HTTPS only (behind a TLS proxy)",
    )
    parser.add_argument(
        "--fixed-clock",
        default=None,
        metavar="ISO",
        help="test only (needs ESTATEFLOW_TESTING=1): the server's clock "
        "stands still at this moment",
    )


def _clock(args: argparse.Namespace) -> Callable[[], datetime]:
    if not args.fixed_clock:
        return system_clock
    if os.environ.get(TESTING_VARIABLE) != "1":
        raise SystemExit(
            "estateflow: --fixed-clock is for tests only "
            f"(set {TESTING_VARIABLE}=1); refusing to serve with it"
        )
    moment = datetime.fromisoformat(args.fixed_clock)
    if moment.tzinfo is None:
        raise SystemExit("estateflow: --fixed-clock needs a UTC offset, e.g. +08:00")
    return lambda: moment


async def _run_server(services: Services, args: argparse.Namespace) -> None:
    import uvicorn

    from estateflow.web import Settings, create_app
    from estateflow.worker import run_worker

    app = create_app(services, settings=Settings(secure_cookies=args.secure_cookies))
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        lifespan="on",
        server_header=False,
        **_ops.uvicorn_options(),
    )
    server = uvicorn.Server(config)
    stop = asyncio.Event()
    worker = None
    if not args.no_worker:
        worker = asyncio.create_task(run_worker(services, stop))
    print(f"EstateFlow on http://{args.host}:{args.port}/ (Ctrl+C stops it)", flush=True)
    try:
        await server.serve()
    finally:
        stop.set()
        if worker is not None:
            await worker


def _serve(args: argparse.Namespace) -> int:
    async def main() -> int:
        store = await open_store(args.db or default_database_url())
        services = Services(store, clock=_clock(args))
        try:
            for estate in args.publish:
                await services.publish_estate(estate)
            await _run_server(services, args)
        finally:
            await store.close()
        return 0

    return _guarded(main)


def _guarded(main: Callable[[], Any]) -> int:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    except DefinitionError as exc:
        print(render_all(exc.diagnostics, _read), file=sys.stderr)
        return 1
    except EstateFlowError as exc:
        print(f"estateflow: {exc}", file=sys.stderr)
        return 1


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


# -- demo ---------------------------------------------------------------------------------
def demo_database_url() -> str:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'estateflow' / 'demo.sqlite3'}"


def _demo(args: argparse.Namespace) -> int:
    url = args.db or demo_database_url()
    if args.reset and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)

    async def main() -> int:
        store = await open_store(url)
        services = Services(store, clock=_clock(args))
        try:
            accounts = await seed_demo(services, builtin_library() / "examples")
            _print_accounts(accounts, url)
            if not args.no_serve:
                await _run_server(services, args)
        finally:
            await store.close()
        return 0

    return _guarded(main)


def _print_accounts(accounts: list[tuple[str, str, str, str]], url: str) -> None:
    print(f"Demo database: {url}")
    print(f"Every demo account's password is: {DEMO_PASSWORD}\n")
    width = max((len(a[1]) for a in accounts), default=8)
    print(f"{'estate':<10} {'username':<{width}}  roles")
    for estate, username, _, roles in accounts:
        print(f"{estate:<10} {username:<{width}}  {roles}")
    print()


async def seed_demo(services: Services, examples: Path) -> list[tuple[str, str, str, str]]:
    """Publish every example estate, add its demo staff and registers, and open a few
    cases in various states, once: a database seeded before is left as it is."""
    accounts: list[tuple[str, str, str, str]] = []
    password_hash = hash_password(DEMO_PASSWORD)
    for estate_dir in sorted(p.parent for p in examples.glob("*/estate.yaml")):
        await services.publish_estate(estate_dir)
        bundle = await services.published_bundle(_estate_id(estate_dir))
        estate_id = bundle.estate.id
        staff = _csv(estate_dir / bundle.estate.demo.get("staff", "demo/staff.csv"))
        fresh = await _first_time(services, estate_id)
        people: dict[str, Actor] = {}
        for row in staff:
            roles = [r for r in _split(row.get("roles", "")) if r in bundle.estate.roles]
            if fresh:
                await services.add_user(
                    row["username"], row.get("name") or row["username"], password_hash
                )
                await services.grant(row["username"], estate_id, roles)
            people[row["username"]] = Actor(
                username=row["username"], name=row.get("name", ""), roles=frozenset(roles)
            )
            accounts.append((estate_id, row["username"], row.get("name", ""), ", ".join(roles)))
        if not fresh:
            continue
        households = estate_dir / bundle.estate.demo.get("households", "demo/households.csv")
        if "members" in bundle.estate.registers and households.exists():
            await services.add_register_rows(estate_id, "members", _csv(households))
        units_file = estate_dir / bundle.estate.demo.get("units", "demo/units.csv")
        units = [row["unit"] for row in _csv(units_file)] if units_file.exists() else []
        await _demo_cases(services, estate_id, bundle, people, units[0] if units else "")
    return accounts


def _estate_id(estate_dir: Path) -> str:
    from estateflow.definitions import load_bundle

    return load_bundle(estate_dir).estate.id


async def _first_time(services: Services, estate_id: str) -> bool:
    async with services.store.unit_of_work(writes=False) as uow:
        return (
            await uow.tx.fetchval('SELECT count(*) FROM "cases" WHERE "estate_id" = $1', estate_id)
            == 0
        )


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def _split(text: str) -> list[str]:
    for sep in (";", "|", " "):
        text = text.replace(sep, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


async def _demo_cases(
    services: Services, estate_id: str, bundle: Any, people: dict[str, Actor], unit: str
) -> None:
    """A few cases at different points, so that inboxes and case pages have content."""

    def someone(role: str) -> Actor | None:
        return next((a for a in people.values() if role in a.roles), None)

    zone_now = services.clock().astimezone()
    stamp = zone_now.strftime("%Y-%m-%dT%H:%M")
    desk = someone("front_desk") or someone("cs_officer")
    if desk is None:
        return
    plans = [
        (
            "complaint",
            {
                "unit": unit,
                "complainant": "陳先生",
                "relation": "owner",
                "phone": "+852 9123 4567",
                "channel": "phone",
                "received_at": stamp,
                "severity": "major",
                "summary": "走廊燈壞了三天",
                "repeated_back": "on",
            },
        ),
        (
            "complaint",
            {
                "unit": unit,
                "complainant": "李小姐",
                "relation": "tenant",
                "phone": "+852 9876 5432",
                "channel": "in_person",
                "received_at": stamp,
                "severity": "general",
                "summary": "樓下單位噪音",
                "repeated_back": "on",
            },
        ),
    ]
    for procedure, form in plans:
        if procedure not in bundle.procedures or procedure not in bundle.estate.procedures:
            continue
        try:
            view = await services.start_case(estate_id, procedure, form, actor=desk)
        except (Invalid, EstateFlowError) as exc:
            print(f"demo: skipped a {procedure} case in {estate_id}: {exc}", file=sys.stderr)
            continue
        supervisor = someone("cs_supervisor")
        if form.get("severity") == "general" and supervisor is not None and view.tasks:
            try:
                await services.take_action(
                    estate_id,
                    view.id,
                    view.tasks[0].task_id,
                    "dispatch",
                    {"department": "environment"},
                    actor=supervisor,
                )
            except EstateFlowError as exc:
                print(f"demo: left {view.number} at its first step: {exc}", file=sys.stderr)
