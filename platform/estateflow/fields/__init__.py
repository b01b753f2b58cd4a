"""Form field types: their specs, JSON Schema, parsing of submitted input, display.

Layer: above ``rules`` (fields carry compiled rules), below ``definitions``.
"""

from estateflow.fields._spec import FIELD_KEYS, FIELD_TYPES, ID_KINDS, FieldSpec, Label, OptionSpec

__all__ = ("FIELD_KEYS", "FIELD_TYPES", "ID_KINDS", "FieldSpec", "Label", "OptionSpec")
