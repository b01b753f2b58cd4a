"""The office tower of handbook 003 (丰融国际大厦) on the same fake clock as Sunshine's tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from estateflow import engine
from estateflow.definitions import Bundle, load_bundle
from tests.scenarios.conftest import REPO, Run

SH = ZoneInfo("Asia/Shanghai")
#: Thursday 24 September 2026, 10:00 in Shanghai: a working morning.
THU_0924_1000 = datetime(2026, 9, 24, 10, 0, tzinfo=SH)


@pytest.fixture(scope="session")
def tower() -> Bundle:
    return load_bundle(REPO / "examples" / "tower")


@pytest.fixture
def tower_run(tower: Bundle) -> Iterator[Run]:
    run = Run(bundle=tower, now=THU_0924_1000)
    yield run
    for case_id, events in run.events.items():
        assert engine.replay(events) == run.cases[case_id], f"{case_id} does not replay"
