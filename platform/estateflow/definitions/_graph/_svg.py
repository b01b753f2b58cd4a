"""Draw a procedure graph as standalone SVG, laid out by :mod:`._layout`.

Built with ElementTree, so every label is escaped; styles are presentation attributes
(no ``<style>`` or script), so the drawing also works inline under a strict CSP. Text
widths are estimated on the wide side (a CJK character as one em, others as 0.6 em, or
0.66 em bold): the drawing never asks a font.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from estateflow.definitions._graph._layout import Box, Layout, Link, Point, layout
from estateflow.definitions._graph._model import START, GraphEdge, GraphNode, ProcedureGraph

SVG_NS = "http://www.w3.org/2000/svg"
TITLE_SIZE = 13.0
LINE_SIZE = 11.0
LABEL_SIZE = 11.0
PAD = 8.0
MIN_WIDTH = 96.0
MAX_TEXT = 200.0
"""Widest line of text in a box before it wraps."""
MAX_LABEL = 160.0
BAR = (6.0, 18.0)
"""Height of a fork bar, and its width per branch."""
INK = "#1f2937"
MUTED = "#475569"
_FONTS = {
    "zh-Hans": "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif",
    "zh-Hant": "'Noto Sans CJK TC','Source Han Sans TC','PingFang TC','Microsoft JhengHei',"
    "sans-serif",
    "en": "system-ui,'Segoe UI','Helvetica Neue',Arial,sans-serif",
}
#: Fill and stroke by kind of node, and of terminal by outcome.
_STYLE = {
    "start": ("#1e293b", "#1e293b"),
    "task": ("#eff6ff", "#2563eb"),
    "join": ("#e2e8f0", "#334155"),
    "spawn": ("#f5f3ff", "#7c3aed"),
    "resolved": ("#dcfce7", "#15803d"),
    "stopped": ("#fee2e2", "#b91c1c"),
    "other": ("#fef3c7", "#b45309"),
}
_STOPPED = frozenset({"cancelled", "rejected", "invalid"})
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_svg(graph: ProcedureGraph) -> str:
    """The graph as an SVG document (a string without an XML declaration)."""
    return _Drawing(graph).draw()


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    narrow = size * (0.66 if bold else 0.6)
    return sum(size if _wide(ch) else narrow for ch in text)


def wrap(text: str, limit: float, size: float, *, bold: bool = False) -> list[str]:
    """Lines of at most ``limit`` wide: CJK may break between any two characters, other
    words only at spaces (a word longer than the limit keeps a line to itself)."""
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        if current and text_width(current + token, size, bold=bold) > limit:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Runs of spaces, single wide characters, and runs of anything else."""
    tokens: list[str] = []
    for ch in text:
        kind = "space" if ch.isspace() else "wide" if _wide(ch) else "word"
        if tokens and kind != "wide" and _kind(tokens[-1]) == kind:
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _kind(token: str) -> str:
    return "space" if token[0].isspace() else "wide" if _wide(token[0]) else "word"


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Drawing:
    def __init__(self, graph: ProcedureGraph) -> None:
        self.graph = graph
        self.prefix = "ef-" + re.sub(r"[^a-z0-9_-]", "-", graph.id)
        self.texts: dict[str, tuple[list[str], list[str]]] = {}
        self.boxes: list[Box] = []
        self.links: list[Link] = []
        self.link_of: list[tuple[str, GraphEdge | None, str]] = []
        """Per link: what it draws ('edge', 'stem' or 'branch'), its edge, its fork."""

    # -- sizes and the layout ----------------------------------------------------------------
    def measure(self) -> None:
        for node in self.graph.nodes:
            title = wrap(_clean(node.title), MAX_TEXT, TITLE_SIZE, bold=True)
            lines = [ln for raw in node.lines for ln in wrap(_clean(raw), MAX_TEXT, LINE_SIZE)]
            self.texts[node.id] = (title, lines)
            width = max(
                [text_width(t, TITLE_SIZE, bold=True) for t in title]
                + [text_width(t, LINE_SIZE) for t in lines]
            )
            height = PAD * 2 + len(title) * TITLE_SIZE * 1.3 + len(lines) * LINE_SIZE * 1.35
            self.boxes.append(Box(id=node.id, width=max(MIN_WIDTH, width + PAD * 3), height=height))
        forks: dict[str, list[GraphEdge]] = {}
        for edge in self.graph.edges:
            if edge.fork is None:
                self.add_link(edge.source, edge.target, edge.label, ("edge", edge, ""))
            else:
                forks.setdefault(edge.fork, []).append(edge)
        for fork, edges in forks.items():
            bar = f"{fork}\x00fork"
            height, per_branch = BAR
            # Right after the step it leaves: the layout reads the order as the flow.
            after = next(n for n, b in enumerate(self.boxes) if b.id == edges[0].source)
            self.boxes.insert(
                after + 1,
                Box(id=bar, width=per_branch * (len(edges) + 1), height=height, spread=0.9),
            )
            self.add_link(edges[0].source, bar, edges[0].label, ("stem", edges[0], fork))
            for edge in edges:
                self.add_link(bar, edge.target, "", ("branch", edge, fork))

    def add_link(
        self, source: str, target: str, label: str, what: tuple[str, GraphEdge | None, str]
    ) -> None:
        lines = wrap(_clean(label), MAX_LABEL, LABEL_SIZE) if label else []
        width = max((text_width(t, LABEL_SIZE) for t in lines), default=0.0)
        self.links.append(
            Link(
                source=source,
                target=target,
                label_width=width + 6 if lines else 0.0,
                label_height=len(lines) * LABEL_SIZE * 1.3 + 4 if lines else 0.0,
            )
        )
        self.link_of.append(what)

    # -- drawing -----------------------------------------------------------------------------
    def draw(self) -> str:
        self.measure()
        placed = layout(self.boxes, self.links)
        graph = self.graph
        svg = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "width": _n(placed.width),
                "height": _n(placed.height),
                "viewBox": f"0 0 {_n(placed.width)} {_n(placed.height)}",
                "role": "img",
                "aria-labelledby": f"{self.prefix}-title",
                "font-family": _FONTS.get(graph.lang, _FONTS["en"]),
                "class": "procedure-graph",
                "data-procedure": graph.id,
                "lang": graph.lang,
            },
        )
        title = ET.SubElement(svg, "title", {"id": f"{self.prefix}-title"})
        title.text = _clean(f"{graph.title} ({graph.id})")
        defs = ET.SubElement(svg, "defs")
        marker = ET.SubElement(
            defs,
            "marker",
            {
                "id": f"{self.prefix}-arrow",
                "viewBox": "0 0 10 10",
                "refX": "9",
                "refY": "5",
                "markerWidth": "7",
                "markerHeight": "7",
                "orient": "auto-start-reverse",
            },
        )
        ET.SubElement(marker, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": MUTED})
        edges = ET.SubElement(svg, "g", {"class": "edges"})
        self.draw_edges(edges, placed)
        nodes = ET.SubElement(svg, "g", {"class": "nodes"})
        for node in graph.nodes:
            self.draw_node(nodes, node, placed.centers[node.id])
        ET.indent(svg, space=" ")
        return ET.tostring(svg, encoding="unicode") + "\n"

    def draw_edges(self, parent: ET.Element, placed: Layout) -> None:
        forks: dict[str, ET.Element] = {}
        for i, (what, edge, fork) in enumerate(self.link_of):
            assert edge is not None
            path = placed.paths[i]
            if what == "stem":
                group = ET.SubElement(
                    parent,
                    "g",
                    {"class": "fork", "data-from": edge.source, "data-action": edge.action or ""},
                )
                forks[fork] = group
                self.line(group, path, arrow=False)
                center = placed.centers[f"{fork}\x00fork"]
                box = next(b for b in self.boxes if b.id == f"{fork}\x00fork")
                ET.SubElement(
                    group,
                    "rect",
                    {
                        "class": "fork-bar",
                        "x": _n(center[0] - box.width / 2),
                        "y": _n(center[1] - box.height / 2),
                        "width": _n(box.width),
                        "height": _n(box.height),
                        "rx": "2",
                        "fill": INK,
                    },
                )
            else:
                attrs = {"class": "edge", "data-from": edge.source, "data-to": edge.target}
                if edge.action:
                    attrs["data-action"] = edge.action
                group = ET.SubElement(parent, "g", attrs)
                self.line(group, path, arrow=True)
            label = placed.labels[i]
            if label is not None and what != "branch":
                self.label(group, label, edge.label)

    def line(self, parent: ET.Element, points: Sequence[Point], *, arrow: bool) -> None:
        (x0, y0), rest = points[0], points[1:]
        d = [f"M{_n(x0)},{_n(y0)}"]
        if len(points) == 2:  # back to its own box: every other link has a point between
            (x1, y1) = points[1]
            d.append(f"C{_n(x0 + 40)},{_n(y0 - 20)} {_n(x1 + 40)},{_n(y1 + 20)} {_n(x1)},{_n(y1)}")
        else:
            for x1, y1 in rest:
                mid = (y0 + y1) / 2
                d.append(f"C{_n(x0)},{_n(mid)} {_n(x1)},{_n(mid)} {_n(x1)},{_n(y1)}")
                x0, y0 = x1, y1
        attrs = {"d": " ".join(d), "fill": "none", "stroke": MUTED, "stroke-width": "1.4"}
        if arrow:
            attrs["marker-end"] = f"url(#{self.prefix}-arrow)"
        ET.SubElement(parent, "path", attrs)

    def label(self, parent: ET.Element, at: Point, text: str) -> None:
        lines = wrap(_clean(text), MAX_LABEL, LABEL_SIZE)
        width = max(text_width(t, LABEL_SIZE) for t in lines) + 6
        height = len(lines) * LABEL_SIZE * 1.3 + 4
        group = ET.SubElement(parent, "g", {"class": "edge-label"})
        ET.SubElement(
            group,
            "rect",
            {
                "x": _n(at[0]),
                "y": _n(at[1]),
                "width": _n(width),
                "height": _n(height),
                "rx": "3",
                "fill": "#ffffff",
                "fill-opacity": "0.9",
            },
        )
        self.text_lines(group, lines, at[0] + 3, at[1] + 2, LABEL_SIZE, MUTED, anchor="start")

    def draw_node(self, parent: ET.Element, node: GraphNode, center: Point) -> None:
        box = next(b for b in self.boxes if b.id == node.id)
        x, y = center[0] - box.width / 2, center[1] - box.height / 2
        kind = node.kind
        if kind == "terminal":
            style = "resolved" if node.outcome == "resolved" else "other"
            style = "stopped" if node.outcome in _STOPPED else style
        else:
            style = kind
        fill, stroke = _STYLE[style]
        classes = f"node {kind}" + (f" outcome-{node.outcome}" if node.outcome else "")
        attrs = {"class": "start" if kind == "start" else classes}
        if node.id != START:
            attrs["data-step"] = node.id
        group = ET.SubElement(parent, "g", attrs)
        rounded = box.height / 2 if kind in ("start", "terminal") else 6.0
        shape = {
            "x": _n(x),
            "y": _n(y),
            "width": _n(box.width),
            "height": _n(box.height),
            "rx": _n(min(rounded, 18.0) if kind != "terminal" else rounded),
            "fill": fill,
            "stroke": stroke,
            "stroke-width": "2.4" if kind == "terminal" else "1.4",
        }
        ET.SubElement(group, "rect", shape)
        if kind == "spawn":  # a second frame inside: the step runs a whole other case
            inner = dict(shape, x=_n(x + 3), y=_n(y + 3))
            inner.update(width=_n(box.width - 6), height=_n(box.height - 6), fill="none")
            ET.SubElement(group, "rect", inner)
        colour = "#ffffff" if kind == "start" else INK
        title, lines = self.texts[node.id]
        top = y + PAD
        self.text_lines(group, title, center[0], top, TITLE_SIZE, colour, bold=True)
        top += len(title) * TITLE_SIZE * 1.3
        muted = "#e2e8f0" if kind == "start" else MUTED
        self.text_lines(group, lines, center[0], top + 2, LINE_SIZE, muted, spacing=1.35)

    @staticmethod
    def text_lines(
        parent: ET.Element,
        lines: Sequence[str],
        x: float,
        top: float,
        size: float,
        colour: str,
        *,
        anchor: str = "middle",
        bold: bool = False,
        spacing: float = 1.3,
    ) -> None:
        for n, line in enumerate(lines):
            attrs = {
                "x": _n(x),
                "y": _n(top + size * (n * spacing + 1) - 1),
                "font-size": _n(size),
                "fill": colour,
                "text-anchor": anchor,
            }
            if bold:
                attrs["font-weight"] = "600"
            ET.SubElement(parent, "text", attrs).text = line
