"""Jinja's expression grammar, with the position of every node inside the text.

Jinja's nodes only carry a line number, and an expression is usually one line, so the
token stream handed to Jinja's parser carries each token's character offset (plus one:
Jinja treats line 0 as unknown) in place of its line. Every node then knows where the
token that made it starts; extents follow from its children and matching brackets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.lexer import TokenStream
from jinja2.parser import Parser

from estateflow.rules._limits import MAX_DEPTH, MAX_EXPRESSION_LENGTH, MAX_INTEGER_DIGITS, MAX_NODES
from estateflow.rules._problems import RuleProblem, RuleSyntaxError

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = frozenset(_OPEN.values())
_UNARY = frozenset({"-", "+", "not"})
# Jinja's names for tokens, as an author would say them.
_JINJA_WORDS = (
    ("'end of template'", "end of the expression"),
    ("'end of print statement'", "end of the expression"),
    ("end of template", "end of the expression"),
    ("end of print statement", "end of the expression"),
    ("begin of print statement", "'{{'"),
)


class _Grammar(Environment):
    """Jinja's lexer and parser only: a rule is compiled by :mod:`._closures`, never by
    Jinja, whose compiler ``exec``s the Python it writes."""

    def compile(self, *args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("rules are never compiled by Jinja")


# Jinja's delimiters set to text no expression can hold (NUL is refused), so that '}}' in
# a dict literal or '{%' cannot end the expression or start a statement.
_GRAMMAR = _Grammar(
    block_start_string="\x00{%",
    block_end_string="\x00%}",
    variable_start_string="\x00{{",
    variable_end_string="\x00}}",
    comment_start_string="\x00{#",
    comment_end_string="\x00#}",
)


@dataclass(frozen=True, slots=True)
class Token:
    offset: int
    end: int
    type: str
    """Jinja's raw token type: 'name', 'operator', 'string', 'integer', 'float'."""
    text: str


