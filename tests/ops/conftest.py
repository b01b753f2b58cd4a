"""Fixtures for the operations suite: the services fixtures, and the CLI run in-process."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from typing import Any

from estateflow.cli._main import main
from estateflow.services import Services
from estateflow.store import open_store
from tests.services.conftest import (  # noqa: F401  (fixtures)
    STAFF,
    SUNSHINE,
    FakeClock,
    anyio_backend,
    clock,
    db_url,
    services,
    who,
)


def cli(*argv: str) -> tuple[int, str, str]:
    """Run ``estateflow ARGV`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def with_services(url: str, now: Any, job: Callable[[Services], Awaitable[Any]]) -> Any:
    """Run ``job`` over a store opened at ``url`` (from a synchronous test)."""

    async def run() -> Any:
        store = await open_store(url)
        try:
            return await job(Services(store, clock=now))
        finally:
            await store.close()

    return asyncio.run(run())


async def seed(svc: Services) -> None:
    """Publish Sunshine and add its test staff."""
    await svc.publish_estate(SUNSHINE)
    for username, roles in STAFF.items():
        await svc.add_user(username, username)
        await svc.grant(username, "sunshine", list(roles))
