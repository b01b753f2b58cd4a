"""Administrative commands over the database: publish, audit, user."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from estateflow.errors import DefinitionError, EstateFlowError, render_all
from estateflow.services import Services, hash_password
from estateflow.store import open_store

DB_VARIABLE = "ESTATEFLOW_DATABASE_URL"


def default_database_url() -> str:
    """``$ESTATEFLOW_DATABASE_URL``, else a SQLite file in the user's data folder."""
    if os.environ.get(DB_VARIABLE):
        return os.environ[DB_VARIABLE]
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'estateflow' / 'estateflow.sqlite3'}"


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help=f"database (default: ${DB_VARIABLE} or a SQLite file in ~/.local/share/estateflow)",
    )


def register(sub: Any) -> None:
    publish = sub.add_parser("publish", help="compile an estate and make new cases use it")
    publish.add_argument("estate", metavar="ESTATE_DIR")
    _db_option(publish)
    publish.set_defaults(run=lambda a: _run(a, _publish))

    audit = sub.add_parser("audit", help="check or show the tamper-evident event log")
    verbs = audit.add_subparsers(metavar="VERB")
    verify = verbs.add_parser("verify", help="verify every case's event chain")
    verify.add_argument("--estate", default=None)
    _db_option(verify)
    verify.set_defaults(run=lambda a: _run(a, _verify))
    show = verbs.add_parser("show", help="a case's timeline as text")
    show.add_argument("case", metavar="CASE", help="case number (TS-2026-000123) or id")
    show.add_argument("--estate", required=True)
    _db_option(show)
    show.set_defaults(run=lambda a: _run(a, _show))

    user = sub.add_parser("user", help="staff accounts")
    uverbs = user.add_subparsers(metavar="VERB")
    add = uverbs.add_parser("add", help="add or update a user and grant roles in an estate")
    add.add_argument("username")
    add.add_argument("--name", default="")
    add.add_argument("--estate", required=True)
    add.add_argument("--roles", required=True, help="comma-separated roles in that estate")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    _db_option(add)
    add.set_defaults(run=lambda a: _run(a, _user_add))


def _run(
    args: argparse.Namespace, job: Callable[[Services, argparse.Namespace], Awaitable[int]]
) -> int:
    async def main() -> int:
        store = await open_store(args.db or default_database_url())
        try:
            return await job(Services(store), args)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except DefinitionError as exc:
        print(render_all(exc.diagnostics, _reader()), file=sys.stderr)
        return 1
    except EstateFlowError as exc:
        print(f"estateflow: {exc}", file=sys.stderr)
        return 1


def _reader() -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError:
            return None

    return read


async def _publish(services: Services, args: argparse.Namespace) -> int:
    digest = await services.publish_estate(args.estate)
    print(f"published {args.estate}: bundle {digest[:12]}")
    return 0


async def _verify(services: Services, args: argparse.Namespace) -> int:
    problems = await services.audit_verify(args.estate)
    for problem in problems:
        print(problem)
    print("the event log verifies" if not problems else f"{len(problems)} problems found")
    return 1 if problems else 0


async def _show(services: Services, args: argparse.Namespace) -> int:
    async with services.store.unit_of_work(writes=False) as uow:
        row = await uow.find_case(args.estate, args.case)
        case_id = row.id if row else args.case
    events = await services.case_events(args.estate, case_id)
    for seq, event in enumerate(events, start=1):
        at = event.at.isoformat(timespec="seconds")
        detail = ", ".join(
            f"{k}={_short(v)}"
            for k, v in event.payload.items()
            if k in ("step", "task_id", "action", "outcome", "roles", "reason")
        )
        print(f"{seq:4d}  {at}  {event.actor or '-':<12} {event.type:<20} {detail}")
    return 0


def _short(value: Any) -> str:
    text = ",".join(value) if isinstance(value, list) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


async def _user_add(services: Services, args: argparse.Namespace) -> int:
    password_hash = ""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        try:
            password_hash = hash_password(password)
        except ValueError as exc:
            print(f"estateflow: {exc}", file=sys.stderr)
            return 2
    await services.add_user(args.username, args.name or args.username, password_hash)
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    await services.grant(args.username, args.estate, roles)
    print(f"{args.username}: {', '.join(roles)} in {args.estate}")
    return 0
