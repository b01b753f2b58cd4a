from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estateflow.fields import FieldError, dump_values, load_values, parse_value
from tests.fields.samples import field


@pytest.mark.parametrize(
    ("raw", "value"),
    [("12", 12), (" -3 ", -3), ("+7", 7), ("１２", 12), ("1,234", 1234), (5, 5), (Decimal("4"), 4),
     (6.0, 6)],
)  # fmt: skip
def test_integer_reads_whole_numbers(raw, value):
    result = parse_value(field("integer"), raw)
    assert result == value
    assert type(result) is int


@pytest.mark.parametrize("raw", ["1.5", "abc", "1,23", "1e3", True, 2.5, Decimal("NaN"), [1]])
def test_integer_refuses_the_rest(raw):
    with pytest.raises(FieldError, match=r"^enter a whole number$"):
        parse_value(field("integer"), raw)


def test_integer_bounds_say_what_to_enter():
    spec = field("integer", min=1, max=50)
    assert parse_value(spec, "50") == 50
    with pytest.raises(FieldError, match=r"^enter 1 or more$"):
        parse_value(spec, "0")
    with pytest.raises(FieldError, match=r"^enter 50 or less$"):
        parse_value(spec, "51")


def test_integer_refuses_a_huge_number_without_parsing_it():
    with pytest.raises(FieldError):
        parse_value(field("integer"), "9" * 10_000)
    with pytest.raises(FieldError, match="too large"):
        parse_value(field("integer"), "9" * 16)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("12", "12.00"), ("12.5", "12.50"), ("0.1", "0.10"), ("1,234.56", "1234.56"), (".5", "0.50"),
     (0.1, "0.10"), (3, "3.00"), ("１２.３", "12.30"), ("12.500", "12.50"), ("-4", "-4.00")],
)  # fmt: skip
def test_money_is_a_decimal_with_two_places(raw, value):
    result = parse_value(field("money"), raw)
    assert type(result) is Decimal
    assert str(result) == value


@pytest.mark.parametrize("raw", ["12.345", "0.001", 0.125])
def test_money_refuses_more_places_instead_of_rounding(raw):
    with pytest.raises(FieldError, match=r"^enter an amount with at most 2 decimal places$"):
        parse_value(field("money"), raw)


@pytest.mark.parametrize("raw", ["12,5", "¥5", "1e2", "NaN", "Infinity", float("inf"), "--1"])
def test_money_refuses_what_is_not_an_amount(raw):
    with pytest.raises(FieldError, match=r"^enter an amount$"):
        parse_value(field("money"), raw)


def test_money_places_zero_wants_whole_amounts():
    spec = field("money", places=0)
    assert str(parse_value(spec, "100")) == "100"
    with pytest.raises(FieldError, match=r"^enter a whole amount$"):
        parse_value(spec, "100.5")


def test_money_min_zero():
    with pytest.raises(FieldError, match=r"^enter 0 or more$"):
        parse_value(field("money", min=0), "-0.01")


def test_decimal_keeps_its_places_or_the_value_as_typed():
    assert str(parse_value(field("decimal", places=3), "1.5")) == "1.500"
    assert str(parse_value(field("decimal"), "1.2500")) == "1.25"
    assert str(parse_value(field("decimal"), Decimal("1E+2"))) == "100"
    with pytest.raises(FieldError, match=r"^enter a number with at most 1 decimal places$"):
        parse_value(field("decimal", places=1), "1.25")


def test_decimal_arithmetic_stays_exact():
    tenth = parse_value(field("money"), "0.1")
    assert tenth * 3 == Decimal("0.3")
    assert Decimal("0.1") * 3 == Decimal("0.3")


amounts = st.decimals(
    min_value=Decimal("-999999999999.99"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(amounts)
def test_money_round_trips_through_text_and_storage_without_float(amount):
    spec = field("money", "fee")
    parsed = parse_value(spec, format(amount, "f"))
    assert type(parsed) is Decimal
    assert parsed == amount
    stored = dump_values({"fee": spec}, {"fee": parsed})
    assert type(stored["fee"]) is str
    loaded = load_values({"fee": spec}, stored)["fee"]
    assert type(loaded) is Decimal
    assert loaded == amount
    assert parse_value(spec, stored["fee"]) == parsed


@given(amounts, amounts)
def test_sums_of_parsed_amounts_are_exact(a, b):
    spec = field("money")
    total = parse_value(spec, format(a, "f")) + parse_value(spec, format(b, "f"))
    assert total == a + b
    assert type(total) is Decimal


@given(st.integers(min_value=1, max_value=5))
def test_rating_takes_one_to_five_by_default(stars):
    assert parse_value(field("rating"), str(stars)) == stars


@pytest.mark.parametrize("raw", ["0", "6", "3.5", "x"])
def test_rating_out_of_range_names_the_range(raw):
    with pytest.raises(FieldError, match=r"^choose a rating from 1 to 5$"):
        parse_value(field("rating"), raw)


def test_rating_range_comes_from_min_and_max():
    spec = field("rating", min=0, max=10)
    assert parse_value(spec, "0") == 0
    assert parse_value(spec, "10") == 10
    with pytest.raises(FieldError, match="from 0 to 10"):
        parse_value(spec, "11")
