"""Start ``estateflow serve`` as a real process on a free loopback port, for the tests
whose behaviour lives in real HTTP: browsers, concurrent requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import REPO

#: Thursday 24 September 2026, 10:00 in Hong Kong: a working morning.
FIXED = "2026-09-24T10:00:00+08:00"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(db_url: str, files: str, *extra: str) -> Iterator[str]:
    """The base URL of a server over ``db_url``, stopped on exit."""
    port = free_port()
    # A file, not a pipe: an unread pipe fills up and the server would block on its log.
    log_path = Path(files).parent / f"server-{port}.log"
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "estateflow.cli",
            "serve",
            "--db",
            db_url,
            "--port",
            str(port),
            "--fixed-clock",
            FIXED,
            *extra,
        ],
        cwd=REPO,
        env={**os.environ, "ESTATEFLOW_TESTING": "1", "ESTATEFLOW_FILES": files},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                output = log_path.read_text(encoding="utf-8")
                raise RuntimeError(f"the server did not start:\n{output}") from None
            time.sleep(0.2)  # waiting for the port to open, not a timing assertion
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
