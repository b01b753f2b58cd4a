"""The Jinja environment rules compile and run in.

An :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with :class:`StrictUndefined`,
narrowed further: no globals, only our filters, no tests, every arithmetic operator
intercepted, attribute and item access limited to data (mapping keys, a few date parts
and the register queries), and only listed functions callable. The allowlist has already
refused anything else at load time; this is the second wall.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from jinja2 import StrictUndefined, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from estateflow.errors import RuleError
from estateflow.rules import _operators
from estateflow.rules._functions import CALENDAR_VAR, FILTERS, FUNCTIONS
from estateflow.rules._registers import REGISTER_METHODS, RegisterView
from estateflow.rules._values import defined, kind

#: Parts of dates and times a rule may read (``now.hour``, ``date(x).year``).
DATE_PARTS: Mapping[type, frozenset[str]] = {
    date: frozenset({"year", "month", "day"}),
    datetime: frozenset({"year", "month", "day", "hour", "minute", "second"}),
    time: frozenset({"hour", "minute", "second"}),
}

_CALLABLE = {f.impl: f for f in FUNCTIONS.values()}
_REGISTER_FUNCTIONS = frozenset(getattr(RegisterView, name) for name in REGISTER_METHODS)
# Jinja's delimiters set to text no expression can hold (NUL is refused), so that '}}' in
# a dict literal or '{%' cannot end the expression or start a statement.
_DELIMITERS = {
    "block_start_string": "\x00{%",
    "block_end_string": "\x00%}",
    "variable_start_string": "\x00{{",
    "variable_end_string": "\x00}}",
    "comment_start_string": "\x00{#",
    "comment_end_string": "\x00#}",
}


class RuleCodeGenerator(CodeGenerator):
    """Jinja's generator with Decimal constants and located names in lookups.

    Decimal literals are built once when the module loads (Jinja would write their
    ``repr``, which names a class the module does not import), and each lookup passes the
    dotted path it reads so that a missing value is reported by its full name.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decimals: dict[str, str] = {}

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(node, frame)
        if self._decimals:
            self.writeline("from decimal import Decimal as _Decimal")
            for text, name in self._decimals.items():
                self.writeline(f"{name} = _Decimal({text!r})")

    def visit_Const(self, node: nodes.Const, frame: Frame) -> None:
        if type(node.value) is Decimal:
            text = str(node.value)
            name = self._decimals.get(text)
            if name is None:
                name = self._decimals[text] = f"dec_{len(self._decimals)}"
            self.write(name)
        else:
            super().visit_Const(node, frame)

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        self.write("environment.getattr(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r}, {_path(node)!r})")

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        self.write("environment.getitem(")
        self.visit(node.node, frame)
        self.write(", ")
        self.visit(node.arg, frame)
        self.write(f", {_path(node.node)!r})")


class RuleEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = _operators.BINARY
    intercepted_unops = _operators.UNARY
    code_generator_class = RuleCodeGenerator

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            # The optimizer folds constants at compile time; the allowlist has already
            # bounded literals, and intercepted operators are never folded, but folding
            # buys nothing for expressions this small.
            optimized=False,
            autoescape=False,
            cache_size=0,
            **_DELIMITERS,
        )
        self.globals.clear()
        self.filters = {name: f.impl for name, f in FILTERS.items()}
        self.tests = {}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return _operators.binary(operator, left, right)

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        return _operators.unary(operator, arg)

    def getattr(self, obj: Any, attribute: str, path: str | None = None) -> Any:
        if type(obj) is dict or isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(hint=f"'{path or attribute}' is undefined", name=attribute)
        if type(obj) is RegisterView and attribute in REGISTER_METHODS:
            return getattr(obj, attribute)
        parts = DATE_PARTS.get(type(obj))
        if parts is not None and attribute in parts:
            return getattr(obj, attribute)
        defined(obj)
        raise RuleError("rule-type", f"a {kind(obj)} has no '{attribute}'" + _at(path))

    def getitem(self, obj: Any, argument: Any, path: str | None = None) -> Any:
        argument = defined(argument)
        if type(obj) is dict or isinstance(obj, Mapping):
            try:
                return obj[argument]
            except KeyError:
                where = f" in '{path}'" if path else ""
                return self.undefined(hint=f"no entry {argument!r}{where}", name=str(argument))
            except TypeError:
                raise RuleError("rule-type", f"a {kind(argument)} cannot be a key") from None
        if isinstance(obj, list | tuple | str):
            if type(argument) not in (int, Decimal) or argument != int(argument):
                raise RuleError(
                    "rule-type", f"a position must be a whole number, not a {kind(argument)}"
                )
            try:
                return obj[int(argument)]
            except IndexError:
                return self.undefined(hint=f"no item {argument}" + _at(path), name=str(argument))
        defined(obj)
        raise RuleError("rule-type", f"a {kind(obj)} has no items" + _at(path))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        for value in (obj, *args, *kwargs.values()):
            defined(value)
        function = _CALLABLE.get(obj)
        if function is not None:
            if function.needs is None:
                return obj(*args, **kwargs)
            if function.needs == "calendar":
                return obj(context.vars.get(CALENDAR_VAR), *args, **kwargs)
            return obj(context, *args, **kwargs)
        if type(obj) is types.MethodType and obj.__func__ in _REGISTER_FUNCTIONS:
            return obj(*args, **kwargs)
        raise RuleError("forbidden-expression", f"a {kind(obj)} cannot be called")


def _path(node: nodes.Node) -> str | None:
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
            return ".".join(reversed(parts))
        else:
            return None
        node = node.node


def _at(path: str | None) -> str:
    return f" (in '{path}')" if path else ""


def is_undefined(value: Any) -> bool:
    return isinstance(value, Undefined)
