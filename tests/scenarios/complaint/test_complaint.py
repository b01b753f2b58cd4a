"""Complaint handling, 001 (三) and 003 二.3 附件, on the Sunshine Garden bundle."""

from __future__ import annotations

from datetime import datetime

import pytest

from estateflow.errors import Invalid, NotAllowed
from tests.scenarios.conftest import HK, THU_0924_1000, Run, actor, minutes, replayed

DESK = actor("wychan", "front_desk")
SUPERVISOR = actor("kflee", "cs_supervisor")
CS_MANAGER = actor("ymho", "cs_manager")
DEPT = actor("hwong", "responsible_dept")
DEPT_MANAGER = actor("smcheung", "dept_manager")
ENGINEER = actor("kkwan", "engineering")
OFFICER = actor("lmyip", "cs_officer")
PM = actor("wtchan", "project_manager")


def intake(severity: str, **extra) -> dict:
    form = {
        "unit": "T1-12A",
        "complainant": "陳國棟",
        "relation": "owner",
        "phone": "+852 9123 4567",
        "channel": "phone",
        "received_at": "2026-09-24T10:00",
        "severity": severity,
        "summary": "走廊燈壞了三天",
        "repeated_back": "on",
    }
    form.update(extra)
    return form


def start(run: Run, severity: str, **extra) -> None:
    run.start_case(DESK, "complaint", intake(severity, **extra))


def test_day_complaint_skips_the_night_branches_and_waits_for_forwarding(run):
    """003 4.4.1.2: the night steps apply at night only; by day the case goes to forwarding."""
    start(run, "general")
    assert run.open_steps() == ["forward"]
    assert [e.payload["step"] for e in run.of_type("TaskSkipped")] == [
        "night_alert",
        "night_handover",
    ]
    assert run.case().owner == "wychan"  # 首问负责制: whoever records it owns it


@pytest.mark.parametrize(("severity", "limit"), [("major", 10), ("general", 20), ("minor", 30)])
def test_forwarding_deadline_by_severity(run, severity, limit):
    """003 二.3 附件 4.4.2.2: forward within 10, 20 or 30 minutes, wall clock."""
    start(run, severity)
    assert minutes(run.task("forward").due_at, THU_0924_1000) == limit
    assert minutes(run.task("forward").warn_at, THU_0924_1000) == limit / 2


def test_missed_forwarding_deadline_escalates_to_the_supervisor_once(run):
    """003 4.4.2.2: a major complaint not forwarded within 10 minutes goes up."""
    start(run, "major")
    run.advance(minutes=30)
    missed = run.of_type("DeadlineMissed")
    assert len(missed) == 1
    assert missed[0].at == datetime(2026, 9, 24, 10, 10, tzinfo=HK)
    told = [e for e in run.of_type("Notified") if e.payload["reason"] == "deadline"]
    assert [e.payload["roles"] for e in told] == [["cs_supervisor"]]
    warned = run.of_type("DeadlineWarned")
    assert [e.at for e in warned] == [datetime(2026, 9, 24, 10, 5, tzinfo=HK)]


def test_only_listed_roles_may_forward(run):
    start(run, "general")
    with pytest.raises(NotAllowed):
        run.act("forward", "dispatch", ENGINEER, {"department": "engineering"})


def test_forward_form_is_validated_with_a_message_per_field(run):
    start(run, "general")
    with pytest.raises(Invalid) as caught:
        run.act("forward", "dispatch", SUPERVISOR, {"department": "plumbing"})
    assert set(caught.value.errors) == {"department"}
    assert run.open_steps() == ["forward"]  # nothing happened


