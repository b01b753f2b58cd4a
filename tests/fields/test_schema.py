from __future__ import annotations

import json
from decimal import Decimal
from types import MappingProxyType

import pytest
from jsonschema import Draft202012Validator

from estateflow.fields import (
    FIELD_TYPES,
    FORMAT_CHECKER,
    dump_values,
    form_schema,
    form_validator,
    parse_value,
)
from estateflow.fields._schema import decimal_pattern, field_schema
from tests.fields.samples import CN_ID, field, form

SHA = "cd" * 32

#: One field of every type with a clean value for it.
EXAMPLES = {
    "text": (field("text", "text", required=True), "陳大文"),
    "textarea": (field("textarea", "textarea"), "a\nb"),
    "integer": (field("integer", "integer", min=1, max=9), 3),
    "decimal": (field("decimal", "decimal", places=3), Decimal("1.250")),
    "money": (field("money", "money"), Decimal("12.50")),
    "date": (field("date", "date"), "2026-03-01"),
    "time": (field("time", "time"), "09:30"),
    "datetime": (field("datetime", "datetime"), "2026-03-01T09:30:00+08:00"),
    "duration": (field("duration", "duration"), "24bh"),
    "select": (field("select", "select", options=("a", "b")), "a"),
    "multiselect": (field("multiselect", "multiselect", options=("a", "b")), ["a", "b"]),
    "boolean": (field("boolean", "boolean"), False),
    "phone": (field("phone", "phone"), "+85223456789"),
    "id_document": (field("id_document", "id_document"), {"kind": "cn_resident", "number": CN_ID}),
    "email": (field("email", "email"), "a@example.com"),
    "unit": (field("unit", "unit"), "T1-1A"),
    "staff": (field("staff", "staff"), "wychan"),
    "file": (field("file", "file"), {"name": "a.pdf", "size": 9, "type": "application/pdf",
                                     "sha256": SHA}),
    "photo": (field("photo", "photo"), {"name": "a.jpg", "size": 9, "type": "image/jpeg",
                                        "sha256": SHA}),
    "signature": (field("signature", "signature"), {"typed": "陳大文"}),
    "rating": (field("rating", "rating"), 4),
    "table": (field("table", "table", columns=(field("money", "cost"),)),
              [{"cost": Decimal("1.00")}]),
}  # fmt: skip
EVERY = form(*(spec for spec, _ in EXAMPLES.values()))
GOOD = {fid: value for fid, (_, value) in EXAMPLES.items()}


def errors_of(fields, values, currency="HKD"):
    validator = form_validator(fields, currency=currency)
    return sorted(
        (list(e.absolute_path), e.validator)
        for e in validator.iter_errors(dump_values(fields, values))
    )


def test_every_field_type_has_an_example():
    assert set(EXAMPLES) == FIELD_TYPES


def test_the_schema_is_valid_draft_2020_12_and_plain_json():
    schema = form_schema(EVERY, currency="HKD")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json.loads(json.dumps(schema)) == schema  # no Decimal, no float bounds
    assert "multipleOf" not in json.dumps(schema)


def test_clean_values_of_every_type_pass():
    assert errors_of(EVERY, GOOD) == []


def test_money_is_a_string_of_a_decimal_number():
    schema = field_schema(field("money", required=True), "CNY")
    assert schema["type"] == "string"
    assert schema["pattern"] == r"^-?[0-9]+(\.[0-9]{1,2})?$"
    assert schema["description"] == "an amount in CNY"
    assert dump_values({"m": field("money")}, {"m": Decimal("12.50")}) == {"m": "12.50"}


@pytest.mark.parametrize(
    ("places", "good", "bad"),
    [(2, "-12.34", "12.345"), (0, "12", "12.0"), (None, "1.23456", "1e5"), (2, "0.5", "１２")],
)
def test_decimal_pattern(places, good, bad):
    validator = Draft202012Validator({"type": "string", "pattern": decimal_pattern(places)})
    assert validator.is_valid(good)
    assert not validator.is_valid(bad)


