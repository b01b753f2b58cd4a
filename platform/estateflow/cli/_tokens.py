"""``estateflow token add USER --estate E --scopes read,act``: a token for the JSON API."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from estateflow.cli._admin import _db_option, _run
from estateflow.services import SCOPES, People, Services


def register(sub: Any) -> None:
    token = sub.add_parser("token", help="API tokens for the JSON API")
    verbs = token.add_subparsers(metavar="VERB")
    add = verbs.add_parser("add", help="make a token for a user in one estate (shown once)")
    add.add_argument("username")
    add.add_argument("--estate", required=True)
    add.add_argument(
        "--scopes",
        default="read",
        help=f"comma-separated, among {','.join(SCOPES)} (default: read)",
    )
    _db_option(add)
    add.set_defaults(run=lambda a: _run(a, _add))


async def _add(services: Services, args: argparse.Namespace) -> int:
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    try:
        token = await People(services.store, services.clock).add_token(
            args.username, args.estate, scopes
        )
    except ValueError as exc:
        print(f"estateflow: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(
        "Keep it now: only its hash is stored. Send it as 'Authorization: Bearer <token>'.",
        file=sys.stderr,
    )
    return 0
