"""The published JSON Schemas of the three file kinds, built from the key sets.

``schema_for(kind)`` is Draft 2020-12; ``schema_for(kind, draft="07")`` is the same schema
for the YAML language server, which does not support 2020-12. Steps are one object
type whose keys are all optional: which kind a step is (task, join, spawn, terminal)
is checked by the compiler, which can say so plainly where ``oneOf`` could not.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from estateflow.definitions import _keys as k
from estateflow.fields import FIELD_TYPES, ID_KINDS

ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
BASE_URI = "https://estateflow.example/schema"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _obj(keys: frozenset[str], props: dict[str, Any], required: tuple[str, ...] = ()) -> dict:
    missing = keys - props.keys()
    extra = props.keys() - keys
    if missing or extra:  # a programming error: the key sets are the source of truth
        raise AssertionError(f"schema and key set differ: missing {missing}, extra {extra}")
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def _list(item: dict, *, min_items: int = 0) -> dict:
    out: dict[str, Any] = {"type": "array", "items": item}
    if min_items:
        out["minItems"] = min_items
    return out


def _map(value: dict) -> dict:
    return {
        "type": "object",
        "propertyNames": {"pattern": ID_PATTERN},
        "additionalProperties": value,
    }


STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
NUMBER = {"type": "number"}
TEXT = {"type": "string", "minLength": 1}
INTEGER = {"type": "integer"}


def _defs() -> dict[str, Any]:
    scalar = {"type": ["string", "number", "boolean", "null"]}
    return {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "ids": _list(_ref("id")),
        "label": {
            "anyOf": [
                TEXT,
                {
                    "type": "object",
                    "properties": {lang: TEXT for lang in k.LANGUAGES},
                    "additionalProperties": False,
                    "minProperties": 1,
                },
            ]
        },
        "expression": {"type": ["string", "number", "boolean"], "minLength": 1},
        "expressions": _map(_ref("expression")),
        "duration": {
            "description": "a duration literal (10m, 1h, 24h, 24bh, 3bd) or an expression",
            "type": ["string", "null"],
        },
        "targets": {"anyOf": [_ref("id"), _list(_ref("id"), min_items=1)]},
        "param": {
            "anyOf": [scalar, {"type": "array", "items": scalar}, {"type": "object"}],
        },
        "field": _obj(
            k.FIELD_KEYS,
            {
                "type": {"enum": sorted(FIELD_TYPES)},
                "label": _ref("label"),
                "help": _ref("label"),
                "required": BOOLEAN,
                "required_if": _ref("expression"),
                "show_if": _ref("expression"),
                "readonly": BOOLEAN,
                "compute": _ref("expression"),
                "default": _ref("expression"),
                "min": {"type": ["number", "string"]},
                "max": {"type": ["number", "string"]},
                "min_length": {"type": "integer", "minimum": 0},
                "max_length": {"type": "integer", "minimum": 1},
                "pattern": TEXT,
                "options": _list(
                    {
                        "anyOf": [
                            {"type": ["string", "number"]},
                            {
                                "type": "object",
                                "properties": {
                                    "value": {"type": ["string", "number"]},
                                    "label": _ref("label"),
                                },
                                "required": ["value"],
                                "additionalProperties": False,
                            },
                        ]
                    },
                    min_items=1,
                ),
                "columns": _ref("fields"),
                "min_rows": {"type": "integer", "minimum": 0},
                "max_rows": {"type": "integer", "minimum": 1},
                "accept": _list(TEXT),
                "max_size": {"type": "integer", "minimum": 1},
                "kinds": _list({"enum": sorted(ID_KINDS)}, min_items=1),
                "places": {"type": "integer", "minimum": 0, "maximum": 12},
                "source": STRING,
            },
            required=("type",),
        ),
        "fields": _map({"anyOf": [_ref("field"), {"type": "null"}]}),
        "escalate": _obj(
            k.ESCALATE_KEYS,
            {"notify": _ref("ids"), "reassign": _ref("id"), "action": _ref("id")},
        ),
        "due": {
            "anyOf": [
                {"type": ["string", "null"]},
                _obj(
                    k.DUE_KEYS,
                    {
                        "within": _ref("duration"),
                        "at": _ref("expression"),
                        "calendar": _ref("id"),
                        "warn_at": {"type": "string"},
                        "escalate": _ref("escalate"),
                        "source": STRING,
                    },
                ),
            ]
        },
        "register_effect": _obj(
            k.REGISTER_EFFECT_KEYS,
            {
                "add": _ref("expressions"),
                "count": _ref("expression"),
                "remove": _obj(
                    k.REGISTER_REMOVE_KEYS, {"where": _ref("expressions")}, required=("where",)
                ),
                "update": _obj(
                    k.REGISTER_UPDATE_KEYS,
                    {"where": _ref("expressions"), "set": _ref("expressions")},
                    required=("where", "set"),
                ),
            },
        ),
        "action": _obj(
            k.ACTION_KEYS,
            {
                "label": _ref("label"),
                "when": _ref("expression"),
                "roles": _ref("ids"),
                "set": _ref("expressions"),
                "register": _map(_ref("register_effect")),
                "to": _ref("targets"),
                "route": _list(
                    _obj(
                        k.ROUTE_KEYS,
                        {"when": _ref("expression"), "to": _ref("targets")},
                        required=("to",),
                    ),
                    min_items=1,
                ),
                "pause": BOOLEAN,
                "resume": BOOLEAN,
                "notify": _ref("ids"),
                "confirm": _ref("label"),
                "source": STRING,
            },
        ),
        "assignee": {
            "anyOf": [
                {"enum": sorted(k.ASSIGNEE_NAMES)},
                {
                    "type": "object",
                    "properties": {key: _ref("id") for key in sorted(k.ASSIGNEE_KEYS)},
                    "additionalProperties": False,
                    "minProperties": 1,
                    "maxProperties": 1,
                },
            ]
        },
        "step": _obj(
            k.STEP_KEYS,
            {
                "title": _ref("label"),
                "description": _ref("label"),
                "source": STRING,
                "role": _ref("id"),
                "assignee": _ref("assignee"),
                "form": _ref("id"),
                "due": _ref("due"),
                "timer": _obj(
                    k.TIMER_KEYS,
                    {"after": TEXT, "action": _ref("id")},
                    required=("after", "action"),
                ),
                "skip_if": _ref("expression"),
                "kpi": _ref("id"),
                "actions": _map({"anyOf": [_ref("action"), {"type": "null"}]}),
                "join": _list(_ref("id"), min_items=1),
                "to": _ref("targets"),
                "spawn": _obj(
                    k.SPAWN_KEYS,
                    {"procedure": _ref("id"), "data": _ref("expressions")},
                    required=("procedure",),
                ),
                "wait": {"enum": ["child", "none"]},
                "terminal": _ref("id"),
            },
        ),
        "calendar": {
            "anyOf": [
                {"const": "24/7"},
                _obj(
                    k.CALENDAR_KEYS,
                    {"label": _ref("label"), "hours": {"type": ["object", "string"]}},
                    required=("hours",),
                ),
            ]
        },
        "register": _obj(
            k.REGISTER_KEYS,
            {"title": _ref("label"), "source": STRING, "fields": _ref("fields")},
            required=("fields",),
        ),
    }


def _procedure() -> dict:
    return _obj(
        k.PROCEDURE_KEYS,
        {
            "id": _ref("id"),
            "kind": {"const": "procedure"},
            "extends": _ref("id"),
            "title": _ref("label"),
            "description": _ref("label"),
            "source": STRING,
            "number_prefix": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{0,7}$"},
            "calendar": _ref("id"),
            "roles": _ref("ids"),
            "registers": _ref("ids"),
            "params": _map({"anyOf": [_ref("param")]}),
            "data": _ref("fields"),
            "start": _obj(
                k.START_KEYS,
                {"roles": _ref("ids"), "form": _ref("id"), "to": _ref("targets"), "source": STRING},
            ),
            "owner": {"enum": ["starter", "none"]},
            "due": _ref("due"),
            "steps": _map({"anyOf": [_ref("step"), {"type": "null"}]}),
        },
    )


def _form() -> dict:
    return _obj(
        k.FORM_KEYS,
        {
            "id": _ref("id"),
            "kind": {"const": "form"},
            "extends": _ref("id"),
            "title": _ref("label"),
            "description": _ref("label"),
            "source": STRING,
            "fields": _ref("fields"),
        },
    )


def _estate() -> dict:
    date = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    return _obj(
        k.ESTATE_KEYS,
        {
            "id": _ref("id"),
            "kind": {"const": "estate"},
            "name": _ref("label"),
            "source": STRING,
            "region": {"enum": list(k.REGIONS)},
            "locale": {"enum": list(k.LANGUAGES)},
            "currency": {"enum": list(k.CURRENCIES)},
            "timezone": TEXT,
            "years": _list({"type": "integer", "minimum": 2000, "maximum": 2100}, min_items=1),
            "library": TEXT,
            "calendars": _map(_ref("calendar")),
            "holidays": _obj(k.HOLIDAY_KEYS, {"closed": _list(date), "open": _list(date)}),
            "buildings": _list(
                _obj(k.BUILDING_KEYS, {"id": _ref("id"), "name": _ref("label")}, required=("id",))
            ),
            "roles": _map(
                {
                    "anyOf": [
                        {"type": "null"},
                        _obj(k.ROLE_KEYS, {"label": _ref("label"), "calendar": _ref("id")}),
                    ]
                }
            ),
            "shifts": _map(
                _map(
                    _obj(
                        k.SHIFT_KEYS,
                        {"label": _ref("label"), "hours": TEXT, "hands_over_to": _ref("id")},
                        required=("hours",),
                    )
                )
            ),
            "params": _map({"type": "object"}),
            "registers": _map(_ref("register")),
            "procedures": _ref("ids"),
            "demo": _obj(k.DEMO_KEYS, {key: TEXT for key in k.DEMO_KEYS}),
        },
        required=("id", "region", "timezone", "currency"),
    )


_BUILDERS = {"procedure": _procedure, "form": _form, "estate": _estate}
_CACHE: dict[tuple[str, str], dict] = {}


def schema_for(kind: str, draft: str = "2020-12") -> dict[str, Any]:
    """The JSON Schema of one file kind; a fresh copy the caller may change."""
    key = (kind, draft)
    if key not in _CACHE:
        body = _BUILDERS[kind]()
        schema = {
            "$schema": DRAFT_2020,
            "$id": f"{BASE_URI}/{kind}.json",
            "title": f"EstateFlow {kind}",
            **body,
            "$defs": _defs(),
        }
        if draft == "07":
            text = json.dumps(schema).replace("#/$defs/", "#/definitions/")
            schema = json.loads(text)
            schema["definitions"] = schema.pop("$defs")
            schema["$schema"] = DRAFT_07
        elif draft != "2020-12":
            raise ValueError(f"unknown draft {draft!r}")
        _CACHE[key] = schema
    return copy.deepcopy(_CACHE[key])
