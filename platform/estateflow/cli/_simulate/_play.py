"""Play a script on a :class:`~estateflow.engine.Simulation`, checking its expectations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from estateflow.calendar import parse_duration
from estateflow.cli._simulate._script import (
    ActStep,
    AdvanceStep,
    ExpectStep,
    Script,
    ScriptStep,
    StartStep,
    did_you_mean,
)
from estateflow.definitions import Bundle
from estateflow.engine import ShiftRoster, Simulation
from estateflow.errors import EstateFlowError, Invalid, NotAllowed


@dataclass(eq=False, kw_only=True)
class Played:
    """What a script did: the simulation, and where it stopped and why."""

    script: Script
    simulation: Simulation
    names: dict[str, str] = field(default_factory=dict)
    """Case ids by the names the script gave them."""
    met: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def play(script: Script, bundle: Bundle) -> Played:
    """Run every step until the end, a script error or a failed expectation."""
    roster = ShiftRoster(estate=bundle.estate, duty=script.duty) if script.duty else None
    registers = {name: [dict(r) for r in rows] for name, rows in script.registers.items()}
    sim = Simulation(bundle=bundle, now=script.start, roster=roster, registers=registers)
    played = Played(script=script, simulation=sim)
    for step in script.steps:
        try:
            _play_step(played, step)
        except _Stop as stop:
            played.errors.extend((stop.line, m) for m in stop.messages)
            break
        except Invalid as exc:
            played.errors.extend(_form_errors(step, exc))
            break
        except EstateFlowError as exc:
            played.errors.append((step.line, str(exc)))
            break
        if played.failures:
            break
    return played


def _form_errors(step: ScriptStep, exc: Invalid) -> list[tuple[int, str]]:
    """A message per field, at the field's line in the script if it is written there."""
    if isinstance(step, StartStep | ActStep):
        lines, where, lead = step.lines, step.form_line, ""
    else:  # a timer or escalation ran an action whose form nobody filled
        lines, where, lead = {}, step.line, "an automatic action's form: "
    return [
        (lines.get(name, where), f"{lead}field '{name}': {message}")
        for name, messages in exc.errors.items()
        for message in messages
    ]


class _Stop(Exception):
    def __init__(self, line: int, *messages: str) -> None:
        super().__init__(line, messages)
        self.line = line
        self.messages = messages


def _play_step(played: Played, step: ScriptStep) -> None:
    sim = played.simulation
    script = played.script
    if isinstance(step, AdvanceStep):
        moment = step.to if step.to is not None else sim.now + (step.by or timedelta(0))
        if moment < sim.now:
            raise _Stop(step.line, f"the clock is at {sim.now.isoformat()}; it only moves on")
        sim.move_to(moment)
    elif isinstance(step, StartStep):
        actor = script.actors[step.actor]
        case_id = sim.start_case(actor, step.procedure, step.form or {})
        if step.name:
            played.names[step.name] = case_id
    elif isinstance(step, ActStep):
        case_id = _case_for_act(played, step)
        _check_step_and_action(played, step, case_id)
        actor = script.actors[step.actor]
        try:
            sim.act(step.step, step.action, actor, step.form, case_id=case_id)
        except NotAllowed as exc:
            raise _Stop(
                step.line, f"{actor.username} may not take '{step.action}' now: {exc}"
            ) from None
    else:
        case_id = _resolve_case(played, step.case, step.line)
        problems = _expectations(played, step, case_id)
        if problems:
            played.failures.extend((step.line, p) for p in problems)
        else:
            played.met += 1


def _resolve_case(played: Played, ref: str | None, line: int) -> str:
    """A case id from a name the script gave, a procedure id (its latest case) or a case
    number; without one, the first case started."""
    sim = played.simulation
    if ref is None:
        if sim.first is None:
            raise _Stop(line, "no case has been started yet")
        return sim.first
    if ref in played.names:
        return played.names[ref]
    latest = [cid for cid, c in sim.cases.items() if c.procedure == ref]
    if latest:
        return latest[-1]
    numbered = [cid for cid, c in sim.cases.items() if c.number == ref]
    if numbered:
        return numbered[0]
    known = [*played.names, *(c.procedure for c in sim.cases.values())]
    raise _Stop(
        line,
        f"no case '{ref}': name one given at 'start', a procedure with a case, or a case number"
        + (did_you_mean(ref, set(known), "; there are ") if known else ""),
    )


