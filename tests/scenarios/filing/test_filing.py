"""Filing and front-desk upkeep, 004 三.6."""

from __future__ import annotations

from tests.scenarios.conftest import actor

DESK = actor("wychan", "front_desk")
SUPERVISOR = actor("kflee", "cs_supervisor")


def test_filing_and_upkeep_then_the_supervisor_checks(run):
    run.start_case(DESK, "filing", {"period": "2026-09"})
    run.act("file", "filed", DESK, {"visitor_register": "on", "call_log": "on"})
    run.act("upkeep", "report_fault", DESK, {"fault": "對講機充電器壞"})
    [repair] = run.children()
    assert run.case(repair).data["detail"] == "對講機充電器壞"
    run.act("upkeep", "fine", DESK, {"desk_tidy": "on"})
    run.act("review", "ok", SUPERVISOR)
    assert run.case().outcome == "resolved"
