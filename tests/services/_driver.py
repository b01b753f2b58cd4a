"""Run services in a separate process, for the tests that need real concurrency and kills.

    python -m tests.services._driver URL loop          # start cases and act, forever
    python -m tests.services._driver URL race CASE_ID  # wait for "go", then act once

Each line it prints is written after the service call returned, i.e. after the commit.
"""

from __future__ import annotations

import asyncio
import sys

from estateflow.errors import Conflict
from estateflow.services import Services
from estateflow.store import open_store
from tests.scenarios.conftest import THU_0924_1000
from tests.services.conftest import FakeClock, who
from tests.services.test_services import INTAKE


async def loop(url: str) -> None:
    store = await open_store(url, create=False)
    services = Services(store, clock=FakeClock(THU_0924_1000))
    while True:
        view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        print(f"committed {view.id} {view.version}", flush=True)
        view = await services.take_action(
            "sunshine",
            view.id,
            view.tasks[0].task_id,
            "dispatch",
            {"department": "engineering"},
            actor=who("kflee"),
        )
        print(f"committed {view.id} {view.version}", flush=True)


async def race(url: str, case_id: str, department: str) -> None:
    store = await open_store(url, create=False)
    services = Services(store, clock=FakeClock(THU_0924_1000))
    view = await services.get_case("sunshine", case_id, actor=who("kflee"))
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        await services.take_action(
            "sunshine",
            case_id,
            view.tasks[0].task_id,
            "dispatch",
            {"department": department},
            actor=who("kflee"),
        )
        print("acted", flush=True)
    except Conflict:
        print("conflict", flush=True)
    await store.close()


if __name__ == "__main__":
    url, mode, *rest = sys.argv[1:]
    if mode == "loop":
        asyncio.run(loop(url))
    else:
        asyncio.run(race(url, rest[0], rest[1]))
