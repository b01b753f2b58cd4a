"""The worked example of docs/porting.md: 000 2.1.2.4 from clause to a passing check and test.

docs/porting.md quotes these files; the last test keeps the page and the files the same.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from estateflow.definitions import check_paths, load_bundle
from estateflow.errors import NotAllowed
from tests.scenarios.conftest import Run, actor

HERE = Path(__file__).parent
EXAMPLE = HERE / "example"
REPO = HERE.parents[1]
SH = ZoneInfo("Asia/Shanghai")
DESK = actor("liuyan", "front_desk")
SUPERVISOR = actor("wangqiang", "cs_supervisor")
FILES = [
    "procedures/safety-check.yaml",
    "forms/safety-check-round.yaml",
    "estate/estate.yaml",
]


def test_the_example_checks_without_a_problem():
    result = check_paths(["procedures", "forms", "estate"], cwd=EXAMPLE)
    assert result.diagnostics == []
    assert result.files == 3


@pytest.fixture
def run() -> Run:
    return Run(bundle=load_bundle(EXAMPLE / "estate"), now=datetime(2026, 9, 24, 17, 50, tzinfo=SH))


ROUND = {"area": "大堂", "doors_locked": "on", "no_valuables": "on"}


def test_all_safe_the_alarm_goes_on_and_the_case_ends(run):
    run.start_case(DESK, "safety-check", ROUND)
    run.act("secure", "all_safe", DESK)
    run.act("alarm", "armed", DESK)
    assert run.case().outcome == "resolved"


def test_a_hazard_not_fixed_is_reported_and_due_within_the_estates_15_minutes(run):
    run.start_case(DESK, "safety-check", {**ROUND, "hazard_found": "on"})
    with pytest.raises(NotAllowed):
        run.act("secure", "all_safe", DESK)  # the button is not offered
    run.act("secure", "report", DESK)
    assert run.of_type("Notified")[-1].payload["roles"] == ["cs_supervisor"]
    assert run.task("supervisor").due_at == datetime(2026, 9, 24, 18, 5, tzinfo=SH)
    run.act("supervisor", "handled", SUPERVISOR)
    run.act("alarm", "armed", DESK)
    assert run.case().outcome == "resolved"


@pytest.mark.parametrize("name", [*FILES, "../test_worked_example.py"])
def test_the_porting_guide_quotes_the_files_as_they_are(name):
    guide = (REPO / "docs" / "porting.md").read_text(encoding="utf-8")
    text = (EXAMPLE / name).read_text(encoding="utf-8")
    if name.endswith(".py"):
        text = text[text.index("def test_all_safe") : text.index("@pytest.mark.parametrize")]
    assert text.strip() in guide, f"docs/porting.md no longer quotes {name}"
