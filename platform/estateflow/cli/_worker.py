"""``estateflow worker``: fire due deadlines and timers and send notifications.

Test-only settings (refused unless ``ESTATEFLOW_TESTING=1``):
``ESTATEFLOW_WORKER_EXIT_AFTER=N`` exits right after the N-th firing is committed (a
crash at a fixed point), and ``ESTATEFLOW_FAKE_NOW=ISO-TIME`` fixes the worker's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from datetime import datetime
from typing import Any

from estateflow.cli import _ops as ops_commands
from estateflow.cli._admin import DB_VARIABLE, default_database_url
from estateflow.errors import EstateFlowError
from estateflow.services import Sender, Services, system_clock
from estateflow.store import StoreError, open_store
from estateflow.worker import (
    BATCH,
    POLL_INTERVAL,
    LogSender,
    SmtpSender,
    exit_after_from_env,
    run_worker,
    testing,
)

#: Test-only: the worker's clock stands still at this ISO 8601 time.
FAKE_NOW_VARIABLE = "ESTATEFLOW_FAKE_NOW"


def register(sub: Any) -> None:
    worker = sub.add_parser(
        "worker",
        help="fire due deadlines and timers, send notifications",
        description="Fire what falls due and send queued notifications, round after "
        "round, until stopped (SIGTERM or Ctrl-C). Start several against one PostgreSQL "
        "database to share the work.",
    )
    worker.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help=f"database (default: ${DB_VARIABLE} or a SQLite file in ~/.local/share/estateflow)",
    )
    mode = worker.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run one round, then exit")
    mode.add_argument(
        "--until-idle",
        action="store_true",
        help="run rounds until nothing is due and nothing is queued, then exit",
    )
    worker.add_argument("--batch", type=int, default=BATCH, help="cases per round")
    worker.add_argument(
        "--poll", type=float, default=POLL_INTERVAL, help="longest sleep between rounds (s)"
    )
    worker.add_argument(
        "--sender",
        choices=("log", "smtp"),
        default=None,
        help="where notifications go (default: smtp when ESTATEFLOW_SMTP_HOST is set)",
    )
    worker.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING …")
    worker.set_defaults(run=_worker)


def _worker(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    ops_commands.json_logs_if_asked(args.log_level.upper())
    try:
        exit_after = exit_after_from_env()
        clock = _clock()
        sender = _sender(args.sender)
    except ValueError as exc:
        print(f"estateflow worker: {exc}", file=sys.stderr)
        return 2
    try:
        stats = asyncio.run(_main(args, clock, sender, exit_after))
    except EstateFlowError as exc:
        print(f"estateflow worker: {exc}", file=sys.stderr)
        return 1
    print(f"fired {stats.fired} in {stats.cases} cases, sent {stats.sent}", flush=True)
    return 0


async def _main(args: argparse.Namespace, clock: Any, sender: Sender, exit_after: int | None):
    url = args.db or default_database_url()
    store = await _open(url, keep_trying=not (args.once or args.until_idle))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await run_worker(
            Services(store, clock=clock),
            stop,
            sender=sender,
            batch=args.batch,
            poll=args.poll,
            until_idle=args.until_idle,
            once=args.once,
            exit_after=exit_after,
        )
    finally:
        await store.close()


async def _open(url: str, *, keep_trying: bool):
    """The store; a daemon waits for a database that is not up yet."""
    pause = 0.5
    while True:
        try:
            return await open_store(url, create=False)
        except StoreError as exc:
            if not keep_trying:
                raise
            logging.getLogger("estateflow.worker").warning(
                "cannot open the database, retrying in %.1fs: %s", pause, exc
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)


def _clock():
    raw = os.environ.get(FAKE_NOW_VARIABLE)
    if not raw:
        return system_clock
    if not testing():
        raise ValueError(f"{FAKE_NOW_VARIABLE} is a test-only setting: refused")
    now = datetime.fromisoformat(raw)
    if now.tzinfo is None:
        raise ValueError(f"{FAKE_NOW_VARIABLE} needs a time zone offset, got {raw!r}")
    return lambda: now


def _sender(choice: str | None) -> Sender:
    if choice == "smtp" or (choice is None and os.environ.get("ESTATEFLOW_SMTP_HOST")):
        return SmtpSender.from_env()
    return LogSender()
