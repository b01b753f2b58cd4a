"""Accidents, 000 2.1.2.5(2) a-c."""

from __future__ import annotations

from tests.scenarios.conftest import actor

GUARD = actor("akwong", "security")
MANAGER = actor("pmwong", "office_manager")

REPORT = {"location": "平台花園", "what": "住客滑倒", "injured": "on"}


def test_injury_call_report_and_guard_run_together_then_one_statement(run):
    run.start_case(GUARD, "accident", REPORT)
    assert run.open_steps() == ["first_aid", "report", "secure"]
    call = run.task("first_aid")
    assert call.assignee == "akwong"
    run.act("first_aid", "called", GUARD, {"called_at": "2026-09-24T10:01"})
    assert run.case().steps["first_aid"]["number"] == "999"  # Sunshine: Hong Kong's 急救電話
    run.act("report", "reported", GUARD)
    assert run.of_type("Notified")[-1].payload["roles"] == [
        "cs_supervisor",
        "night_duty",
        "office_manager",
    ]
    run.act(
        "secure",
        "secured",
        GUARD,
        {"markers_set": "on", "guard": "akwong", "outsiders_kept_out": "on"},
    )
    assert run.open_steps() == ["statement"]
    run.act(
        "statement", "agreed", MANAGER, {"statement": "事件已妥善處理", "spokesperson": "pmwong"}
    )
    assert run.case().outcome == "resolved"


def test_without_an_injury_no_call_is_made(run):
    run.start_case(GUARD, "accident", {**REPORT, "injured": ""})
    assert run.open_steps() == ["report", "secure"]
