"""Decide what an input does to a case: the events it causes, applied as they are made.

Each entry point takes the compiled bundle, the case, the actor and a :class:`Context`
and returns the new case with the events that led there. Nothing here reads a clock,
touches a database or draws a random number: the same inputs give the same events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from estateflow import fields as f
from estateflow import rules
from estateflow.calendar import Calendar, Duration, Pause, build_calendar, parse_duration
from estateflow.definitions import (
    ActionSpec,
    Bundle,
    DeadlineSpec,
    Expr,
    ProcedureSpec,
    StepSpec,
)
from estateflow.engine._evolve import CaseDraft, apply, copied
from estateflow.engine._state import (
    SYSTEM,
    ActionOption,
    Actor,
    CaseState,
    Context,
    DueItem,
    Event,
    TaskState,
)
from estateflow.errors import Closed, Conflict, NotAllowed, NotFound, RuleError

#: Steps entered in one decision before we call it a loop of skipped steps.
MAX_STEPS_PER_DECISION = 200

Decision = tuple[CaseState, tuple[Event, ...]]


class _Decider:
    """Collects the events of one decision, applying each as it is made."""

    def __init__(
        self,
        bundle: Bundle,
        proc: ProcedureSpec,
        case: CaseState | None,
        actor: Actor,
        ctx: Context,
    ) -> None:
        self.bundle = bundle
        self.proc = proc
        self.case: CaseState | CaseDraft | None = case
        """The case as the decision's events leave it: a draft once one has landed."""
        self.actor = actor
        self.ctx = ctx
        self.events: list[Event] = []
        self.entered = 0
        self.facts = _facts(bundle, proc)
        self.case_fields = self.facts.case_fields
        self._env_case: dict[str, Any] | None = None
        self._env_steps: dict[str, Any] | None = None
        self._env_rest: dict[str, Any] | None = None
        self._calendar: Calendar | None = None

    # -- events ----------------------------------------------------------------------
    def emit(self, type_: str, **payload: Any) -> None:
        event = Event(type=type_, at=self.ctx.now, actor=self.actor.username, payload=payload)
        case = self.case
        if case is not None and type(case) is not CaseDraft:
            case = CaseDraft.of(case)
        self.case = apply(case, event)
        self.events.append(event)
        if self._env_case is not None or self._env_steps is not None:
            self._landed(event)

    def result(self) -> Decision:
        case = self.case
        assert case is not None
        if type(case) is CaseDraft:
            case = case.freeze()
        return case, tuple(self.events)

    # -- expressions -----------------------------------------------------------------
    def env(self, form: Mapping[str, Any] | None = None, *, full: bool = False) -> dict[str, Any]:
        """What expressions see now. Built once per decision and kept up to date as
        events land; the records in it are replaced, never changed, so an environment
        taken before an event still shows the case as it was.

        ``steps`` is left out when no expression of the procedure reads it, unless
        ``full`` (a form's expressions, which may).
        """
        if self._env_case is None:
            self._env_case = self._case_record()
        with_steps = full or self.facts.reads_steps
        if with_steps and self._env_steps is None:
            self._env_steps = self._step_records()
        if self._env_rest is None:
            self._env_rest = {
                "params": self.facts.params,
                "actor": self.actor.env(),
                "now": self.ctx.now,
                "registers": copied(self.ctx.registers),
            }
        env: dict[str, Any] = {"case": self._env_case}
        if with_steps:
            env["steps"] = self._env_steps
        env.update(self._env_rest)
        if form is not None:
            env["form"] = dict(form)
        return env

    def _case_record(self) -> dict[str, Any]:
        case = self.case
        assert case is not None
        meta = {
            "number": case.number,
            "title": self.facts.title,
            "status": case.status,
            "outcome": case.outcome,
            "opened_at": case.opened_at,
            "closed_at": case.closed_at,
            "due_at": case.due_at,
            "starter": case.starter,
            "owner": case.owner,
            "procedure": self.proc.id,
            "estate": self.bundle.estate.id,
        }
        record = meta | copied(case.data)
        for name, field in self.facts.converted.items():
            if name in case.data:
                record[name] = f.rule_value(field, case.data[name])
        return record

    def _step_records(self) -> dict[str, Any]:
        case = self.case
        assert case is not None
        blanks, forms = self.facts.blanks, self.facts.step_fields
        steps = dict(blanks)
        for step_id, record in case.steps.items():
            if step_id in blanks:
                steps[step_id] = {**blanks[step_id], **f.rule_values(forms[step_id], record)}
        return steps

    def _landed(self, event: Event) -> None:
        """Keep the environment up to date with ``event`` (already applied)."""
        kind = event.type
        if kind in _ENV_UNCHANGED:
            return
        if kind == "CaseDataSet":
            if self._env_case is not None:
                values = f.rule_values(self.case_fields, event.payload["values"])
                self._env_case = {**self._env_case, **values}
        elif kind == "ActionTaken":
            if self._env_steps is not None:
                assert self.case is not None
                task = self.case.task(event.payload["task_id"])
                blanks, forms = self.facts.blanks, self.facts.step_fields
                if task is not None and task.step in blanks:
                    record = f.rule_values(forms[task.step], self.case.steps[task.step])
                    steps = dict(self._env_steps)
                    steps[task.step] = {**blanks[task.step], **record}
                    self._env_steps = steps
        elif kind == "CaseClosed":
            self._env_case = None
        else:
            self._env_case = self._env_steps = None

    def evaluate(self, expr: Expr, env: Mapping[str, Any]) -> Any:
        # Business-time helpers in rules count on the procedure's calendar.
        calendar = self._calendar
        if calendar is None:
            calendar = self._calendar = self.calendar_for(None, None)
        return rules.evaluate(expr.rule, env, calendar=calendar)

    # -- forms -----------------------------------------------------------------------
    def clean(
        self, form_id: str | None, raw: Mapping[str, Any] | None, env: Mapping[str, Any]
    ) -> dict[str, Any]:
        if not form_id:
            return {}
        form = self.bundle.forms[form_id]
        estate = self.bundle.estate
        return f.clean_form(
            form.fields,
            raw or {},
            env=env,
            currency=estate.currency,
            region=estate.region,
            timezone=estate.timezone,
        )

    # -- time ------------------------------------------------------------------------
    def calendar_for(self, due: DeadlineSpec | None, role: str | None) -> Calendar:
        estate = self.bundle.estate
        name = due.calendar if due and due.calendar else None
        if name is None and role and role in estate.roles and estate.roles[role].calendar:
            name = estate.roles[role].calendar
        name = name or self.proc.calendar
        calendar = self.ctx.calendars.get(name)
        return calendar if calendar is not None else _wall_clock(estate.timezone)

    def deadline(
        self,
        due: DeadlineSpec | None,
        role: str | None,
        start: datetime,
        pauses: tuple[Pause, ...] = (),
    ) -> tuple[datetime | None, datetime | None]:
        """The deadline and warning time of ``due`` started at ``start``."""
        if due is None:
            return None, None
        env = self.env()
        if due.at is not None:
            value = self.evaluate(due.at, env)
            at = _as_datetime(value, self.bundle.estate.timezone)
            return at, _warn_before(at, start, due.warn_at)
        duration = self.duration(due.within, env)
        if duration is None:
            return None, None
        calendar = self.calendar_for(due, role)
        if duration.business and self.ctx.calendars.get(calendar.name) is None:
            raise RuleError(
                "no-calendar",
                f"a business-time deadline needs calendar "
                f"'{calendar.name}', which the estate does not provide",
            )
        every_pause = (*self.ctx.estate_pauses, *pauses)
        at = calendar.add(start, duration, every_pause)
        if at is None or due.warn_at is None:
            return at, None
        if isinstance(due.warn_at, Decimal):
            if duration.business:
                span = calendar.between(start, at, every_pause)
                warn = calendar.add_span(
                    start, span * float(due.warn_at), every_pause, business=True
                )
            else:
                span = calendar.between(start, at, every_pause, business=False)
                warn = calendar.add_span(
                    start, span * float(due.warn_at), every_pause, business=False
                )
            return at, warn
        return at, at - (due.warn_at.span or timedelta(0))

    def duration(self, within: Any, env: Mapping[str, Any]) -> Duration | None:
        if within is None:
            return None
        value = self.evaluate(within, env) if isinstance(within, Expr) else within
        if value is None or isinstance(value, Duration):
            return value
        if isinstance(value, str):
            try:
                return parse_duration(value.strip())
            except ValueError as exc:
                raise RuleError("rule-type", f"'{value}' is not a duration") from exc
        raise RuleError("rule-type", f"a deadline must be a duration, not {value!r}")

    # -- moving through steps ----------------------------------------------------------
    def next_task_id(self, step_id: str) -> str:
        assert self.case is not None
        count = sum(1 for t in self.case.tasks if t.step == step_id)
        return f"{step_id}-{count + 1}"

    def advance(self, targets: tuple[str, ...], activation: str | None, from_step: str) -> None:
        if len(targets) > 1:
            assert self.case is not None
            new = f"a{len(self.case.activations) + 1}"
            self.emit("ActivationOpened", activation=new, branches=list(targets), parent=activation)
            activation = new
        for target in targets:
            if self.case is not None and self.case.status == "closed":
                return
            self.enter(target, activation, from_step)

    def enter(self, step_id: str, activation: str | None, from_step: str | None) -> None:
        self.entered += 1
        if self.entered > MAX_STEPS_PER_DECISION:
            raise RuleError(
                "step-loop",
                f"more than {MAX_STEPS_PER_DECISION} steps were "
                f"entered at once (at '{step_id}'): a loop of skipped steps",
            )
        step = self.proc.steps[step_id]
        if step.kind == "terminal":
            self.finish(step.terminal or "resolved")
        elif step.kind == "join":
            self.join(step, activation, from_step)
        elif step.kind == "spawn":
            self.spawn(step, activation)
        else:
            self.open_task(step, activation)

    def open_task(self, step: StepSpec, activation: str | None) -> None:
        if step.skip_if is not None and _truthy(self.evaluate(step.skip_if, self.env())):
            self.emit(
                "TaskSkipped",
                task_id=self.next_task_id(step.id),
                step=step.id,
                activation=activation,
            )
            self.advance(_skip_targets(step), activation, step.id)
            return
        due_at, warn_at = self.deadline(step.due, step.role, self.ctx.now)
        timer_at = None
        if step.timer is not None and step.timer.after is not None:
            timer_at = self.calendar_for(None, step.role).add(self.ctx.now, step.timer.after)
        self.emit(
            "TaskOpened",
            task_id=self.next_task_id(step.id),
            step=step.id,
            role=step.role,
            assignee=self.assignee(step),
            activation=activation,
            due_at=due_at,
            warn_at=warn_at,
            timer_at=timer_at,
        )

    def assignee(self, step: StepSpec) -> str | None:
        rule = step.assignee
        case = self.case
        assert case is not None
        if rule is None:
            return None
        if rule.kind == "starter":
            return case.starter
        if rule.kind == "owner":
            return case.owner
        if rule.kind == "staff":
            return rule.value
        if rule.kind == "shift":
            return self.ctx.roster.on_duty(rule.value or step.role or "", self.ctx.now)
        unit = case.data.get("unit")
        return self.ctx.roster.building_team(rule.value or step.role or "", unit)

    def join(self, step: StepSpec, activation: str | None, from_step: str | None) -> None:
        assert self.case is not None
        act = self.case.activations.get(activation) if activation else None
        if act is None or act.joined or from_step not in step.join:
            # Not an arrival of this join's fork (a path outside the fork): pass through.
            self.advance(step.to, act.parent if act else activation, step.id)
            return
        self.emit("JoinArrived", activation=act.id, step=from_step)
        act = self.case.activations[act.id]
        if set(step.join) <= act.arrived:
            self.emit("JoinFired", activation=act.id)
            self.advance(step.to, act.parent, step.id)

    def spawn(self, step: StepSpec, activation: str | None) -> None:
        assert step.spawn is not None
        env = self.env()
        data = {key: self.evaluate(expr, env) for key, expr in step.spawn.data.items()}
        task_id = self.next_task_id(step.id)
        waits = step.wait == "child"
        self.emit(
            "TaskOpened",
            task_id=task_id,
            step=step.id,
            role=None,
            assignee=None,
            activation=activation,
            status="waiting" if waits else "open",
        )
        self.emit("ChildRequested", task_id=task_id, procedure=step.spawn.procedure, data=data)
        if not waits:
            self.emit("TaskClosed", task_id=task_id, action=None)
            self.advance(step.to, activation, step.id)

    def finish(self, outcome: str) -> None:
        assert self.case is not None
        for task in self.case.open_tasks:
            self.emit("TaskCancelled", task_id=task.id)
        self.emit("CaseClosed", outcome=outcome, parent=self.case.parent)

    # -- acting ----------------------------------------------------------------------
    def may_act(self, task: TaskState, step: StepSpec, action: ActionSpec) -> bool:
        if self.actor.system:
            return True
        if task.assignee is not None:
            return task.assignee == self.actor.username
        allowed = action.roles or ((task.role,) if task.role else ())
        return not self.actor.roles.isdisjoint(allowed)

    def guard(self, action: ActionSpec) -> bool:
        if action.when is None:
            return True
        try:
            return _truthy(self.evaluate(action.when, self.env()))
        except RuleError:
            # A guard that cannot be decided hides its button; the log says why elsewhere.
            return False

    def take(self, task: TaskState, action_id: str, form: Mapping[str, Any] | None) -> None:
        assert self.case is not None
        step = self.proc.steps[task.step]
        action = step.actions.get(action_id)
        if action is None:
            raise NotFound(f"step '{step.id}' has no action '{action_id}'")
        if not self.may_act(task, step, action):
            who = f"'{task.assignee}'" if task.assignee else f"role '{task.role}'"
            raise NotAllowed(f"this task is for {who}")
        if not self.guard(action):
            raise NotAllowed(f"'{action_id}' is not possible now")
        values = self.clean(step.form, form, self.env({}, full=True)) if step.form else {}
        env = self.env(values)
        self.emit("ActionTaken", task_id=task.id, action=action_id, values=values)
        if action.set:
            changed = {
                k: _stored(self.case_fields.get(k), self.evaluate(e, env))
                for k, e in action.set.items()
            }
            self.emit("CaseDataSet", values=changed)
            env = self.env(values)
        for effect in action.register:
            count = int(self.evaluate(effect.count, env)) if effect.count is not None else 1
            self.emit(
                "RegisterChanged",
                register=effect.register,
                op=effect.op,
                count=count,
                values={k: self.evaluate(e, env) for k, e in effect.values.items()},
                where={k: self.evaluate(e, env) for k, e in effect.where.items()},
            )
        if action.notify:
            self.emit(
                "Notified", roles=list(action.notify), task_id=task.id, reason=f"action:{action_id}"
            )
        if action.pause:
            self.pause()
        if action.resume:
            self.resume()
        targets = action.to
        if action.route:
            targets = next(
                (
                    r.to
                    for r in action.route
                    if r.when is None or _truthy(self.evaluate(r.when, env))
                ),
                (),
            )
        if targets:
            self.emit("TaskClosed", task_id=task.id, action=action_id)
            self.advance(targets, task.activation, step.id)

    def pause(self) -> None:
        assert self.case is not None
        if self.case.paused_at is None:
            self.emit("CasePaused")

    def resume(self) -> None:
        case = self.case
        assert case is not None
        if case.paused_at is None:
            return
        stop = Pause(start=case.paused_at, end=self.ctx.now)
        due = {}
        for task in case.open_tasks:
            step = self.proc.steps[task.step]
            if step.due is None or step.due.at is not None or task.paused_at is None:
                continue
            due_at, warn_at = self.deadline(
                step.due, task.role, task.opened_at, (*task.pauses, stop)
            )
            due[task.id] = {"due_at": due_at, "warn_at": warn_at}
        payload: dict[str, Any] = {"due": due}
        if self.proc.due is not None and self.proc.due.at is None:
            payload["case_due_at"], payload["case_warn_at"] = self.deadline(
                self.proc.due, None, case.opened_at, (*case.pauses, stop)
            )
        self.emit("CaseResumed", **payload)


