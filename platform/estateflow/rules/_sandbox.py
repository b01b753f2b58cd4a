"""What an evaluation may touch: the second wall, behind the allowlist.

The allowlist has already refused at load time anything but data access, the listed
operators and calls of listed functions and register queries. Still, every attribute and
item access and every call a compiled rule makes (:mod:`._closures`) goes through here,
where only data is reachable: mapping keys, a few date parts and the register queries,
and only listed functions and register queries can be called, whatever the values are.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from jinja2 import StrictUndefined

from estateflow.errors import RuleError
from estateflow.rules._functions import FUNCTIONS
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


def attribute(obj: Any, name: str, path: str | None = None) -> Any:
    """``obj.name``: a mapping's key, a date part or a register query, nothing else.

    ``path`` is the dotted name being read (``case.severity``), for messages.
    """
    if type(obj) is dict or isinstance(obj, Mapping):
        try:
            return obj[name]
        except KeyError:
            return StrictUndefined(hint=f"'{path or name}' is undefined", name=name)
    if type(obj) is RegisterView and name in REGISTER_METHODS:
        return getattr(obj, name)
    parts = DATE_PARTS.get(type(obj))
    if parts is not None and name in parts:
        return getattr(obj, name)
    defined(obj)
    raise RuleError("rule-type", f"a {kind(obj)} has no '{name}'" + _at(path))


def item(obj: Any, key: Any, path: str | None = None) -> Any:
    """``obj[key]``: a mapping's key, or a list's or a text's item by whole position."""
    key = defined(key)
    if type(obj) is dict or isinstance(obj, Mapping):
        try:
            return obj[key]
        except KeyError:
            where = f" in '{path}'" if path else ""
            return StrictUndefined(hint=f"no entry {key!r}{where}", name=str(key))
        except TypeError:
            raise RuleError("rule-type", f"a {kind(key)} cannot be a key") from None
    if isinstance(obj, list | tuple | str):
        if type(key) not in (int, Decimal) or key != int(key):
            raise RuleError("rule-type", f"a position must be a whole number, not a {kind(key)}")
        try:
            return obj[int(key)]
        except IndexError:
            return StrictUndefined(hint=f"no item {key}" + _at(path), name=str(key))
    defined(obj)
    raise RuleError("rule-type", f"a {kind(obj)} has no items" + _at(path))


def call(
    obj: Any,
    args: list[Any],
    kwargs: dict[str, Any],
    names: Mapping[str, Any],
    calendar: Any,
) -> Any:
    """``obj(*args, **kwargs)`` when ``obj`` is a listed function or a register query.

    A function that reads the evaluation gets ``now`` from ``names``, or ``calendar``.
    """
    for value in (obj, *args, *kwargs.values()):
        defined(value)
    function = _CALLABLE.get(obj)
    if function is not None:
        if function.needs is None:
            return obj(*args, **kwargs)
        if function.needs == "calendar":
            return obj(calendar, *args, **kwargs)
        return obj(names.get("now"), *args, **kwargs)
    if type(obj) is types.MethodType and obj.__func__ in _REGISTER_FUNCTIONS:
        return obj(*args, **kwargs)
    raise RuleError("forbidden-expression", f"a {kind(obj)} cannot be called")


def _at(path: str | None) -> str:
    return f" (in '{path}')" if path else ""
