"""``estateflow simulate --replay``: closed cases from the database, on a new bundle.

The cases are made through services on a real database (SQLite and PostgreSQL), closed
under the published rules; the replay runs them against an estate folder that shortens a
deadline and against a draft that renames an action, through the command itself.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from estateflow.cli import main
from estateflow.cli._simulate import _replay
from estateflow.engine import Actor
from estateflow.services import Authoring, Services
from estateflow.store import open_store
from tests.conftest import REPO, create_pg_database, drop_pg_database, pg_admin_dsn
from tests.scenarios.conftest import THU_0924_1000
from tests.services.conftest import STAFF, FakeClock
from tests.services.test_services import INTAKE

SUNSHINE = REPO / "examples" / "sunshine"
TOWER = REPO / "examples" / "tower"
OVERLAY = "examples/sunshine/procedures/complaint.yaml"
#: The callback's action 'record' is now 'logged': a case that recorded a callback has no
#: path through this bundle.
RENAMED = """\
extends: complaint
steps:
  callback:
    actions:
      record: null
      logged:
        roles: [dept_manager, project_manager, cs_manager]
        route:
          - {when: "form.satisfied and case.valid", to: closed}
          - {when: "form.satisfied", to: closed_invalid}
          - {to: correct}
"""


def who(username: str) -> Actor:
    return Actor(username=username, name=username, roles=frozenset(STAFF[username]))


class _Cases:
    """Complaints through services, the clock moved by hand between acts."""

    def __init__(self, services: Services, clock: FakeClock, estate: str = "sunshine") -> None:
        self.services, self.clock, self.estate = services, clock, estate

    async def start(self, severity: str) -> str:
        form = {**INTAKE, "severity": severity}
        view = await self.services.start_case(self.estate, "complaint", form, actor=who("wychan"))
        return view.id

    async def act(self, case_id, step, action, form, user, *, after: timedelta) -> str:
        self.clock.now += after
        view = await self.services.get_case(self.estate, case_id, actor=who(user))
        task = next(t for t in view.state.tasks if t.step == step and t.is_open)
        after_view = await self.services.take_action(
            self.estate, case_id, task.id, action, form, actor=who(user)
        )
        return next((t.child for t in after_view.state.tasks if t.child), "") or ""

    async def through(self, case_id: str, *, report=None, callback_after, repair=False) -> None:
        await self.act(
            case_id, "forward", "dispatch", {"department": "engineering"}, "kflee",
            after=timedelta(minutes=5),
        )  # fmt: skip
        if report is not None:
            await self.act(case_id, "report_major", "reported", None, "ymho", after=report)
        findings = {
            "findings": "燈管損壞",
            "valid": "on",
            "verified_by": "hwong",
            "scope": "ours",
            "measures": "更換燈管",
            "needs_repair": "on" if repair else "",
        }
        await self.act(
            case_id, "investigate", "done", findings, "hwong", after=timedelta(minutes=10)
        )
        inform = {"informed_at": "2026-09-24T10:40", "method": "phone", "content": "今日內維修"}
        child = await self.act(
            case_id, "inform", "informed", inform, "wychan", after=timedelta(minutes=10)
        )
        if repair:
            await self.repair(child)
        callback = {
            "called_at": "2026-09-24T15:00",
            "method": "on_site",
            "project_manager": "wtchan",
            "satisfied": "on",
            "signature": {"typed": "陳國棟"},
        }
        await self.act(case_id, "callback", "record", callback, "smcheung", after=callback_after)

    async def repair(self, child: str) -> None:
        minutes = timedelta(minutes=5)
        sign = {"supervisor_signature": {"typed": "李家輝"}}
        await self.act(child, "sign", "sign", sign, "kflee", after=minutes)
        schedule = {"technician": "kkwan", "attend_now": "on", "scheduled_at": "2026-09-24T11:00"}
        await self.act(child, "dispatch", "schedule", schedule, "kkwan", after=minutes)
        work = {
            "work_done": "更換燈管",
            "completed_at": "2026-09-24T11:30",
            "technician_signature": {"typed": "關啟光"},
        }
        await self.act(child, "work", "done", work, "kkwan", after=minutes)
        confirm = {"checked": "on", "officer_signature": {"typed": "葉麗明"}}
        await self.act(child, "sign_off", "confirmed", confirm, "lmyip", after=minutes)


async def prepare(url: str) -> dict[str, str]:
    """Closed complaints of both estates, an open one, and a draft that renames an action."""
    clock = FakeClock(THU_0924_1000)
    store = await open_store(url)
    try:
        services = Services(store, clock=clock)
        for estate in (SUNSHINE, TOWER):
            await services.publish_estate(estate)
            for username, roles in STAFF.items():
                await services.add_user(username, username)
                await services.grant(username, estate.name, list(roles))
        cases = _Cases(services, clock)
        ids = {"quick": await cases.start("general")}
        await cases.through(ids["quick"], callback_after=timedelta(minutes=50))
        # Reported 45 minutes after forwarding: in time for 1h, late for 30 minutes.
        ids["reported_late"] = await cases.start("major")
        await cases.through(
            ids["reported_late"], report=timedelta(minutes=45), callback_after=timedelta(hours=1)
        )
        # Called back after 26 hours: late for the 24 hours of the rules it ran under.
        ids["slow_callback"] = await cases.start("general")
        await cases.through(ids["slow_callback"], callback_after=timedelta(hours=26))
        # A major complaint with a repair: the replay spawns the repair and plays its acts.
        ids["repaired"] = await cases.start("major")
        await cases.through(
            ids["repaired"],
            report=timedelta(minutes=10),
            callback_after=timedelta(hours=1),
            repair=True,
        )
        # Erased on request (privacy): what people typed is gone, so it cannot be replayed.
        ids["erased"] = await cases.start("general")
        await cases.through(ids["erased"], callback_after=timedelta(minutes=50))
        await services.erase_payloads("sunshine", ids["erased"])
        ids["open"] = await cases.start("general")
        tower = _Cases(services, clock, "tower")
        ids["tower"] = await tower.start("major")
        await tower.through(
            ids["tower"], report=timedelta(minutes=50), callback_after=timedelta(hours=1)
        )
        await services.add_user("amy", "Amy")
        await services.grant("amy", "sunshine", ["admin"])
        authoring = Authoring(services)
        admin = await authoring.admin("sunshine", "amy")
        ids["draft"], checked = await authoring.save_draft(
            "sunshine", OVERLAY, RENAMED, actor=admin
        )
        assert not checked.errors, checked.rendered
        ids["broken_draft"], _ = await authoring.save_draft(
            "sunshine", OVERLAY, RENAMED.replace("to: closed}", "to: closedd}"), actor=admin
        )
    finally:
        await store.close()
    return ids


def shortened(tmp_path: Path, params: str) -> Path:
    """The sunshine estate with its complaint parameters changed, as a folder."""
    folder = tmp_path / "sunshine"
    folder.mkdir()
    text = (SUNSHINE / "estate.yaml").read_text(encoding="utf-8")
    text = text.replace("library: ../..", f"library: {REPO}")
    text = text.replace("params:\n", f"params:\n  complaint:\n{params}", 1)
    (folder / "estate.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(request, tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    """One database per kind for the module: replaying writes nothing, so tests share it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('replay') / 'replay.sqlite3'}"
        yield url, asyncio.run(prepare(url))
        return
    admin = pg_admin_dsn()
    try:
        name, url = create_pg_database(admin)
    except Exception as exc:  # as the pg_dsn fixture: fail in CI, skip elsewhere
        reason = f"PostgreSQL not reachable at {admin!r}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield url, asyncio.run(prepare(url))
    finally:
        drop_pg_database(admin, name)


