"""Turn located, schema-valid data into frozen specs, reporting every problem found.

The compiler checks what the schema cannot: references between parts (steps, forms,
fields, roles, params, registers), the kind of each step, expressions (compiled and
name-checked against the case data model of DESIGN §3) and durations. It never stops at
the first problem: each is appended to ``diagnostics`` and compilation goes on with a
best guess, so one run reports everything.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from estateflow import calendar as cal
from estateflow import rules
from estateflow.definitions import _keys as k
from estateflow.definitions._located import Located
from estateflow.definitions._reader import NodePath
from estateflow.definitions._specs import (
    ActionSpec,
    AssigneeSpec,
    BuildingSpec,
    CalendarSpec,
    DeadlineSpec,
    EscalationSpec,
    EstateSpec,
    Expr,
    FormSpec,
    HolidaysSpec,
    ProcedureSpec,
    RegisterEffectSpec,
    RegisterSpec,
    RoleSpec,
    RouteSpec,
    ShiftSpec,
    SpawnSpec,
    StartSpec,
    StepSpec,
    TimerSpec,
)
from estateflow.errors import Diagnostic, Severity, SourceSpan
from estateflow.fields import FieldSpec, OptionSpec

#: Case fields every case has, besides its start form and ``data``.
CASE_META = (
    "number",
    "title",
    "status",
    "outcome",
    "opened_at",
    "closed_at",
    "due_at",
    "starter",
    "owner",
    "procedure",
    "estate",
)
#: What ``steps.<step>`` holds besides the step form's fields.
STEP_META = ("at", "by", "action")
#: What ``actor`` holds.
ACTOR_FIELDS = ("username", "name", "roles", "shift")


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or listing the choices when none is close."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not choices:
        return None
    shown = ", ".join(f"'{c}'" for c in choices[:12])
    more = "" if len(choices) <= 12 else f" and {len(choices) - 12} more"
    return f"expected one of {shown}{more}"


class Compiler:
    """Compiles one located definition; ``diagnostics`` collects what is wrong."""

    def __init__(self, located: Located) -> None:
        self.loc = located
        self.diagnostics: list[Diagnostic] = []

    # -- reporting ---------------------------------------------------------------------
    def report(
        self,
        code: str,
        message: str,
        at: NodePath | SourceSpan,
        *,
        hint: str | None = None,
        key: bool = False,
        severity: Severity = "error",
    ) -> None:
        if isinstance(at, SourceSpan):
            span = at
        else:
            span = self.loc.key_span(at) if key else self.loc.span(at)
        self.diagnostics.append(
            Diagnostic(code=code, message=message, span=span, hint=hint, severity=severity)
        )

    def unknown(
        self,
        code: str,
        what: str,
        name: str,
        choices: Iterable[str],
        at: NodePath,
        *,
        key: bool = False,
        context: str = "",
    ) -> None:
        self.report(
            code,
            f"{what} '{name}'{context} does not exist",
            at,
            hint=did_you_mean(name, choices),
            key=key,
        )

    # -- values ------------------------------------------------------------------------
    def get(self, at: NodePath) -> Any:
        value: Any = self.loc.data
        for part in at:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    def label(self, value: Any) -> Mapping[str, str]:
        if value is None:
            return MappingProxyType({})
        if isinstance(value, str):
            return MappingProxyType({lang: value for lang in k.LANGUAGES})
        return MappingProxyType(dict(value))

    def ids(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else tuple(value)

    def expr(self, at: NodePath, scope: rules.Scope | None) -> Expr | None:
        """Compile the expression at ``at`` and check its names against ``scope``."""
        source = self.get(at)
        if source is None:
            return None
        if not isinstance(source, str):
            source = str(source).lower() if isinstance(source, bool) else str(source)
        try:
            rule = rules.compile_rule(source)
        except rules.RuleSyntaxError as exc:
            for problem in exc.problems:
                self._rule_problem(problem, at)
            return None
        if scope is not None:
            for problem in rules.check_names(rule, scope):
                self._rule_problem(problem, at)
        return Expr(source=source, rule=rule, span=self.loc.expr_span(at))

    def _rule_problem(self, problem: rules.RuleProblem, at: NodePath) -> None:
        span = self.loc.expr_span(at, problem.offset, problem.length)
        self.report(problem.code, problem.message, span, hint=problem.hint)

    def duration(self, at: NodePath, scope: rules.Scope | None) -> Any:
        """A Duration for a literal, an Expr for an expression, None for null."""
        value = self.get(at)
        if value is None:
            return None
        text = str(value).strip()
        if _looks_like_duration(text):
            try:
                return cal.parse_duration(text)
            except cal.DurationError as exc:
                self.report("bad-duration", exc.message, at, hint=exc.hint)
                return None
        return self.expr(at, scope)

    # -- fields ------------------------------------------------------------------------
    def fields(self, at: NodePath, scope_for: Any) -> Mapping[str, FieldSpec]:
        raw = self.get(at) or {}
        specs = {}
        for field_id, spec in raw.items():
            if spec is None:
                continue
            specs[field_id] = self.field(field_id, (*at, field_id), scope_for)
        return MappingProxyType(specs)

    def field(self, field_id: str, at: NodePath, scope_for: Any) -> FieldSpec:
        raw = self.get(at)
        kind = raw["type"]
        scope = scope_for() if callable(scope_for) else scope_for
        options = tuple(
            OptionSpec(value=str(o), label=self.label(str(o)))
            if not isinstance(o, dict)
            else OptionSpec(
                value=str(o["value"]), label=self.label(o.get("label", str(o["value"])))
            )
            for o in raw.get("options", ())
        )
        if kind in ("select", "multiselect") and not options:
            self.report(
                "missing-key",
                f"a '{kind}' field needs 'options'",
                at,
                key=True,
                hint="list the choices under 'options'",
            )
        if kind == "table" and not raw.get("columns"):
            self.report(
                "missing-key",
                "a 'table' field needs 'columns'",
                at,
                key=True,
                hint="declare the fields of one row under 'columns'",
            )
        if raw.get("options") and kind not in ("select", "multiselect"):
            self.report(
                "bad-value",
                f"'options' does not apply to a '{kind}' field",
                (*at, "options"),
                key=True,
                hint="use type 'select' or 'multiselect'",
            )
        if "pattern" in raw:
            reason = None
            try:
                re.compile(raw["pattern"])
            except re.error as exc:
                reason = str(exc)
            except OverflowError:  # 'a{4294967296}'
                reason = "a repetition count is too large"
            except RecursionError:  # Python's regex parser recurses once per group
                reason = "its groups are nested too deeply"
            if reason:
                self.report(
                    "bad-value",
                    f"the pattern is not a valid regular expression: {reason}",
                    (*at, "pattern"),
                )
        for bound in ("min", "max"):
            if isinstance(raw.get(bound), Decimal | int) and kind in (
                "integer",
                "decimal",
                "money",
                "rating",
            ):
                continue
            if bound in raw and kind not in ("date", "time", "datetime", "duration"):
                self.report(
                    "bad-value",
                    f"'{bound}' does not apply to a '{kind}' field",
                    (*at, bound),
                    key=True,
                )
        columns = ()
        if kind == "table" and raw.get("columns"):
            columns = tuple(self.fields((*at, "columns"), scope_for).values())
        return FieldSpec(
            id=field_id,
            type=kind,
            label=self.label(raw.get("label", field_id)),
            help=self.label(raw.get("help")),
            required=bool(raw.get("required", False)),
            required_if=self.expr((*at, "required_if"), scope),
            show_if=self.expr((*at, "show_if"), scope),
            compute=self.expr((*at, "compute"), scope),
            default=self.expr((*at, "default"), scope),
            readonly=bool(raw.get("readonly", False)),
            min=raw.get("min"),
            max=raw.get("max"),
            min_length=raw.get("min_length"),
            max_length=raw.get("max_length"),
            pattern=raw.get("pattern"),
            options=options,
            columns=columns,
            min_rows=raw.get("min_rows"),
            max_rows=raw.get("max_rows"),
            accept=tuple(raw.get("accept", ())),
            max_size=raw.get("max_size"),
            kinds=tuple(raw.get("kinds", ())),
            places=raw.get("places"),
            source=raw.get("source"),
            span=self.loc.key_span(at),
        )


def _looks_like_duration(text: str) -> bool:
    """A number followed by a word (``10m``, ``2 hours``, ``30``) is meant as a duration;
    anything else is an expression (DESIGN §3)."""
    return re.fullmatch(r"\d+(\.\d+)?\s*[A-Za-z]*", text) is not None


# -- forms ---------------------------------------------------------------------------------
def form_scope(field_ids: Iterable[str]) -> rules.Scope:
    """Names a form's own expressions see: its fields, and the case loosely."""
    return rules.Scope(
        roots={
            "form": _shape(field_ids, label="this form"),
            "case": rules.ANY,
            "steps": rules.ANY,
            "params": rules.ANY,
            "actor": _shape(ACTOR_FIELDS),
            "now": rules.Shape.DATETIME,
            "registers": rules.ANY,
        }
    )


