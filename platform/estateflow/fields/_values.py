"""Clean values in their three shapes: Python (Decimal), stored JSON, and what rules see."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from estateflow.calendar import parse_duration
from estateflow.fields._spec import FieldSpec

_DECIMAL_TYPES = frozenset({"decimal", "money"})
#: Kinds whose values rules see as other objects than the stored ones (:func:`rule_value`).
_CONVERTED_KINDS = frozenset({"date", "time", "datetime", "duration", "table", *_DECIMAL_TYPES})


def dump_values(fields: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON a case stores: Decimal amounts as plain decimal text (``"12.50"``)."""
    return {key: _dump(fields.get(key), value) for key, value in values.items()}


def _dump(field: Any, value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if field is not None and field.type == "table" and isinstance(value, list):
        columns = {column.id: column for column in field.columns}
        return [dump_values(columns, row) for row in value]
    return value


def load_values(fields: Mapping[str, FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`dump_values`: decimal text back to Decimal."""
    return {key: _load(fields.get(key), value) for key, value in data.items()}


def _load(field: Any, value: Any) -> Any:
    if field is None or value is None:
        return value
    if field.type in _DECIMAL_TYPES and isinstance(value, str | int):
        return Decimal(value)
    if field.type == "table" and isinstance(value, list):
        columns = {column.id: column for column in field.columns}
        return [load_values(columns, row) for row in value]
    return value


def rule_values(fields: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as expressions see them: dates, times and moments as Python objects, so that
    ``form.leave_at > now`` compares moments and ``date(form.on) - today()`` counts days.

    A wall-clock duration becomes a timedelta; ``24bh`` and ``3bd`` stay text, since their
    length depends on a calendar. Everything else is as :func:`clean_form` returns it.
    """
    return {key: rule_value(fields.get(key), value) for key, value in values.items()}


def converted_fields(fields: Mapping[str, FieldSpec]) -> dict[str, FieldSpec]:
    """The fields whose values :func:`rule_values` converts (dates, times, durations,
    amounts, tables); it passes every other value as it is."""
    return {key: field for key, field in fields.items() if field.type in _CONVERTED_KINDS}


def rule_value(field: FieldSpec | None, value: Any) -> Any:
    """One value as expressions see it (see :func:`rule_values`)."""
    if field is None or not isinstance(value, str | list):
        return value
    kind = field.type
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "duration":
        duration = parse_duration(value)
        return value if duration.span is None or duration.business else duration.span
    if kind in _DECIMAL_TYPES:
        return Decimal(value)
    if kind == "table" and isinstance(value, list):
        columns = {column.id: column for column in field.columns}
        return [rule_values(columns, row) for row in value]
    return value