def test_major_complaint_end_to_end(run):
    """The whole path of a major complaint: late forwarding escalates, the 1-hour report
    runs beside the investigation, a repair is spawned, the first callback is unhappy so
    corrective action runs again, the second callback closes the case."""
    start(run, "major")
    run.advance(minutes=12)  # 10:12: forwarding is 2 minutes late
    assert len(run.of_type("DeadlineMissed")) == 1

    run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    assert run.open_steps() == ["investigate", "report_major"]
    dispatched = datetime(2026, 9, 24, 10, 12, tzinfo=HK)
    # 003 4.4.2.2: a major complaint is reported to operations and leadership within 1 hour.
    assert minutes(run.task("report_major").due_at, dispatched) == 60
    # A major complaint has no resolution figure in the handbook ("在最快时间内").
    assert run.task("investigate").due_at is None

    run.advance(minutes=20)
    run.act("report_major", "reported", CS_MANAGER)
    reported = run.of_type("Notified")[-1]
    assert reported.payload["roles"] == ["operations", "leadership", "property_manager"]
    assert run.open_steps() == ["investigate"]  # the join waits for the investigation

    run.act(
        "investigate",
        "done",
        DEPT,
        {
            "findings": "燈管損壞",
            "valid": "on",
            "verified_by": "hwong",
            "scope": "ours",
            "measures": "更換燈管",
            "needs_repair": "on",
        },
    )
    assert run.case().data["valid"] is True
    assert run.open_steps() == ["inform"]
    assert run.task("inform").assignee == "wychan"  # the owner tells the complainant

    run.act(
        "inform",
        "informed",
        DESK,
        {
            "informed_at": "2026-09-24T10:40",
            "method": "phone",
            "content": "今日內維修",
        },
    )
    # 001 (三)4: a repair notice; the complaint waits for the repair case.
    [repair] = run.children()
    assert run.case(repair).procedure == "repair"
    assert run.case(repair).data["unit"] == "T1-12A"
    assert run.open_steps() == ["fix"]

    run.act(
        "sign", "sign", SUPERVISOR, {"supervisor_signature": {"typed": "李家輝"}}, case_id=repair
    )
    run.act(
        "dispatch",
        "schedule",
        ENGINEER,
        {"technician": "kkwan", "attend_now": "on", "scheduled_at": "2026-09-24T11:00"},
        case_id=repair,
    )
    run.act(
        "work",
        "done",
        ENGINEER,
        {
            "work_done": "更換燈管",
            "completed_at": "2026-09-24T11:30",
            "technician_signature": {"typed": "關啟光"},
        },
        case_id=repair,
    )
    run.act(
        "sign_off",
        "confirmed",
        OFFICER,
        {"checked": "on", "officer_signature": {"typed": "葉麗明"}},
        case_id=repair,
    )
    assert run.case(repair).status == "closed"
    assert run.open_steps() == ["callback"]
    callback_opened = run.now
    # 003 4.4.4.1: the department manager calls back within 24 hours (wall clock).
    assert minutes(run.task("callback").due_at, callback_opened) == 24 * 60

    run.act(
        "callback",
        "record",
        DEPT_MANAGER,
        {
            "called_at": "2026-09-24T15:00",
            "method": "on_site",
            "project_manager": "wtchan",
            "comments": "仍然閃爍",
            "signature": {"typed": "陳國棟"},
        },
    )
    assert run.open_steps() == ["correct"]  # 仍存在问题: corrective action again

    run.act("correct", "done", DEPT, {"measures": "更換鎮流器"})
    assert run.open_steps() == ["callback"]
    run.act(
        "callback",
        "record",
        DEPT_MANAGER,
        {
            "called_at": "2026-09-25T10:00",
            "method": "on_site",
            "project_manager": "wtchan",
            "satisfied": "on",
            "signature": {"typed": "陳國棟"},
        },
    )
    case = run.case()
    assert (case.status, case.outcome) == ("closed", "resolved")
    assert run.open_steps() == []


def test_general_complaint_resolution_is_24_business_hours_across_holidays(run):
    """003 4.4.2.2: general and minor complaints are resolved within 24 工作小时.

    Dispatched Thursday 24 September 2026 at 17:50 in Hong Kong, office hours Mon-Fri
    09:00-13:00 and 14:00-18:00, Sat 09:00-13:00 (8 h on weekdays, 4 h on Saturdays).
    Thu 17:50-18:00 = 10 min; Fri 25 Sep: 8 h (8h10m); Sat 26 Sep is the day after
    Mid-Autumn, a Hong Kong holiday: 0; Sun: 0; Mon 28: 8 h (16h10m); Tue 29: 8 h would
    make 24h10m, so the deadline falls 7h50m into Tuesday's 8 open hours: 09:00-13:00 is
    4 h, then 3h50m after 14:00 = 17:50 on Tuesday 29 September.
    """
    run.now = datetime(2026, 9, 24, 17, 50, tzinfo=HK)
    start(run, "general")
    run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    assert run.task("investigate").due_at == datetime(2026, 9, 29, 17, 50, tzinfo=HK)
    assert run.open_steps() == ["investigate"]  # report_major skipped for a general one


def test_every_case_rebuilds_from_its_events(run):
    start(run, "major")
    run.advance(minutes=12)
    run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    run.act("report_major", "reported", CS_MANAGER)
    for case_id, events in run.events.items():
        assert replayed(events) == run.cases[case_id]


def test_major_complaint_at_night_alerts_the_managers_within_ten_minutes(run):
    """003 4.4.1.2: night duty records it and, for a major one, alerts every department
    manager and the project manager at once (the 10 minutes of major forwarding)."""
    run.now = datetime(2026, 9, 24, 22, 0, tzinfo=HK)
    run.start_case(
        actor("chng", "night_duty"),
        "complaint",
        intake("major", night_intake="on", received_at="2026-09-24T22:00"),
    )
    alert = run.task("night_alert")
    assert minutes(alert.due_at, run.now) == 10
    assert alert.assignee == "chng"  # the night-duty person who took it


def test_other_night_complaints_go_to_the_day_shift_in_its_first_office_hour(run):
    """003 4.4.1.2: general and minor ones are handed to the day shift "次日第一时间":
    within one office hour, so Thursday 22:00 becomes Friday 10:00 (office opens 09:00)."""
    run.now = datetime(2026, 9, 24, 22, 0, tzinfo=HK)
    run.start_case(
        actor("chng", "night_duty"),
        "complaint",
        intake("general", night_intake="on", received_at="2026-09-24T22:00"),
    )
    assert run.open_steps() == ["night_handover"]
    assert run.task("night_handover").due_at == datetime(2026, 9, 25, 10, 0, tzinfo=HK)