def _shape(names: Iterable[str], *, label: str | None = None) -> rules.Shape:
    return rules.Shape.of(list(names), label=label)


def compile_form(located: Located) -> tuple[FormSpec, list[Diagnostic]]:
    c = Compiler(located)
    data = located.data
    field_ids = list((data.get("fields") or {}).keys())
    scope = form_scope(field_ids)
    spec = FormSpec(
        id=data.get("id") or "",
        title=c.label(data.get("title")),
        description=c.label(data.get("description")),
        source=data.get("source"),
        fields=c.fields(("fields",), scope),
        extends=data.get("extends"),
        path=located.path,
        span=located.span(()),
    )
    return spec, c.diagnostics


# -- procedures ----------------------------------------------------------------------------
class Library:
    """What a procedure may refer to: forms, other procedures, and (in an estate) more."""

    def __init__(
        self,
        forms: Mapping[str, FormSpec],
        procedures: Iterable[str],
        estate: EstateSpec | None = None,
        form_ids: Iterable[str] = (),
    ) -> None:
        self.forms = forms
        self.form_ids = frozenset(form_ids) | frozenset(forms)
        """Every form that exists, compiled or not (a broken one is reported on its own)."""
        self.procedures = frozenset(procedures)
        self.estate = estate


def compile_procedure(located: Located, library: Library) -> tuple[ProcedureSpec, list[Diagnostic]]:
    return _ProcedureCompiler(located, library).compile()


