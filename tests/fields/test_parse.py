from __future__ import annotations

import base64
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estateflow.fields import FieldError, FieldSpec, OptionSpec, empty_value, parse_value
from estateflow.fields._parse import MAX_FILE_SIZE
from tests.fields.samples import HKID_ONE_LETTER, field

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 20).decode()
SHA = "ab" * 32


def test_field_error_carries_its_message_and_pickles():
    error = FieldError("enter a whole number")
    assert str(error) == "enter a whole number"
    assert error.errors == {"": ("enter a whole number",)}
    again = pickle.loads(pickle.dumps(error))
    assert again.message == error.message
    assert again.errors == error.errors


@pytest.mark.parametrize("kind", ["text", "integer", "money", "date", "select", "phone", "file"])
@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_input_gives_none(kind, raw):
    assert (
        parse_value(field(kind, options=("a",)) if kind == "select" else field(kind), raw) is None
    )


def test_empty_lists_and_false_for_the_types_that_have_them():
    assert parse_value(field("multiselect", options=("a",)), None) == []
    assert parse_value(field("table", columns=(field("text", "name"),)), None) == []
    assert parse_value(field("boolean"), None) is False
    assert empty_value(field("boolean")) is False


def test_text_is_stripped_and_nfc_normalised():
    decomposed = "Cafe\u0301 "  # e + combining acute
    assert parse_value(field("text"), decomposed) == "Caf\u00e9"
    assert parse_value(field("text"), "  陳大文  ") == "陳大文"


def test_text_on_one_line_joins_lines_and_textarea_keeps_them():
    assert parse_value(field("text"), "a\r\nb") == "a b"
    assert parse_value(field("textarea"), " a\r\nb\rc ") == "a\nb\nc"


def test_text_refuses_control_characters():
    with pytest.raises(FieldError, match="control characters"):
        parse_value(field("text"), "a\x00b")


def test_text_lengths_count_characters():
    spec = field("text", min_length=2, max_length=3)
    assert parse_value(spec, "陳大文") == "陳大文"
    with pytest.raises(FieldError, match=r"^enter at most 3 characters$"):
        parse_value(spec, "陳大文明")
    with pytest.raises(FieldError, match=r"^enter at least 2 characters$"):
        parse_value(spec, "陳")
    with pytest.raises(FieldError, match=r"^enter at most 1 character$"):
        parse_value(field("text", max_length=1), "ab")


def test_text_pattern_must_match_the_whole_text():
    spec = field("text", pattern="[A-Z]{2}[0-9]{4}")
    assert parse_value(spec, "AB1234") == "AB1234"
    with pytest.raises(FieldError, match="expected format"):
        parse_value(spec, "AB12345")


def test_text_without_max_length_still_has_a_limit():
    with pytest.raises(FieldError, match="at most 1000 characters"):
        parse_value(field("text"), "x" * 1001)


def test_select_takes_one_option_value():
    spec = field("select", options=("phone", "on_site"))
    assert parse_value(spec, " phone ") == "phone"
    with pytest.raises(FieldError, match=r"^choose one of the listed options$"):
        parse_value(spec, "email")


def test_multiselect_keeps_the_options_order_and_drops_repeats():
    spec = field("multiselect", options=("a", "b", "c"))
    assert parse_value(spec, ["c", "a", "c", ""]) == ["a", "c"]
    assert parse_value(spec, "b") == ["b"]
    with pytest.raises(FieldError, match=r"^choose only from the listed options$"):
        parse_value(spec, ["a", "z"])


@pytest.mark.parametrize("raw", ["on", "true", "1", "yes", "YES", True, 1, ["false", "on"]])
def test_boolean_true(raw):
    assert parse_value(field("boolean"), raw) is True


@pytest.mark.parametrize("raw", [None, "", "off", "false", "0", "no", False, 0, ["false"]])
def test_boolean_false(raw):
    assert parse_value(field("boolean"), raw) is False


def test_boolean_refuses_other_words():
    with pytest.raises(FieldError, match=r"^choose yes or no$"):
        parse_value(field("boolean"), "maybe")