# -- entry points ------------------------------------------------------------------------
def _procedure(bundle: Bundle, procedure_id: str) -> ProcedureSpec:
    proc = bundle.procedures.get(procedure_id)
    if proc is None:
        raise NotFound(f"procedure '{procedure_id}' is not used in this estate")
    return proc


def start(
    bundle: Bundle,
    procedure_id: str,
    actor: Actor,
    form: Mapping[str, Any] | None,
    ctx: Context,
    *,
    case_id: str,
    number: str,
    parent: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Decision:
    """Open a case: validate the start form, set the case deadline, enter the first steps.

    ``data`` is given instead of a form when a parent case spawns this one.
    """
    proc = _procedure(bundle, procedure_id)
    if (
        parent is None
        and not actor.system
        and proc.start.roles
        and not (actor.roles & set(proc.start.roles))
    ):
        raise NotAllowed(
            f"starting '{procedure_id}' needs one of the roles " + ", ".join(proc.start.roles)
        )
    d = _Decider(bundle, proc, None, actor, ctx)
    fields_ = dict.fromkeys(proc.data)
    start_form = bundle.forms.get(proc.start.form) if proc.start.form else None
    if start_form:
        fields_.update(dict.fromkeys(start_form.fields))
    if data is None and start_form is not None:
        blank = CaseState(
            id=case_id,
            procedure=proc.id,
            number=number,
            opened_at=ctx.now,
            data=fields_,
            starter=actor.username,
        )
        d.case = blank
        values = d.clean(start_form.id, form, d.env({}, full=True))
        d.case = None
        d._env_case = d._env_steps = None
    else:
        values = {k: v for k, v in (data or {}).items() if k in fields_ or not fields_}
    owner = actor.username if proc.owner == "starter" else None
    d.emit(
        "CaseStarted",
        case_id=case_id,
        procedure=proc.id,
        number=number,
        data={**fields_, **values},
        starter=actor.username,
        owner=owner,
        parent=parent,
    )
    if proc.due is not None:
        due_at, warn_at = d.deadline(proc.due, None, ctx.now)
        if due_at is not None:
            d.emit("CaseDeadlineSet", due_at=due_at, warn_at=warn_at)
    d.advance(proc.start.to, None, "start")
    return d.result()


def form_env(
    bundle: Bundle, case: CaseState | None, procedure: str, actor: Actor, ctx: Context
) -> dict[str, Any]:
    """What a form's expressions see while it is being filled (``form`` is added by the
    caller): the same names the engine gives them when the form is submitted."""
    proc = _procedure(bundle, procedure)
    d = _Decider(bundle, proc, case, actor, ctx)
    if case is None:
        d.case = CaseState(
            id="",
            procedure=proc.id,
            number="",
            opened_at=ctx.now,
            data=dict.fromkeys(d.case_fields),
            starter=actor.username,
        )
    env = d.env(full=True)
    # The caller's to keep: no record shared with the engine's decisions.
    for shared in ("case", "params"):
        env[shared] = dict(env[shared])
    env["steps"] = {step_id: dict(record) for step_id, record in env["steps"].items()}
    return env


def available_actions(
    bundle: Bundle, case: CaseState, actor: Actor, ctx: Context
) -> tuple[ActionOption, ...]:
    """The actions ``actor`` may take on ``case`` now, task by task."""
    if case.status == "closed":
        return ()
    proc = _procedure(bundle, case.procedure)
    d = _Decider(bundle, proc, case, actor, ctx)
    out = []
    for task in case.open_tasks:
        if task.status == "waiting":
            continue
        step = proc.steps[task.step]
        for action in step.actions.values():
            if d.may_act(task, step, action) and d.guard(action):
                out.append(
                    ActionOption(
                        task_id=task.id,
                        step=step.id,
                        action=action.id,
                        label=action.label,
                        form=step.form,
                        needs_claim=task.assignee is None,
                    )
                )
    return tuple(out)


def _open_task(case: CaseState, task_id: str) -> TaskState:
    if case.status == "closed":
        raise Closed(f"case {case.number} is closed")
    task = case.task(task_id)
    if task is None:
        raise NotFound(f"case {case.number} has no task '{task_id}'")
    if not task.is_open:
        raise Conflict(
            f"task '{task_id}' was already {task.status} by {task.closed_by or 'someone'}"
        )
    return task


def act(
    bundle: Bundle,
    case: CaseState,
    task_id: str,
    action: str,
    actor: Actor,
    form: Mapping[str, Any] | None,
    ctx: Context,
) -> Decision:
    """Take ``action`` on a task: validate its form, apply ``set`` and register effects,
    then follow ``to`` or the first matching ``route``."""
    task = _open_task(case, task_id)
    if task.status == "waiting":
        raise NotAllowed(f"task '{task_id}' waits for its linked case")
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, actor, ctx)
    d.take(task, action, form)
    return d.result()