class _ProcedureCompiler(Compiler):
    def __init__(self, located: Located, library: Library) -> None:
        super().__init__(located)
        self.library = library
        data = located.data
        self.steps_raw: dict[str, Any] = {
            key: value for key, value in (data.get("steps") or {}).items() if value is not None
        }
        self.roles = tuple(data.get("roles") or ())
        self.params = dict(data.get("params") or {})
        self.registers = tuple(data.get("registers") or ())
        start_form = self._form_ref(("start", "form"))
        self.case_fields = list(start_form.fields) if start_form else []
        self.case_fields += [f for f in (data.get("data") or {}) if f not in self.case_fields]

    # scopes
    def scope(self, *, form: FormSpec | None = None, form_reason: str | None = None) -> rules.Scope:
        steps = {}
        for step_id, raw in self.steps_raw.items():
            step_form = self.library.forms.get(raw.get("form")) if isinstance(raw, dict) else None
            names = list(STEP_META) + (list(step_form.fields) if step_form else [])
            steps[step_id] = _shape(names, label=f"step '{step_id}'")
        roots = {
            "case": _shape([*self.case_fields, *CASE_META], label="the case"),
            "steps": rules.Shape(steps),
            "params": _shape(self.params, label="the procedure's params"),
            "actor": _shape(ACTOR_FIELDS),
            "now": rules.Shape.DATETIME,
            "registers": rules.Shape.of(self.register_shapes()),
        }
        unavailable = {}
        if form is not None:
            roots["form"] = _shape(form.fields, label=f"form '{form.id}'")
        elif form_reason:
            unavailable["form"] = form_reason
        return rules.Scope(roots=roots, unavailable=unavailable)

    def register_shapes(self) -> dict[str, rules.Shape]:
        """Each register the procedure declares; its columns are known in an estate."""
        estate = self.library.estate
        shapes = {}
        for name in self.registers:
            if estate is not None and name in estate.registers:
                shapes[name] = rules.Shape.register(name, estate.registers[name].fields)
            else:
                shapes[name] = rules.ANY
        return shapes

    def _form_ref(self, at: NodePath) -> FormSpec | None:
        form_id = self.get(at)
        if form_id is None:
            return None
        form = self.library.forms.get(form_id)
        if form is None and form_id not in self.library.form_ids:
            self.unknown("unknown-form", "form", form_id, self.library.forms, at)
        return form

    def _role_ref(self, role: str, at: NodePath) -> None:
        if role not in self.roles:
            self.report(
                "unknown-role",
                f"role '{role}' is not among the procedure's 'roles'",
                at,
                hint=did_you_mean(role, self.roles)
                if self.roles
                else "list the roles this procedure uses under 'roles'",
            )

    def _targets(self, at: NodePath) -> tuple[str, ...]:
        value = self.get(at)
        targets = self.ids(value)
        for index, target in enumerate(targets):
            where = at if isinstance(value, str) else (*at, index)
            if target not in self.steps_raw:
                self.unknown("unknown-step", "step", target, self.steps_raw, where)
        return targets

    def compile(self) -> tuple[ProcedureSpec, list[Diagnostic]]:
        data = self.loc.data
        for index, register in enumerate(self.registers):
            estate = self.library.estate
            if estate is not None and register not in estate.registers:
                self.unknown(
                    "unknown-register",
                    "register",
                    register,
                    estate.registers,
                    ("registers", index),
                    context=" (kept by the estate)",
                )
        start = StartSpec(
            roles=self.ids(self.get(("start", "roles"))),
            form=self.get(("start", "form")),
            to=self._targets(("start", "to")),
            source=self.get(("start", "source")),
        )
        for index, role in enumerate(start.roles):
            self._role_ref(role, ("start", "roles", index))
        if "start" not in data:
            self.report(
                "missing-key",
                "the procedure has no 'start'",
                (),
                hint=("add 'start: {roles: [...], form: ..., to: first_step}'"),
            )
        elif not start.to:
            self.report("missing-key", "'start' needs 'to', the first step", ("start",), key=True)
        if "steps" not in data or not self.steps_raw:
            self.report(
                "missing-key",
                "the procedure has no 'steps'",
                (),
                hint=("add at least one task step and one terminal step"),
            )
        data_fields = self.fields(("data",), self.scope(form_reason=_FORM_NOT_HERE))
        steps = {step_id: self.step(step_id) for step_id in self.steps_raw}
        spec = ProcedureSpec(
            id=data.get("id") or "",
            title=self.label(data.get("title")),
            description=self.label(data.get("description")),
            source=data.get("source"),
            number_prefix=data.get("number_prefix") or _prefix(data.get("id") or ""),
            calendar=data.get("calendar") or "office",
            roles=self.roles,
            registers=self.registers,
            params=MappingProxyType(self.params),
            data=data_fields,
            start=start,
            owner=data.get("owner") or "none",
            due=self.deadline(("due",), self.scope(form_reason=_FORM_NOT_HERE)),
            steps=MappingProxyType(steps),
            extends=data.get("extends"),
            path=self.loc.path,
            span=self.loc.span(()),
        )
        return spec, self.diagnostics

    def step(self, step_id: str) -> StepSpec:
        at: NodePath = ("steps", step_id)
        raw = self.steps_raw[step_id]
        present = [kind for kind, key in k.STEP_KIND_KEYS.items() if key in raw]
        kind = present[0] if len(present) == 1 else "task"
        if not present:
            self.report(
                "bad-step",
                f"step '{step_id}' is neither a task, a join, a spawn nor a terminal",
                at,
                key=True,
                hint="give it 'actions' (a task), 'join', 'spawn' or 'terminal'",
            )
        elif len(present) > 1:
            keys = " and ".join(f"'{k.STEP_KIND_KEYS[p]}'" for p in present)
            self.report(
                "bad-step",
                f"step '{step_id}' has both {keys}",
                at,
                key=True,
                hint="split it into two steps",
            )
        if kind != "task":
            for key in sorted(k.TASK_ONLY_KEYS & raw.keys()):
                self.report(
                    "bad-step",
                    f"'{key}' belongs to task steps, not to a {kind} step",
                    (*at, key),
                    key=True,
                )
        if kind == "task" and "role" not in raw:
            self.report(
                "missing-key",
                f"task step '{step_id}' needs a 'role'",
                at,
                key=True,
                hint="name the role whose queue the task goes to",
            )
        if kind in ("join", "spawn") and "to" not in raw:
            self.report("missing-key", f"{kind} step '{step_id}' needs 'to'", at, key=True)
        if kind in ("task", "terminal") and "to" in raw:
            self.report(
                "bad-step",
                f"a {kind} step has no 'to'",
                (*at, "to"),
                key=True,
                hint="put 'to' on each action" if kind == "task" else "remove it",
            )
        if raw.get("role"):
            self._role_ref(raw["role"], (*at, "role"))
        form = self._form_ref((*at, "form"))
        no_form = self.scope(form_reason=_FORM_NOT_HERE)
        join = self.ids(raw.get("join"))
        for index, target in enumerate(join):
            if target not in self.steps_raw:
                self.unknown("unknown-step", "step", target, self.steps_raw, (*at, "join", index))
        spawn = None
        if isinstance(raw.get("spawn"), dict):
            child = raw["spawn"]["procedure"]
            if child not in self.library.procedures:
                self.unknown(
                    "unknown-procedure",
                    "procedure",
                    child,
                    self.library.procedures,
                    (*at, "spawn", "procedure"),
                )
            spawn = SpawnSpec(procedure=child, data=self._exprs((*at, "spawn", "data"), no_form))
        actions = {}
        for action_id, action_raw in (raw.get("actions") or {}).items():
            if action_raw is not None:
                actions[action_id] = self.action(step_id, action_id, form)
        if kind == "task" and "actions" in raw and not actions:
            self.report(
                "missing-key", f"task step '{step_id}' has no actions", (*at, "actions"), key=True
            )
        timer = None
        if isinstance(raw.get("timer"), dict):
            after = self.duration((*at, "timer", "after"), None)
            action = raw["timer"]["action"]
            if action not in actions:
                self.unknown(
                    "unknown-action",
                    "action",
                    action,
                    actions,
                    (*at, "timer", "action"),
                    context=f" of step '{step_id}'",
                )
            timer = TimerSpec(after=after, action=action, span=self.loc.span((*at, "timer")))
        due = self.deadline((*at, "due"), no_form)
        if due and due.escalate and due.escalate.action and due.escalate.action not in actions:
            self.unknown(
                "unknown-action",
                "action",
                due.escalate.action,
                actions,
                (*at, "due", "escalate", "action"),
                context=f" of step '{step_id}'",
            )
        return StepSpec(
            id=step_id,
            kind=kind,  # type: ignore[arg-type]
            title=self.label(raw.get("title", step_id)),
            description=self.label(raw.get("description")),
            source=raw.get("source"),
            role=raw.get("role"),
            assignee=self.assignee((*at, "assignee")),
            form=raw.get("form"),
            due=due,
            timer=timer,
            skip_if=self.expr((*at, "skip_if"), no_form),
            kpi=raw.get("kpi"),
            actions=MappingProxyType(actions),
            join=join,
            to=self._targets((*at, "to")),
            spawn=spawn,
            wait=raw.get("wait", "child"),
            terminal=raw.get("terminal"),
            span=self.loc.key_span(at),
        )

    def _exprs(self, at: NodePath, scope: rules.Scope) -> Mapping[str, Expr]:
        out = {}
        for key in self.get(at) or {}:
            expr = self.expr((*at, key), scope)
            if expr is not None:
                out[key] = expr
        return MappingProxyType(out)

    def action(self, step_id: str, action_id: str, form: FormSpec | None) -> ActionSpec:
        at: NodePath = ("steps", step_id, "actions", action_id)
        raw = self.get(at)
        with_form = (
            self.scope(form=form)
            if form
            else self.scope(form_reason=f"step '{step_id}' has no form")
        )
        guard = self.scope(form_reason=_FORM_IN_GUARD)
        if "to" in raw and "route" in raw:
            self.report(
                "bad-value",
                "an action has either 'to' or 'route', not both",
                (*at, "route"),
                key=True,
            )
        route = []
        entries = raw.get("route") or []
        for index, entry in enumerate(entries):
            where = (*at, "route", index)
            when = self.expr((*where, "when"), with_form)
            if "when" not in entry and index < len(entries) - 1:
                self.report(
                    "route-order",
                    "a route entry without 'when' must be the last one",
                    where,
                    hint="entries after it could never be chosen",
                )
            route.append(
                RouteSpec(when=when, to=self._targets((*where, "to")), span=self.loc.span(where))
            )
        if entries and "when" in entries[-1]:
            self.report(
                "route-no-default",
                "the last route entry has a 'when'",
                (*at, "route", len(entries) - 1),
                hint="end the route with an entry that has only 'to', for when "
                "nothing else matches",
            )
        sets = self._exprs((*at, "set"), with_form)
        for target in sets:
            if target not in self.case_fields:
                self.report(
                    "set-target",
                    f"'set' writes '{target}', which is not a case field",
                    (*at, "set", target),
                    key=True,
                    hint=did_you_mean(target, self.case_fields)
                    or "declare it under 'data' or in the start form",
                )
        roles = self.ids(raw.get("roles"))
        for index, role in enumerate(roles):
            self._role_ref(role, (*at, "roles", index))
        for index, role in enumerate(self.ids(raw.get("notify"))):
            self._role_ref(role, (*at, "notify", index))
        return ActionSpec(
            id=action_id,
            label=self.label(raw.get("label", action_id)),
            when=self.expr((*at, "when"), guard),
            roles=roles,
            set=sets,
            register=self.register_effects((*at, "register"), with_form),
            to=self._targets((*at, "to")),
            route=tuple(route),
            pause=bool(raw.get("pause", False)),
            resume=bool(raw.get("resume", False)),
            notify=self.ids(raw.get("notify")),
            confirm=self.label(raw["confirm"]) if raw.get("confirm") else None,
            source=raw.get("source"),
            span=self.loc.key_span(at),
        )

    def register_effects(self, at: NodePath, scope: rules.Scope) -> tuple[RegisterEffectSpec, ...]:
        effects = []
        for register, raw in (self.get(at) or {}).items():
            where_at = (*at, register)
            if register not in self.registers:
                self.report(
                    "unknown-register",
                    f"register '{register}' is not among the procedure's 'registers'",
                    where_at,
                    key=True,
                    hint=did_you_mean(register, self.registers)
                    if self.registers
                    else "list the registers this procedure uses under 'registers'",
                )
            ops = [op for op in ("add", "remove", "update") if op in raw]
            if len(ops) != 1:
                self.report(
                    "bad-value",
                    "a register effect needs exactly one of 'add', 'remove' and 'update'",
                    where_at,
                    key=True,
                )
                continue
            op = ops[0]
            if op == "add":
                values, where = self._exprs((*where_at, "add"), scope), MappingProxyType({})
            else:
                values = self._exprs((*where_at, op, "set"), scope)
                where = self._exprs((*where_at, op, "where"), scope)
            effects.append(
                RegisterEffectSpec(
                    register=register,
                    op=op,
                    values=values,
                    where=where,
                    count=self.expr((*where_at, "count"), scope),
                    span=self.loc.key_span(where_at),
                )
            )
        return tuple(effects)

    def assignee(self, at: NodePath) -> AssigneeSpec | None:
        raw = self.get(at)
        if raw is None:
            return None
        if isinstance(raw, str):
            return AssigneeSpec(kind=raw)  # type: ignore[arg-type]
        ((kind, value),) = raw.items()
        if kind in ("shift", "building"):
            self._role_ref(value, (*at, kind))
        return AssigneeSpec(kind=kind, value=value)

    def deadline(self, at: NodePath, scope: rules.Scope) -> DeadlineSpec | None:
        raw = self.get(at)
        if raw is None:
            return None
        if not isinstance(raw, dict):
            return DeadlineSpec(within=self.duration(at, scope), span=self.loc.span(at))
        if "within" in raw and "at" in raw:
            self.report(
                "bad-value",
                "a deadline has either 'within' or 'at', not both",
                (*at, "at"),
                key=True,
            )
        if "within" not in raw and "at" not in raw:
            self.report("missing-key", "a deadline needs 'within' or 'at'", at, key=True)
        warn_at = None
        if raw.get("warn_at") is not None:
            warn_at = self._warn_at((*at, "warn_at"))
        escalate = None
        if isinstance(raw.get("escalate"), dict):
            e = raw["escalate"]
            for index, role in enumerate(self.ids(e.get("notify"))):
                self._role_ref(role, (*at, "escalate", "notify", index))
            if e.get("reassign"):
                self._role_ref(e["reassign"], (*at, "escalate", "reassign"))
            escalate = EscalationSpec(
                notify=self.ids(e.get("notify")), reassign=e.get("reassign"), action=e.get("action")
            )
        return DeadlineSpec(
            within=self.duration((*at, "within"), scope),
            at=self.expr((*at, "at"), scope),
            calendar=raw.get("calendar"),
            warn_at=warn_at,
            escalate=escalate,
            source=raw.get("source"),
            span=self.loc.span(at),
        )

    def _warn_at(self, at: NodePath) -> Any:
        text = str(self.get(at)).strip()
        if text.endswith("%"):
            try:
                percent = Decimal(text[:-1])
            except ArithmeticError:
                percent = Decimal(-1)
            if not Decimal(0) < percent < Decimal(100):
                self.report(
                    "bad-value",
                    f"'warn_at' of '{text}' is not a percentage between 0% and 100%",
                    at,
                    hint="for example 80%",
                )
                return None
            return percent / 100
        try:
            return cal.parse_duration(text)
        except cal.DurationError as exc:
            self.report(
                "bad-duration",
                exc.message,
                at,
                hint="give a percentage of the span (80%) or a duration before the deadline (5m)",
            )
            return None


