"""Form field types: their specs, JSON Schema, parsing of submitted input, display.

Layer: above ``rules`` (fields carry compiled rules), below ``definitions``. Pure: no I/O,
no clock (``now`` comes in ``env``), no asyncio. Trusts no input: every value submitted is
parsed by :func:`parse_value` and the whole form checked by :func:`clean_form`, which also
runs the form's expressions and its JSON Schema.

    values = clean_form(spec.fields, request_form, env=env, currency="HKD",
                        region="HK", timezone="Asia/Hong_Kong")   # raises Invalid
    stored = dump_values(spec.fields, values)                     # JSON for the case
    text = display_value(spec.fields["fee"], values["fee"], locale="zh-Hant", currency="HKD")
"""

from estateflow.fields._clean import FormState, clean_form, evaluate_form_state
from estateflow.fields._display import CURRENCY_SYMBOLS, display_value, label_text
from estateflow.fields._errors import FieldError
from estateflow.fields._ids import ID_PATTERNS, mask
from estateflow.fields._parse import MAX_FILE_SIZE, empty_value, is_empty, parse_value
from estateflow.fields._schema import FORMAT_CHECKER, form_schema, form_validator
from estateflow.fields._spec import FIELD_KEYS, FIELD_TYPES, ID_KINDS, FieldSpec, Label, OptionSpec
from estateflow.fields._values import (
    converted_fields,
    dump_values,
    load_values,
    rule_value,
    rule_values,
)

__all__ = (
    "CURRENCY_SYMBOLS",
    "FIELD_KEYS",
    "FIELD_TYPES",
    "FORMAT_CHECKER",
    "ID_KINDS",
    "ID_PATTERNS",
    "MAX_FILE_SIZE",
    "FieldError",
    "FieldSpec",
    "FormState",
    "Label",
    "OptionSpec",
    "clean_form",
    "converted_fields",
    "display_value",
    "dump_values",
    "empty_value",
    "evaluate_form_state",
    "form_schema",
    "form_validator",
    "is_empty",
    "label_text",
    "load_values",
    "mask",
    "parse_value",
    "rule_value",
    "rule_values",
)
