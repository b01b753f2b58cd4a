"""Evaluation: exact decimals, strict names, bounded values, coded errors only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from estateflow.errors import RuleError
from estateflow.rules import (
    MAX_LIST_LENGTH,
    MAX_STRING_LENGTH,
    RegisterView,
    compile_rule,
    evaluate,
)

from .samples import NOW


def run(source: str, env: dict | None = None):
    return evaluate(compile_rule(source), env or {})


def fails(source: str, env: dict | None = None) -> RuleError:
    with pytest.raises(RuleError) as caught:
        run(source, env)
    return caught.value


# -- numbers ---------------------------------------------------------------------------
def test_point_one_times_three_equals_point_three():
    assert run("0.1 * 3 == 0.3") is True


def test_number_literals_are_decimals_read_from_their_text():
    assert run("0.1") == Decimal("0.1")
    assert str(run("1.10")) == "1.10"
    assert run("1_000") == Decimal(1000)
    assert run("0x1F") == Decimal(31)
    assert run("1.5e3") == Decimal("1.5E+3")
    assert type(run("3")) is Decimal


def test_money_adds_up_exactly():
    assert run("0.1 + 0.2") == Decimal("0.3")
    assert run("19.99 * 3") == Decimal("59.97")


@pytest.mark.parametrize(
    ("source", "expected"),
    [("7 // 2", 3), ("-7 // 2", -4), ("7 % 3", 1), ("-7 % 3", 2), ("7 % -3", -2), ("1 / 4", 0.25)],
)
def test_division_follows_python_floor_semantics(source, expected):
    assert run(source) == Decimal(str(expected))


def test_unary_minus_and_plus():
    assert run("-(2 - 5)") == Decimal(3)
    assert run("+2") == Decimal(2)


def test_ints_from_the_environment_mix_with_decimals(env):
    assert run("form.cards * params.card_fee", env) == Decimal("100.00")


def test_division_by_zero_is_a_rule_error():
    error = fails("1 / (2 - 2)")
    assert (error.code, error.message) == ("rule-value", "division by zero")
    assert fails("1 % 0").code == "rule-value"
    assert fails("1 // 0").code == "rule-value"


def test_huge_numbers_typed_by_users_hit_the_limit():
    huge = {"n": Decimal("9" * 20)}
    assert fails("case.n * case.n * case.n", {"case": huge}).code == "rule-limit"
    assert fails("case.n + 1", {"case": {"n": 10**40}}).code == "rule-limit"


def test_float_values_do_not_mix_with_money():
    assert fails("case.x + 0.1", {"case": {"x": 0.2}}).code == "rule-type"


def test_booleans_are_not_numbers():
    assert fails("true + 1").code == "rule-type"


# -- names and values ------------------------------------------------------------------
def test_dict_keys_read_as_attributes_and_subscripts(env):
    assert run("case.severity", env) == "major"
    assert run("params.forward_within[case.severity]", env) == "10m"
    assert run("steps['investigate'].valid", env) is True


def test_dict_keys_win_over_dict_methods():
    assert run("case.items", {"case": {"items": 3}}) == 3
    assert fails("case.items", {"case": {}}).code == "undefined"


def test_missing_field_is_an_error_never_false(env):
    for source in ("case.valdi", "not case.valdi", "case.valdi == 'x'", "case.valdi or true"):
        error = fails(source, env)
        assert error.code == "undefined", source
    assert "'case.valdi'" in fails("case.valdi", env).message


def test_missing_root_is_an_error():
    error = fails("form.valid", {})
    assert error.code == "undefined"
    assert "'form'" in error.message


def test_missing_subscript_names_the_key(env):
    error = fails("params.forward_within['minor']", env)
    assert error.code == "undefined"
    assert "'minor'" in error.message


def test_missing_value_inside_a_built_list_is_caught(env):
    assert fails("[case.valdi]", env).code == "undefined"
    assert fails("{'a': case.valdi}", env).code == "undefined"


def test_none_is_a_value_not_a_missing_one(env):
    assert run("case.valid == none", env) is True
    assert run("case.valid|default(false)", env) is False


def test_default_fills_a_missing_value(env):
    assert run("case.valdi|default('none given')", env) == "none given"
    assert run("case.severity|default('x')", env) == "major"


def test_list_items_by_position(env):
    assert run("actor.roles[0]", env) == "cs_supervisor"
    assert run("actor.roles[0.0]", env) == "cs_supervisor"
    assert fails("actor.roles[0.5]", env).code == "rule-type"
    assert fails("actor.roles[5]", env).code == "undefined"
    assert fails("actor.roles['x']", env).code == "rule-type"


def test_attributes_of_plain_values_are_refused_at_run_time(env):
    error = fails("case.summary.upper", env)
    assert error.code == "rule-type"
    assert fails("case.summary.format", env).code == "rule-type"
    assert fails("actor.roles.pop", env).code == "rule-type"


def test_comparisons_and_membership(env):
    assert run("case.severity in ['major', 'general']", env) is True
    assert run("'cs_supervisor' in actor.roles", env) is True
    assert run("case.severity != 'major' or 2 > 1 >= 1", env) is True
    assert run("'a' if case.severity == 'minor' else 'b'", env) == "b"


def test_comparing_different_kinds_is_a_type_error(env):
    error = fails("case.severity < 3", env)
    assert error.code == "rule-type"
    assert "'text'" in error.message and "'number'" in error.message


def test_dict_literal_with_nested_braces_is_one_expression():
    assert run("{'a': {'b': 1}}['a']['b']") == Decimal(1)


# -- bounds on values typed by users ---------------------------------------------------
def test_text_repetition_is_bounded():
    ok = {"case": {"s": "ab", "n": 3}}
    assert run("case.s * case.n", ok) == "ababab"
    error = fails("case.s * case.n", {"case": {"s": "ab", "n": MAX_STRING_LENGTH}})
    assert error.code == "rule-limit"


def test_list_repetition_and_concatenation_are_bounded():
    big = {"case": {"l": [0] * (MAX_LIST_LENGTH // 2 + 1)}}
    assert fails("case.l + case.l", big).code == "rule-limit"
    assert fails("case.l * 2", big).code == "rule-limit"
    assert run("[1] + [2]") == [1, 2]


def test_text_concatenation_is_bounded():
    big = {"case": {"s": "x" * (MAX_STRING_LENGTH // 2 + 1)}}
    assert fails("case.s + case.s", big).code == "rule-limit"
    assert run("'a' + 'b'") == "ab"


def test_percent_formatting_of_user_text_is_refused():
    assert fails("case.s % case.s", {"case": {"s": "%s"}}).code == "rule-type"


def test_mismatched_operands_are_type_errors(env):
    assert fails("case.severity + 1", env).code == "rule-type"
    assert fails("-case.severity", env).code == "rule-type"
    assert fails("case.severity - 'a'", env).code == "rule-type"


# -- functions and filters -------------------------------------------------------------
def test_min_max_abs_round():
    assert run("max(0, 3 - 5)") == 0
    assert run("min(4, 2, 3)") == 2
    assert run("max([1, 5, 2])") == 5
    assert run("abs(2 - 5)") == 3
    assert run("round(2.5)") == 3
    assert run("round(0.125, 2)") == Decimal("0.13")
    assert run("[3, 1]|min") == 1
    assert run("[3, 1]|max") == 3


def test_function_errors_are_coded():
    assert fails("max([])").code == "rule-value"
    assert fails("max(1, 'a')").code == "rule-type"
    assert fails("round(1, 11)").code == "rule-value"
    assert fails("abs('x')").code == "rule-type"


def test_text_filters(env):
    assert run("case.severity|upper", env) == "MAJOR"
    assert run("'ABC'|lower") == "abc"
    assert run("case.summary|length", env) == 10
    assert run("actor.roles|length", env) == 1
    assert fails("3|upper").code == "rule-type"
    assert fails("3|length").code == "rule-type"


def test_data_cannot_shadow_a_function():
    assert run("max(1, 2)", {"max": "not a function"}) == 2


def test_dates_and_durations(env):
    assert run("today()", env) == date(2026, 9, 24)
    assert run("date('2026-10-01') - today()", env) == timedelta(days=7)
    assert run("now + hours(2)", env) == NOW + timedelta(hours=2)
    assert run("now - minutes(1.5)", env) == NOW - timedelta(seconds=90)
    assert run("date(now) + days(3)", env) == date(2026, 9, 27)
    assert run("now.hour >= 17 and now.year == 2026", env) is True
    assert run("steps.investigate.at < now + days(1)", env) is True
    assert run("days(1) * 2", env) == timedelta(days=2)


def test_date_errors_are_coded(env):
    assert fails("date('24/09/2026')").code == "rule-value"
    assert fails("date(3)").code == "rule-type"
    assert fails("date(now) + hours(3)", env).code == "rule-type"
    assert fails("now.tzinfo", env).code == "rule-type"
    assert fails("today()").code == "undefined"
    assert fails("days(999999999999)").code == "rule-limit"
    assert fails("now + days(99999999)", env).code == "rule-limit"


# -- registers -------------------------------------------------------------------------
def test_register_queries(env):
    assert run("registers.cards.count(unit=case.unit)", env) == 2
    assert run("registers.cards.count()", env) == 3
    assert run("registers.cards.exists(unit='B-0301')", env) is True
    assert run("registers.cards.exists(unit='Z')", env) is False
    assert run("registers.cards.sum('fee')", env) == Decimal("50.00")
    rows = run("registers.cards.rows(unit=case.unit)", env)
    assert [row["holder"] for row in rows] == ["Chan", "Lee"]
    assert run("registers.cards.rows(holder='Lee')[0].fee", env) == Decimal("50.00")


def test_the_handbook_card_fee_compute(env):
    """DESIGN §3: three free cards per household member, then the fee for each extra."""
    source = (
        "max(0, registers.cards.count(unit=case.unit) + form.cards"
        " - params.free_cards * registers.members.count(unit=case.unit)) * params.card_fee"
    )
    assert run(source, env) == Decimal("50.00")


def test_register_is_not_a_condition(env):
    assert fails("registers.cards and true", env).code == "rule-type"


def test_register_query_with_a_missing_value_fails(env):
    assert fails("registers.cards.count(unit=case.unitt)", env).code == "undefined"


def test_sum_of_text_is_a_type_error():
    view = RegisterView([{"x": "a"}], name="r")
    assert fails("registers.r.sum('x')", {"registers": {"r": view}}).code == "rule-type"


# -- no raw Python exception ever leaves evaluate --------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "case.a < case.b",
        "case.a in case.b",
        "case.b[case.a]",
        "max(case.a, case.b)",
        "case.a|round",
        "case.b|default(1) + case.a",
        "case.a * case.b",
        "registers.r.count(unit=case.b)",
        "date(case.a)",
        "today()",
        "case.a.year",
    ],
)
@pytest.mark.parametrize(
    "values",
    [
        {"a": None, "b": None},
        {"a": [1], "b": {"x": 1}},
        {"a": object(), "b": 1.5},
        {"a": datetime(2026, 1, 1), "b": "text"},
        {"a": Decimal("NaN"), "b": Decimal("Infinity")},
    ],
    ids=["none", "containers", "objects", "mixed", "nan"],
)
def test_failures_are_rule_errors_only(source, values):
    env = {"case": values, "registers": {"r": RegisterView([{"unit": [1]}], name="r")}}
    try:
        run(source, env)
    except RuleError as error:
        assert error.code in {"undefined", "rule-type", "rule-value", "rule-limit"}


def test_compiled_rules_are_cached_by_source():
    assert compile_rule("case.a + 1") is compile_rule("case.a + 1")