def claim(bundle: Bundle, case: CaseState, task_id: str, actor: Actor, ctx: Context) -> Decision:
    """Take a task from its role's queue."""
    task = _open_task(case, task_id)
    if task.assignee is not None:
        raise Conflict(f"task '{task_id}' is already assigned to {task.assignee}")
    if task.role not in actor.roles:
        raise NotAllowed(f"only role '{task.role}' can claim this task")
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, actor, ctx)
    d.emit("TaskClaimed", task_id=task_id, assignee=actor.username)
    return d.result()


def reassign(
    bundle: Bundle,
    case: CaseState,
    task_id: str,
    actor: Actor,
    ctx: Context,
    *,
    assignee: str | None = None,
    role: str | None = None,
) -> Decision:
    """Give a task to someone else or back to a role's queue (a supervisor's tool)."""
    _open_task(case, task_id)
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, actor, ctx)
    payload: dict[str, Any] = {"task_id": task_id, "assignee": assignee}
    if role is not None:
        payload["role"] = role
    d.emit("TaskReassigned", **payload)
    return d.result()


def pause(bundle: Bundle, case: CaseState, actor: Actor, ctx: Context) -> Decision:
    """Stop the SLA clocks of the case (waiting for the owner)."""
    if case.status == "closed":
        raise Closed(f"case {case.number} is closed")
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, actor, ctx)
    d.pause()
    return d.result()


