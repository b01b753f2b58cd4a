"""A worker process rides out a PostgreSQL restart without restarting itself.

The restart happens on a private cluster this test creates (initdb as the postgres user)
on a free port, never on the shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from estateflow.services import Services
from estateflow.store import open_store
from tests.conftest import REPO
from tests.scenarios.conftest import THU_0924_1000
from tests.services.conftest import STAFF, SUNSHINE, FakeClock
from tests.worker._helpers import FIRINGS_PER_CASE, event_counts, start_complaints

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.slow]


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class Cluster:
    """A throwaway PostgreSQL cluster owned by the postgres user."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ef-pg-", dir="/tmp"))
        shutil.chown(self.dir, "postgres", "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *args: str) -> None:
        binary = _bin(tool)
        assert binary is not None
        command = [binary, *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self.run(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l",
            str(self.dir / "log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if _bin("initdb") is None or _bin("pg_ctl") is None:
        reason = "initdb and pg_ctl are needed to start a private PostgreSQL cluster"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = Cluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


class Lines:
    """A process's stderr, line by line, read in a thread."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        """The next line holding ``text``; fails after ``timeout`` seconds without one."""
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {text!r} in:\n{''.join(seen)}") from None
            seen.append(line)
            if text in line:
                return line

    def wait_for_cases(self, cases: int) -> None:
        """Until the worker's round lines add up to ``cases`` cases fired."""
        while cases > 0:
            line = self.wait_for("round: fired ")
            cases -= int(line.split("round: fired ", 1)[1].split()[2])


async def seeded(dsn: str, clock: FakeClock, *, publish: bool) -> Services:
    services = Services(await open_store(dsn), clock=clock)
    if publish:
        await services.publish_estate(SUNSHINE)
        for username, roles in STAFF.items():
            await services.add_user(username, username)
            await services.grant(username, "sunshine", list(roles))
    return services


async def test_worker_goes_on_after_postgres_restarts(cluster):
    clock = FakeClock(THU_0924_1000)
    services = await seeded(cluster.dsn, clock, publish=True)
    first = await start_complaints(services, 5)
    await services.store.close()
    now = (THU_0924_1000.replace(minute=11)).isoformat()
    worker = subprocess.Popen(
        [sys.executable, "-m", "estateflow.cli", "worker", "--db", cluster.dsn, "--poll", "0.2"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO / "platform"),
            "ESTATEFLOW_TESTING": "1",
            "ESTATEFLOW_FAKE_NOW": now,
        },
    )
    log = Lines(worker.stderr)
    try:
        log.wait_for_cases(5)
        await asyncio.to_thread(cluster.stop)
        log.wait_for("round failed")
        await asyncio.to_thread(cluster.start)
        services = await seeded(cluster.dsn, clock, publish=False)
        second = await start_complaints(services, 5)
        log.wait_for_cases(5)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0
    assert out.strip() == f"fired {10 * FIRINGS_PER_CASE} in 10 cases, sent 20"
    counts = await event_counts(services, "DeadlineMissed")
    assert sorted(counts.values()) == [1] * 10
    assert {case for case, _, _ in counts} == set(first + second)
    assert await services.audit_verify() == []
    await services.store.close()
