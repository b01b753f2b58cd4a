from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from estateflow.errors import Invalid
from estateflow.fields import (
    FIELD_TYPES,
    FormState,
    clean_form,
    converted_fields,
    evaluate_form_state,
    rule_value,
    rule_values,
)
from estateflow.rules import RegisterView, compile_rule
from tests.fields.samples import field, form

HK = ZoneInfo("Asia/Hong_Kong")
NOW = datetime(2026, 3, 2, 10, 15, tzinfo=HK)
ENV = {"now": NOW, "params": {"card_fee": Decimal("50"), "free_cards": 3}, "case": {"paid": True}}

#: Shaped after forms/owner-card.yaml, with the register counts as plain params.
OWNER_CARD = form(
    field("unit", "unit", required=True),
    field("select", "occasion", required=True, default="'move_in'", options=("move_in", "extra")),
    field("boolean", "checked", default="true", show_if="form.occasion == 'move_in'"),
    field("integer", "cards", required=True, min=1, max=50, default="params.free_cards"),
    field("money", "fee", readonly=True,
          compute="max(0, form.cards - params.free_cards) * params.card_fee"),
    field("signature", "receipt", required=True, show_if="form.fee > 0"),
    field("datetime", "at", default="now"),
)  # fmt: skip


def clean(fields, raw, env=ENV):
    return clean_form(fields, raw, env=env, currency="HKD", region="HK", timezone="Asia/Hong_Kong")


def invalid(fields, raw, env=ENV):
    with pytest.raises(Invalid) as caught:
        clean(fields, raw, env)
    return caught.value.errors


def test_a_good_submission_gives_clean_values_in_declaration_order():
    values = clean(OWNER_CARD, {"unit": "T1-1A", "occasion": "move_in", "checked": "on",
                                "cards": "2", "at": "2026-03-02T09:00"})  # fmt: skip
    assert values == {
        "unit": "T1-1A",
        "occasion": "move_in",
        "checked": True,
        "cards": 2,
        "fee": Decimal("0.00"),
        "at": "2026-03-02T09:00:00+08:00",
    }
    assert list(values) == ["unit", "occasion", "checked", "cards", "fee", "at"]


def test_a_readonly_computed_value_ignores_what_was_submitted():
    raw = {"unit": "T1-1A", "cards": "5", "fee": "0", "receipt": "陳大文"}
    values = clean(OWNER_CARD, raw)
    assert values["fee"] == Decimal("100.00")
    assert type(values["fee"]) is Decimal


def test_show_if_on_a_computed_value_hides_and_shows_a_field():
    without_fee = clean(OWNER_CARD, {"unit": "T1-1A", "cards": "3", "receipt": "陳大文"})
    assert "receipt" not in without_fee
    errors = invalid(OWNER_CARD, {"unit": "T1-1A", "cards": "4"})
    assert errors == {"receipt": ("sign here",)}


def test_a_hidden_field_is_never_required_and_its_bad_input_is_forgotten():
    values = clean(OWNER_CARD, {"unit": "T1-1A", "cards": "3", "occasion": "extra",
                                "checked": "maybe", "receipt": {"broken": 1}})  # fmt: skip
    assert "checked" not in values
    assert "receipt" not in values


def test_every_message_comes_at_once():
    errors = invalid(OWNER_CARD, {"unit": "", "occasion": "other", "cards": "0"})
    assert errors == {
        "unit": ("choose a unit",),
        "occasion": ("choose one of the listed options",),
        "cards": ("enter 1 or more",),
    }


def test_defaults_fill_absent_values_only():
    values = clean(OWNER_CARD, {"unit": "T1-1A"})
    assert values["occasion"] == "move_in"
    assert values["cards"] == 3
    assert values["at"] == "2026-03-02T10:15:00+08:00"
    errors = invalid(OWNER_CARD, {"unit": "T1-1A", "cards": ""})  # cleared: stays empty
    assert errors == {"cards": ("fill in this field",)}


def test_a_default_the_field_refuses_is_left_out_quietly():
    fields = form(field("integer", "permits", required=True, min=1, default="params.none"))
    env = {**ENV, "params": {"none": 0}}
    state = evaluate_form_state(fields, None, env=env)
    assert state.values == {"permits": None}
    assert state.ok
    assert invalid(fields, {}, env) == {"permits": ("fill in this field",)}


def test_a_readonly_default_the_field_refuses_is_reported():
    fields = form(field("integer", "permits", readonly=True, min=1, default="0"))
    assert invalid(fields, {}) == {
        "permits": ("the default value is not accepted: enter 1 or more",)
    }


def test_an_unticked_box_is_false_even_with_a_true_default():
    values = clean(OWNER_CARD, {"unit": "T1-1A"})
    assert values["checked"] is False


