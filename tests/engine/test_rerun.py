"""``rerun``: a case's recorded acts played again on a bundle, pure (no database)."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from estateflow import engine
from estateflow.calendar import parse_duration
from estateflow.definitions import Bundle, load_bundle
from estateflow.engine._rerun import ACTS
from tests.conftest import REPO
from tests.scenarios.complaint import test_complaint as scenario
from tests.scenarios.conftest import THU_0924_1000, Run

ROLES = {
    a.username: a.roles
    for a in (
        scenario.DESK,
        scenario.SUPERVISOR,
        scenario.CS_MANAGER,
        scenario.DEPT,
        scenario.DEPT_MANAGER,
        scenario.ENGINEER,
        scenario.OFFICER,
        scenario.PM,
    )
}


@pytest.fixture(scope="module")
def sunshine() -> Bundle:
    return load_bundle(REPO / "examples" / "sunshine")


def _people(run: Run) -> list:
    """The people's acts of the run: what a rerun plays."""
    return [
        e
        for events in run.events.values()
        for e in events
        if e.type in ACTS
        and e.actor != "system"
        and not (e.type == "CaseStarted" and e.payload.get("parent"))
    ]


def _end_to_end(sunshine) -> Run:
    run = Run(bundle=sunshine, now=THU_0924_1000)
    scenario.test_major_complaint_end_to_end(run)
    return run


def test_the_same_bundle_gives_the_same_run_repair_and_missed_deadline_included(sunshine):
    run = _end_to_end(sunshine)
    root = run.first
    again = engine.rerun(sunshine, root, run.events, roles=ROLES)
    assert again.divergence is None
    assert again.outcome == "resolved"
    assert again.deadlines == again.recorded  # forwarding missed, everything else met
    assert [(d.step, d.missed) for d in again.breached] == [("forward", True)]
    # Every person's act of both cases, the repair's acts at the same minutes included.
    people = _people(run)
    assert again.acts == len(people) > 10


def _changed(bundle, step_id: str, **changes):
    """The bundle with one step of the complaint procedure changed."""
    proc = bundle.procedures["complaint"]
    steps = {**proc.steps, step_id: replace(proc.steps[step_id], **changes)}
    procedures = {**bundle.procedures, "complaint": replace(proc, steps=MappingProxyType(steps))}
    return replace(bundle, procedures=MappingProxyType(procedures))


def test_a_shorter_deadline_breaches_newly(sunshine):
    run = _end_to_end(sunshine)
    report = sunshine.procedures["complaint"].steps["report_major"]
    shorter = _changed(
        sunshine, "report_major", due=replace(report.due, within=parse_duration("15m"))
    )
    again = engine.rerun(shorter, run.first, run.events, roles=ROLES)
    assert again.divergence is None
    assert {d.step for d in again.breached} == {"forward", "report_major"}
    [new] = again.newly_breached
    assert new.step == "report_major"
    assert (new.done_at - new.due_at).total_seconds() == 5 * 60  # reported after 20 minutes


def test_an_action_the_bundle_no_longer_has_is_a_divergence(sunshine):
    run = _end_to_end(sunshine)
    callback = sunshine.procedures["complaint"].steps["callback"]
    actions = {k: v for k, v in callback.actions.items() if k != "record"}
    renamed = _changed(sunshine, "callback", actions=MappingProxyType(actions))
    again = engine.rerun(renamed, run.first, run.events, roles=ROLES)
    assert again.divergence is not None
    assert again.divergence.act == "smcheung: record at callback"
    assert "has no action 'record'" in again.divergence.reason
    assert again.outcome is None
    # Everything before the first callback was played, the repair's acts included.
    # (all but the two callbacks and the corrective action between them).
    assert again.acts == len(_people(run)) - 3


def test_a_person_no_longer_on_the_staff_acts_with_the_roles_their_acts_needed(sunshine):
    run = _end_to_end(sunshine)
    evidenced = engine.evidenced_roles(sunshine, run.events)
    assert "front_desk" in evidenced["wychan"]  # started the case
    assert evidenced["ymho"] == {"cs_manager", "project_manager"}  # report_major's roles
    again = engine.rerun(sunshine, run.first, run.events, roles=evidenced)
    assert again.divergence is None and again.outcome == "resolved"
