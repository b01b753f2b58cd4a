"""The worker's loop: fire what is due, send what is queued, sleep, again.

Each round fires up to a batch of due cases (each case in its own unit of work, so a
firing and its effects are committed together) and then sends queued notifications.
When a round had work it goes again at once; otherwise the worker sleeps until the next
due moment or the poll interval, whichever comes first, and a ``wake`` event cuts the
sleep short. A database failure in a round is logged and retried with growing pauses,
so the worker rides out a database restart without restarting itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass

from estateflow.services import (
    Sender,
    Services,
    StoreError,
    fire_due_round,
    next_due_moment,
    send_notifications,
)
from estateflow.services._ops import record_heartbeat, worker_name
from estateflow.worker._senders import LogSender

log = logging.getLogger("estateflow.worker")

#: Seconds between rounds when nothing falls due sooner.
POLL_INTERVAL = 5.0
#: Cases fired, and notifications sent, per round.
BATCH = 100
#: First and longest pause after a failed round, in seconds (doubling in between).
BACKOFF = (0.5, 30.0)
#: Pause while another worker holds the only cases that are due.
HELD_PAUSE = 0.05

#: Test-only fault hook: exit right after the N-th firing is committed.
EXIT_AFTER_VARIABLE = "ESTATEFLOW_WORKER_EXIT_AFTER"
#: Must be "1" for any test-only setting to be accepted.
TESTING_VARIABLE = "ESTATEFLOW_TESTING"
#: The status the fault hook exits with.
FAULT_EXIT_STATUS = 86


@dataclass(slots=True)
class WorkerStats:
    """What one worker did, for its exit line and for tests."""

    rounds: int = 0
    fired: int = 0
    cases: int = 0
    sent: int = 0
    errors: int = 0


def testing() -> bool:
    return os.environ.get(TESTING_VARIABLE) == "1"


def exit_after_from_env() -> int | None:
    """The fault hook's N from the environment; refused outside tests.

    Raises:
        ValueError: the variable is set without ``ESTATEFLOW_TESTING=1``, or is not a
            positive whole number.
    """
    raw = os.environ.get(EXIT_AFTER_VARIABLE)
    if not raw:
        return None
    if not testing():
        raise ValueError(f"{EXIT_AFTER_VARIABLE} is a test-only setting: refused")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{EXIT_AFTER_VARIABLE} must be a positive whole number, not {raw!r}")
    return int(raw)


async def run_worker(
    services: Services,
    stop: asyncio.Event | None = None,
    *,
    sender: Sender | None = None,
    batch: int = BATCH,
    poll: float = POLL_INTERVAL,
    until_idle: bool = False,
    once: bool = False,
    wake: asyncio.Event | None = None,
    backoff: tuple[float, float] = BACKOFF,
    exit_after: int | None = None,
) -> WorkerStats:
    """Run rounds until ``stop`` is set (or, with ``until_idle``, until a round finds
    nothing to do; with ``once``, after one round).

    Args:
        stop: set it to end the loop after the current round; ``estateflow serve`` passes
            the event it sets on shutdown.
        sender: where notifications go (default: :class:`LogSender`).
        wake: set it to start the next round now (the web app after an act, say).
        exit_after: test-only fault hook: ``os._exit`` right after the commit that brings
            the firings of this worker to this many. Refused unless
            ``ESTATEFLOW_TESTING=1``.
    """
    if exit_after is not None and not testing():
        raise ValueError("exit_after is a test-only fault hook: refused")
    stop = stop or asyncio.Event()
    wake = wake or asyncio.Event()
    sender = sender or LogSender()
    stats = WorkerStats()
    pause = backoff[0]
    me = worker_name()

    def fired(count: int) -> None:
        stats.fired += count
        stats.cases += 1
        if exit_after is not None and stats.fired >= exit_after:
            sys.stderr.write(f"fault hook: exiting after {stats.fired} firings\n")
            sys.stderr.flush()
            os._exit(FAULT_EXIT_STATUS)

    log.info("worker started (batch %d, poll %.1fs)", batch, poll)
    while not stop.is_set():
        stats.rounds += 1
        try:
            fire = await fire_due_round(services, limit=batch, on_fired=fired)
            send = await send_notifications(services, sender, limit=batch)
            await record_heartbeat(services, me, stats.rounds)
        except (StoreError, OSError) as exc:
            stats.errors += 1
            log.warning("round failed, retrying in %.1fs: %s", pause, exc)
            await _sleep(pause, stop, wake)
            pause = min(pause * 2, backoff[1])
            continue
        except Exception:  # a lost connection the driver reports its own way, or a bug
            stats.errors += 1
            log.exception("round failed, retrying in %.1fs", pause)
            await _sleep(pause, stop, wake)
            pause = min(pause * 2, backoff[1])
            continue
        pause = backoff[0]
        stats.sent += send.sent
        if fire.fired or send.sent or fire.failed or send.failed:
            log.info(
                "round: fired %d in %d cases, sent %d notifications, %d cases failed",
                fire.fired,
                fire.cases,
                send.sent,
                fire.failed,
                extra={
                    "fired": fire.fired,
                    "cases": fire.cases,
                    "sent": send.sent,
                    "failed": fire.failed,
                    "skipped": fire.skipped,
                },
            )
        if once:
            break
        if fire.fired or send.sent:
            continue  # there may be more: go again at once
        if fire.skipped:
            # Only cases another worker holds right now: look again in a moment.
            await _sleep(min(poll, HELD_PAUSE), stop, wake)
            continue
        if until_idle:
            break
        await _sleep(await _until_next(services, poll), stop, wake)
    log.info(
        "worker stopped: %d rounds, fired %d in %d cases, sent %d",
        stats.rounds,
        stats.fired,
        stats.cases,
        stats.sent,
    )
    return stats


async def _until_next(services: Services, poll: float) -> float:
    """Seconds to the next due moment, at most ``poll``."""
    try:
        moment = await next_due_moment(services)
    except Exception:  # the next round reports it; sleeping the poll interval is safe
        return poll
    if moment is None:
        return poll
    ahead = (moment - services.clock()).total_seconds()
    # Due already, yet the round fired nothing: that case fails. Do not spin on it.
    return min(poll, ahead) if ahead > 0 else poll


async def _sleep(seconds: float, stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Sleep up to ``seconds``; ``stop`` or ``wake`` ends it early."""
    if stop.is_set() or seconds <= 0:
        return
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    wake.clear()
