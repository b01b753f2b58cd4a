"""``estateflow simulate``: scripts of actors, forms and clock moves against an estate."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from estateflow.cli import _simulate, main
from estateflow.definitions import load_bundle
from tests.scenarios.complaint import test_complaint as scenario
from tests.scenarios.conftest import THU_0924_1000, Run

REPO = Path(__file__).resolve().parents[2]
ESTATE = REPO / "examples" / "sunshine"
COMPLAINT_MAJOR = ESTATE / "scripts" / "complaint-major.yaml"

HEAD = """\
start: 2026-09-24T10:00+08:00
actors:
  desk: {username: wychan, roles: [front_desk]}
  sup: {username: kflee, roles: [cs_supervisor]}
  engineer: {username: kkwan, roles: [engineering]}
steps:
  - start:
      as: desk
      form:
        unit: T1-12A
        complainant: 陳國棟
        relation: owner
        phone: "+852 9123 4567"
        channel: phone
        received_at: "2026-09-24T10:00"
        severity: major
        summary: 走廊燈壞了三天
        repeated_back: "on"
"""
#: Line of the ``- start:`` above; the steps a test adds begin on the line after HEAD.
START_LINE = 7
NEXT_LINE = HEAD.count("\n") + 1


@pytest.fixture(autouse=True)
def load_once(monkeypatch):
    """Compile the estate once for the module: the bundle is frozen, runs cannot change it."""
    monkeypatch.setattr(_simulate, "load_estate", _load_estate)


_load_estate = functools.cache(_simulate.load_estate)


def simulate(tmp_path, capsys, steps: str, *more: str, head: str = HEAD, procedure="complaint"):
    script = tmp_path / "run.yaml"
    script.write_text(head + textwrap.indent(textwrap.dedent(steps), "  "), encoding="utf-8")
    code = main(["simulate", procedure, "--estate", str(ESTATE), "--script", str(script), *more])
    out, err = capsys.readouterr()
    return code, out, err.replace(str(script), "run.yaml")


def shape(events):
    """What both runs must agree on: case, time, event type, and the step and action named."""
    return [
        (number, at, kind, payload.get("step"), payload.get("action"))
        for number, at, kind, payload in events
    ]


# -- the acceptance: a script reproduces the engine's scenario test ---------------------------
def test_complaint_script_gives_the_events_of_the_engine_scenario(capsys):
    run = Run(bundle=load_bundle(ESTATE), now=THU_0924_1000)
    scenario.test_major_complaint_end_to_end(run)
    engine_events = [
        (r.number, r.event.at.isoformat(), r.event.type, r.event.payload) for r in run.log
    ]

    code = main(
        [
            "simulate",
            "complaint",
            "--estate",
            str(ESTATE),
            "--script",
            str(COMPLAINT_MAJOR),
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    cli_events = [(e["case"], e["at"], e["type"], e["payload"]) for e in json.loads(out)]

    assert shape(cli_events) == shape(engine_events)
    assert len(cli_events) > 60
    kinds = {kind for _, _, kind, _ in cli_events}
    assert {"DeadlineMissed", "ChildRequested", "JoinFired", "CaseClosed"} <= kinds


def test_timeline_shows_deadlines_escalations_and_each_case_path(capsys):
    code = main(
        ["simulate", "complaint", "--estate", str(ESTATE), "--script", str(COMPLAINT_MAJOR)]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Major complaint, end to end: estate sunshine, times in Asia/Hong_Kong"
    assert lines[2] == "Thu 24 Sep 2026"

    def row(kind: str, step: str, number: str = "TS-2026-000001") -> str:
        found = [" ".join(x.split()) for x in lines if x.split()[1:4] == [number, kind, step]]
        return found[0]

    assert row("TaskOpened", "forward") == (
        "10:00 TS-2026-000001 TaskOpened forward wychan role front_desk, "
        "due 10:10 (+10 min), warn 10:05 (+5 min)"
    )
    assert [line for line in lines if "DeadlineMissed" in line] == [
        "! 10:10  TS-2026-000001  DeadlineMissed    forward         system    due 10:10 (now)"
    ]
    assert row("TaskOpened", "report_major").endswith("due 11:12 (+60 min)")
    # The callback of a major complaint is 24 hours of wall clock, shown with its day.
    assert row("TaskOpened", "callback").endswith("due Fri 25 Sep 10:32 (+1440 min)")
    assert "TS-2026-000001 complaint: closed, resolved" in lines
    assert "WX-2026-000001 repair, spawned by TS-2026-000001: closed, resolved" in lines
    assert "  deadlines missed: forward at 10:10" in lines
    assert lines[-1] == "expectations: 9 met, 0 failed"


# -- expectations --------------------------------------------------------------------------------
def test_a_failed_expectation_exits_1_and_says_what_differs(tmp_path, capsys):
    code, out, err = simulate(
        tmp_path,
        capsys,
        """\
        - advance: 30m
        - expect: {open: [investigate], events: {DeadlineMissed: 2}}
        """,
    )
    assert code == 1
    assert err.splitlines() == [
        f"run.yaml:{NEXT_LINE + 1}: expectation failed: TS-2026-000001: open steps are "
        "[forward], expected [investigate]",
        f"run.yaml:{NEXT_LINE + 1}: expectation failed: TS-2026-000001: 1 'DeadlineMissed' "
        "events, expected 2",
    ]
    assert out.splitlines()[-1] == "expectations: 0 met, 1 failed"


def test_expectations_on_deadlines_data_and_assignees_pass_when_true(tmp_path, capsys):
    code, _, err = simulate(
        tmp_path,
        capsys,
        """\
        - expect:
            due: {forward: "2026-09-24T10:10"}
            warn: {forward: +5m}
            assignee: {forward: null}
            data: {severity: major, repeated_back: true, valid: null}
            status: open
        - act: {step: forward, action: dispatch, as: sup, form: {department: engineering}}
        - expect: {due: {investigate: null, report_major: +1h}}
        """,
    )
    assert (code, err) == (0, "")


def test_a_deadline_that_differs_is_shown_in_local_time(tmp_path, capsys):
    code, _, err = simulate(tmp_path, capsys, "- expect: {due: {forward: +20m}}\n")
    assert code == 1
    assert err.strip() == (
        f"run.yaml:{NEXT_LINE}: expectation failed: TS-2026-000001: 'forward' due is "
        "Thu 24 Sep 10:10, expected Thu 24 Sep 10:20"
    )


# -- mistakes in the script: located, exit 2, never a traceback --------------------------------
def test_unknown_step_is_located_with_a_suggestion(tmp_path, capsys):
    code, _, err = simulate(
        tmp_path,
        capsys,
        "- act: {step: fowrard, action: dispatch, as: sup, form: {department: engineering}}\n",
    )
    assert code == 2
    assert err.strip() == (
        f"run.yaml:{NEXT_LINE}: procedure 'complaint' has no step 'fowrard'; "
        "did you mean 'forward'?"
    )


def test_unknown_action_lists_the_close_one(tmp_path, capsys):
    code, _, err = simulate(tmp_path, capsys, "- act: {step: forward, action: dispatsh, as: sup}\n")
    assert code == 2
    assert err.strip() == (
        f"run.yaml:{NEXT_LINE}: step 'forward' of 'complaint' has no action 'dispatsh'; "
        "did you mean 'dispatch'?"
    )


def test_bad_form_data_gives_a_message_per_field_at_its_line(tmp_path, capsys):
    code, out, err = simulate(
        tmp_path,
        capsys,
        """\
        - act:
            step: forward
            action: dispatch
            as: sup
            form:
              department: plumbing
        """,
    )
    assert code == 2
    assert err.strip() == (
        f"run.yaml:{NEXT_LINE + 5}: field 'department': choose one of the listed options"
    )
    assert "TaskOpened" in out  # what happened before the mistake is still shown


def test_missing_start_fields_are_reported_each_at_the_form(tmp_path, capsys):
    head = HEAD.split("      form:")[0] + "      form: {unit: T1-12A, relation: owner}\n"
    code, _, err = simulate(tmp_path, capsys, "", head=head)
    assert code == 2
    assert err.splitlines() == [
        f"run.yaml:{START_LINE + 2}: field 'complainant': fill in this field",
        f"run.yaml:{START_LINE + 2}: field 'severity': choose one",
        f"run.yaml:{START_LINE + 2}: field 'summary': fill in this field",
    ]


def test_an_action_not_allowed_says_why(tmp_path, capsys):
    code, _, err = simulate(
        tmp_path,
        capsys,
        "- act: {step: forward, action: dispatch, as: engineer, form: {department: engineering}}\n",
    )
    assert code == 2
    assert err.strip() == (
        f"run.yaml:{NEXT_LINE}: kkwan may not take 'dispatch' now: "
        "this task is for role 'front_desk'"
    )


@pytest.mark.parametrize(
    ("steps", "line", "message"),
    [
        ("- acts: {step: forward}\n", 0, "unknown step 'acts'; did you mean 'act'?"),
        (
            "- act: {step: forward, action: dispatch, as: boss}\n",
            0,
            "no actor 'boss' in 'actors'; the script has 'desk', 'engineer', 'sup'",
        ),
        (
            "- act: {step: forward, action: dispatch, as: sup, from: {}}\n",
            0,
            "unknown key 'from' in 'act'; did you mean 'form'?",
        ),
        ("- advance: 2bh\n", 0, "'advance' takes wall-clock time: s, m, h or d"),
        ("- advance: soon\n", 0, "'soon' is not a duration such as 12m, 2h or 1d"),
        (
            "- advance: {to: 2026-09-24T09:00}\n",
            0,
            "the clock is at 2026-09-24T10:00:00+08:00; it only moves on",
        ),
        ("- expect: {}\n", 0, "'expect' needs something to check"),
        ("- expect: {status: done}\n", 0, "'status' is 'open' or 'closed'"),
        (
            "- expect:\n    events: {DeadlineMissed: one}\n",
            1,
            "'DeadlineMissed' needs a count, not 'one'",
        ),
        (
            "- expect: {case: repair, open: []}\n",
            0,
            "no case 'repair': name one given at 'start', a procedure with a case, or a case "
            "number; there are 'complaint'",
        ),
        ("- expect:\n    open: [forward\n", 2, "expected ',' or ']', but got '<stream end>'"),
    ],
)
def test_script_mistakes_are_located_and_exit_2(tmp_path, capsys, steps, line, message):
    code, _, err = simulate(tmp_path, capsys, steps)
    assert code == 2
    assert err.strip() == f"run.yaml:{NEXT_LINE + line}: {message}"


def test_unknown_role_register_and_procedure_are_checked_before_running(tmp_path, capsys):
    head = HEAD.replace("[front_desk]", "[frontdesk]")
    code, out, err = simulate(tmp_path, capsys, "", head=head)
    assert (code, out) == (2, "")
    assert err.strip() == (
        "run.yaml:3: 'frontdesk' is not a role of estate 'sunshine'; did you mean 'front_desk'?"
    )
    code, _, err = simulate(tmp_path, capsys, "", procedure="complain")
    assert code == 2
    assert err.strip() == (
        "estateflow: estate 'sunshine' does not use procedure 'complain'; did you mean 'complaint'?"
    )


def test_a_broken_script_run_as_a_command_prints_no_traceback(tmp_path):
    script = tmp_path / "run.yaml"
    script.write_text(HEAD + "  - act: {step: forward, action: dispatch, as: sup}\n", "utf-8")
    command = ("simulate", "complaint", "--estate", str(ESTATE), "--script", "run.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "estateflow.cli", *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == (f"run.yaml:{NEXT_LINE}: field 'department': choose one\n")


# -- registers and the roster -------------------------------------------------------------------
OWNER_CARD = """\
start: 2026-09-24T10:00
actors:
  officer: {username: lmyip, roles: [cs_officer]}