def test_first_render_applies_every_default_and_reports_nothing_missing():
    state = evaluate_form_state(OWNER_CARD, None, env=ENV, timezone="Asia/Hong_Kong")
    assert isinstance(state, FormState)
    assert state.ok
    assert state.values["checked"] is True
    assert state.values["cards"] == 3
    assert state.computed == {"fee": Decimal("0.00")}
    assert "receipt" not in state.visible
    assert state.required == {"unit", "occasion", "cards"}


def test_live_state_follows_the_latest_change_without_raising():
    state = evaluate_form_state(OWNER_CARD, {"unit": "T1-1A", "cards": "6"}, env=ENV,
                                region="HK", timezone="Asia/Hong_Kong")  # fmt: skip
    assert state.computed == {"fee": Decimal("150.00")}
    assert "receipt" in state.visible
    assert "receipt" in state.required
    assert state.errors == {"receipt": ("sign here",)}


def test_a_field_still_empty_leaves_rules_undecided_without_messages():
    state = evaluate_form_state(OWNER_CARD, {"unit": "T1-1A", "cards": "x"}, env=ENV)
    assert state.errors == {"cards": ("enter a whole number",)}
    assert state.computed == {"fee": None}
    assert "receipt" not in state.visible


def test_required_if():
    fields = form(
        field("select", "origin", options=("client", "internal")),
        field("phone", "phone", required_if="form.origin == 'client'"),
    )
    assert invalid(fields, {"origin": "client"}) == {"phone": ("fill in this field",)}
    assert clean(fields, {"origin": "internal"}) == {"origin": "internal", "phone": None}
    assert clean(fields, {"origin": "client", "phone": "2345 6789"})["phone"] == "+85223456789"


def test_required_if_reads_the_case():
    fields = form(field("signature", "receipt", required_if="case.paid"))
    assert invalid(fields, {}) == {"receipt": ("sign here",)}
    assert clean(fields, {}, {**ENV, "case": {"paid": False}}) == {"receipt": None}


def test_a_failing_rule_becomes_a_message_on_its_field():
    fields = form(
        field("integer", "total", required=True),
        field("integer", "parts", required=True),
        field("decimal", "each", readonly=True, compute="form.total / form.parts"),
    )
    errors = invalid(fields, {"total": "10", "parts": "0"})
    assert errors == {"each": ("could not work out this value: division by zero",)}
    assert clean(fields, {"total": "10", "parts": "4"})["each"] == Decimal("2.5")


def test_a_rule_naming_a_missing_value_of_the_env_is_reported():
    fields = form(field("text", "note", show_if="case.severity == 'major'"))
    errors = invalid(fields, {"note": "x"}, {"now": NOW, "case": {}})
    assert list(errors) == ["note"]
    assert errors["note"][0].startswith("could not work out whether this field applies: ")


def test_an_editable_computed_field_is_computed_only_when_left_empty():
    fields = form(
        field("integer", "people", required=True),
        field("money", "quote", compute="form.people * 12.345"),
    )
    assert clean(fields, {"people": "2"})["quote"] == Decimal("24.69")  # computed: rounds half up
    assert clean(fields, {"people": "2", "quote": "20"})["quote"] == Decimal("20.00")


def test_computed_values_read_earlier_computed_values():
    fields = form(
        field("integer", "n", required=True),
        field("integer", "double", readonly=True, compute="form.n * 2"),
        field("integer", "quadruple", readonly=True, compute="form.double * 2"),
    )
    assert clean(fields, {"n": "3"}) == {"n": 3, "double": 6, "quadruple": 12}


def test_a_computed_value_never_reads_a_hidden_fields_input():
    fields = form(
        field("boolean", "extra"),
        field("integer", "extra_cards", show_if="form.extra"),
        field("integer", "total", readonly=True, compute="1 + (form.extra_cards or 0)"),
    )
    assert clean(fields, {"extra": "on", "extra_cards": "4"})["total"] == 5
    values = clean(fields, {"extra_cards": "4"})  # box unticked, stale input still sent
    assert values == {"extra": False, "total": 1}


def test_a_computed_value_outside_the_fields_bounds_is_reported():
    fields = form(
        field("integer", "n", required=True),
        field("integer", "capped", readonly=True, max=10, compute="form.n * 5"),
    )
    assert invalid(fields, {"n": "3"}) == {
        "capped": ("the computed value is not accepted: enter 10 or less",)
    }


