"""Form field types: their specs, JSON Schema, parsing of submitted input, display.

Layer: above ``rules`` (fields carry compiled rules), below ``definitions``. Pure: no I/O,
no clock, no asyncio. Trusts no input: every value submitted is parsed by
:func:`parse_value` into its clean form, or refused with a message for the person who
typed it; :func:`form_schema` states the shape a case stores, checked a second time.
"""

from estateflow.fields._clean import FormState, clean_form, evaluate_form_state
from estateflow.fields._errors import FieldError
from estateflow.fields._ids import ID_PATTERNS, mask
from estateflow.fields._parse import MAX_FILE_SIZE, empty_value, is_empty, parse_value
from estateflow.fields._schema import FORMAT_CHECKER, form_schema, form_validator
from estateflow.fields._spec import FIELD_KEYS, FIELD_TYPES, ID_KINDS, FieldSpec, Label, OptionSpec
from estateflow.fields._values import dump_values, load_values, rule_values

__all__ = (
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
    "dump_values",
    "empty_value",
    "evaluate_form_state",
    "form_schema",
    "form_validator",
    "is_empty",
    "load_values",
    "mask",
    "parse_value",
    "rule_values",
)
