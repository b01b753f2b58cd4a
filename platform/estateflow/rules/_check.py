"""The allowlist: every node of a parsed expression is checked BEFORE anything compiles.

Compiling first is not safe: Jinja's compiler folds constants, so ``'ab'*10**8``
allocates 200 MB and ``7**300000000`` never finishes (measured). Rules are compiled to
closures that fold nothing (:mod:`._closures`), and only from a tree that passed this
walk, which refuses every kind of node those closures do not build. The same walk records
the names each rule uses, turns number literals into Decimals and points calls of listed
functions at their implementations.
"""

from __future__ import annotations

from decimal import Decimal

from jinja2 import nodes

from estateflow.rules._calls import RESERVED_HINT, CallChecks, chain
from estateflow.rules._limits import MAX_LIST_LENGTH, MAX_STRING_LENGTH
from estateflow.rules._parse import Parsed
from estateflow.rules._problems import RuleProblem
from estateflow.rules._references import Findings, Reference
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
_FORBIDDEN_KINDS: dict[type[nodes.Node], tuple[str, str | None]] = {
    nodes.Pow: ("'**' is not allowed", "multiply instead, e.g. 'x * x'"),
    nodes.Concat: ("'~' is not allowed", "join texts with '+'"),
    nodes.Test: ("tests with 'is' are not allowed", "compare instead, e.g. 'x == none'"),
    nodes.Slice: ("slices are not allowed", "pick single items, e.g. 'x[0]'"),
}


def check(parsed: Parsed) -> Findings:
    """Walk the tree once: report every forbidden part, record names, prepare to compile."""
    checker = _Checker(parsed)
    checker.visit(parsed.node)
    return checker.findings


class _Checker(CallChecks):
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
            exact = self.parsed.numbers.get(node.lineno - 1)
            node.value = exact if exact is not None else Decimal(str(value))
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
                hint=RESERVED_HINT,
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
                hint=RESERVED_HINT,
            )
        elif isinstance(node.node, _LITERALS) and id(node) not in self._called:
            self.forbid(
                node,
                "a value written in the expression has no attributes",
                hint="use a filter or a function, e.g. 'x|upper'",
            )
        elif node.attr in REGISTER_METHODS and id(node) not in self._called:
            path = chain(node)
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
                hint=RESERVED_HINT,
            )
        if id(node) not in self._chained:
            self.record(node)
        self.visit(node.node)
        if not isinstance(arg, nodes.Slice):
            self.visit(arg)

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
