"""A checked expression tree compiled to Python closures: what :func:`evaluate` runs.

Only a tree the allowlist has passed (:mod:`._check`) is compiled, and only from the node
kinds it admits; any other kind stops the compile. Each node becomes a small function of
the evaluation's names and calendar that does what Jinja's code for that node did: the
same Python operators, the same undefined values, and every attribute, item, call and
arithmetic operator through the sandbox (:mod:`._sandbox`, :mod:`._operators`), so a rule
gives the same value or the same error as before. No source text is generated and nothing
reaches ``eval`` or ``exec``: what the author wrote survives only as the tree's constants
(text, Decimals, ``true``/``false``/``none``) and as names and keys to look up in data.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from jinja2 import StrictUndefined, nodes

from estateflow.rules import _operators, _sandbox
from estateflow.rules._calls import FUNCTIONS_MODULE, chain
from estateflow.rules._functions import FILTERS, FUNCTIONS

Compiled = Callable[[Mapping[str, Any], Any], Any]
"""A compiled node: its value given the evaluation's names and calendar."""
_Arguments = tuple[list[Compiled], list[tuple[str, Compiled]]]

#: What a function call compiled by the allowlist may name: the listed functions only.
_FUNCTIONS = {f"{FUNCTIONS_MODULE}.fn_{name}": f.impl for name, f in FUNCTIONS.items()}
_CONSTANTS = (str, bool, type(None), Decimal)
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda left, right: left in right,
    "notin": lambda left, right: left not in right,
}


class NotCompilable(TypeError):
    """A node the allowlist should have refused: the compile fails closed."""


def compile_tree(node: nodes.Node) -> Compiled:
    build = _BUILDERS.get(type(node))
    if build is None:
        raise NotCompilable(f"'{type(node).__name__}' cannot be compiled")
    return build(node)


def _const(node: nodes.Const) -> Compiled:
    value = _constant(node)
    return lambda names, calendar: value


def _constant(node: nodes.Const) -> Any:
    value = node.value
    if type(value) not in _CONSTANTS:
        # The allowlist turned every number into a Decimal; nothing else is a literal.
        raise NotCompilable(f"a {type(value).__name__} constant cannot be compiled")
    return value


def _name(node: nodes.Name) -> Compiled:
    if node.ctx != "load":
        raise NotCompilable(f"'{node.name}' cannot be assigned")
    name = node.name

    def load(names: Mapping[str, Any], calendar: Any) -> Any:
        try:
            return names[name]
        except KeyError:
            # A missing name is a value that fails wherever it is used: never false.
            return StrictUndefined(name=name)

    return load


def _getattr(node: nodes.Getattr) -> Compiled:
    target = compile_tree(node.node)
    attribute, path = node.attr, _dotted(node)
    return lambda names, calendar: _sandbox.attribute(target(names, calendar), attribute, path)


def _getitem(node: nodes.Getitem) -> Compiled:
    if isinstance(node.arg, nodes.Slice):
        raise NotCompilable("slices cannot be compiled")
    target, key = compile_tree(node.node), compile_tree(node.arg)
    path = _dotted(node.node)
    return lambda names, calendar: _sandbox.item(
        target(names, calendar), key(names, calendar), path
    )


def _compare(node: nodes.Compare) -> Compiled:
    first = compile_tree(node.expr)
    ops = [(_comparison(op.op), compile_tree(op.expr)) for op in node.ops]
    if len(ops) == 1:
        ((test, second),) = ops
        return lambda names, calendar: test(first(names, calendar), second(names, calendar))

    def chained(names: Mapping[str, Any], calendar: Any) -> Any:
        # As Python reads `a < b < c`: each operand once, stopping at the first false.
        left = first(names, calendar)
        for test, operand in ops:
            right = operand(names, calendar)
            result = test(left, right)
            if not result:
                return result
            left = right
        return result

    return chained


def _comparison(name: str) -> Callable[[Any, Any], Any]:
    test = _COMPARISONS.get(name)
    if test is None:
        raise NotCompilable(f"the comparison '{name}' cannot be compiled")
    return test


def _and(node: nodes.And) -> Compiled:
    left, right = compile_tree(node.left), compile_tree(node.right)
    return lambda names, calendar: left(names, calendar) and right(names, calendar)


def _or(node: nodes.Or) -> Compiled:
    left, right = compile_tree(node.left), compile_tree(node.right)
    return lambda names, calendar: left(names, calendar) or right(names, calendar)


def _not(node: nodes.Not) -> Compiled:
    operand = compile_tree(node.node)
    return lambda names, calendar: not operand(names, calendar)


