"""Satisfaction survey, 003 三.1: target 95% or more."""

from __future__ import annotations

import pytest

from tests.scenarios.conftest import actor

MANAGER = actor("ymho", "cs_manager")
OFFICER = actor("lmyip", "cs_officer")


def test_target_is_95_percent(sunshine):
    assert sunshine.procedures["satisfaction-survey"].params["satisfaction_target"] == 95


@pytest.mark.parametrize(("satisfied", "next_step"), [("190", "callback"), ("189", "improve")])
def test_below_95_percent_calls_for_improvements(run, satisfied, next_step):
    """190 of 200 is 95.0% and meets the target; 189 (94.5%) does not."""
    run.start_case(MANAGER, "satisfaction-survey", {"period": "2026 Q3"})
    run.act("collect", "collected", OFFICER, {"responses": "200", "satisfied": satisfied})
    run.act("analyse", "analysed", MANAGER, {"findings": "清潔及保安"})
    assert run.open_steps() == [next_step]