@dataclass(slots=True, kw_only=True)
class Parsed:
    """An expression's tree with what is needed to locate any node in its text."""

    source: str
    node: nodes.Expr
    tokens: tuple[Token, ...]
    numbers: dict[int, Decimal]
    """Each number literal's exact value, from its source text, by offset."""
    _index: dict[int, int] = field(default_factory=dict)
    _closing: dict[int, int] = field(default_factory=dict)
    _extents: dict[int, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stack: list[int] = []
        for i, token in enumerate(self.tokens):
            self._index[token.offset] = i
            if token.type == "operator" and token.text in _OPEN:
                stack.append(token.offset)
            elif token.type == "operator" and token.text in _CLOSE and stack:
                self._closing[stack.pop()] = token.end

    def start(self, node: nodes.Node) -> int:
        return self.extent(node)[0]

    def end(self, node: nodes.Node) -> int:
        return self.extent(node)[1]

    def extent(self, node: nodes.Node) -> tuple[int, int]:
        """Where ``node`` starts and ends (exclusive) in the text."""
        found = self._extents.get(id(node))
        if found is not None:
            return found
        start, end = self._own(node)
        for child in node.iter_child_nodes():
            child_start, child_end = self.extent(child)
            start, end = min(start, child_start), max(end, child_end)
        if start > end:
            start, end = 0, len(self.source)
        self._extents[id(node)] = start, end
        return start, end

    def token_at(self, offset: int) -> Token | None:
        i = self._index.get(offset)
        return None if i is None else self.tokens[i]

    def token_after(self, offset: int, skip: int = 1) -> Token | None:
        i = self._index.get(offset)
        if i is None or not 0 <= i + skip < len(self.tokens):
            return None
        return self.tokens[i + skip]

    def find(self, text: str, start: int, end: int) -> Token | None:
        """The first token reading ``text`` between two offsets."""
        for token in self.tokens:
            if start <= token.offset < end and token.text == text:
                return token
        return None

    def attribute_end(self, node: nodes.Getattr | nodes.Getitem) -> int:
        """Where ``.name`` or ``[...]`` of ``node`` ends."""
        return self._own(node)[1]

    def _own(self, node: nodes.Node) -> tuple[int, int]:
        lineno = getattr(node, "lineno", None)
        if not lineno:
            return len(self.source), 0
        offset = lineno - 1
        token = self.token_at(offset)
        if token is None:
            return offset, offset + 1
        end = token.end
        if isinstance(node, nodes.Getattr):
            after = self.token_after(offset)
            end = after.end if after else end
        elif isinstance(node, nodes.Call | nodes.Getitem | nodes.List | nodes.Dict):
            end = self._closing.get(offset, end)
        elif isinstance(node, nodes.Filter):
            after = self.token_after(offset)
            if after is not None and after.text == "(":
                end = self._closing.get(after.offset, end)
        return offset, end


def parse(source: str) -> Parsed:
    """Parse one expression; raises :class:`RuleSyntaxError` with a located problem."""
    if len(source) > MAX_EXPRESSION_LENGTH:
        _fail(
            "too-complex",
            f"the expression is {len(source)} characters long, over {MAX_EXPRESSION_LENGTH}",
            MAX_EXPRESSION_LENGTH,
            len(source) - MAX_EXPRESSION_LENGTH,
            hint="split it, or move the logic into steps and fields",
        )
    if "\x00" in source:
        _fail("rule-syntax", "the expression contains a NUL character", source.index("\x00"), 1)
    if not source.strip():
        _fail(
            "rule-syntax",
            "the expression is empty",
            0,
            max(len(source), 1),
            hint="write an expression, e.g. \"case.severity == 'major'\"",
        )
    # Jinja's lexer turns every line break into "\n"; offsets count in that text, which
    # is the text YAML gives anyway.
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    tokens = _tokenize(text)
    numbers = _prescan(tokens)
    parser = Parser(_GRAMMAR, "", state="variable")
    parser.stream = TokenStream(
        _GRAMMAR.lexer.wrap((t.offset + 1, t.type, t.text) for t in tokens), None, None
    )
    try:
        node = parser.parse_expression()
        if not parser.stream.eos:
            token = parser.stream.current
            hint = "join conditions with 'and' or 'or', and quote text"
            if token.type == "assign":
                hint = "compare with '==', not '='"
            _fail(
                "rule-syntax",
                f"unexpected {_describe(token.value)} after the end of the expression",
                token.lineno - 1,
                len(str(token.value)) if token.type == "name" else 1,
                hint=hint,
            )
    except TemplateSyntaxError as exc:
        _syntax_failure(exc, parser, text, tokens)
    except RecursionError:
        _fail("too-complex", "the expression is nested too deeply", 0, len(text))
    _check_size(node, text)
    return Parsed(source=text, node=node, tokens=tuple(tokens), numbers=numbers)


def _tokenize(text: str) -> list[Token]:
    tokens = []
    offset = 0
    try:
        for _line, kind, value in _GRAMMAR.lexer.tokeniter(text, None, None, "variable"):
            if kind == "name" and not value.isidentifier():
                # Jinja's pattern takes any word character; Python names refuse some (¾, ²).
                _fail("rule-syntax", f"'{value}' is not a valid name", offset, len(value))
            if kind != "whitespace":
                tokens.append(Token(offset, offset + len(value), kind, value))
            offset += len(value)
    except TemplateSyntaxError as exc:
        message = str(exc.message or "")
        char = text[offset] if offset < len(text) else ""
        if message.startswith("unexpected char") and char in "'\"":
            _fail(
                "rule-syntax",
                "this text is never closed",
                offset,
                len(text) - offset,
                hint=f"end it with a matching {char}",
            )
        if message.startswith("unexpected char"):
            _fail("rule-syntax", f"unexpected character {char!r}", offset, 1)
        _fail(
            "rule-syntax",
            _reword(message),
            offset,
            1,
            hint="check that every bracket is closed by its own kind",
        )
    return tokens


def _prescan(tokens: list[Token]) -> dict[int, Decimal]:
    """Read number literals exactly and refuse nesting Jinja's recursive parser would choke on."""
    numbers = {}
    depth = run = 0
    for token in tokens:
        if token.type in ("integer", "float"):
            numbers[token.offset] = _number(token)
        if token.type == "operator" and token.text in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                _fail("too-complex", f"brackets nest deeper than {MAX_DEPTH}", token.offset, 1)
        elif token.type == "operator" and token.text in _CLOSE:
            depth -= 1
        run = run + 1 if token.text in _UNARY else 0
        if run > MAX_DEPTH:
            _fail(
                "too-complex",
                f"more than {MAX_DEPTH} signs or 'not' in a row",
                token.offset,
                len(token.text),
            )
    return numbers


_BASE_PREFIX = re.compile(r"0[box]", re.IGNORECASE)


def _number(token: Token) -> Decimal:
    """The literal's value from its text: 0.1 is exactly one tenth, never a float's guess."""
    digits = token.text.replace("_", "")
    too_big = RuleProblem(
        code="rule-limit",
        message=f"the number has more than {MAX_INTEGER_DIGITS} digits before the point",
        offset=token.offset,
        length=len(token.text),
    )
    if _BASE_PREFIX.match(digits):
        if len(digits) > 4 * MAX_INTEGER_DIGITS:
            raise RuleSyntaxError([too_big])
        value = Decimal(int(digits, 0))
    else:
        try:
            value = Decimal(digits)
        except InvalidOperation:  # the lexer's patterns make this unreachable
            _fail("rule-syntax", f"'{token.text}' is not a number", token.offset, len(token.text))
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise RuleSyntaxError([too_big])
    return value


def _check_size(node: nodes.Node, text: str) -> None:
    """Count nodes and depth without recursion: a long chain like 1+1+1+… is deep."""
    count = 0
    stack: list[tuple[nodes.Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            offset = (current.lineno or 1) - 1
            _fail(
                "too-complex",
                f"the expression nests deeper than {MAX_DEPTH} levels",
                offset,
                1,
                hint="split it into simpler expressions",
            )
        if count > MAX_NODES:
            _fail(
                "too-complex",
                f"the expression has more than {MAX_NODES} parts",
                0,
                len(text),
                hint="split it into simpler expressions",
            )
        stack.extend((child, depth + 1) for child in current.iter_child_nodes())


def _syntax_failure(
    exc: TemplateSyntaxError, parser: Parser, text: str, tokens: list[Token]
) -> NoReturn:
    current = parser.stream.current
    message = _reword(str(exc.message or "syntax error"))
    hint = None
    if current.type == "eof":
        offset = len(text.rstrip())
        length = 1
        hint = "the expression ends too early"
        unclosed = _unclosed(tokens)
        if unclosed:
            message = f"unexpected end of the expression: '{unclosed}' is never closed"
            hint = f"add the missing '{_OPEN[unclosed]}'"
    else:
        offset = max((exc.lineno or 1) - 1, 0)
        token_length = len(str(current.value)) if current.lineno == exc.lineno else 1
        length = max(token_length, 1)
    if "'='" in message or current.type == "assign":
        hint = "compare with '==', not '='"
    _fail("rule-syntax", message, offset, length, hint=hint)


def _unclosed(tokens: list[Token]) -> str | None:
    """The innermost bracket left open at the end, if any."""
    stack = []
    for token in tokens:
        if token.type == "operator" and token.text in _OPEN:
            stack.append(token.text)
        elif token.type == "operator" and token.text in _CLOSE and stack:
            stack.pop()
    return stack[-1] if stack else None


def _reword(message: str) -> str:
    for jinja, ours in _JINJA_WORDS:
        message = message.replace(jinja, ours)
    message = message.rstrip(".")
    return message[:1].lower() + message[1:]


def _describe(value: object) -> str:
    text = str(value)
    return f"'{text}'" if text else "text"


def _fail(code: str, message: str, offset: int, length: int, hint: str | None = None) -> NoReturn:
    raise RuleSyntaxError(
        [RuleProblem(code=code, message=message, offset=offset, length=max(length, 1), hint=hint)]
    )
