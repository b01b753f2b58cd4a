"""Read a simulation script: YAML with the line of every value, checked against the estate.

```yaml
title: Major complaint                      # optional, heads the timeline
start: 2026-09-24T10:00+08:00               # the clock at the start; no offset = estate time
actors:                                     # who acts, by a name the steps use
  desk: {username: wychan, roles: [front_desk], name: 王詠珊}
registers:                                  # rows the estate's registers start with
  members: [{unit: T1-3A, name: 陳大文}]
duty:                                       # who is on each shift of a role (a roster)
  front_desk: {day: wychan, night: lmyip}
steps:
  - start: {as: desk, form: {...}, procedure: complaint, case: main}  # procedure, case optional
  - advance: 12m                            # wall clock: s, m, h, d; or {to: 2026-09-25T09:00}
  - act: {step: forward, action: dispatch, as: sup, form: {...}, case: main}
  - expect:                                 # all optional; 'case' as in 'act'
      open: [investigate, report_major]     # the open steps, in any order
      status: open                          # and 'outcome: resolved'
      data: {valid: true}                   # case fields
      due: {report_major: +60m, investigate: null}   # from now, a time, or no deadline
      warn: {forward: 2026-09-24T10:05}
      assignee: {inform: wychan}
      events: {DeadlineMissed: 1}           # how many of a type this case has had
```
A ``case`` is a name given at ``start``, a procedure id (its latest case) or a case
number. Without one, ``act`` goes to the case with an open task at that step (the first
case if several have one) and ``expect`` looks at the first case started.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from estateflow.calendar import parse_duration
from estateflow.definitions import Bundle
from estateflow.engine import Actor

#: Values one script may expand to, counting every use of an alias again.
MAX_NODES = 100_000

SCRIPT_KEYS = frozenset({"title", "start", "actors", "registers", "duty", "steps"})
STEP_KINDS = ("start", "act", "advance", "expect")
START_KEYS = frozenset({"procedure", "as", "form", "case"})
ACT_KEYS = frozenset({"case", "step", "action", "as", "form"})
ADVANCE_KEYS = frozenset({"to"})
EXPECT_KEYS = frozenset(
    {"case", "open", "status", "outcome", "data", "due", "warn", "assignee", "events"}
)
ACTOR_KEYS = frozenset({"username", "name", "roles"})

NodePath = tuple[str | int, ...]


def did_you_mean(word: str, choices: Any, lead: str = "; expected one of ") -> str:
    """A did-you-mean for ``word``, else the list of ``choices`` after ``lead``."""
    names = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(word, names, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return lead + ", ".join(f"'{n}'" for n in names) if names else ""


class ScriptError(Exception):
    """A mistake in the script, at a 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class StartStep:
    line: int
    procedure: str
    actor: str
    form: Mapping[str, Any] | None
    name: str | None
    form_line: int
    """Where the form is written (or the step, without one)."""
    lines: Mapping[str, int]
    """The line of each form field written in the script."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ActStep:
    line: int
    case: str | None
    step: str
    action: str
    actor: str
    form: Mapping[str, Any] | None
    form_line: int
    lines: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvanceStep:
    line: int
    by: timedelta | None = None
    to: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectStep:
    line: int
    case: str | None
    checks: Mapping[str, Any]


ScriptStep = StartStep | ActStep | AdvanceStep | ExpectStep


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    title: str | None
    start: datetime
    actors: Mapping[str, Actor]
    registers: Mapping[str, tuple[Mapping[str, Any], ...]]
    duty: Mapping[tuple[str, str], str]
    steps: tuple[ScriptStep, ...]


def read_script(text: str, bundle: Bundle, procedure: str) -> Script:
    """Parse and check a script against the estate it runs on.

    Raises:
        ScriptError: the first mistake, with its line.
    """
    data, lines = _load_yaml(text)
    return _Reader(data, lines, bundle, procedure).script()


def _load_yaml(text: str) -> tuple[Any, dict[NodePath, int]]:
    """Plain values and the line of each (for a mapping value: the line of its key).

    Timestamps stay strings and duplicate keys are errors, as in definition files.
    """
    try:
        root = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        raise ScriptError(mark.line + 1 if mark else 1, problem) from None
    except YAMLError as exc:
        raise ScriptError(1, str(exc).splitlines()[0]) from None
    lines: dict[NodePath, int] = {}
    count = 0

    def build(node: Node, at: NodePath, line: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise ScriptError(line, f"the script expands to more than {MAX_NODES:,} values")
        lines[at] = line
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, ScalarNode):
                    raise ScriptError(key_line, "a mapping key must be a plain value")
                key = str(key_node.value)
                if key in out:
                    raise ScriptError(key_line, f"key '{key}' appears twice in this mapping")
                out[key] = build(value_node, (*at, key), key_line)
            return out
        if isinstance(node, SequenceNode):
            return [
                build(item, (*at, i), item.start_mark.line + 1) for i, item in enumerate(node.value)
            ]
        return _scalar(node)

    data = None if root is None else build(root, (), root.start_mark.line + 1)
    return data, lines


def _scalar(node: ScalarNode) -> Any:
    if node.style:
        return node.value
    tag, value = node.tag, node.value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if tag.endswith(":int"):
        text = value.replace("_", "")
        try:
            return int(text, 0) if text[1:2] in ("x", "o", "X", "O") else int(text)
        except ValueError:
            return value
    if tag.endswith(":float"):
        try:
            return Decimal(value.replace("_", ""))
        except ArithmeticError:
            return value
    return value  # strings, and timestamps as written


class _Reader:
    def __init__(self, data: Any, lines: dict[NodePath, int], bundle: Bundle, procedure: str):
        self.data = data
        self.lines = lines
        self.bundle = bundle
        self.procedure = procedure
        self.zone = ZoneInfo(bundle.estate.timezone)
        self.actors: dict[str, Actor] = {}
        self.names: set[str] = set()

    def line(self, at: NodePath) -> int:
        while at and at not in self.lines:
            at = at[:-1]
        return self.lines.get(at, 1)

    def fail(self, at: NodePath, message: str) -> ScriptError:
        return ScriptError(self.line(at), message)

    def mapping(self, at: NodePath, value: Any, allowed: frozenset[str], what: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(at, f"{what} must be a mapping")
        for key in value:
            if key not in allowed:
                raise self.fail(
                    (*at, key),
                    f"unknown key '{key}' in {what}" + did_you_mean(key, allowed),
                )
        return value

    def text(self, at: NodePath, value: Any, what: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(at, f"{what} must be a name, not {value!r}")
        return value

    def required(self, at: NodePath, value: dict, key: str, what: str) -> Any:
        if key not in value:
            raise self.fail(at, f"{what} needs '{key}'")
        return value[key]

    # -- the parts --------------------------------------------------------------------------
    def script(self) -> Script:
        top = self.mapping((), self.data, SCRIPT_KEYS, "the script")
        start = self.moment(("start",), self.required((), top, "start", "the script"))
        self.actors = self.read_actors(top.get("actors") or {})
        steps_raw = self.required((), top, "steps", "the script")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise self.fail(("steps",), "'steps' must be a list of steps")
        steps = tuple(self.step(("steps", i), raw) for i, raw in enumerate(steps_raw))
        title = top.get("title")
        return Script(
            title=str(title) if title is not None else None,
            start=start,
            actors=MappingProxyType(self.actors),
            registers=MappingProxyType(self.read_registers(top.get("registers") or {})),
            duty=MappingProxyType(self.read_duty(top.get("duty") or {})),
            steps=steps,
        )

    def moment(self, at: NodePath, value: Any) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                raise self.fail(
                    at, f"'{value}' is not a date and time; write it as 2026-09-24T10:00+08:00"
                ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def read_actors(self, raw: Any) -> dict[str, Actor]:
        at: NodePath = ("actors",)
        if not isinstance(raw, dict):
            raise self.fail(at, "'actors' must map a name to {username, roles}")
        roles = self.bundle.estate.roles
        actors = {}
        for name, spec in raw.items():
            where = (*at, name)
            spec = self.mapping(where, spec, ACTOR_KEYS, f"actor '{name}'")
            username = self.text(
                (*where, "username"),
                self.required(where, spec, "username", f"actor '{name}'"),
                "'username'",
            )
            given = spec.get("roles") or []
            if not isinstance(given, list):
                raise self.fail((*where, "roles"), "'roles' must be a list")
            for i, role in enumerate(given):
                if role not in roles:
                    raise self.fail(
                        (*where, "roles", i),
                        f"'{role}' is not a role of estate '{self.bundle.estate.id}'"
                        + did_you_mean(str(role), roles),
                    )
            actors[name] = Actor(
                username=username,
                name=str(spec.get("name") or username),
                roles=frozenset(given),
            )
        return actors

    def read_registers(self, raw: Any) -> dict[str, tuple[Mapping[str, Any], ...]]:
        at: NodePath = ("registers",)
        if not isinstance(raw, dict):
            raise self.fail(at, "'registers' must map a register to a list of rows")
        known = self.bundle.estate.registers
        out = {}
        for name, rows in raw.items():
            if name not in known:
                raise self.fail(
                    (*at, name),
                    f"estate '{self.bundle.estate.id}' keeps no register '{name}'"
                    + did_you_mean(name, known),
                )
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise self.fail((*at, name), f"register '{name}' must be a list of rows")
            for i, row in enumerate(rows):
                for column in row:
                    if column not in known[name].fields:
                        raise self.fail(
                            (*at, name, i, column),
                            f"register '{name}' has no field '{column}'"
                            + did_you_mean(column, known[name].fields),
                        )
            out[name] = tuple(MappingProxyType(dict(r)) for r in rows)
        return out

    def read_duty(self, raw: Any) -> dict[tuple[str, str], str]:
        at: NodePath = ("duty",)
        if not isinstance(raw, dict):
            raise self.fail(at, "'duty' must map a role to {shift: username}")
        shifts = self.bundle.estate.shifts
        out = {}
        for role, by_shift in raw.items():
            if role not in shifts:
                raise self.fail(
                    (*at, role), f"role '{role}' has no shifts" + did_you_mean(role, shifts)
                )
            names = [s.id for s in shifts[role]]
            if not isinstance(by_shift, dict):
                raise self.fail((*at, role), f"'duty.{role}' must map a shift to a username")
            for shift, username in by_shift.items():
                if shift not in names:
                    raise self.fail(
                        (*at, role, shift),
                        f"role '{role}' has no shift '{shift}'" + did_you_mean(shift, names),
                    )
                out[(role, shift)] = self.text((*at, role, shift), username, "a username")
        return out

    def step(self, at: NodePath, raw: Any) -> ScriptStep:
        if not isinstance(raw, dict) or len(raw) != 1:
            raise self.fail(at, "a step is one of " + ", ".join(f"'{k}'" for k in STEP_KINDS))
        [(kind, body)] = raw.items()
        where = (*at, kind)
        line = self.line(where)
        if kind == "advance":
            return self.advance(where, line, body)
        if kind not in STEP_KINDS:
            raise self.fail(
                where,
                f"unknown step '{kind}'" + did_you_mean(kind, STEP_KINDS, "; a step is one of "),
            )
        allowed = {"start": START_KEYS, "act": ACT_KEYS, "expect": EXPECT_KEYS}[kind]
        body = self.mapping(where, body, allowed, f"'{kind}'")
        case = body.get("case")
        if case is not None:
            case = self.text((*where, "case"), case, "'case'")
        if kind == "expect":
            return ExpectStep(line=line, case=case, checks=self.checks(where, body))
        actor = self.actor(where, body, kind)
        form = body.get("form")
        if form is not None and not isinstance(form, dict):
            raise self.fail((*where, "form"), "'form' must map field ids to values")
        lines = MappingProxyType({k: self.line((*where, "form", k)) for k in (form or {})})
        form_line = self.line((*where, "form"))
        if kind == "start":
            procedure = self.text(
                (*where, "procedure"), body.get("procedure", self.procedure), "'procedure'"
            )
            if procedure not in self.bundle.procedures:
                raise self.fail(
                    (*where, "procedure"),
                    f"estate '{self.bundle.estate.id}' does not use procedure '{procedure}'"
                    + did_you_mean(procedure, self.bundle.procedures),
                )
            if case is not None:
                if case in self.names:
                    raise self.fail((*where, "case"), f"a case is already called '{case}'")
                self.names.add(case)
            return StartStep(
                line=line,
                procedure=procedure,
                actor=actor,
                form=form,
                name=case,
                form_line=form_line,
                lines=lines,
            )
        step = self.text((*where, "step"), self.required(where, body, "step", "'act'"), "'step'")
        action = self.text(
            (*where, "action"), self.required(where, body, "action", "'act'"), "'action'"
        )
        return ActStep(
            line=line,
            case=case,
            step=step,
            action=action,
            actor=actor,
            form=form,
            form_line=form_line,
            lines=lines,
        )

    def actor(self, where: NodePath, body: dict, kind: str) -> str:
        name = self.text((*where, "as"), self.required(where, body, "as", f"'{kind}'"), "'as'")
        if name not in self.actors:
            raise self.fail(
                (*where, "as"),
                f"no actor '{name}' in 'actors'"
                + did_you_mean(name, self.actors, "; the script has "),
            )
        return name

    def advance(self, where: NodePath, line: int, body: Any) -> AdvanceStep:
        if isinstance(body, dict):
            body = self.mapping(where, body, ADVANCE_KEYS, "'advance'")
            to = self.moment((*where, "to"), self.required(where, body, "to", "'advance'"))
            return AdvanceStep(line=line, to=to)
        span = self.span(where, body)
        if span is None:
            raise self.fail(where, "'advance' takes wall-clock time: s, m, h or d")
        return AdvanceStep(line=line, by=span)

    def span(self, at: NodePath, value: Any) -> timedelta | None:
        try:
            duration = parse_duration(str(value).strip())
        except ValueError:
            raise self.fail(at, f"'{value}' is not a duration such as 12m, 2h or 1d") from None
        return None if duration.business else duration.span

    def checks(self, where: NodePath, body: dict) -> Mapping[str, Any]:
        checks = {k: v for k, v in body.items() if k != "case"}
        if not checks:
            raise self.fail(where, "'expect' needs something to check")
        if "open" in checks and not (
            isinstance(checks["open"], list) and all(isinstance(s, str) for s in checks["open"])
        ):
            raise self.fail((*where, "open"), "'open' must be a list of steps")
        if "status" in checks and checks["status"] not in ("open", "closed"):
            raise self.fail((*where, "status"), "'status' is 'open' or 'closed'")
        for key in ("data", "due", "warn", "assignee", "events"):
            if key in checks and not isinstance(checks[key], dict):
                raise self.fail((*where, key), f"'{key}' must be a mapping")
        for kind, count in (checks.get("events") or {}).items():
            if type(count) is not int or count < 0:
                raise self.fail((*where, "events", kind), f"'{kind}' needs a count, not {count!r}")
        for key in ("due", "warn"):
            for step, value in (checks.get(key) or {}).items():
                at = (*where, key, step)
                if isinstance(value, str) and value.startswith("+"):
                    if self.span(at, value[1:]) is None:
                        raise self.fail(at, "a deadline is checked in wall-clock time")
                elif value is not None:
                    self.moment(at, value)
        return MappingProxyType(checks)
