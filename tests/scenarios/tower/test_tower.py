"""丰融国际大厦 (003): the estate, its calendars and the overlays where 003 differs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from estateflow.definitions import check_paths
from tests.scenarios.conftest import REPO, actor, minutes
from tests.scenarios.tower.conftest import SH, THU_0924_1000

DESK = actor("liuyan", "front_desk")
OFFICER = actor("zhaolei", "cs_officer")
SUPERVISOR = actor("wangqiang", "cs_supervisor")
CS_MANAGER = actor("zhangli", "cs_manager")
PM = actor("hejun", "project_manager")
DEPT = actor("gaojian", "responsible_dept")
ENGINEER = actor("mawei", "engineering")


def test_the_tower_checks_without_warnings_and_has_holiday_data_for_2026():
    result = check_paths(["procedures", "forms", "examples/tower"], cwd=REPO)
    assert result.diagnostics == []
    estate = result.bundles["tower"].estate
    assert (estate.region, estate.currency, estate.timezone, estate.locale) == (
        "CN",
        "CNY",
        "Asia/Shanghai",
        "zh-Hans",
    )
    assert estate.years == (2026,)


def test_office_calendar_keeps_mainland_holidays_and_make_up_working_days(tower):
    office = tower.estate.calendars["office"].calendar
    assert not office.is_open(datetime(2026, 10, 1, 10, 0, tzinfo=SH))  # 国庆节
    assert office.is_open(datetime(2026, 9, 20, 10, 0, tzinfo=SH))  # Sunday 调休 working day
    assert not office.is_open(datetime(2026, 9, 26, 10, 0, tzinfo=SH))  # an ordinary Saturday
    assert tower.estate.calendars["security"].hours == "24/7"


def intake(severity: str, **extra) -> dict:
    return {
        "unit": "F10-01",
        "complainant": "孙浩",
        "relation": "tenant",
        "channel": "phone",
        "received_at": "2026-09-24T10:00",
        "severity": severity,
        "summary": "空调不制冷",
        **extra,
    }


@pytest.mark.parametrize(("severity", "limit"), [("major", 10), ("general", 20), ("minor", 30)])
def test_forwarding_limits_are_003s(tower_run, severity, limit):
    """003 二.3 附件 4.4.2.2: 10 / 20 / 30 minutes, wall clock."""
    tower_run.start_case(DESK, "complaint", intake(severity))
    assert minutes(tower_run.task("forward").due_at, THU_0924_1000) == limit


def test_major_complaint_is_reported_within_an_hour_to_operations_and_leadership_only(tower_run):
    tower_run.start_case(DESK, "complaint", intake("major"))
    tower_run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    notified = tower_run.of_type("Notified")[-1].payload["roles"]
    assert notified == ["responsible_dept", "cs_manager"]  # no 物業經理 in the tower
    assert minutes(tower_run.task("report_major").due_at, THU_0924_1000) == 60
    assert tower_run.task("investigate").due_at is None  # 重大: "在最快时间内"
    tower_run.act("report_major", "reported", CS_MANAGER)
    assert tower_run.of_type("Notified")[-1].payload["roles"] == ["operations", "leadership"]


def test_general_complaint_is_resolved_within_24_business_hours_of_a_shanghai_office(tower_run):
    """8 open hours a day (08:30-12:00, 13:00-17:30); Friday 25 September 2026 is 中秋节:
    Thu 10:00 (6.5 h) + Mon (8 h) + Tue (8 h) + 1.5 h = Wed 30 September 10:00."""
    tower_run.start_case(DESK, "complaint", intake("general"))
    tower_run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    assert tower_run.task("investigate").due_at == datetime(2026, 9, 30, 10, 0, tzinfo=SH)


def test_minor_complaint_is_due_when_the_client_asked(tower_run):
    """003 4.4.2.2: 轻微投诉 within 24 工作小时 or by the client's requested time."""
    tower_run.start_case(DESK, "complaint", intake("minor", client_deadline="2026-09-24T16:00"))
    tower_run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    assert tower_run.task("investigate").due_at == datetime(2026, 9, 24, 16, 0, tzinfo=SH)


def test_minor_complaint_without_a_requested_time_has_24_business_hours(tower_run):
    tower_run.start_case(DESK, "complaint", intake("minor"))
    tower_run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    assert tower_run.task("investigate").due_at == datetime(2026, 9, 30, 10, 0, tzinfo=SH)


def test_complaint_callback_is_24_hours_and_the_cs_supervisor_may_record_it(tower_run):
    tower_run.start_case(DESK, "complaint", intake("general"))
    tower_run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    tower_run.act(
        "investigate",
        "done",
        DEPT,
        {
            "findings": "滤网堵塞",
            "valid": "on",
            "verified_by": "gaojian",
            "scope": "ours",
            "measures": "清洗滤网",
        },
    )
    tower_run.act(
        "inform",
        "informed",
        DESK,
        {"informed_at": "2026-09-24T11:00", "method": "phone", "content": "已清洗"},
    )
    callback = tower_run.task("callback")
    assert callback.due_at - tower_run.now == timedelta(hours=24)  # 003 4.4.4.1: 24小时


