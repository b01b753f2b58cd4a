"""Write a procedure graph as a Mermaid flowchart (``flowchart TD``).

Shapes: the start and terminals as stadiums, tasks as rounded boxes, joins as hexagons,
spawn steps as subroutines; a fork is a small black node its branches leave from. Every
label is quoted and escaped with Mermaid's ``#code;`` entities, so quotes, brackets,
pipes and markup in a title stay text.
"""

from __future__ import annotations

import re

from estateflow.definitions._graph._model import START, GraphEdge, GraphNode, ProcedureGraph

_SHAPES = {
    "start": ('(["', '"])'),
    "task": ('("', '")'),
    "join": ('{{"', '"}}'),
    "spawn": ('[["', '"]]'),
    "terminal": ('(["', '"])'),
}
_CLASSES = (
    "classDef start fill:#1e293b,stroke:#1e293b,color:#ffffff",
    "classDef task fill:#eff6ff,stroke:#2563eb",
    "classDef join fill:#e2e8f0,stroke:#334155",
    "classDef spawn fill:#f5f3ff,stroke:#7c3aed",
    "classDef fork fill:#1f2937,stroke:#1f2937,color:#1f2937",
    "classDef resolved fill:#dcfce7,stroke:#15803d,stroke-width:2px",
    "classDef stopped fill:#fee2e2,stroke:#b91c1c,stroke-width:2px",
    "classDef other fill:#fef3c7,stroke:#b45309,stroke-width:2px",
)
_STOPPED = frozenset({"cancelled", "rejected", "invalid"})
# Words Mermaid's flowchart grammar reads as keywords, not node ids.
_RESERVED = frozenset(
    {"end", "graph", "flowchart", "subgraph", "direction", "class", "classdef", "style"}
    | {"linkstyle", "click", "call", "href", "default", "interpolate"}
)
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
_ENTITIES |= {"|": "#124;", "`": "#96;"}


def render_mermaid(graph: ProcedureGraph) -> str:
    """The graph as Mermaid flowchart text, ending with a newline."""
    ids = _node_ids(graph)
    out = [f"%% {_comment(graph.id)}: {_comment(graph.title)}", "flowchart TD"]
    for node in graph.nodes:
        out.append(f"    {ids[node.id]}{_shape(node)}:::{_class(node)}")
    forks: dict[str, list[GraphEdge]] = {}
    for edge in graph.edges:
        if edge.fork is not None:
            forks.setdefault(edge.fork, []).append(edge)
    drawn: set[str] = set()
    for edge in graph.edges:
        source, target = ids[edge.source], ids[edge.target]
        if edge.fork is None:
            out.append(f"    {source} {_arrow(edge.label)} {target}")
            continue
        bar = ids[f"{edge.fork}\x00fork"]
        if edge.fork not in drawn:
            drawn.add(edge.fork)
            out.append(f'    {bar}[" "]:::fork')
            out.append(f"    {source} {_arrow(edge.label)} {bar}")
        out.append(f"    {bar} --> {target}")
    out += [f"    {line}" for line in _CLASSES]
    return "\n".join(out) + "\n"


def _node_ids(graph: ProcedureGraph) -> dict[str, str]:
    """Mermaid ids: the step id where Mermaid takes it as one, else a safe spelling,
    kept distinct from every other."""
    steps = [node.id for node in graph.nodes if node.id != START]
    forks = list(dict.fromkeys(e.fork for e in graph.edges if e.fork))
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name, base in [
        *((s, s) for s in steps),
        (START, "start"),
        *((f"{f}\x00fork", "fork_" + f.lstrip("_")) for f in forks),
    ]:
        safe = re.sub(r"[^A-Za-z0-9_]", "_", base)
        if safe.lower() in _RESERVED:
            safe += "_"
        candidate, n = safe, 1
        while candidate in taken:
            n += 1
            candidate = f"{safe}_{n}"
        taken.add(candidate)
        ids[name] = candidate
    return ids


def _shape(node: GraphNode) -> str:
    opening, closing = _SHAPES[node.kind]
    text = "<br/>".join(_escape(t) for t in (node.title, *node.lines))
    return f"{opening}{text}{closing}"


def _class(node: GraphNode) -> str:
    if node.kind == "terminal":
        if node.outcome == "resolved":
            return "resolved"
        return "stopped" if node.outcome in _STOPPED else "other"
    return node.kind


def _arrow(label: str) -> str:
    return f'-->|"{_escape(label)}"|' if label else "-->"


def _escape(text: str) -> str:
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def _comment(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