def _sign(node: nodes.Neg | nodes.Pos) -> Compiled:
    sign, operand = node.operator, compile_tree(node.node)
    return lambda names, calendar: _operators.unary(sign, operand(names, calendar))


def _arithmetic(node: nodes.BinExpr) -> Compiled:
    symbol = node.operator
    if symbol not in _operators.BINARY:
        raise NotCompilable(f"'{symbol}' cannot be compiled")
    left, right = compile_tree(node.left), compile_tree(node.right)
    return lambda names, calendar: _operators.binary(
        symbol, left(names, calendar), right(names, calendar)
    )


def _condition(node: nodes.CondExpr) -> Compiled:
    if node.expr2 is None:
        raise NotCompilable("'if' without 'else' cannot be compiled")
    test, then, otherwise = (compile_tree(n) for n in (node.test, node.expr1, node.expr2))
    return lambda names, calendar: (
        then(names, calendar) if test(names, calendar) else otherwise(names, calendar)
    )


def _list(node: nodes.List) -> Compiled:
    if all(isinstance(item, nodes.Const) for item in node.items):
        # A list written out in full (`['major', 'minor']`): a new list of the same values.
        values = tuple(_constant(item) for item in node.items)
        return lambda names, calendar: list(values)
    items = [compile_tree(item) for item in node.items]
    return lambda names, calendar: [item(names, calendar) for item in items]


def _tuple(node: nodes.Tuple) -> Compiled:
    if node.ctx != "load":
        raise NotCompilable("a tuple cannot be assigned")
    items = [compile_tree(item) for item in node.items]
    return lambda names, calendar: tuple(item(names, calendar) for item in items)


def _dict(node: nodes.Dict) -> Compiled:
    pairs = [(compile_tree(pair.key), compile_tree(pair.value)) for pair in node.items]
    return lambda names, calendar: {
        key(names, calendar): value(names, calendar) for key, value in pairs
    }


def _call(node: nodes.Call) -> Compiled:
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        raise NotCompilable("'*' and '**' arguments cannot be compiled")
    callee = node.node
    if isinstance(callee, nodes.ImportedName):
        function = _FUNCTIONS.get(callee.importname)
        if function is None:
            raise NotCompilable(f"'{callee.importname}' is not a listed function")
        target: Compiled = lambda names, calendar: function  # noqa: E731
    else:
        target = compile_tree(callee)
    args, kwargs = _arguments(node)

    def call(names: Mapping[str, Any], calendar: Any) -> Any:
        return _sandbox.call(
            target(names, calendar),
            [arg(names, calendar) for arg in args],
            {key: value(names, calendar) for key, value in kwargs},
            names,
            calendar,
        )

    return call


def _filter(node: nodes.Filter) -> Compiled:
    function = FILTERS.get(node.name)
    if function is None or node.node is None:
        raise NotCompilable(f"'{node.name}' is not a listed filter")
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        raise NotCompilable("'*' and '**' arguments cannot be compiled")
    impl, target = function.impl, compile_tree(node.node)
    args, kwargs = _arguments(node)
    return lambda names, calendar: impl(
        target(names, calendar),
        *[arg(names, calendar) for arg in args],
        **{key: value(names, calendar) for key, value in kwargs},
    )


def _arguments(node: nodes.Call | nodes.Filter) -> _Arguments:
    args = [compile_tree(arg) for arg in node.args]
    kwargs = [(keyword.key, compile_tree(keyword.value)) for keyword in node.kwargs]
    return args, kwargs


def _dotted(node: nodes.Node) -> str | None:
    """The dotted name ``node`` reads (``case.severity``), for messages."""
    path = chain(node)
    return ".".join(path) if path is not None else None


_BUILDERS: dict[type[nodes.Node], Callable[[Any], Compiled]] = {
    nodes.Const: _const,
    nodes.Name: _name,
    nodes.Getattr: _getattr,
    nodes.Getitem: _getitem,
    nodes.Compare: _compare,
    nodes.And: _and,
    nodes.Or: _or,
    nodes.Not: _not,
    nodes.Neg: _sign,
    nodes.Pos: _sign,
    nodes.Add: _arithmetic,
    nodes.Sub: _arithmetic,
    nodes.Mul: _arithmetic,
    nodes.Div: _arithmetic,
    nodes.FloorDiv: _arithmetic,
    nodes.Mod: _arithmetic,
    nodes.CondExpr: _condition,
    nodes.List: _list,
    nodes.Tuple: _tuple,
    nodes.Dict: _dict,
    nodes.Call: _call,
    nodes.Filter: _filter,
}
