"""JSON Schema validation of one file, with each error turned into a located diagnostic."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from estateflow.definitions._compile import did_you_mean
from estateflow.definitions._located import Located
from estateflow.definitions._schema import schema_for
from estateflow.errors import Diagnostic

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(
        schema_for(kind), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def validate(located: Located) -> list[Diagnostic]:
    """Every schema problem of the file, located; one diagnostic per place."""
    found: dict[tuple, Diagnostic] = {}
    for error in _validator(located.kind).iter_errors(located.data):
        for diagnostic in _explain(error, located):
            found.setdefault((diagnostic.span.sort_key(), diagnostic.code), diagnostic)
    return list(found.values())


#: Places whose wrong value has a code of its own.
_ENUM_CODES = {"region": "unknown-region"}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "number"


def _expected(schema: dict) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    if not types:
        return "something else"
    return " or ".join(_TYPE_NAMES.get(t, t) for t in types)


def _explain(error: ValidationError, loc: Located) -> Iterator[Diagnostic]:
    at = tuple(error.absolute_path)
    where = f" in '{at[-1]}'" if at and isinstance(at[-1], str) else ""
    validator, value, schema = error.validator, error.instance, error.schema

    def diag(code: str, message: str, *, key_of: tuple | None = None, hint: str | None = None):
        span = loc.key_span(key_of) if key_of is not None else loc.span(at)
        return Diagnostic(code=code, message=message, span=span, hint=hint)

    if validator == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(schema.get("properties", {}))
        for key in value:
            if key not in schema.get("properties", {}):
                hint = did_you_mean(key, allowed)
                if value[key] is None and not key.isidentifier():
                    hint = (
                        f"'{key}' has no value: if it belongs to the text before it, quote "
                        "that text (a comma inside {…} starts a new entry)"
                    )
                yield diag(
                    "unknown-key", f"unknown key '{key}'{where}", key_of=(*at, key), hint=hint
                )
    elif validator == "required":
        for key in error.validator_value:
            if key not in value:
                yield diag(
                    "missing-key", f"'{key}' is missing{where}", key_of=at, hint=f"add '{key}: …'"
                )
    elif validator == "propertyNames":
        bad = [key for key in value if not _slug(key)]
        for key in bad:
            yield diag(
                "bad-id",
                f"'{key}' is not a valid id",
                key_of=(*at, key),
                hint="ids are lower-case letters, digits, '-' and '_', starting with a letter",
            )
    elif validator == "pattern" and schema.get("pattern", "").startswith("^[a-z]"):
        yield diag(
            "bad-id",
            f"'{value}' is not a valid id",
            hint="ids are lower-case letters, digits, '-' and '_', starting with a letter",
        )
    elif validator == "type":
        yield diag(
            "wrong-type",
            f"expected {_expected(schema)}{where}, found {_TYPE_NAMES[_type_of(value)]}",
        )
    elif validator in ("enum", "const"):
        code = _ENUM_CODES.get(str(at[-1]) if at else "", "bad-value")
        choices = error.validator_value if validator == "enum" else [error.validator_value]
        shown = [str(c) for c in choices]
        yield diag(code, f"'{value}' is not allowed{where}", hint=did_you_mean(str(value), shown))
    elif validator == "anyOf":
        yield from _explain_any_of(error, loc, diag, where)
    else:
        # minItems, minLength, minimum, pattern, …: jsonschema's sentence, lower-cased.
        message = error.message[0].lower() + error.message[1:]
        yield diag("bad-value", message.rstrip("."))


def _explain_any_of(error: ValidationError, loc: Located, diag, where: str):
    value = error.instance
    actual = _type_of(value)
    # Keep the branches that accept this type of value: their errors are the real ones.
    fitting = [
        e
        for e in error.context
        if not (e.validator == "type" and tuple(e.absolute_path) == tuple(error.absolute_path))
    ]
    if fitting:
        best = min(fitting, key=lambda e: len(e.absolute_path) * -1)
        branch = best.relative_schema_path[0] if best.relative_schema_path else None
        for sub in fitting:
            if not sub.relative_schema_path or sub.relative_schema_path[0] == branch:
                yield from _explain(sub, loc)
        return
    expected = []
    for sub in error.context:
        if sub.validator == "type":
            expected.append(_expected(sub.schema))
        elif sub.validator in ("enum", "const"):
            values = sub.validator_value if sub.validator == "enum" else [sub.validator_value]
            expected.append("one of " + ", ".join(f"'{v}'" for v in values))
    text = " or ".join(dict.fromkeys(e for e in expected if e)) or "another kind of value"
    yield diag("wrong-type", f"expected {text}{where}, found {_TYPE_NAMES[actual]}")


def _slug(key: Any) -> bool:
    import re

    return isinstance(key, str) and re.fullmatch(r"[a-z][a-z0-9_-]*", key) is not None
