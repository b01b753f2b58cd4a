"""The JSON Schema (Draft 2020-12) of a form's clean values as a case stores them.

Stored values are JSON: Decimal amounts become decimal strings (never float, and so never
``multipleOf`` on floats), dates and times ISO text. :func:`dump_values` makes that shape
from what :func:`clean_form` returns. The schema cannot see everything :func:`parse_value`
checks (a money bound, an ID's check digit, a file's type against ``accept``); it is the
second line, run on every submission to catch a value that slipped past the first.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from estateflow.fields._ids import ID_PATTERNS
from estateflow.fields._numbers import places_of, rating_range
from estateflow.fields._parse import (
    MAX_EMAIL_LENGTH,
    MAX_FILE_NAME_LENGTH,
    MAX_FILE_SIZE,
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TEXTAREA_LENGTH,
    MAX_TYPED_SIGNATURE_LENGTH,
    accepted_types,
)
from estateflow.fields._spec import FieldSpec

#: Forms whose schema and validator are kept; a bundle compiled again brings new mappings.
SCHEMA_CACHE_SIZE = 512

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_RFC3339_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_RFC3339_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")

#: Our own format checker: jsonschema's checks ``date-time`` only when an optional
#: package is installed, and otherwise passes anything silently.
FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    return _RFC3339_DATE.fullmatch(instance) is not None and bool(date.fromisoformat(instance))


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_datetime(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if _RFC3339_DATETIME.fullmatch(instance) is None:
        return False
    return bool(datetime.fromisoformat(instance.upper().replace("Z", "+00:00")))


@FORMAT_CHECKER.checks("email")
def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or _EMAIL.fullmatch(instance) is not None


_Entry = tuple[Mapping[str, FieldSpec], dict[str, Any], Draft202012Validator]
_cache: OrderedDict[tuple[int, str], _Entry] = OrderedDict()
# Services may validate from worker threads (the SQLite writer's); the LRU moves entries.
_lock = threading.Lock()


def form_schema(fields: Mapping[str, FieldSpec], *, currency: str) -> dict[str, Any]:
    """The schema of a form's stored values; built once per ``fields`` mapping and currency.

    The dict returned is shared by every caller: do not change it. A field with
    ``show_if`` may be missing (hidden); any other field is always present, and may be
    null unless it is ``required``.
    """
    return _cached(fields, currency)[0]


def form_validator(fields: Mapping[str, FieldSpec], *, currency: str) -> Draft202012Validator:
    """A validator for :func:`form_schema` with :data:`FORMAT_CHECKER`; cached alike."""
    return _cached(fields, currency)[1]


def _cached(
    fields: Mapping[str, FieldSpec], currency: str
) -> tuple[dict[str, Any], Draft202012Validator]:
    key = (id(fields), currency)
    with _lock:
        hit = _cache.get(key)
        # The entry holds the mapping itself, so its id cannot be reused while cached.
        if hit is not None and hit[0] is fields:
            _cache.move_to_end(key)
            return hit[1], hit[2]
    schema = {"$schema": DRAFT, **_object_schema(fields, currency)}
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    with _lock:
        _cache[key] = (fields, schema, validator)
        while len(_cache) > SCHEMA_CACHE_SIZE:
            _cache.popitem(last=False)
    return schema, validator


def _object_schema(fields: Mapping[str, FieldSpec], currency: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {fid: field_schema(spec, currency) for fid, spec in fields.items()},
        "required": [fid for fid, spec in fields.items() if spec.show_if is None],
        "additionalProperties": False,
    }


def field_schema(field: FieldSpec, currency: str) -> dict[str, Any]:
    """The schema of one field's stored value (null allowed unless it is required)."""
    schema = _VALUE_SCHEMAS[field.type](field, currency)
    title = field.label.get("en") or next(iter(field.label.values()), None)
    if title:
        schema = {"title": title, **schema}
    if field.required or field.type in ("boolean", "multiselect", "table"):
        return schema
    return _nullable(schema)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if "type" in schema and "anyOf" not in schema:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _text(field: FieldSpec, _: str) -> dict[str, Any]:
    default = MAX_TEXTAREA_LENGTH if field.type == "textarea" else MAX_TEXT_LENGTH
    schema: dict[str, Any] = {
        "type": "string",
        "minLength": max(field.min_length or 1, 1),
        "maxLength": field.max_length or default,
    }
    if field.pattern is not None:
        schema["pattern"] = f"^(?:{field.pattern})$"
    return schema


