"""Checks over compiled specs: the shape of a procedure's graph, and an estate's promises.

These need the whole procedure (or the estate with its procedures) at once, so they run
after compilation. References inside one definition are checked by the compiler.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from estateflow.definitions._compile import did_you_mean
from estateflow.definitions._specs import EstateSpec, ProcedureSpec, StepSpec
from estateflow.errors import Diagnostic, SourceSpan


def successors(step: StepSpec) -> Iterator[str]:
    """Steps a step can lead to directly."""
    yield from step.to
    for action in step.actions.values():
        yield from action.to
        for route in action.route:
            yield from route.to


def lint_graph(proc: ProcedureSpec) -> Iterator[Diagnostic]:
    """Unreachable steps and steps from which no terminal can be reached."""
    steps = proc.steps
    reached: set[str] = set()
    todo = [s for s in proc.start.to if s in steps]
    while todo:
        step_id = todo.pop()
        if step_id in reached:
            continue
        reached.add(step_id)
        todo.extend(s for s in successors(steps[step_id]) if s in steps)
    # Reverse reachability from the terminals.
    incoming: dict[str, set[str]] = {step_id: set() for step_id in steps}
    for step_id, step in steps.items():
        for target in successors(step):
            if target in incoming:
                incoming[target].add(step_id)
    ends: set[str] = set()
    todo = [step_id for step_id, step in steps.items() if step.kind == "terminal"]
    while todo:
        step_id = todo.pop()
        if step_id in ends:
            continue
        ends.add(step_id)
        todo.extend(incoming[step_id])
    if proc.start.to and not any(step.kind == "terminal" for step in steps.values()):
        yield Diagnostic(
            code="no-terminal",
            message=f"procedure '{proc.id}' has no terminal step",
            span=proc.span or SourceSpan(path=proc.path),
            hint="add a step such as 'closed: {terminal: resolved}'",
        )
        return
    for step_id, step in steps.items():
        span = step.span or SourceSpan(path=proc.path)
        if step_id not in reached and proc.start.to:
            yield Diagnostic(
                code="unreachable-step",
                message=f"step '{step_id}' cannot be reached from the start",
                span=span,
                hint="link it from another step's 'to' or 'route', or remove it",
            )
        elif step_id not in ends:
            yield Diagnostic(
                code="no-terminal",
                message=f"no path leads from step '{step_id}' to a terminal step",
                span=span,
                hint="give it an action or 'to' that leads on to an end",
            )


def lint_joins(proc: ProcedureSpec) -> Iterator[Diagnostic]:
    """Joins that wait for one branch, and loops that re-enter a join's branches.

    A fork starts an activation and its join waits for that activation's branches. A path
    that comes back into a branch from outside it (say from a step after the join) arrives
    with no activation of that fork, so the join could never count the other branches:
    such a loop must go back to the forking step, or to a step after the join.
    """
    steps = proc.steps
    edges = {step_id: set(successors(step)) & steps.keys() for step_id, step in steps.items()}
    edges["start"] = set(proc.start.to) & steps.keys()
    forks = {u: targets for u, targets in _fork_targets(proc).items()}
    for join_id, join in steps.items():
        if join.kind != "join":
            continue
        span = join.span or SourceSpan(path=proc.path)
        if len(join.join) < 2:
            yield Diagnostic(
                code="join-single-branch",
                message=f"join '{join_id}' waits for only one branch",
                span=span,
                hint="list every branch it waits for, or replace it by a 'to'",
            )
            continue
        for fork, targets in forks.items():
            inside = _reach(targets, edges, stop={join_id})
            if not set(join.join) & inside:
                continue
            for u, vs in edges.items():
                if u in inside or u == fork:
                    continue
                for v in sorted(vs & inside):
                    origin = steps[u].span if u in steps else span
                    yield Diagnostic(
                        code="join-reentered",
                        message=f"'{u}' leads back to '{v}', inside a branch of join "
                        f"'{join_id}', without going through the fork at '{fork}'",
                        span=origin or span,
                        hint=f"go back to '{fork}', which starts the branches again, or to a "
                        f"step after '{join_id}'",
                    )


def _fork_targets(proc: ProcedureSpec) -> dict[str, tuple[str, ...]]:
    """Each step (or 'start') that forks, with the steps its fork starts."""
    out: dict[str, tuple[str, ...]] = {}
    if len(proc.start.to) > 1:
        out["start"] = proc.start.to
    for step_id, step in proc.steps.items():
        lists = [step.to] + [a.to for a in step.actions.values()]
        lists += [r.to for a in step.actions.values() for r in a.route]
        for targets in lists:
            if len(targets) > 1:
                out[step_id] = tuple(dict.fromkeys((*out.get(step_id, ()), *targets)))
    return out


def _reach(roots: Iterable[str], edges: Mapping[str, set[str]], stop: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [r for r in roots if r not in stop]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(n for n in edges.get(node, ()) if n not in stop)
    return seen


def lint_estate(
    estate: EstateSpec,
    procedures: Mapping[str, ProcedureSpec | None],
    locate: Mapping[str, SourceSpan],
) -> Iterator[Diagnostic]:
    """What an estate must provide for the procedures it uses.

    ``locate`` gives the span of each entry of the estate's ``procedures`` list and of
    each ``params`` key, so that problems point into the estate file.
    """
    for proc_id in estate.procedures:
        span = locate.get(f"procedures/{proc_id}") or estate.span or SourceSpan(path=estate.path)
        if proc_id not in procedures:
            yield Diagnostic(
                code="unknown-procedure",
                message=f"procedure '{proc_id}' does not exist",
                span=span,
                hint=did_you_mean(proc_id, procedures),
            )
            continue
        proc = procedures[proc_id]
        if proc is None:  # known but broken: its own file's errors say why
            continue
        for role in proc.roles:
            if role not in estate.roles:
                yield Diagnostic(
                    code="missing-role",
                    message=f"procedure '{proc_id}' needs role '{role}', which the estate does "
                    "not declare",
                    span=span,
                    hint=f"add '{role}' under 'roles'"
                    + (f" ({did_you_mean(role, estate.roles)})" if estate.roles else ""),
                )
        for register in proc.registers:
            if register not in estate.registers:
                yield Diagnostic(
                    code="unknown-register",
                    message=f"procedure '{proc_id}' uses register '{register}', which the "
                    "estate does not keep",
                    span=span,
                    hint=f"declare '{register}' under 'registers'",
                )
        yield from _lint_calendars(estate, proc)
    for proc_id, params in estate.params.items():
        span = locate.get(f"params/{proc_id}") or estate.span or SourceSpan(path=estate.path)
        proc = procedures.get(proc_id)
        if proc_id not in procedures:
            yield Diagnostic(
                code="unknown-procedure",
                message=f"'params' names procedure '{proc_id}', which does not exist",
                span=span,
                hint=did_you_mean(proc_id, procedures),
            )
            continue
        for name in params:
            if proc is not None and name not in proc.params:
                yield Diagnostic(
                    code="unknown-param",
                    message=f"procedure '{proc_id}' has no parameter '{name}'",
                    span=locate.get(f"params/{proc_id}/{name}", span),
                    hint=did_you_mean(name, proc.params),
                )


def _lint_calendars(estate: EstateSpec, proc: ProcedureSpec) -> Iterator[Diagnostic]:
    deadlines = [(proc.due, None)] + [(step.due, step) for step in proc.steps.values()]
    for due, step in deadlines:
        if due is None:
            continue
        business = getattr(due.within, "business", False)
        if not business:
            continue
        role = estate.roles.get(step.role) if step is not None and step.role else None
        name = due.calendar or (role.calendar if role and role.calendar else proc.calendar)
        if name not in estate.calendars:
            where = f"step '{step.id}'" if step else "the case deadline"
            yield Diagnostic(
                code="business-without-calendar",
                message=f"{where} of '{proc.id}' counts business time in calendar '{name}', "
                "which the estate does not declare",
                span=due.span or SourceSpan(path=proc.path),
                hint=f"declare '{name}' under the estate's 'calendars'"
                + (f" ({did_you_mean(name, estate.calendars)})" if estate.calendars else ""),
            )
