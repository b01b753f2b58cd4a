"""A small fluent driver over the pure engine, for scenario tests that read like the handbook.

It plays the part services and the worker will play: it keeps cases and their events,
starts spawned child cases, tells a parent when its child ends, applies register
changes to an in-memory register, and fires whatever falls due when the clock moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from estateflow import engine
from estateflow.definitions import Bundle, load_bundle
from estateflow.engine import Actor, CaseState, Context, Event, ShiftRoster
from estateflow.rules import RegisterView

REPO = Path(__file__).resolve().parents[2]
HK = ZoneInfo("Asia/Hong_Kong")
#: Thursday 24 September 2026, 10:00 in Hong Kong: a working morning.
THU_0924_1000 = datetime(2026, 9, 24, 10, 0, tzinfo=HK)


def actor(username: str, *roles: str) -> Actor:
    return Actor(username=username, name=username, roles=frozenset(roles))


@dataclass
class Run:
    """Cases of one estate on a fake clock."""

    bundle: Bundle
    now: datetime
    roster: ShiftRoster | None = None
    registers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cases: dict[str, CaseState] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    numbers: int = 0
    first: str | None = None

    # -- plumbing --------------------------------------------------------------------
    def ctx(self) -> Context:
        calendars = {k: c.calendar for k, c in self.bundle.estate.calendars.items() if c.calendar}
        names = set(self.bundle.estate.registers) | set(self.registers)
        registers = {n: RegisterView(self.registers.get(n, []), name=n) for n in sorted(names)}
        return Context(
            now=self.now,
            calendars=calendars,
            roster=self.roster or engine.NoRoster(),
            registers=registers,
        )

    def record(self, case_id: str, decision: engine.Decision) -> CaseState:
        case, events = decision
        self.cases[case_id] = case
        self.events.setdefault(case_id, []).extend(events)
        for event in events:
            if event.type == "RegisterChanged":
                self._register(event.payload)
        for event in events:
            if event.type == "ChildRequested":
                child = self.start_case(
                    engine.SYSTEM,
                    event.payload["procedure"],
                    None,
                    parent=f"{case_id}/{event.payload['task_id']}",
                    data=event.payload["data"],
                )
                self.record(
                    case_id,
                    engine.child_started(
                        self.bundle,
                        self.cases[case_id],
                        event.payload["task_id"],
                        child,
                        self.ctx(),
                    ),
                )
            if event.type == "CaseClosed" and event.payload.get("parent"):
                parent_id, task_id = event.payload["parent"].split("/", 1)
                self.record(
                    parent_id,
                    engine.child_finished(
                        self.bundle,
                        self.cases[parent_id],
                        task_id,
                        event.payload["outcome"],
                        self.ctx(),
                    ),
                )
        return self.cases[case_id]

    def _register(self, change: Mapping[str, Any]) -> None:
        rows = self.registers.setdefault(change["register"], [])
        if change["op"] == "add":
            rows.extend(dict(change["values"]) for _ in range(change["count"]))
        elif change["op"] == "remove":
            rows[:] = [r for r in rows if any(r.get(k) != v for k, v in change["where"].items())]
        else:
            for row in rows:
                if all(row.get(k) == v for k, v in change["where"].items()):
                    row.update(change["values"])

    # -- what a test says ------------------------------------------------------------
    def start_case(
        self,
        who: Actor,
        procedure: str,
        form: Mapping[str, Any] | None,
        *,
        parent: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> str:
        self.numbers += 1
        case_id = f"c{self.numbers}"
        decision = engine.start(
            self.bundle,
            procedure,
            who,
            form,
            self.ctx(),
            case_id=case_id,
            number=f"T-{self.numbers:06d}",
            parent=parent,
            data=data,
        )
        self.record(case_id, decision)
        self.first = self.first or case_id
        return case_id

    def case(self, case_id: str | None = None) -> CaseState:
        return self.cases[case_id or self.first or ""]

    def task(self, step: str, case_id: str | None = None) -> engine.TaskState:
        [task] = [t for t in self.case(case_id).open_tasks if t.step == step]
        return task

    def open_steps(self, case_id: str | None = None) -> list[str]:
        return sorted(t.step for t in self.case(case_id).open_tasks)

    def act(
        self,
        step: str,
        action: str,
        who: Actor,
        form: Mapping[str, Any] | None = None,
        case_id: str | None = None,
    ) -> CaseState:
        case_id = case_id or self.first or ""
        task = self.task(step, case_id)
        return self.record(
            case_id,
            engine.act(self.bundle, self.cases[case_id], task.id, action, who, form, self.ctx()),
        )

    def advance(self, **delta: float) -> None:
        self.move_to(self.now + timedelta(**delta))

    def move_to(self, moment: datetime) -> None:
        """Move the clock, firing everything that falls due on the way, in time order."""
        while True:
            pending = []
            for case_id, case in self.cases.items():
                for item in engine.due(self.bundle, case, replace(self.ctx(), now=moment)):
                    pending.append((item.at, case_id, item))
            if not pending:
                break
            at, case_id, item = min(pending, key=lambda p: (p[0], p[1]))
            self.now = max(self.now, at)
            self.record(case_id, engine.fire(self.bundle, self.cases[case_id], item, self.ctx()))
        self.now = moment

    def types(self, case_id: str | None = None) -> list[str]:
        return [e.type for e in self.events[case_id or self.first or ""]]

    def of_type(self, kind: str, case_id: str | None = None) -> list[Event]:
        return [e for e in self.events[case_id or self.first or ""] if e.type == kind]

    def children(self, case_id: str | None = None) -> list[str]:
        parent = case_id or self.first or ""
        return [cid for cid, c in self.cases.items() if (c.parent or "").startswith(parent + "/")]


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