@pytest.mark.parametrize(
    ("raw", "region", "stored"),
    [
        ("2345 6789", "HK", "+85223456789"),
        ("9123-4567", "HK", "+85291234567"),
        ("6612 3456", "MO", "+85366123456"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("010 6512 3456", "CN", "+861065123456"),
        ("0912 345 678", "TW", "+886912345678"),
        ("+852 5123 4567", "CN", "+85251234567"),
        ("＋８５２ ５１２３ ４５６７", None, "+85251234567"),
    ],
)
def test_phone_is_stored_in_e164(raw, region, stored):
    assert parse_value(field("phone"), raw, region=region) == stored


def test_phone_that_cannot_exist_is_refused():
    with pytest.raises(FieldError, match=r"^this phone number is not valid$"):
        parse_value(field("phone"), "12345", region="HK")
    with pytest.raises(FieldError, match=r"^enter a phone number$"):
        parse_value(field("phone"), "call me", region="HK")


def test_phone_without_a_region_needs_the_country_code():
    with pytest.raises(FieldError, match=r"country code, like \+852"):
        parse_value(field("phone"), "2345 6789")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("Name@Example.COM", "Name@example.com"), (" a.b+c@mail.example.hk ", "a.b+c@mail.example.hk"),
     ("陳@例子.中国", "陳@例子.中国")],
)  # fmt: skip
def test_email_keeps_the_local_part_and_lowers_the_domain(raw, stored):
    assert parse_value(field("email"), raw) == stored


@pytest.mark.parametrize("raw", ["a@b", "a b@example.com", "@example.com", "a@@example.com",
                                 "a@example..com", "a@-example.com"])  # fmt: skip
def test_email_refuses_what_is_not_an_address(raw):
    with pytest.raises(FieldError, match=r"^enter an email address like name@example.com$"):
        parse_value(field("email"), raw)


@pytest.mark.parametrize("kind", ["unit", "staff"])
def test_unit_and_staff_are_slug_ids(kind):
    assert parse_value(field(kind), " T1-1A ") == "T1-1A"
    assert parse_value(field(kind), "wy.chan_2") == "wy.chan_2"
    for bad in ("T1 1A", "-x", "a/b", "x" * 65):
        with pytest.raises(FieldError):
            parse_value(field(kind), bad)


def test_id_document_stores_its_kind():
    spec = field("id_document", kinds=("hkid",))
    assert parse_value(spec, "A123456(3)") == {"kind": "hkid", "number": HKID_ONE_LETTER}


def _upload(**changes):
    return {"name": "plan.pdf", "size": 1000, "type": "application/pdf", "sha256": SHA, **changes}


def test_file_reference_is_kept_with_its_four_keys():
    value = parse_value(field("file"), _upload(extra="dropped", sha256=SHA.upper()))
    assert value == {"name": "plan.pdf", "size": 1000, "type": "application/pdf", "sha256": SHA}


def test_file_name_keeps_only_the_last_part_of_a_path():
    assert parse_value(field("file"), _upload(name="C:\\Users\\x\\plan.pdf"))["name"] == "plan.pdf"


def test_file_accept_takes_types_wildcards_and_extensions():
    spec = field("file", accept=("image/*", ".pdf"))
    assert parse_value(spec, _upload(type="image/png"))["type"] == "image/png"
    assert parse_value(spec, _upload(type="application/octet-stream"))["name"] == "plan.pdf"
    with pytest.raises(
        FieldError, match=r"^this kind of file is not accepted; use image/\*, \.pdf$"
    ):
        parse_value(spec, _upload(name="a.docx", type="application/msword"))


def test_photo_without_accept_takes_images_only():
    assert parse_value(field("photo"), _upload(name="a.jpg", type="image/jpeg"))["size"] == 1000
    with pytest.raises(FieldError, match="not accepted"):
        parse_value(field("photo"), _upload())


