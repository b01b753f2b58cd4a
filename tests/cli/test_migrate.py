"""estateflow migrate: running complaint cases move to a changed procedure, dry run first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from estateflow import engine
from estateflow.services import Services, migrate_cases
from estateflow.store import open_store
from tests.conftest import REPO
from tests.scenarios.conftest import THU_0924_1000
from tests.services.conftest import STAFF, SUNSHINE, FakeClock, who
from tests.services.test_services import INTAKE

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'estateflow.sqlite3'}"
    return request.getfixturevalue("pg_dsn")


@pytest.fixture
async def svc(url):
    """Services on the Sunshine estate as published from the repository, with its staff."""
    store = await open_store(url)
    services = Services(store, clock=FakeClock(THU_0924_1000))
    await services.publish_estate(SUNSHINE)
    for username, roles in STAFF.items():
        await services.add_user(username, username)
        await services.grant(username, "sunshine", list(roles))
    try:
        yield services
    finally:
        await store.close()


def cli(*args: str, url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "estateflow.cli", *args],
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "ESTATEFLOW_DATABASE_URL": url},
    )


def renamed_estate(tmp_path: Path) -> Path:
    """The library and the example estate, with the complaint step 'forward' renamed 'relay'."""
    for folder in ("procedures", "forms", "examples"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    path = tmp_path / "procedures" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\n  forward:\n" in text and "    to: forward\n" in text
    text = text.replace("\n  forward:\n", "\n  relay:\n").replace("to: forward\n", "to: relay\n")
    path.write_text(text, encoding="utf-8")
    return tmp_path / "examples" / "sunshine"


async def running_cases(services: Services) -> dict[str, str]:
    """Three complaints: two waiting to be forwarded, one forwarded (its tasks kept)."""
    cases = {}
    for name in ("waiting", "also_waiting", "forwarded"):
        view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        cases[name] = view.id
    view = await services.get_case("sunshine", cases["forwarded"], actor=who("kflee"))
    await services.take_action(
        "sunshine",
        view.id,
        view.tasks[0].task_id,
        "dispatch",
        {"department": "engineering"},
        actor=who("kflee"),
    )
    return cases


async def versions(services: Services, cases: dict[str, str]) -> dict[str, int]:
    out = {}
    for name, case_id in cases.items():
        out[name] = (await services.get_case("sunshine", case_id, actor=who("kflee"))).version
    return out


async def test_dry_run_lists_cases_and_problems_then_the_mapped_run_verifies(svc, url, tmp_path):
    services, db_url = svc, url
    cases = await running_cases(services)
    new_hash = await services.publish_estate(renamed_estate(tmp_path))
    before = await versions(services, cases)

    dry = cli(
        "migrate", "complaint", "--estate", "sunshine", "--to", "published", "--dry-run", url=db_url
    )
    assert dry.returncode == 1
    assert f"3 running cases would move to bundle {new_hash[:12]}" in dry.stdout
    assert dry.stdout.count("forward-1            refused: step 'forward' does not exist") == 2
    assert "investigate-1        kept on 'investigate'" in dry.stdout
    assert "--map forward=STEP" in dry.stdout
    assert "1 can move, 2 cannot" in dry.stdout

    wrong = cli(
        "migrate", "complaint", "--estate", "sunshine", "--to", new_hash[:10],
        "--map", "forward=relais", url=db_url,
    )  # fmt: skip
    assert wrong.returncode == 1
    assert "'relais' is not a step of 'complaint' in the new bundle" in wrong.stdout
    assert "nothing was written" in wrong.stderr
    assert await versions(services, cases) == before

    mapped = cli(
        "migrate", "complaint", "--estate", "sunshine", "--to", "published",
        "--map", "forward=relay", "--dry-run", url=db_url,
    )  # fmt: skip
    assert mapped.returncode == 0, mapped.stdout + mapped.stderr
    assert mapped.stdout.count("forward-1            'forward' -> 'relay'") == 2
    assert await versions(services, cases) == before

    real = cli(
        "migrate", "complaint", "--estate", "sunshine", "--to", "published",
        "--map", "forward=relay", url=db_url,
    )  # fmt: skip
    assert real.returncode == 0, real.stdout + real.stderr
    assert "moved 3 of 3" in real.stdout
    audit = cli("audit", "verify", "--estate", "sunshine", url=db_url)
    assert audit.returncode == 0 and "the event log verifies" in audit.stdout
    assert {k: v + 1 for k, v in before.items()} == await versions(services, cases)

    events = await services.case_events("sunshine", cases["waiting"])
    moved = events[-1]
    assert moved.type == "CaseMigrated"
    assert moved.payload == {
        "from": moved.payload["from"],
        "to": new_hash,
        "mapping": {"forward": "relay"},
    }
    assert moved.payload["from"] != new_hash
    view = await services.get_case("sunshine", cases["waiting"], actor=who("kflee"))
    assert engine.replay(events) == view.state
    assert [(t.task_id, t.step) for t in view.tasks] == [("forward-1", "relay")]

    # The moved task goes on in the new procedure.
    after = await services.take_action(
        "sunshine", view.id, "forward-1", "dispatch", {"department": "security"}, actor=who("kflee")
    )
    assert sorted(t.step for t in after.tasks) == ["investigate", "report_major"]
    again = cli("migrate", "complaint", "--estate", "sunshine", "--to", "published", url=db_url)
    assert again.returncode == 0 and "0 running cases" in again.stdout


async def test_a_task_mapped_onto_a_step_of_another_kind_is_refused(svc, tmp_path):
    services = svc
    cases = await running_cases(services)
    await services.publish_estate(renamed_estate(tmp_path))
    report = await migrate_cases(
        services, "sunshine", "complaint", "published", {"forward": "received"}
    )
    assert not report.ok and report.moved == 0
    refused = [m for c in report.cases for m in c.plan.moves if m.how == "refused"]
    assert {m.reason for m in refused} == {
        "'received' is a join step in the new bundle, and this task is on a task"
    }
    events = await services.case_events("sunshine", cases["waiting"])
    assert "CaseMigrated" not in {e.type for e in events}


async def test_a_bundle_prefix_must_be_known_and_unique(svc):
    services = svc
    await running_cases(services)
    with pytest.raises(Exception, match="no bundle 'ffff'"):
        await migrate_cases(services, "sunshine", "complaint", "ffff", {}, dry_run=True)
    report = await migrate_cases(services, "sunshine", "complaint", "published", dry_run=True)
    assert report.cases == () and report.ok
