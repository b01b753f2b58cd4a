"""Move a running case to another bundle of its procedure (``estateflow migrate``).

A case keeps the bundle it started with until someone moves it. Moving renames the steps
of its tasks by a mapping the operator gives (``old=new``) and changes nothing else:
deadlines, roles, assignees and data stay as they were. :func:`plan_migration` says
what would happen to each open task; :func:`migrate` refuses a plan that would leave a
task on a step the new bundle does not have, and otherwise records ``CaseMigrated``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from estateflow.definitions import Bundle, ProcedureSpec
from estateflow.engine._evolve import evolve
from estateflow.engine._state import SYSTEM, Actor, CaseState, Context, Event, TaskState
from estateflow.errors import Closed, NotAllowed

Decision = tuple[CaseState, tuple[Event, ...]]

#: The kind of step each kind of open task must stand on.
_KIND_FOR_STATUS = {"open": "task", "waiting": "spawn"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskMove:
    """What moving the case does to one open task."""

    task_id: str
    step: str
    """The step the task is on now."""
    to: str | None
    """The step it would be on in the new bundle; None when it cannot move."""
    how: Literal["kept", "mapped", "refused"]
    reason: str = ""
    """Why it is refused, in words an operator can act on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationPlan:
    case_id: str
    number: str
    moves: tuple[TaskMove, ...]
    problems: tuple[str, ...]
    """Every reason the case cannot move (refused tasks included)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def plan_migration(
    old_bundle: Bundle, new_bundle: Bundle, case: CaseState, mapping: Mapping[str, str]
) -> MigrationPlan:
    """What moving ``case`` from ``old_bundle`` to ``new_bundle`` does to its open tasks."""
    problems: list[str] = []
    moves: list[TaskMove] = []
    old = old_bundle.procedures.get(case.procedure)
    new = new_bundle.procedures.get(case.procedure)
    if case.status == "closed":
        problems.append(f"case {case.number} is closed")
    if new is None:
        problems.append(f"procedure '{case.procedure}' is not in the new bundle")
    if new is not None:
        for task in case.open_tasks:
            move = _move(task, old, new, mapping)
            moves.append(move)
            if move.how == "refused":
                problems.append(f"task '{task.id}': {move.reason}")
    return MigrationPlan(
        case_id=case.id, number=case.number, moves=tuple(moves), problems=tuple(problems)
    )


def _move(
    task: TaskState, old: ProcedureSpec | None, new: ProcedureSpec, mapping: Mapping[str, str]
) -> TaskMove:
    want = _KIND_FOR_STATUS.get(task.status, "task")
    if task.step in mapping:
        target, how = mapping[task.step], "mapped"
    else:
        target, how = task.step, "kept"
    step = new.steps.get(target)
    if step is None:
        if how == "mapped":
            reason = f"it would go to '{target}', which is not a step of the new bundle"
        else:
            reason = (
                f"step '{target}' does not exist in the new bundle: "
                f"map it to one that does (--map {target}=STEP)"
            )
        return TaskMove(task_id=task.id, step=task.step, to=None, how="refused", reason=reason)
    if step.kind != want:
        was = old.steps[task.step].kind if old and task.step in old.steps else want
        reason = f"'{target}' is a {step.kind} step in the new bundle, and this task is on a {was}"
        return TaskMove(task_id=task.id, step=task.step, to=None, how="refused", reason=reason)
    return TaskMove(task_id=task.id, step=task.step, to=target, how=how)


def migrate(
    old_bundle: Bundle,
    new_bundle: Bundle,
    case: CaseState,
    mapping: Mapping[str, str],
    ctx: Context,
    *,
    from_bundle: str,
    to_bundle: str,
    actor: Actor = SYSTEM,
) -> Decision:
    """Record that ``case`` now runs on ``new_bundle``; raises NotAllowed (with every
    problem) when an open task would be left on a step that does not exist.

    ``from_bundle`` and ``to_bundle`` name the bundles in the event (the store's hashes);
    only the mapping entries for steps the case has been on are recorded.
    """
    if case.status == "closed":
        raise Closed(f"case {case.number} is closed")
    plan = plan_migration(old_bundle, new_bundle, case, mapping)
    if not plan.ok:
        raise NotAllowed(f"case {case.number} cannot move: " + "; ".join(plan.problems))
    seen = {t.step for t in case.tasks} | set(case.steps)
    for activation in case.activations.values():
        seen |= set(activation.branches) | activation.arrived
    used = {old: new for old, new in sorted(mapping.items()) if old in seen and old != new}
    event = Event(
        type="CaseMigrated",
        at=ctx.now,
        actor=actor.username,
        payload={"from": from_bundle, "to": to_bundle, "mapping": used},
    )
    return evolve(case, event), (event,)
