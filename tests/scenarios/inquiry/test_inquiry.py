"""Inquiries, 004 三.1-三.2; 000 1.3.6: questions of principle go up first."""

from __future__ import annotations

from tests.scenarios.conftest import actor

DESK = actor("wychan", "front_desk")
DEPT = actor("hwong", "responsible_dept")
SUPERVISOR = actor("kflee", "cs_supervisor")

ASK = {
    "channel": "phone",
    "person": "陳先生",
    "unit": "T1-12A",
    "topic": "fees",
    "question": "九月管理費已繳？",
}


def test_answered_at_once(run):
    run.start_case(DESK, "inquiry", ASK)
    run.act("answer", "answered", DESK, {"answer": "已繳"})
    assert run.case().outcome == "resolved"


def test_passed_to_a_department_and_the_receiver_replies(run):
    run.start_case(DESK, "inquiry", ASK)
    run.act("answer", "transfer", DESK, {"department": "finance"})
    run.act("department", "answered", DEPT, {"answer": "十月一日入賬"})
    assert run.task("reply").assignee == "wychan"  # whoever took the question answers it
    run.act("reply", "replied", DESK)
    assert run.case().outcome == "resolved"


def test_a_question_of_principle_goes_to_the_supervisor_first(run):
    run.start_case(DESK, "inquiry", {**ASK, "topic": "other", "question": "可否豁免管理費？"})
    run.act("answer", "principle", DESK, {})
    assert run.open_steps() == ["supervisor"]
    run.act("supervisor", "answered", SUPERVISOR, {"answer": "須經業委會決議"})
    assert run.open_steps() == ["reply"]
