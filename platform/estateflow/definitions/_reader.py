"""Read one YAML or JSON file into plain data plus the position of every node.

We compose the node graph with ruamel.yaml (YAML 1.2: ``no`` and ``8:30`` stay strings)
and build the Python values ourselves, so that: duplicate keys are errors instead of the
last one silently winning; timestamps stay strings (``fields`` parses dates, not YAML);
floats become Decimal from their source text (money never passes through float); and an
alias is counted each time it is used, which stops a "billion laughs" file early.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from estateflow.errors import Diagnostic, SourceSpan

#: Largest definition file we read; a handbook procedure is a few kilobytes (the largest
#: in the library, 7.5 kB). Pure-Python YAML reads dense text at about 15 µs a byte, so a
#: file at this cap parses in a few seconds at worst; one at 1 MB took 16 s.
MAX_FILE_BYTES = 250_000
#: Values built from one file, counting every use of an alias again.
MAX_NODES = 100_000
#: Times one file may use aliases at all.
MAX_ALIAS_USES = 200
#: Nesting depth of mappings and lists.
MAX_DEPTH = 64

NodePath = tuple[str | int, ...]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """Where a value (and the key that names it) stands, and how its scalar was written."""

    span: SourceSpan
    key: SourceSpan | None
    style: str | None
    """``'"'`` or ``"'"`` for quoted scalars, ``'|'``/``'>'`` for block scalars, else None."""


@dataclass(frozen=True, slots=True)
class Document:
    path: str
    text: str
    data: Any
    nodes: dict[NodePath, NodeInfo]


class _Abort(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic)
        self.diagnostic = diagnostic


class _TooDeep(Exception):
    def __init__(self, mark: Any) -> None:
        super().__init__(mark)
        self.mark = mark


class _NestingComposer(Composer):
    """ruamel composes nested values by recursion, so ten thousand open brackets overflow
    Python's stack before the builder could count them: stop at ``MAX_DEPTH`` here."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self.nesting = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.nesting > MAX_DEPTH:
            raise _TooDeep(self.parser.peek_event().start_mark)
        self.nesting += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.nesting -= 1


