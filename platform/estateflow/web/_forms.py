"""From an HTML form to the raw values ``fields.clean_form`` reads, and back.

Inputs are named ``f.<field>``; a table cell ``f.<field>.<row>.<column>``; a typed-name
signature ``f.<field>.typed``; a drawn one ``f.<field>.image``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from estateflow.fields import FieldSpec

_CELL = re.compile(r"^f\.([a-z][a-z0-9_-]*)\.(\d+)\.([a-z][a-z0-9_-]*)$")
#: Rows a repeating table may be given through one form.
MAX_ROWS = 200


def collect(
    fields: Mapping[str, FieldSpec], form: Any, files: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The submitted values, field by field (absent fields are left out).

    ``files`` holds the stored uploads: ``{field: ref}`` for a file field and
    ``{field: {row: {column: ref}}}`` for file columns of a table.
    """
    files = files or {}
    raw: dict[str, Any] = {}
    for field in fields.values():
        key = f"f.{field.id}"
        if field.type == "multiselect":
            raw[field.id] = [v for v in form.getall(key, []) if v != ""]
        elif field.type == "boolean":
            raw[field.id] = form.get(key) or ""
        elif field.type == "signature":
            typed = (form.get(f"{key}.typed") or "").strip()
            image = form.get(f"{key}.image") or ""
            if image:
                raw[field.id] = {"image": image}
            elif typed:
                raw[field.id] = {"typed": typed}
        elif field.type == "table":
            raw[field.id] = _rows(field, form, files.get(field.id) or {})
        elif field.type in ("file", "photo"):
            if field.id in files:
                raw[field.id] = files[field.id]
        elif key in form:
            raw[field.id] = form.get(key)
    return raw


def _rows(
    field: FieldSpec, form: Any, files: Mapping[int, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for key in form:
        match = _CELL.match(key)
        if match and match[1] == field.id and int(match[2]) < MAX_ROWS:
            value = form.get(key)
            if isinstance(value, str):  # uploads arrive through ``files``
                rows.setdefault(int(match[2]), {})[match[3]] = value
    for index, cells in files.items():
        rows.setdefault(int(index), {}).update(cells)
    out = []
    for index in sorted(rows):
        row = rows[index]
        if any(v if not isinstance(v, str) else v.strip() for v in row.values()):
            out.append(row)
    return out


def as_inputs(fields: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the form's inputs show them again (after a refused submit)."""
    shown: dict[str, Any] = {}
    for field_id, value in values.items():
        field = fields.get(field_id)
        if field is None or value is None:
            continue
        if field.type == "id_document" and isinstance(value, Mapping):
            shown[field_id] = value.get("number", "")
        else:
            shown[field_id] = value
    return shown
