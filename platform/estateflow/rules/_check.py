"""The allowlist: every node of a parsed expression is checked BEFORE anything compiles.

Compiling first is not safe: Jinja folds constants while compiling, so ``'ab'*10**8``
allocates 200 MB and ``7**300000000`` never finishes (measured). The same walk records
the names each rule uses, turns number literals into Decimals and points calls of listed
functions at their implementations.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from jinja2 import nodes

from estateflow.rules._functions import FILTERS, FUNCTIONS, Function
from estateflow.rules._limits import MAX_LIST_LENGTH, MAX_STRING_LENGTH
from estateflow.rules._parse import Parsed
from estateflow.rules._problems import RuleProblem
from estateflow.rules._registers import REGISTER_METHODS

#: Names Jinja or Python would give meaning to; none of them is data.
RESERVED_NAMES = frozenset(
    {
        "caller",
        "config",
        "context",
        "cycler",
        "dict",
        "environment",
        "joiner",
        "kwargs",
        "lipsum",
        "loop",
        "namespace",
        "range",
        "request",
        "self",
        "super",
        "varargs",
    }
)

_LITERALS = (nodes.Const, nodes.List, nodes.Tuple, nodes.Dict)
_ARITHMETIC = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod)
_FORBIDDEN_KINDS: dict[type[nodes.Node], tuple[str, str | None]] = {
    nodes.Pow: ("'**' is not allowed", "multiply instead, e.g. 'x * x'"),
    nodes.Concat: ("'~' is not allowed", "join texts with '+'"),
    nodes.Test: ("tests with 'is' are not allowed", "compare instead, e.g. 'x == none'"),
    nodes.Slice: ("slices are not allowed", "pick single items, e.g. 'x[0]'"),
}
_FUNCTIONS_MODULE = "estateflow.rules._functions"
_RESERVED_HINT = "read data through its fields only, e.g. 'case.severity'"
_CALL_HINT = (
    "call one of {functions}, or query a register: 'registers.cards.count(unit=case.unit)', "
    "'.rows(...)', '.exists(...)', '.sum(\"field\", ...)'"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A dotted name a rule uses: ``form.valid`` is ``("form", "valid")``.

    A path stops before a computed subscript: ``params.forward_within[case.severity]``
    gives ``("params", "forward_within")`` and ``("case", "severity")``; a quoted one
    (``steps['forward'].at``) carries on.
    """

    path: tuple[str, ...]
    offset: int
    length: int
    """Spans the whole path."""
    ends: tuple[int, ...] = ()
    """Where each part of the path ends (exclusive), to underline up to a bad part."""

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterQuery:
    """A call such as ``registers.cards.count(unit=case.unit)``."""

    register: str
    method: str
    fields: tuple[Reference, ...]
    """The register fields it filters or sums on, each located at its name."""
    offset: int
    length: int


@dataclass(slots=True)
class Findings:
    problems: list[RuleProblem]
    references: list[Reference]
    functions: list[Reference]
    """Calls of listed functions; the path is the function's name."""
    queries: list[RegisterQuery]


def check(parsed: Parsed) -> Findings:
    """Walk the tree once: report every forbidden part, record names, prepare to compile."""
    checker = _Checker(parsed)
    checker.visit(parsed.node)
    return checker.findings


