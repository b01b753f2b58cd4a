"""Fire, 000 2.1.2.5(1): 119 is called only after the office manager approves."""

from __future__ import annotations

import pytest

from estateflow.errors import NotAllowed
from tests.scenarios.conftest import actor

DESK = actor("wychan", "front_desk")
SECURITY = actor("chho", "security_dept")
GUARD = actor("akwong", "security")
ENGINEER = actor("kkwan", "engineering")
SUPERVISOR = actor("kflee", "cs_supervisor")
MANAGER = actor("pmwong", "office_manager")


def serious(run) -> None:
    run.start_case(DESK, "fire", {"location": "B1 垃圾房", "scale": "serious", "burning": "紙皮"})
    run.act("respond", "alarm", DESK)
    run.act("report", "reported", DESK, {"situation": "濃煙"})


def test_the_call_waits_for_the_managers_approval(run):
    serious(run)
    assert run.open_steps() == ["approve_call"]  # no call task exists before approval
    with pytest.raises(NotAllowed):
        run.act("approve_call", "approve", SUPERVISOR)
    run.act("approve_call", "approve", MANAGER)
    assert run.open_steps() == ["call"]


def test_after_the_call_the_scene_is_sealed_lifts_shut_and_owners_led_out(run, sunshine):
    assert sunshine.procedures["fire"].params["fire_number"] == "999"  # Hong Kong
    serious(run)
    run.act("approve_call", "approve", MANAGER)
    run.act("call", "called", SECURITY, {"told_location": "on", "told_fire": "on"})
    assert run.case().steps["call"]["number"] == "999"
    assert run.open_steps() == ["evacuate", "lifts", "seal"]
    run.act("seal", "sealed", GUARD)
    run.act("lifts", "shut", ENGINEER)
    run.act("evacuate", "evacuated", DESK)
    run.act("record", "recorded", SUPERVISOR, {"cause": "煙蒂"})
    assert run.case().outcome == "resolved"


def test_a_small_fire_put_out_needs_no_call(run):
    run.start_case(DESK, "fire", {"location": "大堂", "scale": "small"})
    run.act("respond", "put_out", DESK)
    run.act("report", "reported", DESK, {"situation": "已撲滅", "extinguished": "on"})
    run.act("approve_call", "not_needed", MANAGER)
    assert run.open_steps() == ["record"]


def test_put_out_is_offered_only_for_a_small_fire(run):
    run.start_case(DESK, "fire", {"location": "大堂", "scale": "serious"})
    with pytest.raises(NotAllowed):
        run.act("respond", "put_out", DESK)
