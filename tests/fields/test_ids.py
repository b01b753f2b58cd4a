from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estateflow.fields import ID_KINDS, ID_PATTERNS, FieldError, mask, parse_value
from estateflow.fields._ids import ID_KIND_NAMES, parse_id_document
from tests.fields.samples import (
    CN_ID,
    CN_ID_X,
    HKID_ONE_LETTER,
    HKID_TWO_LETTERS,
    TAIWAN_ID,
    change_last,
    cn_id,
    field,
    hkid,
    taiwan_id,
)


def test_every_kind_has_a_pattern_and_a_name():
    assert set(ID_PATTERNS) == ID_KINDS == set(ID_KIND_NAMES)


def test_independent_readings_agree_on_the_published_examples():
    # The standard's own example and the textbook HKID/Taiwan examples, not real people.
    assert cn_id("11010519491231002") == "11010519491231002X"
    assert hkid("A123456") == "A1234563"
    assert taiwan_id("A12345678") == "A123456789"


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        ("cn_resident", CN_ID),
        ("cn_resident", CN_ID_X),
        ("hkid", HKID_ONE_LETTER),
        ("hkid", HKID_TWO_LETTERS),
        ("taiwan_id", TAIWAN_ID),
    ],
)
def test_valid_check_characters_pass_and_the_next_one_fails(kind, number):
    assert parse_id_document({"kind": kind, "number": number}, ()) == {
        "kind": kind,
        "number": number,
    }
    with pytest.raises(FieldError, match="not valid"):
        parse_id_document({"kind": kind, "number": change_last(number)}, ())


def test_mainland_x_is_read_in_either_case():
    assert parse_id_document(CN_ID_X.lower(), ["cn_resident"])["number"] == CN_ID_X


def test_mainland_id_needs_a_real_birth_date():
    body = "11010519900231123"  # 31 February
    with pytest.raises(FieldError, match="date of birth"):
        parse_id_document({"kind": "cn_resident", "number": cn_id(body)}, ())


@pytest.mark.parametrize("typed", ["A123456(3)", "a123456 (3)", "Ａ１２３４５６（３）", "A1234563"])
def test_hkid_is_read_with_or_without_brackets(typed):
    assert parse_id_document(typed, ["hkid"]) == {"kind": "hkid", "number": "A1234563"}


def test_hkid_check_digit_a_stands_for_ten():
    body = next(f"B{n:06d}" for n in range(1000) if hkid(f"B{n:06d}").endswith("A"))
    assert parse_id_document(hkid(body), ["hkid"])["number"].endswith("A")
    with pytest.raises(FieldError):
        parse_id_document(body + "0", ["hkid"])


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("macau_id", "1234567(8)", "2234567(8)"),
        ("macau_id", "5123456(0)", "512345(0)"),
        ("home_return_permit", "H12345678", "H1234567"),
        ("home_return_permit", "M1234567890", "K12345678"),
        ("passport", "E12345678", "E1-2"),
        ("passport", "K1234567", "ABCDEFGH"),
    ],
)
def test_format_only_kinds_check_the_shape(kind, good, bad):
    assert parse_id_document({"kind": kind, "number": good}, ())["kind"] == kind
    with pytest.raises(FieldError, match=f"enter a {ID_KIND_NAMES[kind]} number like"):
        parse_id_document({"kind": kind, "number": bad}, ())


def test_a_bare_number_finds_its_kind():
    spec = field("id_document", kinds=("hkid", "cn_resident", "home_return_permit", "passport"))
    assert parse_value(spec, CN_ID)["kind"] == "cn_resident"
    assert parse_value(spec, "H12345678")["kind"] == "home_return_permit"
    assert parse_value(spec, "E98765432")["kind"] == "passport"


def test_a_mistyped_hkid_is_not_taken_for_a_passport():
    spec = field("id_document", kinds=("hkid", "passport"))
    with pytest.raises(FieldError, match="Hong Kong ID"):
        parse_value(spec, change_last(HKID_ONE_LETTER))


def test_a_kind_the_field_does_not_take_is_refused():
    spec = field("id_document", kinds=("hkid",))
    with pytest.raises(FieldError, match="choose the kind of document: Hong Kong ID"):
        parse_value(spec, {"kind": "passport", "number": "E12345678"})


def test_a_number_no_allowed_kind_matches_lists_the_kinds():
    spec = field("id_document", kinds=("hkid", "taiwan_id"))
    with pytest.raises(FieldError, match=r"\(Hong Kong ID, Taiwan ID\)"):
        parse_value(spec, "12")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ({"kind": "hkid", "number": "A1234563"}, "A123***(3)"),
        ({"kind": "hkid", "number": "XY9876548"}, "XY98****(8)"),
        ({"kind": "macau_id", "number": "12345678"}, "1234***(8)"),
        ({"kind": "cn_resident", "number": CN_ID}, "1101*************2"),
        ({"kind": "taiwan_id", "number": TAIWAN_ID}, "A123*****9"),
        ({"kind": "passport", "number": "K12345"}, "K****5"),
    ],
)
def test_mask_keeps_the_first_and_last_characters(value, masked):
    assert mask(value) == masked
    assert len(mask(value).replace("(", "").replace(")", "")) == len(value["number"])


@given(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"), st.integers(0, 999_999))
def test_any_generated_hkid_passes_and_every_other_check_digit_fails(letter, digits):
    body = f"{letter}{digits:06d}"
    number = hkid(body)
    assert parse_id_document(number, ["hkid"])["number"] == number
    for other in "0123456789A":
        if other != number[-1]:
            with pytest.raises(FieldError):
                parse_id_document(body + other, ["hkid"])


@given(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), st.sampled_from("12"), st.integers(0, 10**7 - 1)
)
def test_any_generated_taiwan_id_passes_and_a_wrong_digit_fails(letter, sex, serial):
    number = taiwan_id(f"{letter}{sex}{serial:07d}")
    assert parse_id_document(number, ["taiwan_id"])["number"] == number
    with pytest.raises(FieldError):
        parse_id_document(change_last(number), ["taiwan_id"])


@given(st.dates(), st.integers(0, 999), st.integers(110000, 829999))
def test_any_generated_mainland_id_passes_and_a_wrong_check_fails(born, serial, region):
    if born.year < 1900:
        return
    number = cn_id(f"{region}{born:%Y%m%d}{serial:03d}")
    assert parse_id_document(number, ["cn_resident"])["number"] == number
    with pytest.raises(FieldError):
        parse_id_document(change_last(number), ["cn_resident"])
