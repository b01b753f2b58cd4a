"""The published schemas, the key sets and the spec dataclasses agree."""

from __future__ import annotations

import dataclasses

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from estateflow import definitions as d
from estateflow.definitions import _keys as k
from estateflow.definitions import schema_for
from estateflow.fields import FieldSpec

# (key set, spec class, fields the spec has beyond the keys, keys the spec does not keep)
TIES = [
    (k.PROCEDURE_KEYS, d.ProcedureSpec, {"path", "span"}, {"kind"}),
    (k.START_KEYS, d.StartSpec, set(), set()),
    (k.STEP_KEYS, d.StepSpec, {"id", "kind", "span"}, set()),
    (k.ACTION_KEYS, d.ActionSpec, {"id", "span"}, set()),
    (k.ROUTE_KEYS, d.RouteSpec, {"span"}, set()),
    (k.DUE_KEYS, d.DeadlineSpec, {"span"}, set()),
    (k.ESCALATE_KEYS, d.EscalationSpec, set(), set()),
    (k.TIMER_KEYS, d.TimerSpec, {"span"}, set()),
    (k.SPAWN_KEYS, d.SpawnSpec, set(), set()),
    (k.FORM_KEYS, d.FormSpec, {"path", "span"}, {"kind"}),
    (k.FIELD_KEYS, FieldSpec, {"id", "span"}, set()),
    (k.ESTATE_KEYS, d.EstateSpec, {"path", "span"}, {"kind"}),
    (k.CALENDAR_KEYS, d.CalendarSpec, {"id", "calendar"}, set()),
    (k.HOLIDAY_KEYS, d.HolidaysSpec, set(), set()),
    (k.BUILDING_KEYS, d.BuildingSpec, set(), set()),
    (k.ROLE_KEYS, d.RoleSpec, {"id"}, set()),
    (k.SHIFT_KEYS, d.ShiftSpec, {"id", "role"}, set()),
    (k.REGISTER_KEYS, d.RegisterSpec, {"id"}, set()),
]


@pytest.mark.parametrize(
    ("keys", "spec", "extra", "dropped"), TIES, ids=lambda x: getattr(x, "__name__", "")
)
def test_spec_fields_are_the_keys(keys, spec, extra, dropped):
    names = {f.name for f in dataclasses.fields(spec)}
    assert names == (keys - dropped) | extra


def _objects(schema, out):
    if isinstance(schema, dict):
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and schema.get("additionalProperties") is False
        ):
            out.append(frozenset(schema["properties"]))
        for value in schema.values():
            _objects(value, out)
    elif isinstance(schema, list):
        for value in schema:
            _objects(value, out)
    return out


@pytest.mark.parametrize("kind", ["procedure", "form", "estate"])
def test_every_closed_object_of_the_schema_is_a_key_set(kind):
    known = {
        value
        for name, value in vars(k).items()
        if name.endswith("_KEYS") and isinstance(value, frozenset)
    }
    known.add(frozenset({"value", "label"}))  # an option of a select field
    known.add(frozenset(k.LANGUAGES))  # a label in several languages
    for props in _objects(schema_for(kind), []):
        assert props in known, f"schema object {sorted(props)} matches no key set"


@pytest.mark.parametrize("kind", ["procedure", "form", "estate"])
def test_schemas_are_valid_in_both_drafts(kind):
    Draft202012Validator.check_schema(schema_for(kind))
    draft7 = schema_for(kind, "07")
    Draft7Validator.check_schema(draft7)
    assert "$defs" not in draft7 and "definitions" in draft7
    assert "#/$defs/" not in str(draft7)
