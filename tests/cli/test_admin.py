"""publish, user add and audit, as an administrator runs them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from estateflow.services import Services
from estateflow.store import open_store
from tests.conftest import REPO
from tests.scenarios.conftest import THU_0924_1000
from tests.services.conftest import FakeClock, who
from tests.services.test_services import INTAKE


def cli(*args: str, url: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "estateflow.cli", *args],
        cwd=REPO,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "ESTATEFLOW_DATABASE_URL": url},
    )


def test_publish_add_user_show_and_verify(tmp_path):
    url = f"sqlite:///{tmp_path / 'ef.sqlite3'}"
    published = cli("publish", "examples/sunshine", url=url)
    assert published.returncode == 0, published.stderr
    assert published.stdout.startswith("published examples/sunshine: bundle ")
    added = cli(
        "user",
        "add",
        "wychan",
        "--estate",
        "sunshine",
        "--roles",
        "front_desk",
        "--password-stdin",
        url=url,
        stdin="correct horse battery\n",
    )
    assert added.stdout.strip() == "wychan: front_desk in sunshine"
    short = cli(
        "user",
        "add",
        "kflee",
        "--estate",
        "sunshine",
        "--roles",
        "cs_supervisor",
        "--password-stdin",
        url=url,
        stdin="short\n",
    )
    assert short.returncode == 2 and "at least 10 characters" in short.stderr

    async def make_case() -> str:
        store = await open_store(url)
        try:
            view = await Services(store, clock=FakeClock(THU_0924_1000)).start_case(
                "sunshine", "complaint", INTAKE, actor=who("wychan")
            )
            return view.number
        finally:
            await store.close()

    number = asyncio.run(make_case())
    shown = cli("audit", "show", number, "--estate", "sunshine", url=url)
    lines = shown.stdout.splitlines()
    assert "CaseStarted" in lines[0] and "wychan" in lines[0]
    assert any("TaskOpened" in line and "task_id=forward-1" in line for line in lines)
    assert cli("audit", "verify", url=url).stdout.strip() == "the event log verifies"

    import sqlite3

    conn = sqlite3.connect(tmp_path / "ef.sqlite3")
    conn.execute("UPDATE events SET actor = 'mallory' WHERE seq = 1")
    conn.commit()
    conn.close()
    tampered = cli("audit", "verify", url=url)
    assert tampered.returncode == 1
    assert "event 1 was changed after it was written" in tampered.stdout


def test_publishing_a_broken_estate_prints_located_errors(tmp_path):
    estate = tmp_path / "estate"
    estate.mkdir()
    (estate / "estate.yaml").write_text("id: broken\nregion: XX\n", encoding="utf-8")
    done = cli("publish", str(estate), url=f"sqlite:///{tmp_path / 'ef.sqlite3'}")
    assert done.returncode == 1
    assert "estate.yaml:2:9: unknown-region" in done.stderr
