"""Cases of one estate on a clock that only moves when told: services and worker in miniature.

A :class:`Simulation` plays the parts services and the worker play around the pure
engine: it keeps cases and their events, starts the child case a spawn step asks for and
tells the parent when it ends, applies register changes to in-memory rows, and, when the
clock is moved, fires whatever falls due on the way in time order. It reads no clock and
does no I/O, so the same calls give the same events; scenario tests and
``estateflow simulate`` both drive it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from estateflow.definitions import Bundle
from estateflow.engine._decide import (
    Decision,
    act,
    child_finished,
    child_started,
    due,
    fire,
    start,
)
from estateflow.engine._state import (
    SYSTEM,
    Actor,
    CaseState,
    Context,
    Event,
    NoRoster,
    Roster,
    TaskState,
)
from estateflow.errors import NotFound, RuleError
from estateflow.rules import RegisterView

#: Items fired while the clock moves once, before we call it a loop of due items.
MAX_FIRINGS_PER_MOVE = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """One event with its case, in the order the simulation recorded it."""

    case_id: str
    number: str
    event: Event


@dataclass(eq=False, kw_only=True)
class Simulation:
    """Cases of one estate and the rows of its registers, at ``now``.

    Mutable on purpose: it stands in for the store. Set ``now`` or ``roster`` directly to
    jump the clock or change who is on duty without firing anything; :meth:`move_to`
    fires what falls due on the way.
    """

    bundle: Bundle
    now: datetime
    roster: Roster | None = None
    registers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cases: dict[str, CaseState] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    """Each case's events, by case id."""
    log: list[Recorded] = field(default_factory=list)
    """Every event of every case, in the order recorded."""
    first: str | None = None
    """The first case started: the one meant when a case id is left out."""
    serials: dict[str, int] = field(default_factory=dict)
    """The last serial number given, by case-number prefix and year."""

    # -- what the engine is given ----------------------------------------------------------
    def ctx(self) -> Context:
        calendars = {k: c.calendar for k, c in self.bundle.estate.calendars.items() if c.calendar}
        names = set(self.bundle.estate.registers) | set(self.registers)
        registers = {n: RegisterView(self.registers.get(n, []), name=n) for n in sorted(names)}
        return Context(
            now=self.now,
            calendars=calendars,
            roster=self.roster or NoRoster(),
            registers=registers,
        )

    def record(self, case_id: str, decision: Decision) -> CaseState:
        """Keep what a decision made, then do what its events ask of the outside world."""
        case, events = decision
        self.cases[case_id] = case
        self.events.setdefault(case_id, []).extend(events)
        self.log.extend(Recorded(case_id=case_id, number=case.number, event=e) for e in events)
        for event in events:
            if event.type == "RegisterChanged":
                self._change_register(event.payload)
        for event in events:
            if event.type == "ChildRequested":
                task_id = event.payload["task_id"]
                child = self.start_case(
                    SYSTEM,
                    event.payload["procedure"],
                    None,
                    parent=f"{case_id}/{task_id}",
                    data=event.payload["data"],
                )
                self.record(
                    case_id,
                    child_started(self.bundle, self.cases[case_id], task_id, child, self.ctx()),
                )
            if event.type == "CaseClosed" and event.payload.get("parent"):
                parent_id, task_id = event.payload["parent"].split("/", 1)
                self.record(
                    parent_id,
                    child_finished(
                        self.bundle,
                        self.cases[parent_id],
                        task_id,
                        event.payload["outcome"],
                        self.ctx(),
                    ),
                )
        return self.cases[case_id]

    def _change_register(self, change: Mapping[str, Any]) -> None:
        rows = self.registers.setdefault(change["register"], [])
        where = change["where"]
        if change["op"] == "add":
            rows.extend(dict(change["values"]) for _ in range(change["count"]))
        elif change["op"] == "remove":
            rows[:] = [r for r in rows if any(r.get(k) != v for k, v in where.items())]
        else:
            for row in rows:
                if all(row.get(k) == v for k, v in where.items()):
                    row.update(change["values"])

    # -- starting and acting ----------------------------------------------------------------
    def start_case(
        self,
        actor: Actor,
        procedure: str,
        form: Mapping[str, Any] | None,
        *,
        parent: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> str:
        """Open a case (``data`` instead of a form for a spawned one); returns its id."""
        case_id = f"c{len(self.cases) + 1}"
        series, serial = self._next_number(procedure)
        decision = start(
            self.bundle,
            procedure,
            actor,
            form,
            self.ctx(),
            case_id=case_id,
            number=f"{series}-{serial:06d}",
            parent=parent,
            data=data,
        )
        self.serials[series] = serial  # only a case that started uses up its number
        self.record(case_id, decision)
        self.first = self.first or case_id
        return case_id

    def _next_number(self, procedure: str) -> tuple[str, int]:
        """``("TS-2026", 1)`` for ``TS-2026-000001``: the procedure's prefix and the local
        year, then a serial counted per prefix and year."""
        proc = self.bundle.procedures.get(procedure)
        prefix = (proc.number_prefix if proc else "") or procedure.upper()
        year = self.now.astimezone(ZoneInfo(self.bundle.estate.timezone)).year
        series = f"{prefix}-{year}"
        return series, self.serials.get(series, 0) + 1

    def act(
        self,
        step: str,
        action: str,
        actor: Actor,
        form: Mapping[str, Any] | None = None,
        case_id: str | None = None,
    ) -> CaseState:
        """Take ``action`` on the open task of ``step``."""
        case_id = case_id or self.first or ""
        task = self.task(step, case_id)
        decision = act(self.bundle, self.cases[case_id], task.id, action, actor, form, self.ctx())
        return self.record(case_id, decision)

    # -- the clock ----------------------------------------------------------------------------
    def advance(self, delta: timedelta = timedelta(0), /, **parts: float) -> None:
        """Move the clock on by ``delta`` plus ``timedelta(**parts)``, as :meth:`move_to`."""
        self.move_to(self.now + delta + timedelta(**parts))

    def move_to(self, moment: datetime) -> None:
        """Move the clock to ``moment``, firing everything that falls due on the way, in time
        order (ties by case id); each item fires at its own time."""
        for _ in range(MAX_FIRINGS_PER_MOVE):
            later = replace(self.ctx(), now=moment)
            pending = [
                (item.at, case_id, item)
                for case_id, case in self.cases.items()
                for item in due(self.bundle, case, later)
            ]
            if not pending:
                break
            at, case_id, item = min(pending, key=lambda p: (p[0], p[1]))
            self.now = max(self.now, at)
            self.record(case_id, fire(self.bundle, self.cases[case_id], item, self.ctx()))
        else:
            raise RuleError(
                "step-loop",
                f"more than {MAX_FIRINGS_PER_MOVE} items fell due while the clock moved to "
                f"{moment.isoformat()}: a timer or escalation that keeps coming back",
            )
        self.now = moment

    # -- looking ------------------------------------------------------------------------------
    def case(self, case_id: str | None = None) -> CaseState:
        """The case of that id (default: the first started)."""
        key = case_id or self.first or ""
        if key not in self.cases:
            raise NotFound(f"no case '{key}'" if key else "no case has been started")
        return self.cases[key]

    def task(self, step: str, case_id: str | None = None) -> TaskState:
        """The open task of ``step`` (the earliest opened, should a loop have left two)."""
        case = self.case(case_id)
        proc = self.bundle.procedures[case.procedure]
        if step not in proc.steps:
            close = difflib.get_close_matches(step, list(proc.steps), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise NotFound(f"procedure '{proc.id}' has no step '{step}'{hint}")
        tasks = [t for t in case.open_tasks if t.step == step]
        if not tasks:
            now_open = ", ".join(self.open_steps(case.id)) or "none, the case is " + case.status
            raise NotFound(
                f"case {case.number} has no open task at step '{step}' (open: {now_open})"
            )
        return tasks[0]

    def open_steps(self, case_id: str | None = None) -> list[str]:
        return sorted(t.step for t in self.case(case_id).open_tasks)

    def children(self, case_id: str | None = None) -> list[str]:
        """Ids of the cases spawned by this one, in the order they started."""
        parent = self.case(case_id).id
        return [cid for cid, c in self.cases.items() if (c.parent or "").startswith(parent + "/")]