@pytest.mark.parametrize(
    ("fid", "bad"),
    [
        ("money", 12.5),  # a float, never
        ("money", "12.345"),
        ("integer", 10),
        ("date", "2026-02-30"),
        ("date", "2026-3-1"),
        ("time", "24:00"),
        ("datetime", "2026-03-01T09:30:00"),  # no offset
        ("datetime", "2026-02-30T09:30:00+08:00"),
        ("duration", "1.5h"),
        ("select", "c"),
        ("multiselect", ["a", "a"]),
        ("phone", "23456789"),
        ("id_document", {"kind": "hkid", "number": CN_ID}),
        ("id_document", {"kind": "cn_resident", "number": CN_ID, "name": "x"}),
        ("email", "nobody"),
        ("unit", "T1 1A"),
        ("photo", {"name": "a.pdf", "size": 9, "type": "application/pdf", "sha256": SHA}),
        ("signature", {"typed": ""}),
        ("signature", {"image": "data:text/html;base64,PGI+"}),
        ("rating", 6),
        ("table", [{"cost": 1}]),
        ("boolean", None),
        ("text", None),
    ],
)
def test_values_of_the_wrong_shape_fail(fid, bad):
    assert errors_of(EVERY, {**GOOD, fid: bad})


def test_optional_fields_may_be_null_and_required_ones_may_not():
    assert errors_of(EVERY, {**GOOD, "money": None, "date": None, "signature": None}) == []
    assert errors_of(EVERY, {**GOOD, "text": None}) == [(["text"], "type")]


def test_a_field_with_show_if_may_be_missing_and_others_may_not():
    fields = form(field("text", "a"), field("text", "b", show_if="form.a == 'x'"))
    assert errors_of(fields, {"a": None}) == []
    assert errors_of(fields, {"b": None}) == [([], "required")]
    assert errors_of(fields, {"a": None, "c": 1}) == [([], "additionalProperties")]


def test_required_boolean_must_be_true():
    fields = form(field("boolean", "agree", required=True))
    assert errors_of(fields, {"agree": True}) == []
    assert errors_of(fields, {"agree": False})


def test_parse_value_output_always_fits_the_schema():
    raw = {"integer": "5", "money": "7", "decimal": "0.5", "datetime": "2026-03-01T09:30",
           "id_document": "A1234563", "duration": "90 m", "time": "9:05"}  # fmt: skip
    values = {**GOOD}
    for fid, text in raw.items():
        values[fid] = parse_value(EVERY[fid], text, region="HK", timezone="Asia/Hong_Kong")
    assert errors_of(EVERY, values) == []


def test_schema_is_built_once_per_mapping_and_currency():
    fields = MappingProxyType(dict(EVERY))
    first = form_schema(fields, currency="HKD")
    assert form_schema(fields, currency="HKD") is first
    assert form_validator(fields, currency="HKD") is form_validator(fields, currency="HKD")
    assert form_schema(fields, currency="MOP") is not first
    assert form_schema(MappingProxyType(dict(EVERY)), currency="HKD") is not first


def test_format_checker_really_checks_dates_and_times():
    assert FORMAT_CHECKER.conforms("2026-02-28", "date")
    assert not FORMAT_CHECKER.conforms("2026-02-29", "date")
    assert FORMAT_CHECKER.conforms("2026-03-01T09:30:00+08:00", "date-time")
    assert FORMAT_CHECKER.conforms("2026-03-01T01:30:00Z", "date-time")
    assert not FORMAT_CHECKER.conforms("2026-03-01T24:30:00+08:00", "date-time")
    assert not FORMAT_CHECKER.conforms("2026-03-01 09:30", "date-time")


def test_the_cache_is_bounded(monkeypatch):
    import estateflow.fields._schema as schema_module

    monkeypatch.setattr(schema_module, "SCHEMA_CACHE_SIZE", 2)
    forms = [form(field("text", f"f{n}")) for n in range(3)]
    first = form_schema(forms[0], currency="HKD")
    form_schema(forms[1], currency="HKD")
    form_schema(forms[2], currency="HKD")
    assert len(schema_module._cache) <= 2
    assert form_schema(forms[0], currency="HKD") is not first
    assert form_schema(forms[0], currency="HKD") == first