def test_file_size_is_checked_against_max_size():
    spec = field("file", max_size=5 * 1024 * 1024)
    assert parse_value(spec, _upload(size=5 * 1024 * 1024))
    with pytest.raises(FieldError, match=r"^this file is larger than 5 MB$"):
        parse_value(spec, _upload(size=5 * 1024 * 1024 + 1))
    with pytest.raises(FieldError, match="larger than 25 MB"):
        parse_value(field("file"), _upload(size=MAX_FILE_SIZE + 1))
    with pytest.raises(FieldError, match="empty"):
        parse_value(field("file"), _upload(size=0))


@pytest.mark.parametrize(
    "broken", [{"size": "1000"}, {"size": True}, {"sha256": "abc"}, {"name": ""}, {"type": ""}]
)
def test_file_reference_with_a_missing_part_is_refused(broken):
    with pytest.raises(FieldError):
        parse_value(field("file"), _upload(**broken))


def test_signature_takes_an_image_or_a_typed_name():
    spec = field("signature")
    assert parse_value(spec, PNG) == {"image": PNG}
    assert parse_value(spec, {"image": PNG}) == {"image": PNG}
    assert parse_value(spec, {"typed": " 陳大文 "}) == {"typed": "陳大文"}
    assert parse_value(spec, "陳大文") == {"typed": "陳大文"}


@pytest.mark.parametrize(
    "raw",
    [
        "data:image/png;base64,!!!!",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "data:image/png;base64," + base64.b64encode(b"GIF89a....").decode(),
        {"typed": "   "},
        {"other": "x"},
    ],
)
def test_signature_refuses_a_broken_image_or_an_empty_name(raw):
    with pytest.raises(FieldError):
        parse_value(field("signature"), raw)


WORKERS = field(
    "table",
    "workers",
    min_rows=1,
    max_rows=3,
    columns=(
        field("text", "name", required=True),
        field("integer", "age", min=16),
        field("id_document", "doc", kinds=("hkid",)),
    ),
)


def test_table_parses_each_row_column_by_column_and_drops_blank_rows():
    rows = [
        {"name": " 陳大文 ", "age": "30"},
        {"name": "", "age": ""},
        {"name": "李", "doc": "A1234563"},
    ]
    assert parse_value(WORKERS, rows) == [
        {"name": "陳大文", "age": 30, "doc": None},
        {"name": "李", "age": None, "doc": {"kind": "hkid", "number": "A1234563"}},
    ]


def test_table_errors_are_keyed_by_submitted_row_and_column():
    rows = [{"name": "陳"}, {}, {"age": "12", "doc": "A1234560"}]
    with pytest.raises(FieldError) as caught:
        parse_value(WORKERS, rows)
    assert caught.value.errors == {
        "[2].name": ("fill in this field",),
        "[2].age": ("enter 16 or more",),
        "[2].doc": ("this Hong Kong ID number is not valid: check the digit in brackets",),
    }


def test_table_row_counts():
    with pytest.raises(FieldError, match=r"^enter at most 3 rows$"):
        parse_value(WORKERS, [{"name": str(n)} for n in range(4)])
    two = FieldSpec(**{**{s: getattr(WORKERS, s) for s in FieldSpec.__slots__}, "min_rows": 2})
    with pytest.raises(FieldError, match=r"^add at least 2 rows$") as caught:
        parse_value(two, [{"name": "a"}])
    assert caught.value.errors == {"": ("add at least 2 rows",)}


def test_table_refuses_what_is_not_a_list_of_rows():
    with pytest.raises(FieldError):
        parse_value(WORKERS, "name=陳")
    with pytest.raises(FieldError) as caught:
        parse_value(WORKERS, ["陳"])
    assert caught.value.errors == {"[0]": ("this row cannot be read",)}


@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=6))
def test_multiselect_result_is_a_sorted_subset(chosen):
    spec = FieldSpec(id="m", type="multiselect",
                     options=tuple(OptionSpec(value=v, label={}) for v in "abc"))  # fmt: skip
    result = parse_value(spec, chosen)
    assert result == sorted(set(chosen))
    assert parse_value(spec, result) == result


@given(st.text(max_size=50))
def test_text_parsing_is_idempotent(text):
    spec = field("textarea")
    try:
        once = parse_value(spec, text)
    except FieldError:
        return
    assert once is None or parse_value(spec, once) == once
