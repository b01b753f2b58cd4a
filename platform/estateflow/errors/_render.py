from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from estateflow.errors._diagnostic import Diagnostic

SourceReader = Callable[[str], str | None]

#: The line breaks YAML counts (str.splitlines would also break at U+2028, U+0085, …).
_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(source: str | None) -> list[str]:
    """A file's lines as YAML numbers them."""
    return _BREAK.split(source) if source else []


def render(diagnostic: Diagnostic, source: str | Sequence[str] | None) -> str:
    """Compiler-style text: the located message, the source line with a caret, the hint.

    ``source`` is the whole text of ``diagnostic.span.path``, or its lines already split
    with :func:`source_lines` (or None when unreadable).
    """
    span = diagnostic.span
    out = [str(diagnostic)]
    lines = source_lines(source) if isinstance(source, str) or source is None else source
    if span.line and span.line <= len(lines):
        text = lines[span.line - 1]
        number = str(span.line)
        out.append(f"   {number} | {text}")
        start = max(span.col, 1)
        width = 1
        if span.end_col and (span.end_line in (None, span.line)) and span.end_col > start:
            width = span.end_col - start
        width = max(1, min(width, len(text) - start + 1))
        # East Asian wide characters take two columns on a terminal.
        pad = sum(2 if _wide(ch) else 1 for ch in text[: start - 1])
        under = sum(2 if _wide(ch) else 1 for ch in text[start - 1 : start - 1 + width])
        out.append(f"   {' ' * len(number)} | {' ' * pad}{'^' * max(under, 1)}")
    if diagnostic.hint:
        out.append(f"   hint: {diagnostic.hint}")
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], read: SourceReader) -> str:
    """Every diagnostic sorted by position, each rendered with its source, then a count."""
    ordered = sorted(diagnostics, key=lambda d: (d.span.sort_key(), d.code))
    cache: dict[str, list[str]] = {}
    blocks = []
    for diagnostic in ordered:
        path = diagnostic.span.path
        if path not in cache:
            cache[path] = source_lines(read(path))  # split once per file, not per message
        blocks.append(render(diagnostic, cache[path]))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")
