from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from estateflow.errors import RuleError
from estateflow.rules._values import DECIMAL, defined, is_number, kind

#: The only methods rules may call, all of them on a register.
REGISTER_METHODS = frozenset({"count", "exists", "rows", "sum"})


class RegisterView:
    """A read-only snapshot of one register's rows, queried from rules.

    ``registers.cards.count(unit=case.unit)`` counts the rows whose ``unit`` equals the
    case's; every query takes such ``field=value`` filters, all of which must match.
    """

    __slots__ = ("_name", "_rows")

    def __init__(self, rows: Iterable[Mapping[str, Any]], *, name: str = "") -> None:
        self._name = name
        self._rows = tuple(rows)

    def count(self, **where: Any) -> int:
        return sum(1 for _ in self._matching(where))

    def exists(self, **where: Any) -> bool:
        return any(True for _ in self._matching(where))

    def rows(self, **where: Any) -> tuple[Mapping[str, Any], ...]:
        return tuple(self._matching(where))

    def sum(self, field: str, /, **where: Any) -> Decimal:
        """The total of ``field`` over the matching rows; empty values count as nothing."""
        if type(field) is not str:
            raise RuleError("rule-type", f"sum() needs a field name, not a {kind(field)}")
        total = Decimal(0)
        for row in self._matching(where):
            value = row.get(field)
            if value is None:
                continue
            if not is_number(value):
                raise RuleError(
                    "rule-type",
                    f"cannot sum '{field}' of register '{self._name}': it holds a {kind(value)}",
                )
            total = DECIMAL.add(total, value)
        return total

    def _matching(self, where: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        conditions = tuple((field, defined(value)) for field, value in where.items())
        for row in self._rows:
            if all(row.get(field) == value for field, value in conditions):
                yield row

    def __bool__(self) -> bool:
        # `when: "registers.keys"` would otherwise always be true.
        raise RuleError(
            "rule-type",
            f"register '{self._name}' is not a condition: ask it with exists(...) or count(...)",
        )

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"RegisterView({self._name!r}, {len(self._rows)} rows)"