def _integer(field: FieldSpec, _: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    if field.type == "rating":
        low, high = rating_range(field)
        return {**schema, "minimum": low, "maximum": high}
    # A fractional bound on whole numbers states the whole bound it implies.
    if field.min is not None:
        schema["minimum"] = math.ceil(Decimal(field.min))
    if field.max is not None:
        schema["maximum"] = math.floor(Decimal(field.max))
    return schema


def decimal_pattern(places: int | None) -> str:
    """The text of an amount: ``^-?[0-9]+(\\.[0-9]{1,2})?$`` for two places.

    ``[0-9]`` rather than ``\\d``, which in Python also matches other scripts' digits.
    """
    if places == 0:
        return r"^-?[0-9]+$"
    tail = "[0-9]+" if places is None else f"[0-9]{{1,{places}}}"
    return rf"^-?[0-9]+(\.{tail})?$"


def _decimal(field: FieldSpec, currency: str) -> dict[str, Any]:
    schema = {"type": "string", "pattern": decimal_pattern(places_of(field))}
    if field.type == "money" and currency:
        schema["description"] = f"an amount in {currency}"
    return schema


def _string(pattern: str, **more: Any) -> Any:
    return lambda field, _: {"type": "string", "pattern": pattern, **more}


def _choice(field: FieldSpec, _: str) -> dict[str, Any]:
    return {"enum": [option.value for option in field.options]}


def _multiselect(field: FieldSpec, currency: str) -> dict[str, Any]:
    return {"type": "array", "items": _choice(field, currency), "uniqueItems": True}


def _boolean(field: FieldSpec, _: str) -> dict[str, Any]:
    return {"const": True} if field.required else {"type": "boolean"}


def _id_document(field: FieldSpec, _: str) -> dict[str, Any]:
    kinds = field.kinds or tuple(sorted(ID_PATTERNS))
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "kind": {"const": kind},
                    "number": {"type": "string", "pattern": ID_PATTERNS[kind]},
                },
                "required": ["kind", "number"],
                "additionalProperties": False,
            }
            for kind in kinds
        ]
    }


def _file(field: FieldSpec, _: str) -> dict[str, Any]:
    type_schema: dict[str, Any] = {"type": "string", "minLength": 1}
    mime = [a for a in accepted_types(field) if not a.startswith(".")]
    if mime and len(mime) == len(accepted_types(field)):
        alternatives = "|".join(re.escape(a[:-1]) + "[^/]+" if a.endswith("/*") else re.escape(a)
                                for a in mime)  # fmt: skip
        type_schema["pattern"] = f"^(?:{alternatives})$"
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_FILE_NAME_LENGTH},
            "size": {"type": "integer", "minimum": 1, "maximum": field.max_size or MAX_FILE_SIZE},
            "type": type_schema,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
        "required": ["name", "size", "type", "sha256"],
        "additionalProperties": False,
    }


def _signature(field: FieldSpec, _: str) -> dict[str, Any]:
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "image": {
                        "type": "string",
                        "pattern": r"^data:image/(png|jpeg|webp);base64,[A-Za-z0-9+/]+={0,2}$",
                    }
                },
                "required": ["image"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "typed": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_TYPED_SIGNATURE_LENGTH,
                    }
                },
                "required": ["typed"],
                "additionalProperties": False,
            },
        ]
    }


def _table(field: FieldSpec, currency: str) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {c.id: field_schema(c, currency) for c in field.columns},
            "required": [c.id for c in field.columns],
            "additionalProperties": False,
        },
    }
    if field.max_rows is not None:
        schema["maxItems"] = field.max_rows
    return schema


_SLUG = rf"^[^\W_][\w.\-]{{0,{MAX_ID_LENGTH - 1}}}$"
_VALUE_SCHEMAS = {
    "text": _text,
    "textarea": _text,
    "integer": _integer,
    "rating": _integer,
    "decimal": _decimal,
    "money": _decimal,
    "date": lambda field, _: {"type": "string", "format": "date"},
    "time": _string(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"),
    "datetime": lambda field, _: {"type": "string", "format": "date-time"},
    "duration": _string(r"^[0-9]{1,9}(s|m|h|d|bh|bd)$"),
    "select": _choice,
    "multiselect": _multiselect,
    "boolean": _boolean,
    "phone": _string(r"^\+[1-9][0-9]{6,14}$"),
    "id_document": _id_document,
    "email": lambda field, _: {
        "type": "string",
        "format": "email",
        "maxLength": MAX_EMAIL_LENGTH,
    },
    "unit": _string(_SLUG),
    "staff": _string(_SLUG),
    "file": _file,
    "photo": _file,
    "signature": _signature,
    "table": _table,
}
