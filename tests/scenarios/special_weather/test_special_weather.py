"""Severe weather, 000 2.3.7 (sic, title only) and 1.5.4."""

from __future__ import annotations

from tests.scenarios.conftest import actor

SUPERVISOR = actor("kflee", "cs_supervisor")
DESK = actor("wychan", "front_desk")
ENGINEER = actor("kkwan", "engineering")
CLEANER = actor("sfyu", "environment")
GUARD = actor("akwong", "security")


def test_typhoon_preparations_watch_damage_and_clean_up(run):
    run.start_case(
        SUPERVISOR, "special-weather", {"weather": "typhoon", "warning": "八號烈風或暴風信號"}
    )
    assert run.open_steps() == ["floors", "prepare", "tell_owners"]
    run.act("prepare", "ready", ENGINEER, {"drains_cleared": "on"})
    run.act("tell_owners", "told", DESK)
    [notice] = run.children()
    assert run.case(notice).data["subject"] == "八號烈風或暴風信號"
    run.act("floors", "done", CLEANER)
    assert run.open_steps() == ["watch"]
    run.act("watch", "damage", GUARD, {"location": "天台", "damage": "冷氣機架鬆脫"})
    repair = run.children()[-1]
    assert run.case(repair).data["origin"] == "internal"
    assert run.open_steps() == ["watch"]
    run.act("watch", "all_clear", GUARD, {})
    run.act("after", "cleaned", CLEANER)
    assert run.case().outcome == "resolved"