def resume(bundle: Bundle, case: CaseState, actor: Actor, ctx: Context) -> Decision:
    """Restart the clocks; deadlines move on by the paused time."""
    if case.status == "closed":
        raise Closed(f"case {case.number} is closed")
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, actor, ctx)
    d.resume()
    return d.result()


def reschedule(bundle: Bundle, case: CaseState, ctx: Context) -> Decision:
    """Recompute open deadlines after an estate-wide pause began or ended."""
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, SYSTEM, ctx)
    due = {}
    for task in case.open_tasks:
        step = d.proc.steps[task.step]
        if step.due is None or step.due.at is not None:
            continue
        due_at, warn_at = d.deadline(step.due, task.role, task.opened_at, task.pauses)
        if (due_at, warn_at) != (task.due_at, task.warn_at):
            due[task.id] = {"due_at": due_at, "warn_at": warn_at}
    if due:
        d.emit("DeadlinesRescheduled", due=due)
    return d.result()


def child_finished(
    bundle: Bundle, case: CaseState, task_id: str, outcome: str, ctx: Context
) -> Decision:
    """The case a spawn step waits for has ended: go on. A spawn step that did not wait
    (``wait: none``) has long gone on: nothing happens."""
    task = case.task(task_id)
    if task is None:
        raise NotFound(f"case {case.number} has no task '{task_id}'")
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, SYSTEM, ctx)
    if case.status == "closed" or task.status != "waiting":
        return d.result()
    step = d.proc.steps[task.step]
    d.emit("ChildFinished", task_id=task_id, outcome=outcome, child=task.child)
    d.advance(step.to, task.activation, step.id)
    return d.result()


