"""The engine's semantics on a small purpose-built estate (tests/engine/data)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from estateflow import engine
from estateflow.calendar import Pause
from estateflow.definitions import load_bundle
from estateflow.engine import ShiftRoster
from estateflow.errors import Closed, Conflict, NotAllowed
from tests.scenarios.conftest import HK, Run, actor, minutes

DATA = Path(__file__).parent / "data"
CLERK = actor("ann", "clerk")
CLERK2 = actor("bob", "clerk")
BOSS = actor("cat", "boss")
GUARD = actor("dan", "guard")
EVERYONE = actor("eve", "clerk", "boss", "guard")
#: Monday 5 October 2026, 10:00 in Hong Kong (a working day).
MON_1000 = datetime(2026, 10, 5, 10, 0, tzinfo=HK)


@pytest.fixture(scope="module")
def lab():
    return load_bundle(DATA / "estate")


@pytest.fixture
def run(lab):
    run = Run(bundle=lab, now=MON_1000)
    yield run
    for case_id, events in run.events.items():
        assert engine.replay(events) == run.cases[case_id]


# -- forks, joins, skips and loops -------------------------------------------------------
def test_skipped_branch_counts_as_arrived_at_its_join(run):
    run.start_case(CLERK, "fork-loop", None)
    run.act("split", "go", CLERK)
    assert run.open_steps() == ["main"]  # optional was skipped
    run.act("main", "done", CLERK)
    assert run.open_steps() == ["check"]


def test_redo_loops_through_the_fork_never_deadlock_the_join(run):
    run.start_case(CLERK, "fork-loop", None)
    for _ in range(3):
        run.act("split", "go", CLERK)
        run.act("main", "done", CLERK)
        run.act("check", "again", BOSS)
    # Now with the optional branch taken, then skipped again.
    run.act("split", "go", CLERK)
    run.act("main", "done", CLERK)
    run.act("check", "extra_round", BOSS)
    run.act("split", "go", CLERK)
    assert run.open_steps() == ["main", "optional"]
    run.act("main", "done", CLERK)
    assert run.open_steps() == ["optional"]  # the join waits for the other branch
    run.act("optional", "done", BOSS)
    run.act("check", "finish", BOSS)
    assert run.case().status == "closed"
    assert run.case().data["rounds"] == 5
    assert len(run.case().activations) == 5  # one activation per firing of the fork


def test_guard_hides_an_action_until_it_holds(run):
    run.start_case(CLERK, "fork-loop", None)
    run.act("split", "go", CLERK)
    run.act("main", "done", CLERK)
    names = {o.action for o in engine.available_actions(run.bundle, run.case(), BOSS, run.ctx())}
    assert names == {"again", "extra_round", "finish"}
    with pytest.raises(NotAllowed):
        run.act("check", "sneaky", BOSS)


def test_a_task_already_done_is_a_conflict_and_a_closed_case_is_closed(run):
    run.start_case(CLERK, "fork-loop", None)
    split = run.task("split")
    run.act("split", "go", CLERK)
    with pytest.raises(Conflict):  # someone acted first: the task is done
        engine.act(run.bundle, run.case(), split.id, "go", CLERK2, None, run.ctx())
    run.start_case(CLERK, "queue", None)
    pick = run.task("pick", "c2")
    run.act("pick", "done", CLERK, case_id="c2")
    with pytest.raises(Closed):
        engine.act(run.bundle, run.case("c2"), pick.id, "done", CLERK2, None, run.ctx())


# -- values ------------------------------------------------------------------------------
def test_no_decision_changes_a_case_or_event_it_returned_before(run):
    """Cases, tasks and events are not frozen dataclasses (they are cheaper to make that
    way), so this is what keeps them values: every one stays as it was made."""
    run.start_case(CLERK, "clocks", None)
    made = [run.case()]
    for step, action in (("work", "nudge"), ("work", "wait_owner"), ("work", "owner_back")):
        made.append(run.act(step, action, CLERK))
    run.advance(days=1, hours=1)  # warning, deadline, escalation
    made.append(run.case())
    made.append(run.act("work", "done", BOSS))
    seen = [repr(case) for case in made]
    events = repr(run.events["c1"])
    engine.replay(run.events["c1"])
    for case in made:  # acting again on an old case makes a new one
        for task in case.open_tasks:
            action = {"work": "nudge", "patrol": "done"}[task.step]
            engine.act(run.bundle, case, task.id, action, EVERYONE, None, run.ctx())
    assert [repr(case) for case in made] == seen
    assert repr(run.events["c1"]) == events
    assert "CasePaused" in events and "DeadlineMissed" in events
    with pytest.raises(TypeError):
        made[-1].data["x"] = 1  # type: ignore[index]


# -- queues ------------------------------------------------------------------------------
def test_claim_from_the_role_queue(run):
    run.start_case(CLERK, "queue", None)
    task = run.task("pick")
    assert task.assignee is None
    with pytest.raises(NotAllowed):
        engine.claim(run.bundle, run.case(), task.id, BOSS, run.ctx())
    run.record("c1", engine.claim(run.bundle, run.case(), task.id, CLERK2, run.ctx()))
    assert run.task("pick").assignee == "bob"
    with pytest.raises(Conflict):
        engine.claim(run.bundle, run.case(), task.id, CLERK, run.ctx())
    with pytest.raises(NotAllowed):  # assigned to bob now
        run.act("pick", "done", CLERK)
    run.record(
        "c1", engine.reassign(run.bundle, run.case(), task.id, BOSS, run.ctx(), assignee="ann")
    )
    run.act("pick", "done", CLERK)
    assert run.case().outcome == "resolved"


# -- clocks ------------------------------------------------------------------------------
def test_business_deadline_warning_timer_and_escalation(run):
    run.start_case(CLERK, "clocks", None)
    work = run.task("work")
    # 8 business hours from Mon 10:00 on 09:00-13:00/14:00-18:00: Mon 7h, Tue 09:00 + 1h.
    assert work.due_at == datetime(2026, 10, 6, 10, 0, tzinfo=HK)
    # Warned at half of the open time: 4h from Mon 10:00 = 15:00 (lunch does not count).
    assert work.warn_at == datetime(2026, 10, 5, 15, 0, tzinfo=HK)
    assert minutes(work.timer_at, MON_1000) == 30
    run.advance(days=1, hours=1)
    types = run.types()
    assert types.count("TimerFired") == 1
    assert types.count("DeadlineWarned") == 1
    assert types.count("DeadlineMissed") == 1
    assert run.task("work").role == "boss"  # escalate: reassign
    nudged = [e for e in run.of_type("ActionTaken") if e.payload["action"] == "nudge"]
    assert [e.actor for e in nudged] == ["system"]


def test_pause_stops_the_clock_and_resume_moves_the_deadline(run):
    run.start_case(CLERK, "clocks", None)
    run.advance(minutes=10)
    run.act("work", "wait_owner", CLERK)  # 10:10, paused
    run.advance(hours=3)
    assert run.of_type("DeadlineMissed") == []
    run.act("work", "owner_back", CLERK)  # 13:10: 2h50m of open time paused (lunch free)
    # Was Tue 10:00; 2h50m of open time later = Tue 12:50.
    assert run.task("work").due_at == datetime(2026, 10, 6, 12, 50, tzinfo=HK)


def test_estate_wide_pause_moves_open_deadlines(run):
    run.start_case(CLERK, "clocks", None)
    typhoon = Pause(
        start=datetime(2026, 10, 5, 11, 0, tzinfo=HK), end=datetime(2026, 10, 5, 13, 0, tzinfo=HK)
    )
    from dataclasses import replace

    ctx = replace(run.ctx(), estate_pauses=(typhoon,))
    run.record("c1", engine.reschedule(run.bundle, run.case(), ctx))
    # Two open hours lost on Monday: Tue 10:00 becomes Tue 12:00.
    assert run.task("work").due_at == datetime(2026, 10, 6, 12, 0, tzinfo=HK)


def test_escalation_can_run_an_action(run):
    run.start_case(CLERK, "clocks", None)
    run.act("work", "done", CLERK)
    run.advance(hours=2, minutes=1)
    assert (run.case().status, run.case().outcome) == ("closed", "cancelled")


def test_night_task_hands_over_to_the_day_shift(run, lab):
    run.roster = ShiftRoster(
        estate=lab.estate, duty={("guard", "night"): "night-owl", ("guard", "day"): "early-bird"}
    )
    run.now = datetime(2026, 10, 5, 23, 0, tzinfo=HK)
    run.start_case(CLERK, "clocks", None)
    run.act("work", "done", CLERK)
    assert run.task("patrol").assignee == "night-owl"
    run.move_to(datetime(2026, 10, 6, 0, 30, tzinfo=HK))
    run.act("patrol", "done", actor("night-owl", "guard"))
    assert run.case().outcome == "resolved"


def test_open_night_task_passes_to_the_day_shift_at_seven(run, lab):
    run.roster = ShiftRoster(
        estate=lab.estate, duty={("guard", "night"): "night-owl", ("guard", "day"): "early-bird"}
    )
    run.now = datetime(2026, 10, 6, 6, 0, tzinfo=HK)
    run.start_case(CLERK, "queue", None)  # a second case, to show handover is per task
    case_id = run.start_case(CLERK, "clocks", None)
    run.act("work", "done", CLERK, case_id=case_id)
    assert run.task("patrol", case_id).assignee == "night-owl"
    before = engine.due(run.bundle, run.cases[case_id], run.ctx())
    assert [i.kind for i in before] == []
    run.now = datetime(2026, 10, 6, 7, 0, tzinfo=HK)
    [item] = [
        i for i in engine.due(run.bundle, run.cases[case_id], run.ctx()) if i.kind == "handover"
    ]
    run.record(case_id, engine.fire(run.bundle, run.cases[case_id], item, run.ctx()))
    assert run.task("patrol", case_id).assignee == "early-bird"


def test_next_due_at_is_the_earliest_pending_moment(run):
    run.start_case(CLERK, "clocks", None)
    assert engine.next_due_at(run.case()) == MON_1000 + timedelta(minutes=30)  # the timer
