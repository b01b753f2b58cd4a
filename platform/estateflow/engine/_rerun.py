"""Closed cases played again on another bundle: would they have met its deadlines?

A case's event log says what people did and when: who opened it with which form, who took
which action on which step with which values, who claimed, reassigned, paused, resumed.
:func:`rerun` plays those acts at their recorded times on a :class:`Simulation` of the
new bundle, which fires deadlines, warnings, escalations and timers on the way as the
worker would. What the system did by itself in the recorded run (escalations, timers,
spawning) is not played: the new bundle decides it again. The cases a case spawned are
played with it, their acts matched to the cases the new bundle spawns (by step and order).

The rerun stops at the first act the new bundle refuses, a step that no longer exists,
an action no longer allowed, a form no longer valid: the case *diverges* there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from estateflow.definitions import Bundle
from estateflow.engine._decide import claim, pause, reassign, resume
from estateflow.engine._evolve import replay
from estateflow.engine._simulation import Simulation
from estateflow.engine._state import SYSTEM, Actor, CaseState, Event, Roster
from estateflow.errors import EstateFlowError, Invalid

#: Recorded events that are a person's act, played again; the rest the bundle redoes.
ACTS = frozenset(
    {"CaseStarted", "ActionTaken", "TaskClaimed", "TaskReassigned", "CasePaused", "CaseResumed"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    """A task's deadline (``step`` empty: the case's own) and whether it was met."""

    case: str
    """The case number."""
    step: str
    due_at: datetime
    done_at: datetime | None
    """When the task (or case) closed; None when it was still open at the end."""
    missed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Divergence:
    """The recorded act the new bundle refuses, and why."""

    at: datetime
    case: str
    act: str
    """What was done, as ``kflee: dispatch at forward``."""
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rerun:
    """One closed case played again on the new bundle."""

    case_id: str
    number: str
    procedure: str
    acts: int
    """How many recorded acts were played (all of them unless it diverged)."""
    deadlines: tuple[Deadline, ...]
    """The deadlines of the rerun, up to where it stopped."""
    recorded: tuple[Deadline, ...]
    """The deadlines of the recorded run."""
    divergence: Divergence | None = None
    outcome: str | None = None
    """The rerun's outcome; None when it did not close."""

    @property
    def breached(self) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if d.missed)

    @property
    def met(self) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if not d.missed and d.done_at is not None)

    @property
    def newly_breached(self) -> tuple[Deadline, ...]:
        """Breaches of the rerun at a step whose deadline the recorded run met."""
        before = _by_occurrence(self.recorded)
        return tuple(
            d
            for key, d in _by_occurrence(self.deadlines).items()
            if d.missed and not (key in before and before[key].missed)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Act:
    case_id: str
    seq: int
    event: Event
    step: str | None


@dataclass(eq=False, kw_only=True)
class _Mapping:
    """Recorded case ids to the simulation's, as the rerun spawns cases."""

    logs: Mapping[str, Sequence[Event]]
    sim: Simulation
    to_sim: dict[str, str] = field(default_factory=dict)

    def spawned_by(self, case_id: str) -> tuple[str, str, int] | None:
        """``(parent id, spawn step, nth child of that step)`` of a recorded child case."""
        for parent_id, events in self.logs.items():
            steps = _task_steps(events)
            seen: dict[str, int] = {}
            for event in events:
                if event.type == "ChildStarted":
                    step = steps.get(event.payload["task_id"], "")
                    seen[step] = seen.get(step, 0) + 1
                    if event.payload["child"] == case_id:
                        return parent_id, step, seen[step] - 1
        return None

    def find(self, case_id: str) -> str | None:
        """The simulation's case for a recorded one; None while it has not been spawned."""
        if case_id in self.to_sim:
            return self.to_sim[case_id]
        origin = self.spawned_by(case_id)
        if origin is None:
            return None
        parent_id, step, nth = origin
        sim_parent = self.find(parent_id)
        if sim_parent is None:
            return None
        parent = self.sim.cases[sim_parent]
        children = [
            e.payload["child"]
            for e in self.sim.events[sim_parent]
            if e.type == "ChildStarted"
            and (task := parent.task(e.payload["task_id"])) is not None
            and task.step == step
        ]
        if nth >= len(children):
            return None
        self.to_sim[case_id] = children[nth]
        return children[nth]


def rerun(
    bundle: Bundle,
    root: str,
    logs: Mapping[str, Sequence[Event]],
    *,
    roles: Mapping[str, frozenset[str]],
    roster: Roster | None = None,
    registers: Mapping[str, list[dict[str, Any]]] | None = None,
) -> Rerun:
    """Play the people's acts of case ``root`` (and of the cases it spawned, also in
    ``logs``, by case id) on ``bundle``, at their recorded times.

    ``roles`` gives each username's roles; ``registers`` the rows the rerun starts from
    (changes stay in the simulation).
    """
    recorded = {case_id: replay(events) for case_id, events in logs.items()}
    numbers = {case_id: case.number for case_id, case in recorded.items()}
    first = logs[root][0]
    sim = Simulation(
        bundle=bundle,
        now=first.at,
        roster=roster,
        registers={name: [dict(r) for r in rows] for name, rows in (registers or {}).items()},
    )
    mapping = _Mapping(logs=logs, sim=sim)
    pending = sorted(_acts(root, logs), key=lambda a: a.event.at)
    played = 0
    divergence = None
    while pending:
        act = _next(pending, mapping)
        pending.remove(act)
        actor = Actor(
            username=act.event.actor or "",
            name=act.event.actor or "",
            roles=roles.get(act.event.actor or "", frozenset()),
        )
        try:
            sim.move_to(max(sim.now, act.event.at))
            _play(sim, mapping, act, actor)
        except EstateFlowError as exc:
            divergence = Divergence(
                at=act.event.at,
                case=numbers.get(act.case_id, act.case_id),
                act=_describe(act),
                reason=_reason(exc),
            )
            break
        played += 1
    sim_root = mapping.to_sim.get(root)
    if divergence is None and sim_root is not None and sim.cases[sim_root].status != "closed":
        divergence = Divergence(
            at=sim.now,
            case=numbers[root],
            act="the last recorded act",
            reason="the case would still be open, at "
            + ", ".join(sim.open_steps(sim_root) or ["no step"]),
        )
    for case_id in logs:  # also the spawned cases nobody acted on
        mapping.find(case_id)
    to_real = {sim_id: real for real, sim_id in mapping.to_sim.items()}
    # Shown by the recorded numbers; a case only the new bundle spawns has none.
    rerun_cases = [
        (numbers[to_real[sim_id]] if sim_id in to_real else f"a new {case.procedure} case", case)
        for sim_id, case in sim.cases.items()
    ]
    outcome = sim.cases[sim_root].outcome if sim_root is not None else None
    return Rerun(
        case_id=root,
        number=numbers[root],
        procedure=recorded[root].procedure,
        acts=played,
        deadlines=_deadlines(rerun_cases),
        recorded=_deadlines([(numbers[k], case) for k, case in recorded.items()]),
        divergence=divergence,
        outcome=outcome,
    )


def evidenced_roles(
    bundle: Bundle, logs: Mapping[str, Sequence[Event]]
) -> dict[str, frozenset[str]]:
    """Each person's roles as their recorded acts show them: the roles that allowed each
    act on ``bundle``, the one the case ran on (for people no longer on the staff)."""
    out: dict[str, set[str]] = {}
    for events in logs.values():
        proc = None
        roles: dict[str, tuple[str, str | None]] = {}
        for event in events:
            who, p = event.actor, event.payload
            if event.type == "CaseStarted":
                proc = bundle.procedures.get(str(p.get("procedure")))
                if proc is not None and who and not p.get("parent"):
                    out.setdefault(who, set()).update(proc.start.roles)
            elif event.type == "TaskOpened":
                roles[p["task_id"]] = (p["step"], p.get("role"))
            elif event.type == "TaskReassigned" and "role" in p and p["task_id"] in roles:
                roles[p["task_id"]] = (roles[p["task_id"]][0], p["role"])
            if event.type not in ("ActionTaken", "TaskClaimed") or who in (None, SYSTEM.username):
                continue
            step_id, role = roles.get(p.get("task_id"), ("", None))
            step = proc.steps.get(step_id) if proc is not None else None
            action = step.actions.get(str(p.get("action"))) if step is not None else None
            allowed = set(action.roles) if action is not None and action.roles else set()
            out.setdefault(who, set()).update(allowed or ({role} if role else set()))
    return {who: frozenset(r) for who, r in out.items()}


def _acts(root: str, logs: Mapping[str, Sequence[Event]]) -> list[_Act]:
    out = []
    for case_id, events in logs.items():
        steps = _task_steps(events)
        for seq, event in enumerate(events):
            if event.type not in ACTS or event.actor in (None, SYSTEM.username):
                continue
            if event.type == "CaseStarted" and case_id != root:
                continue  # a spawned case: the rerun spawns its own
            task_id = event.payload.get("task_id")
            out.append(_Act(case_id=case_id, seq=seq, event=event, step=steps.get(task_id)))
    return out


def _task_steps(events: Sequence[Event]) -> dict[str, str]:
    return {e.payload["task_id"]: e.payload["step"] for e in events if e.type == "TaskOpened"}


def _next(pending: list[_Act], mapping: _Mapping) -> _Act:
    """The earliest act; of acts at the same moment, the first one the rerun can take
    (recorded times of different cases may tie, and a child's acts need the child)."""
    at = pending[0].event.at
    tied = [a for a in pending if a.event.at == at]
    for act in tied:
        if act.event.type == "CaseStarted":
            return act
        sim_id = mapping.find(act.case_id)
        if sim_id is None:
            continue
        case = mapping.sim.cases[sim_id]
        if act.step is None or any(
            t.step == act.step and t.status == "open" for t in case.open_tasks
        ):
            # Acts of one case keep their recorded order.
            earlier = [a for a in tied if a.case_id == act.case_id and a.seq < act.seq]
            return earlier[0] if earlier else act
    return tied[0]


def _play(sim: Simulation, mapping: _Mapping, act: _Act, actor: Actor) -> None:
    event, payload = act.event, act.event.payload
    if event.type == "CaseStarted":
        mapping.to_sim[act.case_id] = sim.start_case(
            actor, str(payload["procedure"]), dict(payload.get("data") or {})
        )
        return
    sim_id = mapping.find(act.case_id)
    if sim_id is None:
        raise _NotReached(act, mapping)
    if event.type == "ActionTaken":
        sim.act(
            act.step or "", str(payload["action"]), actor, payload.get("values"), case_id=sim_id
        )
        return
    case = sim.cases[sim_id]
    ctx = sim.ctx()
    if event.type == "CasePaused":
        sim.record(sim_id, pause(sim.bundle, case, actor, ctx))
    elif event.type == "CaseResumed":
        sim.record(sim_id, resume(sim.bundle, case, actor, ctx))
    else:
        task = sim.task(act.step or "", sim_id)
        if event.type == "TaskClaimed":
            sim.record(sim_id, claim(sim.bundle, case, task.id, actor, ctx))
        else:
            decision = reassign(
                sim.bundle,
                case,
                task.id,
                actor,
                ctx,
                assignee=payload.get("assignee"),
                role=payload.get("role"),
            )
            sim.record(sim_id, decision)


class _NotReached(EstateFlowError):
    def __init__(self, act: _Act, mapping: _Mapping) -> None:
        origin = mapping.spawned_by(act.case_id)
        where = f" at step '{origin[1]}'" if origin else ""
        super().__init__(f"the new bundle does not start this linked case{where}")


def _describe(act: _Act) -> str:
    event, who = act.event, act.event.actor or "someone"
    kind = event.type
    if kind == "CaseStarted":
        return f"{who}: opened the case"
    if kind == "ActionTaken":
        return f"{who}: {event.payload.get('action')} at {act.step}"
    verb = {
        "TaskClaimed": "claimed",
        "TaskReassigned": "reassigned",
        "CasePaused": "paused the case",
        "CaseResumed": "resumed the case",
    }[kind]
    return f"{who}: {verb}" + (f" {act.step}" if act.step else "")


def _reason(exc: EstateFlowError) -> str:
    if isinstance(exc, Invalid):
        return "the form is no longer valid: " + "; ".join(
            f"'{name}' {', '.join(messages)}" for name, messages in exc.errors.items()
        )
    return str(exc)


def _deadlines(cases: Sequence[tuple[str, CaseState]]) -> tuple[Deadline, ...]:
    out = []
    for label, case in cases:
        if case.due_at is not None:
            out.append(
                Deadline(
                    case=label,
                    step="",
                    due_at=case.due_at,
                    done_at=case.closed_at,
                    missed=_missed(case.escalated, case.due_at, case.closed_at),
                )
            )
        for task in case.tasks:
            if task.due_at is None or task.status == "skipped":
                continue
            out.append(
                Deadline(
                    case=label,
                    step=task.step,
                    due_at=task.due_at,
                    done_at=task.closed_at,
                    missed=_missed(task.escalated, task.due_at, task.closed_at),
                )
            )
    return tuple(out)


def _missed(escalated: bool, due_at: datetime, done_at: datetime | None) -> bool:
    # A recorded deadline may have passed with no worker running to mark it: late is late.
    return escalated or (done_at is not None and done_at > due_at)


def _by_occurrence(deadlines: Sequence[Deadline]) -> dict[tuple[str, str, int], Deadline]:
    """Deadlines keyed by case, step and how many times that step came before."""
    seen: dict[tuple[str, str], int] = {}
    out = {}
    for d in deadlines:
        n = seen.get((d.case, d.step), 0)
        seen[(d.case, d.step)] = n + 1
        out[(d.case, d.step, n)] = d
    return out
