"""Procedures drawn: a graph model of steps and transitions, Mermaid text, and SVG laid
out by our own small layered layout (no Node, no Graphviz, no network)."""

from estateflow.definitions._graph._mermaid import render_mermaid
from estateflow.definitions._graph._model import (
    GraphEdge,
    GraphNode,
    ProcedureGraph,
    procedure_graph,
)
from estateflow.definitions._graph._svg import render_svg

__all__ = (
    "GraphEdge",
    "GraphNode",
    "ProcedureGraph",
    "procedure_graph",
    "render_mermaid",
    "render_svg",
)
