"""Definition data that remembers, for every node, the file and position it came from.

Overlays merge into a base (maps by key, lists replace, ``null`` removes); each node of
the result keeps the position in the file that wrote it, so an error in merged content
points into the overlay when the overlay wrote the offending line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from estateflow.definitions._reader import Document, NodeInfo, NodePath, locate_in_scalar
from estateflow.errors import SourceSpan


@dataclass(slots=True)
class Located:
    """One definition (a procedure, form or estate) with the positions of its nodes."""

    kind: str
    data: Any
    nodes: dict[NodePath, NodeInfo]
    texts: dict[str, str]
    """Source text of every file that contributed, by displayed path."""
    path: str
    """The file that declared it last (the overlay, for merged definitions)."""
    bases: tuple[str, ...] = field(default=())
    """Files it was merged from, base first."""
    broken: bool = False
    """Its file (or a file it merges) failed schema validation: known, but not compiled."""

    @classmethod
    def of(cls, kind: str, doc: Document) -> Located:
        return cls(
            kind=kind,
            data=doc.data,
            nodes=dict(doc.nodes),
            texts={doc.path: doc.text},
            path=doc.path,
        )

    @property
    def id(self) -> str | None:
        value = self.data.get("id") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None

    def span(self, at: NodePath) -> SourceSpan:
        """Where the value at ``at`` stands, or its nearest located ancestor."""
        for end in range(len(at), -1, -1):
            info = self.nodes.get(at[:end])
            if info is not None:
                return info.span
        return SourceSpan(path=self.path, line=1, col=1)

    def key_span(self, at: NodePath) -> SourceSpan:
        """Where the key naming ``at`` stands (for unknown or misplaced keys)."""
        info = self.nodes.get(at)
        if info is not None and info.key is not None:
            return info.key
        return self.span(at)

    def expr_span(self, at: NodePath, offset: int = 0, length: int = 0) -> SourceSpan:
        """The span of part of a scalar expression, shifted into the file."""
        info = self.nodes.get(at)
        if info is None:
            return self.span(at)
        text = self.texts.get(info.span.path, "")
        return locate_in_scalar(text, info, offset, length)

    def merged(self, overlay: Document) -> Located:
        """This definition with ``overlay`` applied (``overlay`` wins)."""
        replaced: list[NodePath] = []
        data = _merge(self.data, overlay.data, (), replaced)
        nodes = {
            path: info
            for path, info in self.nodes.items()
            if not any(path[: len(r)] == r for r in replaced)
        }
        for path, info in overlay.nodes.items():
            if path not in nodes or any(path[: len(r)] == r for r in replaced):
                nodes[path] = info
        # The overlay's own top-level keys (extends, id) always point into the overlay.
        texts = {**self.texts, overlay.path: overlay.text}
        return Located(
            kind=self.kind,
            data=data,
            nodes=nodes,
            texts=texts,
            path=overlay.path,
            bases=(*self.bases, self.path),
            broken=self.broken,
        )


def _merge(base: Any, over: Any, at: NodePath, replaced: list[NodePath]) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            here = (*at, key)
            if value is None:
                out.pop(key, None)
                replaced.append(here)
            elif key in base:
                out[key] = _merge(base[key], value, here, replaced)
            else:
                out[key] = value
                replaced.append(here)
        return out
    replaced.append(at)
    return over