def child_started(
    bundle: Bundle, case: CaseState, task_id: str, child_id: str, ctx: Context
) -> Decision:
    """Record which case a spawn step started (services call this after starting it),
    also when the step did not wait and its case has gone on or closed since."""
    if case.task(task_id) is None:
        raise NotFound(f"case {case.number} has no task '{task_id}'")
    d = _Decider(bundle, _procedure(bundle, case.procedure), case, SYSTEM, ctx)
    d.emit("ChildStarted", task_id=task_id, child=child_id)
    return d.result()


def due(bundle: Bundle, case: CaseState, ctx: Context) -> tuple[DueItem, ...]:
    """What is due at ``ctx.now``: warnings, missed deadlines, timers, shift handovers."""
    if case.status == "closed":
        return ()
    now = ctx.now
    items = []
    if case.paused_at is None:
        if case.warn_at and not case.warned and case.warn_at <= now:
            items.append(DueItem(kind="case-warn", at=case.warn_at))
        if case.due_at and not case.escalated and case.due_at <= now:
            items.append(DueItem(kind="case-deadline", at=case.due_at))
    proc = _procedure(bundle, case.procedure)
    for task in case.open_tasks:
        if task.paused_at is None:
            if task.warn_at and not task.warned and task.warn_at <= now:
                items.append(DueItem(kind="warn", at=task.warn_at, task_id=task.id))
            if task.due_at and not task.escalated and task.due_at <= now:
                items.append(DueItem(kind="deadline", at=task.due_at, task_id=task.id))
        if task.timer_at and not task.timer_fired and task.timer_at <= now:
            items.append(DueItem(kind="timer", at=task.timer_at, task_id=task.id))
        rule = proc.steps[task.step].assignee
        if rule is not None and rule.kind == "shift" and task.status == "open":
            on_duty = ctx.roster.on_duty(rule.value or task.role or "", now)
            if on_duty is not None and on_duty != task.assignee:
                items.append(DueItem(kind="handover", at=now, task_id=task.id))
    return tuple(sorted(items, key=lambda i: (i.at, i.kind, i.task_id or "")))