class _Checker:
    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.findings = Findings(problems=[], references=[], functions=[], queries=[])
        # Inner links of a recorded path, and attributes about to be called (register
        # queries, or a method call already reported).
        self._chained: set[int] = set()
        self._called: set[int] = set()

    # -- reporting ---------------------------------------------------------------------
    def problem(
        self, code: str, message: str, start: int, end: int, hint: str | None = None
    ) -> None:
        self.findings.problems.append(
            RuleProblem(
                code=code, message=message, offset=start, length=max(end - start, 1), hint=hint
            )
        )

    def forbid(self, node: nodes.Node, message: str, hint: str | None = None) -> None:
        start, end = self.parsed.extent(node)
        self.problem("forbidden-expression", message, start, end, hint)

    # -- walking -----------------------------------------------------------------------
    def visit(self, node: nodes.Node) -> None:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node)
            return
        message, hint = _FORBIDDEN_KINDS.get(
            type(node), (f"'{type(node).__name__}' expressions are not allowed", None)
        )
        if isinstance(node, nodes.Pow):
            left_end, right_start = self.parsed.end(node.left), self.parsed.start(node.right)
            token = self.parsed.find("**", left_end, right_start)
            if token is not None:
                self.problem("forbidden-expression", message, token.offset, token.end, hint)
                self.visit_children(node)
                return
        self.forbid(node, message, hint)
        self.visit_children(node)

    def visit_children(self, node: nodes.Node) -> None:
        for child in node.iter_child_nodes():
            self.visit(child)

    def visit_Const(self, node: nodes.Const) -> None:
        value = node.value
        if type(value) in (int, float):
            # Jinja made an int or a float; the exact value comes from the source text.
            node.value = self.parsed.numbers.get(node.lineno - 1) or Decimal(str(value))
        elif type(value) is str and len(value) > MAX_STRING_LENGTH:
            start, end = self.parsed.extent(node)
            self.problem(
                "rule-limit", f"the text is longer than {MAX_STRING_LENGTH} characters", start, end
            )

    def visit_Name(self, node: nodes.Name) -> None:
        if node.name.startswith("_"):
            self.forbid(
                node,
                f"'{node.name}' cannot be used: names starting with '_' are reserved",
                hint=_RESERVED_HINT,
            )
        elif node.name in RESERVED_NAMES:
            self.forbid(
                node,
                f"'{node.name}' is not available in expressions",
                hint="use the case data: 'case', 'form', 'steps', 'params', 'actor', "
                "'now', 'registers'",
            )
        elif id(node) not in self._chained:
            self.record(node)

    def visit_Getattr(self, node: nodes.Getattr) -> None:
        start = node.lineno - 1
        end = self.parsed.attribute_end(node)
        if node.attr.startswith("_"):
            self.problem(
                "forbidden-expression",
                f"'{node.attr}' cannot be used: names starting with '_' are reserved",
                start,
                end,
                hint=_RESERVED_HINT,
            )
        elif isinstance(node.node, _LITERALS) and id(node) not in self._called:
            self.forbid(
                node,
                "a value written in the expression has no attributes",
                hint="use a filter or a function, e.g. 'x|upper'",
            )
        elif node.attr in REGISTER_METHODS and id(node) not in self._called:
            path = _chain(node)
            if path is not None and path[0] == "registers":
                self.forbid(
                    node,
                    f"'{node.attr}' is a register query: call it",
                    hint=f"write '{'.'.join(path)}(field=value)'",
                )
        if id(node) not in self._chained:
            self.record(node)
        self.visit(node.node)

    def visit_Getitem(self, node: nodes.Getitem) -> None:
        arg = node.arg
        if isinstance(arg, nodes.Slice):
            message, hint = _FORBIDDEN_KINDS[nodes.Slice]
            self.forbid(node, message, hint)
        elif isinstance(arg, nodes.Const) and type(arg.value) is str and arg.value.startswith("_"):
            self.forbid(
                arg,
                f"'{arg.value}' cannot be used: names starting with '_' are reserved",
                hint=_RESERVED_HINT,
            )
        if id(node) not in self._chained:
            self.record(node)
        self.visit(node.node)
        if not isinstance(arg, nodes.Slice):
            self.visit(arg)

    def visit_Call(self, node: nodes.Call) -> None:
        callee = node.node
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.forbid(
                node, "'*' and '**' arguments are not allowed", hint="pass each argument by itself"
            )
        if isinstance(callee, nodes.Name):
            self.call_function(node, callee)
        elif (
            isinstance(callee, nodes.Getattr)
            and callee.attr in REGISTER_METHODS
            and ((path := _chain(callee)) is not None and len(path) == 3 and path[0] == "registers")
        ):
            self._called.add(id(callee))
            self.call_register(node, path[1], path[2])
            self.visit(callee)
        else:
            message = "only the listed functions and register queries can be called"
            if isinstance(callee, nodes.Getattr):
                message = f"'{callee.attr}' cannot be called: {message}"
                # One problem for `'{0}'.format(x)`, not a second for the literal's attribute.
                self._called.add(id(callee))
            self.forbid(callee, message, hint=_CALL_HINT.format(functions=_quoted(FUNCTIONS)))
            self.visit(callee)
        for arg in node.args:
            self.visit(arg)
        for keyword in node.kwargs:
            self.visit_Keyword(keyword)

    def call_function(self, node: nodes.Call, callee: nodes.Name) -> None:
        function = FUNCTIONS.get(callee.name)
        if function is None:
            self.forbid(
                callee,
                f"'{callee.name}' is not a function you can call",
                hint=_did_you_mean(callee.name, FUNCTIONS),
            )
            return
        self.check_arguments(node, function, len(node.args))
        start, end = self.parsed.extent(callee)
        self.findings.functions.append(
            Reference(path=(callee.name,), offset=start, length=end - start, ends=(end,))
        )
        # The generated code imports the implementation: data cannot shadow a function.
        node.node = nodes.ImportedName(
            f"{_FUNCTIONS_MODULE}.fn_{callee.name}", lineno=callee.lineno
        )

    def call_register(self, node: nodes.Call, register: str, method: str) -> None:
        fields = []
        args = node.args
        if method == "sum":
            if len(args) != 1 or not (
                isinstance(args[0], nodes.Const) and type(args[0].value) is str
            ):
                self.forbid(
                    node,
                    "'sum' needs the name of the field to add up, in quotes",
                    hint=f"write 'registers.{register}.sum(\"fee\", unit=case.unit)'",
                )
            else:
                start, end = self.parsed.extent(args[0])
                fields.append(
                    Reference(
                        path=(args[0].value,),
                        offset=start + 1,
                        length=max(end - start - 2, 1),
                        ends=(end - 1,),
                    )
                )
        elif args:
            self.problem(
                "bad-arguments",
                f"'{method}' takes only field=value filters",
                *self.parsed.extent(args[0]),
                hint=f"write 'registers.{register}.{method}(unit=case.unit)'",
            )
        for keyword in node.kwargs:
            start, end = self.keyword_extent(keyword)
            fields.append(
                Reference(path=(keyword.key,), offset=start, length=end - start, ends=(end,))
            )
        start, end = self.parsed.extent(node)
        self.findings.queries.append(
            RegisterQuery(
                register=register,
                method=method,
                fields=tuple(fields),
                offset=start,
                length=end - start,
            )
        )

    def visit_Filter(self, node: nodes.Filter) -> None:
        start = node.lineno - 1
        end = start + len(node.name)
        function = FILTERS.get(node.name)
        if function is None:
            self.problem(
                "forbidden-expression",
                f"'{node.name}' is not a filter you can use",
                start,
                end,
                hint=_did_you_mean(node.name, FILTERS),
            )
        else:
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                self.forbid(node, "'*' and '**' arguments are not allowed")
            self.check_arguments(node, function, 1 + len(node.args))
        self.visit_children(node)

    def check_arguments(
        self, node: nodes.Call | nodes.Filter, function: Function, positional: int
    ) -> None:
        assert function.signature is not None
        try:
            function.signature.bind(*range(positional), **{k.key: None for k in node.kwargs})
        except TypeError as exc:
            self.forbid_arguments(node, function, str(exc))

    def forbid_arguments(self, node: nodes.Node, function: Function, reason: str) -> None:
        start, end = self.parsed.extent(node)
        self.problem(
            "bad-arguments",
            f"wrong arguments for '{function.name}': {reason}",
            start,
            end,
            hint=f"write '{function.usage}'",
        )

    def visit_Keyword(self, node: nodes.Keyword) -> None:
        if node.key.startswith("_"):
            start, end = self.keyword_extent(node)
            self.problem(
                "forbidden-expression",
                f"'{node.key}' cannot be used: names starting with '_' are reserved",
                start,
                end,
            )
        self.visit(node.value)

    def keyword_extent(self, node: nodes.Keyword) -> tuple[int, int]:
        key = self.parsed.token_after(self.parsed.start(node.value), skip=-2)
        if key is None or key.text != node.key:
            return self.parsed.extent(node)
        return key.offset, key.end

    def visit_Compare(self, node: nodes.Compare) -> None:
        self.visit(node.expr)
        for operand in node.ops:
            self.visit(operand.expr)

    def visit_CondExpr(self, node: nodes.CondExpr) -> None:
        if node.expr2 is None:
            token = self.parsed.find(
                "if", self.parsed.end(node.expr1), self.parsed.start(node.test)
            )
            start, end = (token.offset, token.end) if token else self.parsed.extent(node)
            self.problem(
                "rule-syntax",
                "'if' needs an 'else' here",
                start,
                end,
                hint="add 'else' and the value to use otherwise",
            )
        self.visit_children(node)

    def visit_arithmetic(self, node: nodes.BinExpr) -> None:
        left, right = node.left, node.right
        if (
            isinstance(node, nodes.Mod)
            and isinstance(left, nodes.Const)
            and type(left.value) is str
        ):
            self.forbid(node, "'%' formatting of text is not allowed", hint="join texts with '+'")
        if isinstance(node, nodes.Mul):
            self.check_repetition(node, left, right)
            self.check_repetition(node, right, left)
        self.visit(left)
        self.visit(right)

    def check_repetition(self, node: nodes.Mul, sequence: nodes.Node, times: nodes.Node) -> None:
        """Literal repetition is measured now, before anything runs."""
        if not (isinstance(times, nodes.Const) and type(times.value) in (int, float)):
            return
        count = self.parsed.numbers.get(times.lineno - 1, Decimal(0))
        if isinstance(sequence, nodes.Const) and type(sequence.value) is str:
            size, limit, unit = len(sequence.value) * count, MAX_STRING_LENGTH, "characters"
        elif isinstance(sequence, nodes.List | nodes.Tuple):
            size, limit, unit = len(sequence.items) * count, MAX_LIST_LENGTH, "items"
        else:
            return
        if size > limit:
            start, end = self.parsed.extent(node)
            self.problem(
                "rule-limit",
                f"this repetition would make {size:f} {unit}, over {limit}",
                start,
                end,
            )

    visit_Add = visit_Sub = visit_Mul = visit_Div = visit_FloorDiv = visit_Mod = visit_arithmetic

    def visit_plain(self, node: nodes.Node) -> None:
        self.visit_children(node)

    visit_And = visit_Or = visit_Not = visit_Neg = visit_Pos = visit_plain
    visit_List = visit_Tuple = visit_Dict = visit_Pair = visit_plain

    # -- names -------------------------------------------------------------------------
    def record(self, node: nodes.Name | nodes.Getattr | nodes.Getitem) -> None:
        """Record the dotted path ending at ``node``, if it is one."""
        links = []
        current: nodes.Node = node
        while isinstance(current, nodes.Getattr | nodes.Getitem):
            if isinstance(current, nodes.Getitem) and not (
                isinstance(current.arg, nodes.Const) and type(current.arg.value) is str
            ):
                return
            links.append(current)
            current = current.node
        if not isinstance(current, nodes.Name) or current.name.startswith("_"):
            return
        self._chained.update(id(link) for link in links)
        self._chained.add(id(current))
        start = current.lineno - 1
        path = [current.name]
        ends = [start + len(current.name)]
        for link in reversed(links):
            path.append(link.attr if isinstance(link, nodes.Getattr) else link.arg.value)
            ends.append(self.parsed.attribute_end(link))
        self.findings.references.append(
            Reference(path=tuple(path), offset=start, length=ends[-1] - start, ends=tuple(ends))
        )


def _chain(node: nodes.Node) -> tuple[str, ...] | None:
    parts = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and (type(node.arg.value) is str)
        ):
            parts.append(node.arg.value)
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return tuple(reversed(parts))
        else:
            return None
        node = node.node


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in sorted(names))


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"expected one of {_quoted(choices)}"
