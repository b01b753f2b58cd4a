"""A procedure as a graph: its steps as nodes, each way from one step to the next as an edge.

Labels are taken in one language, falling back to the others and then to ids; deadlines,
escalations, timers and skip conditions become short lines on their step's node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from estateflow.definitions._specs import (
    DeadlineSpec,
    EstateSpec,
    Expr,
    ProcedureSpec,
    StepSpec,
)

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
#: The id of the node every procedure starts from; step ids cannot begin with '_'.
START = "_start"

_WORDS: Mapping[str, Mapping[str, str]] = {
    "start": {"zh-Hans": "开始", "zh-Hant": "開始", "en": "Start"},
    "otherwise": {"zh-Hans": "否则", "zh-Hant": "否則", "en": "otherwise"},
    "due": {"zh-Hans": "时限", "zh-Hant": "時限", "en": "due"},
    "case due": {"zh-Hans": "全程时限", "zh-Hant": "全程時限", "en": "case due"},
    "due at": {"zh-Hans": "截止于", "zh-Hant": "截止於", "en": "due at"},
    "warn": {"zh-Hans": "预警", "zh-Hant": "預警", "en": "warn"},
    "before": {"zh-Hans": "前", "zh-Hant": "前", "en": "before"},
    "none": {"zh-Hans": "无", "zh-Hant": "無", "en": "none"},
    "notify": {"zh-Hans": "通知", "zh-Hant": "通知", "en": "notify"},
    "reassign": {"zh-Hans": "转派", "zh-Hant": "轉派", "en": "reassign to"},
    "run": {"zh-Hans": "执行", "zh-Hant": "執行", "en": "run"},
    "timer": {"zh-Hans": "定时", "zh-Hant": "定時", "en": "timer"},
    "skip if": {"zh-Hans": "跳过条件", "zh-Hant": "跳過條件", "en": "skip if"},
    "spawn": {"zh-Hans": "开立", "zh-Hant": "開立", "en": "opens"},
    "waits": {"zh-Hans": "等待完成", "zh-Hant": "等待完成", "en": "and waits"},
    "join": {"zh-Hans": "汇合", "zh-Hant": "匯合", "en": "join"},
}
_PARAM = re.compile(r"params\.([A-Za-z_][A-Za-z0-9_]*)(\[.*\])?")

NodeKind = Literal["start", "task", "join", "spawn", "terminal"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphNode:
    id: str
    """The step id, or :data:`START`."""
    kind: NodeKind
    title: str
    lines: tuple[str, ...] = ()
    """Details under the title: who acts, the deadline, its escalation, timer, skip."""
    outcome: str | None = None
    """A terminal step's outcome."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphEdge:
    """One way from a step to the next: an action's target, a route entry's, a join's
    or spawn's ``to``, or the start's."""

    source: str
    target: str
    label: str = ""
    action: str | None = None
    fork: str | None = None
    """Edges leaving one fork share this id (``step.action``, with ``#n`` for a route
    entry); None for a single target."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcedureGraph:
    id: str
    title: str
    lang: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


def text(label: Mapping[str, str] | None, lang: str, default: str) -> str:
    """The label in ``lang``, else in the nearest other language, else ``default``."""
    if label:
        for choice in (lang, *_fallbacks(lang)):
            if label.get(choice):
                return label[choice]
        for value in label.values():
            if value:
                return value
    return default


def word(key: str, lang: str) -> str:
    return text(_WORDS[key], lang, key)


def _fallbacks(lang: str) -> tuple[str, ...]:
    if lang == "zh-Hant":
        return ("zh-Hans", "en")
    if lang == "zh-Hans":
        return ("zh-Hant", "en")
    return ("en", "zh-Hant", "zh-Hans")


def procedure_graph(proc: ProcedureSpec, estate: EstateSpec, lang: str) -> ProcedureGraph:
    """The graph of ``proc`` as ``estate`` runs it, labelled in ``lang``.

    Args:
        lang: ``zh-Hans``, ``zh-Hant`` or ``en``; missing labels fall back to another
            language, then to ids.
    """
    nodes = [_start_node(proc, estate, lang)]
    nodes += [_node(step, proc, estate, lang) for step in proc.steps.values()]
    edges = _edges(START, proc.start.to, "", None, START)
    for step in proc.steps.values():
        if step.kind == "task":
            for action in step.actions.values():
                name = text(action.label, lang, action.id)
                if action.when is not None:
                    name += f" [{action.when.source}]"
                fork = f"{step.id}.{action.id}"
                edges += _edges(step.id, action.to, name, action.id, fork)
                for n, route in enumerate(action.route, 1):
                    when = route.when.source if route.when else word("otherwise", lang)
                    edges += _edges(step.id, route.to, f"{name}: {when}", action.id, f"{fork}#{n}")
        else:
            edges += _edges(step.id, step.to, "", None, step.id)
    title = text(proc.title, lang, proc.id)
    return ProcedureGraph(
        id=proc.id, title=title, lang=lang, nodes=tuple(nodes), edges=tuple(edges)
    )


def _edges(
    source: str, targets: tuple[str, ...], label: str, action: str | None, fork: str
) -> list[GraphEdge]:
    shared = fork if len(targets) > 1 else None
    return [
        GraphEdge(source=source, target=t, label=label, action=action, fork=shared) for t in targets
    ]


def _start_node(proc: ProcedureSpec, estate: EstateSpec, lang: str) -> GraphNode:
    lines = []
    if proc.start.roles:
        lines.append(" / ".join(_role(r, estate, lang) for r in proc.start.roles))
    if proc.due is not None:
        lines += _deadline(proc.due, proc, estate, lang, "case due")
    return GraphNode(id=START, kind="start", title=word("start", lang), lines=tuple(lines))


def _node(step: StepSpec, proc: ProcedureSpec, estate: EstateSpec, lang: str) -> GraphNode:
    title = text(step.title, lang, step.id)
    lines: list[str] = []
    if step.kind == "terminal":
        lines = [step.terminal] if step.terminal and step.terminal != title else []
        return GraphNode(
            id=step.id, kind="terminal", title=title, lines=tuple(lines), outcome=step.terminal
        )
    if step.kind == "join":
        lines.append(word("join", lang))
    elif step.kind == "spawn" and step.spawn is not None:
        waits = f" {word('waits', lang)}" if step.wait == "child" else ""
        lines.append(f"{word('spawn', lang)} {step.spawn.procedure}{waits}")
    if step.role:
        lines.append(_role(step.role, estate, lang))
    if step.due is not None:
        lines += _deadline(step.due, proc, estate, lang, "due")
    if step.timer is not None:
        action = step.actions.get(step.timer.action)
        name = text(action.label, lang, step.timer.action) if action else step.timer.action
        lines.append(f"{word('timer', lang)} {step.timer.after} → {name}")
    if step.skip_if is not None:
        lines.append(f"{word('skip if', lang)}: {step.skip_if.source}")
    return GraphNode(id=step.id, kind=step.kind, title=title, lines=tuple(lines))


def _role(role: str, estate: EstateSpec, lang: str) -> str:
    spec = estate.roles.get(role)
    return text(spec.label if spec else None, lang, role)


def _deadline(
    due: DeadlineSpec, proc: ProcedureSpec, estate: EstateSpec, lang: str, key: str
) -> list[str]:
    if due.at is not None:
        head = f"{word('due at', lang)} {due.at.source}"
    elif due.within is not None:
        head = f"{word(key, lang)} {_within(due.within, proc, lang)}"
    else:
        return []
    if isinstance(due.warn_at, Decimal):
        head += f"; {word('warn', lang)} {float(due.warn_at) * 100:g}%"
    elif due.warn_at is not None:
        head += f"; {word('warn', lang)} {due.warn_at} {word('before', lang)}"
    lines = [head]
    escalate = due.escalate
    if escalate is not None:
        told = []
        if escalate.notify:
            roles = ", ".join(_role(r, estate, lang) for r in escalate.notify)
            told.append(f"{word('notify', lang)} {roles}")
        if escalate.reassign:
            told.append(f"{word('reassign', lang)} {_role(escalate.reassign, estate, lang)}")
        if escalate.action:
            told.append(f"{word('run', lang)} {escalate.action}")
        if told:
            lines.append("↑ " + "; ".join(told))
    return lines


def _within(within: Any, proc: ProcedureSpec, lang: str) -> str:
    """A literal as written; ``params.x`` or ``params.x[...]`` as the param's values."""
    if not isinstance(within, Expr):
        return str(within)
    match = _PARAM.fullmatch(within.source.strip())
    if match is None or match.group(1) not in proc.params:
        return within.source
    value = proc.params[match.group(1)]
    if isinstance(value, Mapping):
        if match.group(2) is None:
            return within.source
        return " · ".join(f"{k} {_value(v, lang)}" for k, v in value.items())
    if match.group(2) is not None:
        return within.source
    return _value(value, lang)


def _value(value: Any, lang: str) -> str:
    return word("none", lang) if value is None else str(value)