def next_due_at(case: CaseState) -> datetime | None:
    """The earliest moment something of this case falls due (for the worker's index)."""
    if case.status == "closed":
        return None
    moments = []
    if case.paused_at is None:
        moments += [
            case.warn_at if not case.warned else None,
            case.due_at if not case.escalated else None,
        ]
    for task in case.open_tasks:
        if task.paused_at is None:
            moments += [
                task.warn_at if not task.warned else None,
                task.due_at if not task.escalated else None,
            ]
        moments.append(task.timer_at if not task.timer_fired else None)
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def fire(bundle: Bundle, case: CaseState, item: DueItem, ctx: Context) -> Decision:
    """Do what a due item calls for: warn, escalate (notify, reassign, run an action),
    fire a timer, or hand a shift's task over to whoever is on duty now."""
    proc = _procedure(bundle, case.procedure)
    d = _Decider(bundle, proc, case, SYSTEM, ctx)
    if item.kind in ("case-warn", "case-deadline"):
        escalate = proc.due.escalate if proc.due else None
        if item.kind == "case-warn":
            d.emit("CaseDeadlineWarned", due_at=case.due_at)
            if escalate and escalate.notify:
                d.emit("Notified", roles=list(escalate.notify), reason="case-warning", task_id=None)
        else:
            d.emit("CaseDeadlineMissed", due_at=case.due_at)
            if escalate and escalate.notify:
                d.emit(
                    "Notified", roles=list(escalate.notify), reason="case-deadline", task_id=None
                )
        return d.result()
    task = case.task(item.task_id or "")
    if task is None or not task.is_open:
        return d.result()
    step = proc.steps[task.step]
    escalate = step.due.escalate if step.due else None
    if item.kind == "warn":
        d.emit("DeadlineWarned", task_id=task.id, due_at=task.due_at)
        # A warning is for whoever must act; the escalation roles hear of the deadline.
        if task.role:
            d.emit("Notified", roles=[task.role], reason="warning", task_id=task.id)
    elif item.kind == "deadline":
        d.emit("DeadlineMissed", task_id=task.id, due_at=task.due_at)
        if escalate is not None:
            if escalate.notify:
                d.emit("Notified", roles=list(escalate.notify), reason="deadline", task_id=task.id)
            if escalate.reassign:
                d.emit(
                    "TaskReassigned",
                    task_id=task.id,
                    role=escalate.reassign,
                    assignee=ctx.roster.on_duty(escalate.reassign, ctx.now),
                )
            if escalate.action:
                current = d.case.task(task.id) if d.case else None
                if current is not None and current.is_open:
                    d.take(current, escalate.action, None)
    elif item.kind == "timer":
        d.emit("TimerFired", task_id=task.id)
        assert step.timer is not None
        d.take(task, step.timer.action, None)
    elif item.kind == "handover":
        rule = step.assignee
        role = (rule.value if rule else None) or task.role or ""
        d.emit(
            "TaskReassigned",
            task_id=task.id,
            assignee=ctx.roster.on_duty(role, ctx.now),
            reason="handover",
        )
    return d.result()