_FORM_IN_GUARD = (
    "'form' is not available in an action's 'when', which decides which "
    "buttons show before anything is filled in; use 'route' to decide by the "
    "submitted form"
)
_FORM_NOT_HERE = "'form' is only available where a form is being filled or submitted"


def _prefix(procedure_id: str) -> str:
    """Default case-number prefix: initials of a compound id (WP), else two letters (CO)."""
    parts = [part for part in procedure_id.replace("_", "-").split("-") if part]
    letters = "".join(part[0] for part in parts) if len(parts) > 1 else procedure_id[:2]
    return letters.upper()[:8] or "C"


# -- estates -------------------------------------------------------------------------------
def compile_estate(located: Located) -> tuple[EstateSpec, list[Diagnostic]]:
    c = Compiler(located)
    data = located.data
    timezone = data.get("timezone", "Asia/Shanghai")
    region = data.get("region")
    holidays = HolidaysSpec(
        closed=tuple((data.get("holidays") or {}).get("closed", ())),
        open=tuple((data.get("holidays") or {}).get("open", ())),
    )
    # The schema checks the shape of a date; a day that does not exist is caught here.
    dates: dict[str, list[tuple[int, Any]]] = {"closed": [], "open": []}
    for which, listed in (("closed", holidays.closed), ("open", holidays.open)):
        for index, text in enumerate(listed):
            try:
                dates[which].append((index, _date(text)))
            except ValueError as exc:
                c.report(
                    "bad-value",
                    f"'{text}' is not a date: {exc}",
                    ("holidays", which, index),
                    hint="write a day that exists, as YYYY-MM-DD",
                )
    calendars = {}
    for cal_id, raw in (data.get("calendars") or {}).items():
        hours = raw if isinstance(raw, str) else raw["hours"]
        built = None
        try:
            built = cal.build_calendar(
                name=cal_id,
                timezone=timezone,
                hours=hours,
                region=region,
                closed=[day for _, day in dates["closed"]],
                open=[day for _, day in dates["open"]],
            )
        except cal.CalendarError as exc:
            where = exc.where
            if where and where[0] in dates and len(where) > 1 and isinstance(where[1], int):
                # Back from the list of real dates to the place in the file.
                where = (where[0], dates[where[0]][where[1]][0], *where[2:])
            c.report(exc.code, exc.message, _calendar_path(cal_id, raw, where), hint=exc.hint)
        calendars[cal_id] = CalendarSpec(
            id=cal_id,
            label=c.label(raw.get("label", cal_id) if isinstance(raw, dict) else cal_id),
            hours=hours,
            calendar=built,
        )
    years = tuple(data.get("years") or ())
    if region and years:
        missing = cal.missing_holiday_years(region, years)
        closed_years = {int(d[:4]) for d in holidays.closed}
        for year in missing:
            if year in closed_years:
                continue
            c.report(
                "no-holiday-data",
                f"no public-holiday data for {region} in {year}",
                ("years", years.index(year)),
                severity="warning",
                hint=f"list {year}'s holidays under 'holidays: closed', or drop the year",
            )
    roles = {}
    for role_id, raw in (data.get("roles") or {}).items():
        raw = raw or {}
        if raw.get("calendar") and raw["calendar"] not in calendars:
            c.unknown(
                "unknown-calendar",
                "calendar",
                raw["calendar"],
                calendars,
                ("roles", role_id, "calendar"),
            )
        roles[role_id] = RoleSpec(
            id=role_id, label=c.label(raw.get("label", role_id)), calendar=raw.get("calendar")
        )
    shifts = {}
    for role_id, raw in (data.get("shifts") or {}).items():
        if role_id not in roles:
            c.unknown("unknown-role", "role", role_id, roles, ("shifts", role_id), key=True)
        entries = []
        for shift_id, shift in raw.items():
            if shift.get("hands_over_to") and shift["hands_over_to"] not in raw:
                c.unknown(
                    "unknown-shift",
                    "shift",
                    shift["hands_over_to"],
                    raw,
                    ("shifts", role_id, shift_id, "hands_over_to"),
                )
            entries.append(
                ShiftSpec(
                    id=shift_id,
                    role=role_id,
                    label=c.label(shift.get("label", shift_id)),
                    hours=shift["hours"],
                    hands_over_to=shift.get("hands_over_to"),
                )
            )
        shifts[role_id] = tuple(entries)
    registers = {}
    for reg_id, raw in (data.get("registers") or {}).items():
        registers[reg_id] = RegisterSpec(
            id=reg_id,
            title=c.label(raw.get("title", reg_id)),
            source=raw.get("source"),
            fields=c.fields(("registers", reg_id, "fields"), None),
        )
    seen_buildings: dict[str, int] = {}
    buildings = []
    for index, raw in enumerate(data.get("buildings") or ()):
        if raw["id"] in seen_buildings:
            c.report(
                "duplicate-id",
                f"building '{raw['id']}' is declared twice",
                ("buildings", index, "id"),
                hint=f"the first is item {seen_buildings[raw['id']] + 1} of 'buildings'",
            )
        seen_buildings.setdefault(raw["id"], index)
        buildings.append(BuildingSpec(id=raw["id"], name=c.label(raw.get("name", raw["id"]))))
    spec = EstateSpec(
        id=data.get("id", ""),
        name=c.label(data.get("name", data.get("id"))),
        source=data.get("source"),
        region=region or "CN",
        locale=data.get("locale", "zh-Hans"),
        currency=data.get("currency", "CNY"),
        timezone=timezone,
        years=years,
        library=data.get("library"),
        calendars=MappingProxyType(calendars),
        holidays=holidays,
        buildings=tuple(buildings),
        roles=MappingProxyType(roles),
        shifts=MappingProxyType(shifts),
        params=MappingProxyType(
            {
                key: MappingProxyType(dict(value))
                for key, value in (data.get("params") or {}).items()
            }
        ),
        registers=MappingProxyType(registers),
        procedures=tuple(data.get("procedures") or ()),
        demo=MappingProxyType(dict(data.get("demo") or {})),
        path=located.path,
        span=located.span(()),
    )
    return spec, c.diagnostics


def _calendar_path(cal_id: str, raw: Any, where: tuple[str | int, ...]) -> NodePath:
    """Where in the estate file a calendar problem stands (``where`` names the argument
    of ``build_calendar`` at fault, then the path inside it)."""
    head, *rest = where or ("hours",)
    if head == "hours":
        return ("calendars", cal_id) if isinstance(raw, str) else ("calendars", cal_id, *where)
    if head in ("open", "closed"):
        return ("holidays", head, *rest)
    return (str(head), *rest)


def _date(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)