def _case_for_act(played: Played, step: ActStep) -> str:
    """The case named, else the one case with an open task at the step, else the first."""
    sim = played.simulation
    if step.case is not None:
        return _resolve_case(played, step.case, step.line)
    having = [cid for cid, c in sim.cases.items() if any(t.step == step.step for t in c.open_tasks)]
    if len(having) > 1 and sim.first not in having:
        numbers = ", ".join(sim.cases[cid].number for cid in having)
        raise _Stop(step.line, f"step '{step.step}' is open in {numbers}; say which with 'case'")
    if len(having) == 1:
        return having[0]
    return _resolve_case(played, None, step.line)


def _check_step_and_action(played: Played, step: ActStep, case_id: str) -> None:
    sim = played.simulation
    case = sim.case(case_id)
    proc = sim.bundle.procedures[case.procedure]
    spec = proc.steps.get(step.step)
    if spec is not None and step.action not in spec.actions:
        raise _Stop(
            step.line,
            f"step '{step.step}' of '{proc.id}' has no action '{step.action}'"
            + did_you_mean(step.action, spec.actions),
        )


def _expectations(played: Played, step: ExpectStep, case_id: str) -> list[str]:
    sim = played.simulation
    case = sim.case(case_id)
    proc = sim.bundle.procedures[case.procedure]
    checks = step.checks
    label = case.number
    problems = []
    if "open" in checks:
        want = sorted(str(s) for s in checks["open"] or [])
        got = sim.open_steps(case_id)
        if want != got:
            problems.append(f"{label}: open steps are {_list(got)}, expected {_list(want)}")
    for key in ("status", "outcome"):
        if key in checks and getattr(case, key) != checks[key]:
            problems.append(f"{label}: {key} is {getattr(case, key)!r}, expected {checks[key]!r}")
    for name, want in (checks.get("data") or {}).items():
        if name not in case.data:
            raise _Stop(step.line, f"case {label} has no field '{name}'")
        if not _same(case.data[name], want, sim):
            problems.append(f"{label}: '{name}' is {case.data[name]!r}, expected {want!r}")
    for key in ("due", "warn", "assignee"):
        for step_id, want in (checks.get(key) or {}).items():
            if step_id not in proc.steps:
                raise _Stop(
                    step.line,
                    f"procedure '{proc.id}' has no step '{step_id}'"
                    + did_you_mean(step_id, proc.steps),
                )
            tasks = [t for t in case.open_tasks if t.step == step_id]
            if not tasks:
                problems.append(f"{label}: no open task at '{step_id}' to check its {key}")
                continue
            task = tasks[0]
            if key == "assignee":
                if task.assignee != want:
                    problems.append(
                        f"{label}: '{step_id}' is assigned to {task.assignee!r}, expected {want!r}"
                    )
                continue
            got = task.due_at if key == "due" else task.warn_at
            expected = _expected_moment(want, sim)
            if got != expected:
                problems.append(
                    f"{label}: '{step_id}' {key} is {_stamp(got, sim)}, "
                    f"expected {_stamp(expected, sim)}"
                )
    for kind, count in (checks.get("events") or {}).items():
        got_count = sum(1 for e in sim.events[case_id] if e.type == kind)
        if got_count != count:
            problems.append(f"{label}: {got_count} '{kind}' events, expected {count}")
    return problems


def _expected_moment(value: Any, sim: Simulation) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str) and value.startswith("+"):
        return sim.now + (parse_duration(value[1:]).span or timedelta(0))
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone(sim))


def _same(actual: Any, want: Any, sim: Simulation) -> bool:
    if isinstance(actual, bool) or actual is None or isinstance(want, bool) or want is None:
        return actual is want or actual == want
    if isinstance(actual, int | Decimal) and isinstance(want, int | Decimal | str):
        try:
            return Decimal(actual) == Decimal(str(want))
        except ArithmeticError:
            return False
    if isinstance(actual, datetime):
        try:
            return actual == _expected_moment(want, sim)
        except ValueError:
            return False
    return str(actual) == str(want)


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(items) + "]"


def local_zone(sim: Simulation) -> ZoneInfo:
    """The estate's time zone, in which times are read and shown."""
    return ZoneInfo(sim.bundle.estate.timezone)


def _stamp(moment: datetime | None, sim: Simulation) -> str:
    if moment is None:
        return "none"
    return moment.astimezone(local_zone(sim)).strftime("%a %d %b %H:%M")