# -- helpers -----------------------------------------------------------------------------
#: Events that change nothing expressions see (case meta, data, step records).
_ENV_UNCHANGED = frozenset(
    {
        "TaskOpened",
        "TaskSkipped",
        "TaskClosed",
        "TaskCancelled",
        "TaskClaimed",
        "TaskReassigned",
        "ActivationOpened",
        "JoinArrived",
        "JoinFired",
        "DeadlineWarned",
        "DeadlineMissed",
        "TimerFired",
        "CaseDeadlineWarned",
        "CaseDeadlineMissed",
        "CasePaused",
        "ChildStarted",
        "ChildFinished",
        "Notified",
        "RegisterChanged",
        "ChildRequested",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Facts:
    """What decisions on one procedure of a bundle derive from it, made once (by
    :func:`_facts`) and shared between them: nothing changes these."""

    case_fields: Mapping[str, f.FieldSpec]
    """The start form's fields, then the procedure's ``data``."""
    converted: Mapping[str, f.FieldSpec]
    """The case fields whose values expressions see converted (dates, amounts…)."""
    reads_steps: bool
    """Whether any expression of the procedure reads ``steps``."""
    blanks: Mapping[str, Mapping[str, Any]]
    """Each step's record before it has one: ``at``, ``by``, ``action`` and its form's
    fields, all None."""
    step_fields: Mapping[str, Mapping[str, f.FieldSpec]]
    """Each step's form fields."""
    params: Mapping[str, Any]
    """The procedure's params as expressions see them."""
    title: str


#: Facts per procedure of a bundle: (bundle, procedure, facts), by their ids.
_FACTS: dict[tuple[int, int], tuple[Bundle, ProcedureSpec, _Facts]] = {}
_FACTS_KEPT = 64


def _facts(bundle: Bundle, proc: ProcedureSpec) -> _Facts:
    key = (id(bundle), id(proc))
    held = _FACTS.get(key)
    if held is not None and held[0] is bundle and held[1] is proc:
        return held[2]
    start_form = bundle.forms.get(proc.start.form) if proc.start.form else None
    case_fields = {**(start_form.fields if start_form else {}), **proc.data}
    blanks: dict[str, dict[str, Any]] = {}
    step_fields: dict[str, Mapping[str, f.FieldSpec]] = {}
    for step_id, step in proc.steps.items():
        form_fields = bundle.forms[step.form].fields if step.form else {}
        blanks[step_id] = {"at": None, "by": None, "action": None, **dict.fromkeys(form_fields)}
        step_fields[step_id] = form_fields
    facts = _Facts(
        case_fields=case_fields,
        converted=f.converted_fields(case_fields),
        reads_steps=any(
            ref.path[0] == "steps" for expr in _expressions(proc) for ref in expr.rule.references
        ),
        blanks=blanks,
        step_fields=step_fields,
        params=dict(proc.params),
        title=proc.title.get("en", proc.id),
    )
    if len(_FACTS) >= _FACTS_KEPT:
        _FACTS.clear()
    _FACTS[key] = (bundle, proc, facts)
    return facts


def _expressions(spec: Any) -> Iterator[Expr]:
    """Every expression in a spec, however deep (forms are elsewhere: not included)."""
    if isinstance(spec, Expr):
        yield spec
    elif isinstance(spec, Mapping):
        for value in spec.values():
            yield from _expressions(value)
    elif isinstance(spec, tuple | list | frozenset | set):
        for value in spec:
            yield from _expressions(value)
    elif is_dataclass(spec) and not isinstance(spec, type):
        for field in fields(spec):
            yield from _expressions(getattr(spec, field.name))


def _truthy(value: Any) -> bool:
    return bool(value)


def _stored(field: Any, value: Any) -> Any:
    """A value computed by ``set`` in the form a case stores (as a form would give it)."""
    if field is None or value is None:
        return value
    if field.type == "datetime" and isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if field.type in ("date", "time") and hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _skip_targets(step: StepSpec) -> tuple[str, ...]:
    """Where a skipped step's path goes: its first action's target (or route default)."""
    for action in step.actions.values():
        if action.to:
            return action.to
        if action.route:
            return action.route[-1].to
    return ()


def _warn_before(at: datetime | None, start: datetime, warn_at: Any) -> datetime | None:
    if at is None or warn_at is None:
        return None
    if isinstance(warn_at, Decimal):
        return start + (at - start) * float(warn_at)
    return at - (warn_at.span or timedelta(0))


def _as_datetime(value: Any, timezone: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        from zoneinfo import ZoneInfo

        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))
    raise RuleError("rule-type", f"a deadline 'at' must be a date and time, not {value!r}")


@cache
def _wall_clock(timezone: str) -> Calendar:
    return build_calendar(name="wall-clock", timezone=timezone, hours="24/7", region=None)