def read_document(path: str | Path, display: str | None = None) -> Document | Diagnostic:
    """The file's data and positions, or the first diagnostic that stopped reading it."""
    shown = display or str(path)
    try:
        with open(path, "rb") as file:
            # Never more than the cap: a sparse file of gigabytes would not fit in memory.
            raw = file.read(MAX_FILE_BYTES + 1)
            size = max(len(raw), os.fstat(file.fileno()).st_size)
    except OSError as exc:
        return Diagnostic(
            code="unreadable-file",
            message=f"cannot read '{shown}': {exc.strerror or exc}",
            span=SourceSpan(path=shown),
        )
    if len(raw) > MAX_FILE_BYTES:
        return Diagnostic(
            code="too-large",
            message=f"the file has {size:,} bytes, more than the {MAX_FILE_BYTES:,} allowed",
            span=SourceSpan(path=shown, line=1, col=1),
            hint="split it into several definitions",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Diagnostic(
            code="bad-encoding",
            message=f"byte {exc.start} is not valid UTF-8",
            span=SourceSpan(path=shown, line=line, col=1),
            hint="save the file as UTF-8",
        )
    return parse_text(text, shown)


#: Control characters YAML refuses, each shown as U+FFFD (one for one, so columns hold):
#: printed raw, ESC sequences would drive the terminal that shows the source line.
_UNSHOWABLE = {
    code: 0xFFFD for code in (*range(0x20), *range(0x7F, 0xA0)) if code not in (9, 10, 13, 0x85)
}


def source_text(path: str | Path) -> str | None:
    """The text of a file that could not be read as a definition, for showing its lines
    (undecodable bytes and control characters replaced); None when it is unreadable or
    over the size cap."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_FILE_BYTES:
        return None
    return raw.decode("utf-8-sig", errors="replace").translate(_UNSHOWABLE)


def parse_text(text: str, path: str) -> Document | Diagnostic:
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _NestingComposer
    try:
        root = yaml.compose(text)
    except _TooDeep as exc:
        return Diagnostic(
            code="too-large",
            message=f"values are nested more than {MAX_DEPTH} levels deep",
            span=_span(path, exc.mark.line, exc.mark.column),
        )
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        hint = None
        if exc.context and exc.problem and exc.context_mark:
            opened = f"{exc.context.strip()} that starts at line {exc.context_mark.line + 1}"
            if "<stream end>" in problem:
                # Something opened was never closed: point at where it opens.
                mark = exc.context_mark
                problem = f"{exc.context.strip().removeprefix('while parsing ')} is never closed"
                hint = "close it, or check the brackets and quotes after it"
            else:
                hint = opened
        if "\t" in text and "tab" in problem:
            hint = "YAML indents with spaces, never tabs"
        return Diagnostic(
            code="json-syntax" if path.endswith(".json") else "yaml-syntax",
            message=problem,
            span=_span(path, mark.line, mark.column) if mark else SourceSpan(path=path),
            hint=hint,
        )
    except ReaderError as exc:  # a character YAML does not allow; the reader keeps no marks
        line, col = _line_col(text, exc.position)
        return Diagnostic(
            code="json-syntax" if path.endswith(".json") else "yaml-syntax",
            message=f"character U+{exc.character:04X} is not allowed in a definition file",
            span=SourceSpan(path=path, line=line, col=col),
            hint=f"remove it, or inside double quotes write it as \\u{exc.character:04x}",
        )
    except YAMLError as exc:  # unmarked: rare
        return Diagnostic(
            code="yaml-syntax", message=str(exc).splitlines()[0], span=SourceSpan(path=path)
        )
    builder = _Builder(path)
    try:
        data = None if root is None else builder.build(root, (), 0, None)
    except _Abort as abort:
        return abort.diagnostic
    return Document(path=path, text=text, data=data, nodes=builder.nodes)


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.nodes: dict[NodePath, NodeInfo] = {}
        self.count = 0
        self.aliases = 0
        self.seen: set[int] = set()

    def build(self, node: Node, at: NodePath, depth: int, key: SourceSpan | None) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self._abort("too-large", f"the file expands to more than {MAX_NODES:,} values", node)
        if depth > MAX_DEPTH:
            self._abort("too-large", f"values are nested more than {MAX_DEPTH} levels deep", node)
        # compose() hands back the very same node object for every use of an alias. An
        # anchored text counts too: one long text aliased thousands of times is quoted
        # into as many messages. Texts inside an aliased list or mapping are not counted.
        if id(node) in self.seen and (
            not isinstance(node, ScalarNode) or getattr(node, "anchor", None)
        ):
            self.aliases += 1
            if self.aliases > MAX_ALIAS_USES:
                self._abort(
                    "too-many-aliases",
                    f"the value anchored here is reached through aliases more than "
                    f"{MAX_ALIAS_USES} times in all",
                    node,
                    hint="write the values out, or use far fewer aliases",
                )
        self.seen.add(id(node))
        style = node.style if isinstance(node, ScalarNode) and node.style else None
        self.nodes.setdefault(at, NodeInfo(self._node_span(node), key, style))
        if isinstance(node, MappingNode):
            return self._mapping(node, at, depth)
        if isinstance(node, SequenceNode):
            return [
                self.build(item, (*at, i), depth + 1, None) for i, item in enumerate(node.value)
            ]
        return self._scalar(node)

    def _mapping(self, node: MappingNode, at: NodePath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first: dict[str, SourceSpan] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._abort(
                    "bad-value",
                    "YAML merge keys ('<<') are not supported",
                    key_node,
                    hint="use 'extends' to build on another definition",
                )
            if not isinstance(key_node, ScalarNode):
                self._abort("wrong-type", "a mapping key must be a plain value", key_node)
            key = str(self._scalar(key_node)) if key_node.value != "" else ""
            key_span = _span(self.path, key_node.start_mark.line, key_node.start_mark.column)
            if key in first:
                self._abort(
                    "duplicate-key",
                    f"key '{key}' appears twice in this mapping",
                    key_node,
                    hint=f"the first '{key}' is at line {first[key].line}; keep one of them",
                )
            first[key] = key_span
            out[key] = self.build(value_node, (*at, key), depth + 1, key_span)
        return out

    @staticmethod
    def _scalar(node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if node.style:  # quoted or block: always a string
            return value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value == "true" or value == "True" or value == "TRUE"
        if tag == "tag:yaml.org,2002:int":
            text = value.replace("_", "")
            try:
                if text.startswith(("0x", "0X")):
                    return int(text, 16)
                if text.startswith(("0o", "0O")):
                    return int(text, 8)
                return int(text)
            except ValueError:
                return value
        if tag == "tag:yaml.org,2002:float":
            try:
                number = Decimal(value.replace("_", ""))
            except InvalidOperation:
                return value  # .inf and .nan: no definition needs them; the schema says so
            return number if number.is_finite() else value
        return value  # strings, and timestamps kept as written

    def _node_span(self, node: Node) -> SourceSpan:
        start, end = node.start_mark, node.end_mark
        if isinstance(node, ScalarNode) and node.style in ("|", ">") and node.value:
            # A block scalar's marks start at its indicator; its text starts a line below.
            return SourceSpan(path=self.path, line=start.line + 2, col=_indent_of(node, start) + 1)
        if isinstance(node, ScalarNode) and node.style in ("|", ">"):
            # Empty, perhaps at the end of the file: there is no line below to point at.
            return _span(self.path, start.line, start.column)
        # A quoted scalar's span covers its text, inside the quotes.
        inside = 1 if isinstance(node, ScalarNode) and node.style in ('"', "'") else 0
        return SourceSpan(
            path=self.path,
            line=start.line + 1,
            col=start.column + 1 + inside,
            end_line=end.line + 1,
            end_col=end.column + 1 - inside,
        )

    def _abort(self, code: str, message: str, node: Node, hint: str | None = None) -> None:
        mark = node.start_mark
        raise _Abort(
            Diagnostic(
                code=code, message=message, span=_span(self.path, mark.line, mark.column), hint=hint
            )
        )


def _indent_of(node: ScalarNode, start: Any) -> int:
    buffer = getattr(start, "buffer", None)
    if not buffer:
        return start.column
    lines = _LINE_BREAK.split(buffer)
    for line in lines[start.line + 1 :]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return start.column


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting lines as the YAML reader's
    marks do: YAML 1.2 breaks lines at LF, CRLF and CR only (not at U+2028 or U+0085)."""
    lines = _LINE_BREAK.split(text[:index])
    return len(lines), len(lines[-1]) + 1


def _span(path: str, line0: int, col0: int) -> SourceSpan:
    return SourceSpan(path=path, line=line0 + 1, col=col0 + 1)


def locate_in_scalar(doc_text: str, info: NodeInfo, offset: int, length: int) -> SourceSpan:
    """The span of characters ``offset``..``offset+length`` of a scalar's value.

    Exact for one-line scalars (the usual expression); for block and multi-line scalars
    it walks the source lines, counting each folded line break as one character. The
    underline stops at the end of the line it starts on.
    """
    span = info.span
    if info.style not in ("|", ">") and (span.end_line in (None, span.line)):
        part = span.shifted(offset, length)
        if part.end_col and span.end_col and part.end_col > span.end_col:
            # A problem at the very end ("1 +" stops short) underlines nothing past it.
            end_col = span.end_col if span.end_col > part.col else None
            part = replace(part, end_line=part.end_line if end_col else None, end_col=end_col)
        return part
    lines = _LINE_BREAK.split(doc_text)
    block = info.style in ("|", ">")
    line_no = span.line
    col = span.col
    end = 0
    remaining = offset
    for index in range(span.line - 1, len(lines)):
        line = lines[index]
        indent = len(line) - len(line.lstrip(" "))
        if index == span.line - 1:
            start = col - 1
        elif block:
            # A block scalar's lines start at its indentation; spaces beyond it (a more
            # indented line of '>') belong to the text.
            start = min(indent, span.col - 1)
        else:
            start = indent
        content = line[start:].rstrip()
        if remaining <= len(content):
            line_no, col = index + 1, start + 1 + remaining
            end = start + len(content) + 1
            break
        remaining -= len(content) + 1
    else:
        return span
    end_col = min(col + length, end) if length and end > col else None
    return SourceSpan(
        path=span.path,
        line=line_no,
        col=col,
        end_line=line_no if end_col else None,
        end_col=end_col,
    )


def iter_files(root: Path) -> Iterator[Path]:
    """Definition files under ``root`` (or ``root`` itself), sorted, skipping hidden folders."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.is_file() and path.suffix in (".yaml", ".yml", ".json"):
            yield path