registers:
  members: [{unit: T1-3A, name: 陳大文}, {unit: T1-3A, name: 陳太}]
steps:
  - start: {as: officer, case: first, form: {unit: T1-3A, occasion: additional, cards: 7}}
  - expect: {data: {fee: 50}}
"""


def test_registers_start_with_the_rows_the_script_gives(tmp_path, capsys):
    """001 (四)2: two members get six free cards; the seventh costs HK$50."""
    code, out, err = simulate(tmp_path, capsys, "", head=OWNER_CARD, procedure="owner-card")
    assert (code, err) == (0, ""), out
    code, out, err = simulate(
        tmp_path,
        capsys,
        "",
        head=OWNER_CARD.replace("fee: 50", "fee: 0").replace("cards: 7", "cards: 6"),
        procedure="owner-card",
    )
    assert (code, err) == (0, ""), out


def test_duty_puts_the_shift_on_duty_on_the_task(tmp_path, capsys):
    head = HEAD.replace("steps:", "duty: {front_desk: {day: wychan, night: lmyip}}\nsteps:")
    code, out, err = simulate(
        tmp_path, capsys, "- expect: {assignee: {forward: wychan}}\n", head=head
    )
    assert (code, err) == (0, ""), out
    assert "for wychan" in out


def test_json_lists_every_case_with_json_values(tmp_path, capsys):
    code, out, _ = simulate(
        tmp_path,
        capsys,
        "- act: {step: forward, action: dispatch, as: sup, form: {department: engineering}}\n",
        "--format",
        "json",
    )
    events = json.loads(out)
    assert code == 0
    opened = [e for e in events if e["type"] == "TaskOpened"]
    assert [e["step"] for e in opened] == ["forward", "investigate", "report_major"]
    assert opened[-1]["payload"]["due_at"] == "2026-09-24T11:00:00+08:00"
    assert {e["case"] for e in events} == {"TS-2026-000001"}
