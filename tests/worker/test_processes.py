"""Worker processes against one database: sharing the work, and a hard stop mid-batch.

Counts come from the event log: every task's warning and missed deadline must be there
exactly once, however many workers ran and however they ended.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from estateflow.worker import FAULT_EXIT_STATUS
from tests.conftest import REPO
from tests.worker._helpers import FIRINGS_PER_CASE, event_counts, outbox, start_complaints

pytestmark = pytest.mark.anyio


def worker(url: str, now: str, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "estateflow.cli", "worker", "--db", url, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO / "platform"),
            "ESTATEFLOW_TESTING": "1",
            "ESTATEFLOW_FAKE_NOW": now,
            **env,
        },
    )


def fired_by(out: str) -> int:
    """The count in the worker's exit line ``fired N in M cases, sent K``."""
    return int(out.strip().splitlines()[-1].split()[1])


async def assert_each_fired_once(services, cases: list[str]) -> None:
    counts = await event_counts(services, "DeadlineWarned", "DeadlineMissed")
    missed = [n for (_, kind, _), n in counts.items() if kind == "DeadlineMissed"]
    warned = [n for (_, kind, _), n in counts.items() if kind == "DeadlineWarned"]
    assert len(missed) == len(warned) == len(cases)
    assert set(missed) == set(warned) == {1}
    assert {case for case, _, _ in counts} == set(cases)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("db_url", "count"),
    [("sqlite", 500), pytest.param("postgres", 1000, marks=pytest.mark.postgres)],
    indirect=["db_url"],
)
async def test_two_workers_fire_every_escalation_exactly_once(services, clock, db_url, count):
    """On SQLite the two take turns at the one writer; on PostgreSQL they skip each
    other's locked cases. Either way each case fires once."""
    cases = await start_complaints(services, count)
    clock.advance(minutes=11)
    began = time.perf_counter()
    workers = [
        worker(db_url, clock.now.isoformat(), "--until-idle", "--log-level", "WARNING")
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    took = time.perf_counter() - began
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
    shares = [fired_by(out) for out, _ in outputs]
    print(f"\n{count} cases, two workers: {took:.1f}s, firings per worker {shares}")
    assert sum(shares) == FIRINGS_PER_CASE * count
    await assert_each_fired_once(services, cases)
    assert await outbox(services) == (2 * count, 0)
    assert await services.audit_verify() == []


async def test_a_worker_stopped_hard_mid_batch_fires_nothing_twice_and_misses_nothing(
    services, clock, db_url
):
    cases = await start_complaints(services, 30)
    clock.advance(minutes=11)
    now = clock.now.isoformat()
    crashed = worker(db_url, now, "--until-idle", "--batch", "10", ESTATEFLOW_WORKER_EXIT_AFTER="7")
    _, err = crashed.communicate(timeout=120)
    assert crashed.returncode == FAULT_EXIT_STATUS, err
    assert "fault hook: exiting after 8 firings" in err
    counts = await event_counts(services, "DeadlineMissed")
    assert sorted(counts.values()) == [1] * 4  # the four cases committed before the exit

    again = worker(db_url, now, "--until-idle", "--batch", "10")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert fired_by(out) == FIRINGS_PER_CASE * 26
    await assert_each_fired_once(services, cases)
    assert await outbox(services) == (60, 0)
    assert await services.audit_verify() == []


def test_the_fault_hook_and_the_fake_clock_are_refused_outside_tests(tmp_path):
    url = f"sqlite:///{tmp_path / 'ef.sqlite3'}"
    for variable, value in (
        ("ESTATEFLOW_WORKER_EXIT_AFTER", "3"),
        ("ESTATEFLOW_FAKE_NOW", "2026-09-24T10:11:00+08:00"),
    ):
        env = {**os.environ, variable: value}
        env.pop("ESTATEFLOW_TESTING", None)
        run = subprocess.run(
            [sys.executable, "-m", "estateflow.cli", "worker", "--once", "--db", url],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2
        assert f"{variable} is a test-only setting: refused" in run.stderr
