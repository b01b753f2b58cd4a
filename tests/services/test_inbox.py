"""The inbox: tasks a user holds and the role queues they may claim from, soonest first."""

from __future__ import annotations

import pytest

from tests.services.conftest import who
from tests.services.test_services import INTAKE

pytestmark = pytest.mark.anyio

CALLBACK = {
    "origin": "internal",
    "repair_no": "WX-1",
    "unit": "T1-12A",
    "requester": "陳國棟",
    "detail": "水龍頭漏水",
}


async def _inbox(services, username: str) -> list[tuple[str, str]]:
    return [(t.case_number, t.step) for t in await services.inbox("sunshine", actor=who(username))]


async def test_inbox_holds_assigned_and_queued_tasks_soonest_first(services, clock):
    # An internal repair callback has no deadline: it sorts after every task that has
    # one, although it was opened first.
    callback = await services.start_case(
        "sunshine", "repair-callback", CALLBACK, actor=who("lmyip")
    )
    complaints = []
    for _ in range(3):
        clock.advance(minutes=1)  # forward is due 10 minutes after each start
        view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        complaints.append(view)
    first, second, third = (c.number for c in complaints)
    await services.claim_task(
        "sunshine", complaints[1].id, complaints[1].tasks[0].task_id, actor=who("wychan")
    )

    # The front desk holds the claimed one and may claim the others; the supervisor and
    # the officer see only what is unclaimed; the department has nothing yet.
    queue = [(first, "forward"), (third, "forward"), (callback.number, "callback")]
    assert await _inbox(services, "wychan") == [(first, "forward"), (second, "forward"), *queue[1:]]
    assert await _inbox(services, "kflee") == queue
    assert await _inbox(services, "lmyip") == queue
    assert await _inbox(services, "hwong") == []

    async with services.store.unit_of_work(writes=False) as uow:
        limited = await uow.open_tasks("sunshine", roles={"front_desk"}, username="wychan", limit=2)
    assert [r["number"] for r in limited] == [first, second]

    # Acting closes the task everywhere and queues the next step for the roles that may
    # act on it (a major complaint's investigation has no deadline: it goes last).
    await services.take_action(
        "sunshine",
        complaints[0].id,
        complaints[0].tasks[0].task_id,
        "dispatch",
        {"department": "engineering"},
        actor=who("wychan"),
    )
    assert await _inbox(services, "kflee") == [*queue[1:], (first, "investigate")]
    assert await _inbox(services, "hwong") == [(first, "investigate")]
