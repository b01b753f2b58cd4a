from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from estateflow.errors import SourceSpan

#: Every field type a form may use (DESIGN.md §3).
FIELD_TYPES = frozenset(
    {
        "text",
        "textarea",
        "integer",
        "decimal",
        "money",
        "date",
        "time",
        "datetime",
        "duration",
        "select",
        "multiselect",
        "boolean",
        "phone",
        "id_document",
        "email",
        "unit",
        "staff",
        "file",
        "photo",
        "signature",
        "rating",
        "table",
    }
)

#: Identity documents an ``id_document`` field accepts.
ID_KINDS = frozenset(
    {"cn_resident", "hkid", "macau_id", "taiwan_id", "home_return_permit", "passport"}
)

#: Keys a field takes in a definition file; the single source of truth for the schema.
FIELD_KEYS = frozenset(
    {
        "type",
        "label",
        "help",
        "required",
        "required_if",
        "show_if",
        "readonly",
        "compute",
        "default",
        "min",
        "max",
        "min_length",
        "max_length",
        "pattern",
        "options",
        "columns",
        "min_rows",
        "max_rows",
        "accept",
        "max_size",
        "kinds",
        "places",
        "source",
    }
)

Label = Mapping[str, str]
_EMPTY: Mapping[str, str] = MappingProxyType({})
"""A text in several languages: ``{"zh-Hans": …, "zh-Hant": …, "en": …}``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionSpec:
    value: str
    label: Label


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One field of a form, a case's data or a register row, as compiled."""

    id: str
    type: str
    label: Label = field(default_factory=lambda: _EMPTY)
    help: Label = field(default_factory=lambda: _EMPTY)
    required: bool = False
    required_if: Any = None
    """A compiled rule (``estateflow.rules.Rule``) or None; likewise the next three."""
    show_if: Any = None
    compute: Any = None
    default: Any = None
    """A compiled rule: constants are rules too, so one path evaluates every default."""
    readonly: bool = False
    min: Any = None
    """A Decimal, or for dates and times the ISO string of the bound."""
    max: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    options: tuple[OptionSpec, ...] = ()
    columns: tuple[FieldSpec, ...] = ()
    min_rows: int | None = None
    max_rows: int | None = None
    accept: tuple[str, ...] = ()
    max_size: int | None = None
    """Bytes, for file and photo fields."""
    kinds: tuple[str, ...] = ()
    places: int | None = None
    source: str | None = None
    span: SourceSpan | None = None
    """Where the field is declared, for messages."""