def test_repair_work_order_is_written_by_customer_service_without_001s_signatures(tower_run):
    tower_run.start_case(
        OFFICER,
        "repair",
        {
            "origin": "client",
            "kind": "repair",
            "unit": "F10-01",
            "requester": "孙浩",
            "phone": "+86 138 0013 8000",
            "detail": "空调漏水",
        },
    )
    assert tower_run.open_steps() == ["order"]
    tower_run.act("order", "dispatch", OFFICER)
    tower_run.act(
        "dispatch",
        "schedule",
        ENGINEER,
        {"technician": "mawei", "attend_now": "on", "scheduled_at": "2026-09-24T10:30"},
    )
    tower_run.act(
        "work",
        "done",
        ENGINEER,
        {"work_done": "更换排水管", "technician_signature": {"typed": "马伟"}},
    )
    [callback] = tower_run.children()
    assert tower_run.case(callback).procedure == "repair-callback"
    assert tower_run.case().outcome == "resolved"


@pytest.mark.parametrize(
    ("origin", "due"),
    [
        ("client", datetime(2026, 9, 30, 10, 0, tzinfo=SH)),
        ("internal", datetime(2026, 9, 30, 10, 0, tzinfo=SH)),
    ],
)
def test_repair_callbacks_within_24_business_hours_for_client_and_internal_repairs(
    tower_run, tower, origin, due
):
    """003 二.2: 24个工作小时内 (the tower reads the merged cells over both rows); 100% / 70%."""
    params = tower.procedures["repair-callback"].params
    assert (params["callback_target_client"], params["callback_target_internal"]) == (100, 70)
    tower_run.start_case(
        OFFICER,
        "repair-callback",
        {
            "origin": origin,
            "repair_no": "WX-1",
            "unit": "F10-01",
            "requester": "孙浩",
            "detail": "空调漏水",
        },
    )
    assert tower_run.task("callback").due_at == due


def test_late_permit_chain_goes_to_the_project_manager(tower_run):
    tower_run.start_case(
        OFFICER,
        "work-permit",
        {
            "sponsor_department": "engineering",
            "contractor": "华建装饰",
            "contractor_head": "张工",
            "contractor_phone": "+86 138 0013 8000",
            "workers": [
                {
                    "name": "李明",
                    "id_document": {"kind": "cn_resident", "number": "11010519491231002X"},
                    "photo": {
                        "name": "w.jpg",
                        "size": 2048,
                        "type": "image/jpeg",
                        "sha256": "0" * 64,
                    },
                }
            ],
            "fee": "20",
        },
    )
    assert minutes(tower_run.case().due_at, THU_0924_1000) == 30  # 001 (六)6, kept
    tower_run.advance(minutes=31)
    told = [
        e.payload["roles"]
        for e in tower_run.of_type("Notified")
        if e.payload["reason"] == "case-deadline"
    ]
    assert told == [["cs_supervisor", "project_manager"]]


def test_emergency_numbers_are_the_mainlands(tower):
    assert tower.procedures["fire"].params["fire_number"] == "119"  # 000 2.1.2.5(1) d
    assert tower.procedures["accident"].params["emergency_number"] == "120"


def test_satisfaction_target_is_95_percent(tower):
    assert tower.procedures["satisfaction-survey"].params["satisfaction_target"] == 95  # 003 三.1


def test_briefings_are_monthly_client_meetings_half_yearly_and_held_on_time(tower_run, tower):
    """003 三.2: 每月通报会议, 客户见面会每半年, 客户访谈及时率100%."""
    params = tower.procedures["client-meeting"].params
    assert params["on_time_target"] == 100
    assert params["every"] == {"briefing": "30d", "client_meeting": "182d"}
    tower_run.start_case(
        PM, "client-meeting", {"kind": "briefing", "scheduled_at": "2026-09-30T10:00"}
    )
    tower_run.act("prepare", "ready", CS_MANAGER)
    assert tower_run.task("hold").due_at == datetime(2026, 9, 30, 10, 0, tzinfo=SH)
    tower_run.act("hold", "held", PM, {"minutes": "九月工作通报"})
    [following] = tower_run.children()
    assert tower_run.case(following).data["scheduled_at"] == THU_0924_1000 + timedelta(days=30)
    tower_run.act("follow_up", "done", CS_MANAGER)
    assert tower_run.case().outcome == "resolved"


def test_the_cs_supervisor_may_record_a_complaint_callback(tower_run):
    """003 3.3: the CS supervisor handles callbacks as well as the department manager."""
    tower_run.start_case(DESK, "complaint", intake("general"))
    tower_run.act("forward", "dispatch", SUPERVISOR, {"department": "engineering"})
    tower_run.act(
        "investigate",
        "done",
        DEPT,
        {
            "findings": "滤网堵塞",
            "valid": "on",
            "verified_by": "gaojian",
            "scope": "ours",
            "measures": "清洗滤网",
        },
    )
    tower_run.act(
        "inform",
        "informed",
        DESK,
        {"informed_at": "2026-09-24T11:00", "method": "phone", "content": "已清洗"},
    )
    tower_run.act(
        "callback",
        "record",
        SUPERVISOR,
        {"method": "phone", "satisfied": "on", "signature": {"typed": "孙浩"}},
    )
    assert tower_run.case().outcome == "resolved"
