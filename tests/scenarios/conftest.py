"""A small fluent driver over the pure engine, for scenario tests that read like the handbook.

``Run`` is the engine's :class:`~estateflow.engine.Simulation` (which plays services and
the worker: it keeps cases and events, starts spawned children, applies register changes
and fires what falls due as the clock moves), plus a few shorthands for assertions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from estateflow import engine
from estateflow.definitions import Bundle, load_bundle
from estateflow.engine import Actor, CaseState, Event, Simulation

REPO = Path(__file__).resolve().parents[2]
HK = ZoneInfo("Asia/Hong_Kong")
#: Thursday 24 September 2026, 10:00 in Hong Kong: a working morning.
THU_0924_1000 = datetime(2026, 9, 24, 10, 0, tzinfo=HK)


def actor(username: str, *roles: str) -> Actor:
    return Actor(username=username, name=username, roles=frozenset(roles))


class Run(Simulation):
    """A :class:`~estateflow.engine.Simulation` with the shorthand scenario tests use."""

    def types(self, case_id: str | None = None) -> list[str]:
        return [e.type for e in self.events[self.case(case_id).id]]

    def of_type(self, kind: str, case_id: str | None = None) -> list[Event]:
        return [e for e in self.events[self.case(case_id).id] if e.type == kind]


def minutes(later: datetime | None, earlier: datetime) -> float:
    assert later is not None
    return (later - earlier).total_seconds() / 60


@pytest.fixture(scope="session")
def sunshine() -> Bundle:
    return load_bundle(REPO / "examples" / "sunshine")


@pytest.fixture
def run(sunshine: Bundle) -> Iterator[Run]:
    run = Run(bundle=sunshine, now=THU_0924_1000)
    yield run
    # Every case of every scenario must rebuild from its events alone.
    for case_id, events in run.events.items():
        assert engine.replay(events) == run.cases[case_id], f"{case_id} does not replay"


def replayed(events: Iterable[Event]) -> CaseState:
    return engine.replay(events)
