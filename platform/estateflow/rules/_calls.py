"""The allowlist for calls: listed functions, listed filters, and register queries only.

A call of a listed function is pointed at its implementation, so the compiled rule calls
that function itself and no value in the data can stand in for it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from jinja2 import nodes

from estateflow.rules._functions import FILTERS, FUNCTIONS, Function
from estateflow.rules._parse import Parsed
from estateflow.rules._references import Findings, Reference, RegisterQuery
from estateflow.rules._registers import REGISTER_METHODS

FUNCTIONS_MODULE = "estateflow.rules._functions"
RESERVED_HINT = "read data through its fields only, e.g. 'case.severity'"
_CALL_HINT = (
    "call one of {functions}, or query a register: 'registers.cards.count(unit=case.unit)', "
    "'.rows(...)', '.exists(...)', '.sum(\"field\", ...)'"
)


class CallChecks:
    """The checks of calls, filters and keyword arguments, mixed into the tree walker."""

    parsed: Parsed
    _called: set[int]
    visit: Callable[[nodes.Node], None]
    problem: Callable[..., None]
    forbid: Callable[..., None]
    findings: Findings

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
            and ((path := chain(callee)) is not None and len(path) == 3 and path[0] == "registers")
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
            self.forbid(callee, message, hint=_CALL_HINT.format(functions=quoted(FUNCTIONS)))
            self.visit(callee)
        for arg in node.args:
            self.visit(arg)
        self.check_keywords(node)
        for keyword in node.kwargs:
            self.visit_Keyword(keyword)

    def call_function(self, node: nodes.Call, callee: nodes.Name) -> None:
        function = FUNCTIONS.get(callee.name)
        if function is None:
            self.forbid(
                callee,
                f"'{callee.name}' is not a function you can call",
                hint=did_you_mean(callee.name, FUNCTIONS),
            )
            return
        self.check_arguments(node, function, len(node.args))
        start, end = self.parsed.extent(callee)
        self.findings.functions.append(
            Reference(path=(callee.name,), offset=start, length=end - start, ends=(end,))
        )
        # The compiled rule calls the implementation itself: data cannot shadow a function.
        node.node = nodes.ImportedName(f"{FUNCTIONS_MODULE}.fn_{callee.name}", lineno=callee.lineno)

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
                hint=did_you_mean(node.name, FILTERS),
            )
        else:
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                self.forbid(node, "'*' and '**' arguments are not allowed")
            self.check_arguments(node, function, 1 + len(node.args))
            self.check_keywords(node)
        self.visit_children(node)

    def check_arguments(
        self, node: nodes.Call | nodes.Filter, function: Function, positional: int
    ) -> None:
        assert function.signature is not None
        try:
            function.signature.bind(*range(positional), **{k.key: None for k in node.kwargs})
        except TypeError as exc:
            self.forbid_arguments(node, function, str(exc))

    def check_keywords(self, node: nodes.Call | nodes.Filter) -> None:
        seen = set()
        for keyword in node.kwargs:
            if keyword.key in seen:
                self.problem(
                    "bad-arguments",
                    f"'{keyword.key}' is given twice",
                    *self.keyword_extent(keyword),
                    hint="give each argument once",
                )
            seen.add(keyword.key)

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


def chain(node: nodes.Node) -> tuple[str, ...] | None:
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


def quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in sorted(names))


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"expected one of {quoted(choices)}"
