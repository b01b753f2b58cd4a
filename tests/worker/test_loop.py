"""The worker's loop in process, on SQLite and PostgreSQL: rounds, notifications, failures."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest

from estateflow.services import Services, StoreError, fire_due_round, send_notifications
from estateflow.worker import run_worker
from tests.worker._helpers import FIRINGS_PER_CASE, Recorder, event_counts, outbox, start_complaints

pytestmark = pytest.mark.anyio


async def test_until_idle_fires_each_deadline_once_and_sends_each_notification(services, clock):
    cases = await start_complaints(services, 12)
    clock.advance(minutes=11)
    sender = Recorder()
    stats = await run_worker(services, sender=sender, batch=5, until_idle=True)
    assert stats.fired == FIRINGS_PER_CASE * 12 and stats.cases == 12
    counts = await event_counts(services, "DeadlineWarned", "DeadlineMissed")
    assert len(counts) == 2 * 12 and set(counts.values()) == {1}
    assert {case for case, _, _ in counts} == set(cases)
    assert sorted({n.role for n in sender.sent}) == ["cs_supervisor", "front_desk"]
    assert len(sender.sent) == len({n.key for n in sender.sent}) == 2 * 12
    assert await outbox(services) == (24, 0)

    again = await run_worker(services, sender=sender, until_idle=True)
    assert (again.fired, again.sent) == (0, 0)
    assert await services.audit_verify() == []


async def test_nothing_due_means_one_idle_round(services):
    await start_complaints(services, 2)
    stats = await run_worker(services, sender=Recorder(), until_idle=True)
    assert (stats.rounds, stats.fired, stats.sent) == (1, 0, 0)


async def _pending_keys(services) -> list[str]:
    async with services.store.unit_of_work(writes=False) as uow:
        return [row["key"] for row in await uow.pending_notifications(services.clock())]


async def test_a_failed_send_waits_a_minute_then_goes_out(services, clock):
    await start_complaints(services, 1)
    clock.advance(minutes=11)
    await fire_due_round(services)
    keys = await _pending_keys(services)
    sender = Recorder(fail={keys[0]})
    first = await send_notifications(services, sender)
    assert (first.sent, first.failed) == (1, 1)
    assert await outbox(services) == (2, 1)
    soon = await send_notifications(services, sender)  # not tried again at once
    assert (soon.sent, soon.failed) == (0, 0)
    clock.advance(seconds=59)
    assert (await send_notifications(services, sender)).sent == 0
    clock.advance(seconds=1)
    second = await send_notifications(services, sender)
    assert (second.sent, second.failed) == (1, 0)
    assert sorted(n.key for n in sender.sent) == sorted(keys)
    assert await outbox(services) == (2, 0)


async def test_notifications_that_keep_failing_do_not_hold_up_the_queue(services, clock):
    """The first batch's worth fail every time; the ones queued after them still go
    out, and the failing ones are tried again ever more rarely (1, 2, 4… minutes, at
    most hourly), their attempts and last error kept."""
    await start_complaints(services, 3)
    clock.advance(minutes=11)
    await fire_due_round(services)
    keys = await _pending_keys(services)
    assert len(keys) == 6
    broken = set(keys[:2])
    sender = Recorder(fail=broken, always=True)
    first = await send_notifications(services, sender, limit=2)
    assert (first.sent, first.failed) == (0, 2)
    rounds = [await send_notifications(services, sender, limit=2) for _ in range(3)]
    assert [(r.sent, r.failed) for r in rounds] == [(2, 0), (2, 0), (0, 0)]
    assert {n.key for n in sender.sent} == set(keys) - broken
    tried = []
    for minutes in (1, 2, 4, 8, 16, 32, 60, 60):
        clock.advance(minutes=minutes - 1)
        assert (await send_notifications(services, sender)).failed == 0, minutes
        clock.advance(minutes=1)
        tried.append((await send_notifications(services, sender)).failed)
    assert tried == [2] * 8
    async with services.store.unit_of_work(writes=False) as uow:
        rows = await uow.tx.fetch(
            'SELECT "attempts", "last_error" FROM "outbox" WHERE "sent_at" IS NULL'
        )
        assert await uow.failing_notifications(3) == (2, "ConnectionError: mail server said no")
    assert [(r["attempts"], r["last_error"]) for r in rows] == [
        (9, "ConnectionError: mail server said no")
    ] * 2


def test_retry_delays_double_up_to_an_hour():
    from datetime import timedelta

    from estateflow.services._worker_support import retry_delay

    assert [retry_delay(n) for n in (1, 2, 3, 6, 7, 8, 1000)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60, 60)
    ]


class FlakyStore:
    """A store whose next ``failures`` units of work fail as if the database were down."""

    def __init__(self, store, failures: int) -> None:
        self.store = store
        self.failures = failures
        self.kind = store.kind

    @asynccontextmanager
    async def unit_of_work(self, *, writes: bool):
        if self.failures:
            self.failures -= 1
            raise StoreError("lost the connection to PostgreSQL: server restarting")
        async with self.store.unit_of_work(writes=writes) as uow:
            yield uow


async def test_database_failures_are_retried_and_lose_nothing(services, clock):
    await start_complaints(services, 3)
    clock.advance(minutes=11)
    flaky = Services(FlakyStore(services.store, failures=3), clock=clock)
    stats = await run_worker(flaky, sender=Recorder(), until_idle=True, backoff=(0, 0))
    assert stats.errors == 3
    assert stats.fired == FIRINGS_PER_CASE * 3
    counts = await event_counts(services, "DeadlineMissed")
    assert sorted(counts.values()) == [1, 1, 1]


async def test_wake_starts_a_round_and_stop_ends_the_loop(services, clock):
    await start_complaints(services, 1)
    sender = Recorder()
    stop, wake = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(run_worker(services, stop, sender=sender, poll=3600, wake=wake))
    clock.advance(minutes=11)  # due now, but the worker sleeps for an hour...
    wake.set()  # ...unless woken
    await asyncio.wait_for(sender.arrived.wait(), timeout=60)
    stop.set()
    stats = await asyncio.wait_for(worker, timeout=60)
    assert stats.fired == FIRINGS_PER_CASE


async def test_the_fault_hook_is_refused_outside_tests(services, monkeypatch):
    monkeypatch.delenv("ESTATEFLOW_TESTING", raising=False)
    with pytest.raises(ValueError, match="test-only"):
        await run_worker(services, until_idle=True, exit_after=1)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_case_another_worker_holds_is_skipped_not_fired(services, clock, db_url):
    [case_id] = await start_complaints(services, 1)
    clock.advance(minutes=11)
    async with services.store.unit_of_work(writes=True) as uow:
        assert await uow.lock_case("sunshine", case_id) is not None
        held = await fire_due_round(services)
    assert (held.due, held.fired, held.skipped) == (1, 0, 1)
    free = await fire_due_round(services)
    assert (free.fired, free.cases, free.skipped) == (2, 1, 0)