def test_rules_see_dates_and_moments_as_values():
    fields = form(
        field("datetime", "visit_at", required=True),
        field("datetime", "leave_at", required=True),
        field("text", "reason", required_if="form.leave_at - form.visit_at > hours(4)"),
        field("date", "on", required=True),
        field("boolean", "past", readonly=True, compute="form.on < today()"),
    )
    raw = {"visit_at": "2026-03-02T09:00", "leave_at": "2026-03-02T15:00", "on": "2026-03-01"}
    assert invalid(fields, raw) == {"reason": ("fill in this field",)}
    values = clean(fields, {**raw, "leave_at": "2026-03-02T12:00"})
    assert values["past"] is True
    assert rule_values(fields, values)["on"] == date(2026, 3, 1)


def test_table_errors_are_keyed_by_field_row_and_column():
    fields = form(
        field("table", "workers", required=True, min_rows=1, columns=(
            field("text", "name", required=True), field("integer", "age"))),
    )  # fmt: skip
    errors = invalid(fields, {"workers": [{"name": "陳"}, {"age": "x"}]})
    assert errors == {
        "workers[1].name": ("fill in this field",),
        "workers[1].age": ("enter a whole number",),
    }
    assert invalid(fields, {"workers": []}) == {"workers": ("add at least one row",)}
    assert clean(fields, {"workers": [{"name": "陳", "age": "30"}]}) == {
        "workers": [{"name": "陳", "age": 30}]
    }


def test_the_schema_runs_on_every_submission(monkeypatch):
    import estateflow.fields._clean as clean_module

    fields = form(field("money", "fee", required=True))
    monkeypatch.setattr(clean_module, "parse_value", lambda *args, **kw: 12.5)  # a float slips by
    errors = invalid(fields, {"fee": "12.50"})
    assert list(errors) == ["fee"]
    assert errors["fee"][0].startswith("this value is not valid: ")


def test_keys_that_are_not_fields_are_ignored():
    fields = form(field("text", "a"))
    assert clean(fields, {"a": "x", "_csrf": "token", "fee": "9"}) == {"a": "x"}


def test_expressions_wrapped_with_their_source_are_accepted_as_well_as_bare_rules():
    @dataclass(frozen=True)
    class Expr:  # the shape of definitions' Expr: the compiled rule and where it stands
        source: str
        rule: object

    expr = Expr(source="form.n + 1", rule=compile_rule("form.n + 1"))
    fields = form(field("integer", "n"), field("integer", "m", readonly=True, compute=expr))
    assert clean(fields, {"n": "1"}) == {"n": 1, "m": 2}


def test_the_owner_card_fee_is_computed_over_the_registers():
    """001 (四)2: three free cards per household member, then the card fee for each."""
    fields = form(
        field("unit", "unit", required=True),
        field("integer", "cards", required=True, min=1),
        field("money", "fee", readonly=True, compute=(
            "max(0, registers.cards.count(unit=form.unit) + form.cards"
            " - params.free * registers.members.count(unit=form.unit)) * params.card_fee")),
    )  # fmt: skip
    registers = {
        "members": RegisterView([{"unit": "T1-1A"}] * 2 + [{"unit": "T1-1B"}], name="members"),
        "cards": RegisterView([{"unit": "T1-1A"}] * 5, name="cards"),
    }
    env = {**ENV, "registers": registers, "params": {"free": 3, "card_fee": Decimal("50")}}
    assert clean(fields, {"unit": "T1-1A", "cards": "1", "fee": "0"}, env)["fee"] == Decimal("0.00")
    assert clean(fields, {"unit": "T1-1A", "cards": "3"}, env)["fee"] == Decimal("100.00")


#: A stored value of each field kind, as a case or a step record holds it.
_STORED = {
    "text": "a", "textarea": "a", "integer": 3, "decimal": "1.5", "money": "12.50",
    "date": "2026-03-01", "time": "09:30", "datetime": "2026-03-02T09:00:00+08:00",
    "duration": "2h", "select": "a", "multiselect": ["a"], "boolean": True,
    "phone": "+85291234567", "id_document": "A1234563", "email": "a@example.com",
    "unit": "A-1201", "staff": "amy", "file": {"name": "a.pdf"}, "photo": {"name": "a.jpg"},
    "signature": "amy", "rating": 3, "table": [{"name": "amy"}],
}  # fmt: skip


def test_converted_fields_are_exactly_those_whose_values_rules_see_changed():
    """The engine converts only these fields' values when it builds what rules see."""
    assert set(_STORED) == FIELD_TYPES
    columns = {"table": {"columns": (field("text", "name"),)}}
    fields = form(*(field(kind, kind, **columns.get(kind, {})) for kind in sorted(FIELD_TYPES)))
    changed = {
        kind for kind, value in _STORED.items() if rule_value(fields[kind], value) is not value
    }
    assert set(converted_fields(fields)) == changed
    assert changed == {"decimal", "money", "date", "time", "datetime", "duration", "table"}
