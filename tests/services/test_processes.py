"""Real processes against one database: races between two of them, and kills mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.services.test_services import complaint

pytestmark = pytest.mark.anyio


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.services._driver", *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


async def test_two_processes_acting_on_one_task_exactly_one_wins(services, db_url):
    case_id = await complaint(services)
    racers = [spawn(db_url, "race", case_id, dept) for dept in ("engineering", "security")]
    for racer in racers:
        assert racer.stdout.readline().strip() == "ready", racer.stderr.read()
    for racer in racers:  # both are waiting: let them go together
        racer.stdin.write("go\n")
        racer.stdin.flush()
    outcomes = sorted(r.communicate(timeout=60)[0].strip() for r in racers)
    assert outcomes == ["acted", "conflict"]
    events = await services.case_events("sunshine", case_id)
    assert [e.type for e in events].count("ActionTaken") == 1
    assert await services.audit_verify() == []


async def test_killed_writer_loses_nothing_it_reported_and_leaves_no_half_case(services, db_url):
    """A process acting in a tight loop is killed with SIGKILL at arbitrary moments."""
    reported: dict[str, int] = {}
    chance = random.Random(20260924)
    for _ in range(8):
        worker = spawn(db_url, "loop")
        # Kill after a varying number of commits, while it is in the middle of the next.
        for _ in range(chance.randint(1, 6)):
            line = worker.stdout.readline()
            assert line.startswith("committed"), worker.stderr.read()
            _, case_id, version = line.split()
            reported[case_id] = max(reported.get(case_id, 0), int(version))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert reported
    for case_id, version in reported.items():
        view = await services.get_case("sunshine", case_id, actor=_anyone())
        assert view.version >= version  # everything it said was committed is there
    assert await services.audit_verify() == []  # and no case is half-written


def _anyone():
    from tests.services.conftest import who

    return who("kflee")
