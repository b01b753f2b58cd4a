"""Cases that fall due, and counts taken from the event log."""

from __future__ import annotations

import asyncio
from collections import Counter

from estateflow.services import Notification, Services
from estateflow.store import loads
from tests.services.conftest import who
from tests.services.test_services import INTAKE

#: Per major complaint, eleven minutes after it was taken: the forwarding step's warning
#: (at 5 minutes) and its missed deadline (at 10), each with one notification.
FIRINGS_PER_CASE = 2


async def start_complaints(services: Services, count: int, *, parallel: int = 8) -> list[str]:
    gate = asyncio.Semaphore(parallel)

    async def one() -> str:
        async with gate:
            view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
            return view.id

    return list(await asyncio.gather(*[one() for _ in range(count)]))


async def event_counts(services: Services, *types: str) -> Counter[tuple[str, str, str]]:
    """How many events there are per ``(case_id, type, task_id or '')``."""
    marks = ", ".join(f"${i + 1}" for i in range(len(types)))
    async with services.store.unit_of_work(writes=False) as uow:
        rows = await uow.tx.fetch(
            f'SELECT "case_id", "type", "payload" FROM "events" WHERE "type" IN ({marks})',
            *types,
        )
    counts: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        payload = loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        counts[(row["case_id"], row["type"], payload.get("task_id") or "")] += 1
    return counts


async def outbox(services: Services) -> tuple[int, int]:
    """(rows, of which unsent)."""
    async with services.store.unit_of_work(writes=False) as uow:
        total = await uow.tx.fetchval('SELECT count(*) FROM "outbox"')
        pending = await uow.tx.fetchval('SELECT count(*) FROM "outbox" WHERE "sent_at" IS NULL')
    return int(total), int(pending)


class Recorder:
    """A sender that keeps what it was given; ``fail`` keys raise once each (every
    time with ``always``)."""

    def __init__(self, fail: set[str] | None = None, *, always: bool = False) -> None:
        self.sent: list[Notification] = []
        self.fail = set(fail or ())
        self.always = always
        self.arrived = asyncio.Event()

    async def send(self, notification: Notification) -> None:
        if notification.key in self.fail:
            if not self.always:
                self.fail.discard(notification.key)
            raise ConnectionError("mail server said no")
        self.sent.append(notification)
        self.arrived.set()
