"""Checks over compiled specs: the shape of a procedure's graph, and an estate's promises.

These need the whole procedure (or the estate with its procedures) at once, so they run
after compilation. References inside one definition are checked by the compiler.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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