def replay(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["simulate", "complaint", "--replay", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_shortened_deadline_reports_exactly_the_cases_that_would_breach(
    database, tmp_path, capsys, monkeypatch
):
    url, ids = database
    folder = shortened(tmp_path, "    report_major_within: 30m\n")
    monkeypatch.setattr(_replay, "PROGRESS_EVERY", 2)
    code, out, err = replay(capsys, "--estate", str(folder), "--db", url, "--format", "json")
    assert code == 1  # some case would breach
    assert "replayed 2/5" in err and "replayed 5/5" in err  # progress, without a terminal
    report = json.loads(out)
    by_id = {case["case_id"]: case for case in report["cases"]}
    # Only this estate's closed cases: not the open one, not the other estate's.
    assert set(by_id) == {ids["quick"], ids["reported_late"], ids["slow_callback"], ids["repaired"]}
    breaching = {case_id for case_id, case in by_id.items() if case["breached"]}
    assert breaching == {ids["reported_late"], ids["slow_callback"]}
    [late] = by_id[ids["reported_late"]]["breached"]
    assert (late["step"], late["new"]) == ("report_major", True)
    assert late["due_at"] == "2026-09-24T11:50:00+08:00"  # 30 minutes after forwarding
    assert late["done_at"] == "2026-09-24T12:05:00+08:00"
    [slow] = by_id[ids["slow_callback"]]["breached"]
    assert (slow["step"], slow["new"]) == ("callback", False)  # it was late then too
    assert all(case["divergence"] is None for case in by_id.values())
    repaired = by_id[ids["repaired"]]
    assert repaired["outcome"] == "resolved"
    assert repaired["acts"] == 6 + 4  # the repair's four acts played on the repair it spawned
    assert report["summary"] == {"replayed": 4, "breaching": 2, "diverging": 0, "skipped": 1}
    assert report["skipped"] == [
        {"number": "TS-2026-000005", "reason": "its event log was erased (personal data purged)"}
    ]

    code, text, _ = replay(capsys, "--estate", str(folder), "--db", url)
    lines = text.splitlines()
    assert "TS-2026-000002  would breach 1 deadline(s)" in lines
    assert any(
        line.startswith("    breach: report_major, due Thu 24 Sep 11:50, done Thu 24 Sep 12:05")
        and "(15 min late; newly)" in line
        for line in lines
    ), text
    assert lines[-1] == (
        "4 closed cases of complaint replayed: 2 meet every deadline, 2 would breach "
        "(1 newly), 0 diverge; 1 skipped"
    )


def test_the_same_rules_meet_what_was_met_and_a_renamed_action_diverges(database, capsys):
    url, ids = database
    code, out, _ = replay(capsys, "--estate", "sunshine", "--db", url, "--format", "json")
    report = json.loads(out)
    # The published bundle: each case runs as it ran, the late callback is late again.
    assert {c["case_id"] for c in report["cases"] if c["breached"]} == {ids["slow_callback"]}
    assert all(c["divergence"] is None and c["outcome"] == "resolved" for c in report["cases"])
    assert code == 1

    code, out, err = replay(
        capsys, "--estate", "sunshine", "--draft", ids["draft"], "--db", url, "--since",
        "2026-09-24", "--format", "json",
    )  # fmt: skip
    assert code == 1, err
    report = json.loads(out)
    assert report["summary"]["diverging"] == 4
    quick = next(c for c in report["cases"] if c["case_id"] == ids["quick"])
    assert quick["divergence"]["act"] == "smcheung: record at callback"
    assert quick["divergence"]["reason"].startswith("step 'callback' has no action 'record'")
    assert quick["outcome"] is None
    assert [d["step"] for d in quick["met"]] == ["forward", "investigate"]  # up to there

    code, out, _ = replay(capsys, "--estate", "sunshine", "--db", url, "--since", "2026-10-01")
    assert code == 0
    assert out.splitlines()[-1].startswith("0 closed cases of complaint replayed")


def test_mistakes_are_messages_with_exit_2(database, tmp_path, capsys):
    url, ids = database
    cases = [
        (["--estate", str(SUNSHINE), "--db", "foo://x"], "unknown database url 'foo://x'"),
        (
            ["--estate", str(SUNSHINE), "--db", f"sqlite:///{tmp_path}/none.sqlite3"],
            "no database at",
        ),
        (["--estate", "nowhere", "--db", url], "'nowhere' is neither an estate folder nor"),
        (["--estate", "sunshine", "--draft", "nope", "--db", url], "no draft 'nope'"),
        (
            ["--estate", "sunshine", "--draft", ids["broken_draft"], "--db", url],
            f"{OVERLAY}:",  # the error at its line, then the message
        ),
    ]
    for args, message in cases:
        code, out, err = replay(capsys, *args)
        assert (code, out) == (2, ""), (args, err)
        assert message in err, (args, err)
        assert "Traceback" not in err
    code, _, err = replay(capsys, "--estate", str(SUNSHINE), "--db", url, "--since", "monday")
    assert code == 2 and "--since expects a date" in err


def test_an_unknown_procedure_or_a_broken_estate_stop_before_the_database(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # paths inside the working folder are shown relative
    db = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    code = main(["simulate", "complant", "--replay", "--estate", str(SUNSHINE), "--db", db])
    _, err = capsys.readouterr()
    assert code == 2
    assert "estate 'sunshine' does not use procedure 'complant'" in err
    assert "'complaint'" in err  # did you mean
    folder = shortened(tmp_path, "    report_major_within: 30m\n")
    estate = folder / "estate.yaml"
    estate.write_text(estate.read_text(encoding="utf-8") + "colour: blue\n", encoding="utf-8")
    code = main(["simulate", "complaint", "--replay", "--estate", str(folder), "--db", db])
    _, err = capsys.readouterr()
    assert code == 2
    located = f"{estate.relative_to(tmp_path)}:"
    assert err.startswith(located) and "colour: blue" in err, err  # located, with its line
    assert not (tmp_path / "none.sqlite3").exists()


def test_replay_options_go_with_replay(tmp_path, capsys):
    script = tmp_path / "run.yaml"
    script.write_text("steps: []\n", encoding="utf-8")
    code = main(
        ["simulate", "complaint", "--estate", str(SUNSHINE), "--script", str(script), "--db", "x"]
    )
    assert code == 2 and "--db goes with --replay" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", "complaint", "--estate", str(SUNSHINE)])  # neither
    assert "one of the arguments --script --replay is required" in capsys.readouterr().err
