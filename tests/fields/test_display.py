from __future__ import annotations

from decimal import Decimal

import pytest

from estateflow.fields import display_value, label_text
from tests.fields.samples import CN_ID, field


def show(spec, value, locale="en", currency="HKD"):
    return display_value(spec, value, locale=locale, currency=currency)


@pytest.mark.parametrize(
    ("currency", "text"),
    [("CNY", "¥1,234.50"), ("HKD", "HK$1,234.50"), ("MOP", "MOP$1,234.50"),
     ("TWD", "NT$1,234.50"), ("USD", "USD 1,234.50")],
)  # fmt: skip
def test_money_shows_the_currency_symbol(currency, text):
    assert show(field("money"), Decimal("1234.50"), currency=currency) == text


def test_money_as_stored_text_and_negative_amounts():
    assert show(field("money"), "0.10") == "HK$0.10"
    assert show(field("money"), Decimal("-5.00")) == "-HK$5.00"
    assert show(field("money"), Decimal("12345678901.25")) == "HK$12,345,678,901.25"


@pytest.mark.parametrize(
    ("locale", "yes", "no"),
    [("zh-Hans", "是", "否"), ("zh-Hant", "是", "否"), ("zh-HK", "是", "否"), ("en", "Yes", "No")],
)
def test_booleans_in_the_locale(locale, yes, no):
    assert show(field("boolean"), True, locale) == yes
    assert show(field("boolean"), False, locale) == no


def test_select_shows_the_option_label_in_the_locale():
    spec = field("select", options=("phone", "on_site"))
    assert show(spec, "on_site", "en") == "On_Site"
    assert show(spec, "on_site", "zh-Hant") == "選on_site"
    assert show(spec, "on_site", "zh-Hans") == "On_Site"  # no zh-Hans label: English
    assert show(spec, "gone", "en") == "gone"


def test_multiselect_joins_labels_in_the_locale():
    spec = field("multiselect", options=("a", "b"))
    assert show(spec, ["a", "b"], "en") == "A, B"
    assert show(spec, ["a", "b"], "zh-Hant") == "選a、選b"


def test_id_documents_are_masked():
    value = {"kind": "hkid", "number": "A1234563"}
    assert show(field("id_document"), value) == "A123***(3)"
    assert CN_ID[4:-1] not in show(field("id_document"), {"kind": "cn_resident", "number": CN_ID})


def test_empty_values_show_nothing():
    for kind in ("text", "money", "select", "multiselect", "date"):
        assert show(field(kind), None) == ""
    assert show(field("multiselect"), []) == ""


@pytest.mark.parametrize(
    ("spec", "value", "locale", "text"),
    [
        (field("integer"), 12345, "en", "12,345"),
        (field("decimal"), Decimal("1234.125"), "en", "1,234.125"),
        (field("date"), "2026-03-01", "zh-Hant", "2026-03-01"),
        (field("datetime"), "2026-03-01T09:30:00+08:00", "en", "2026-03-01 09:30"),
        (field("time"), "09:30", "en", "09:30"),
        (field("duration"), "30m", "zh-Hans", "30分钟"),
        (field("duration"), "24bh", "zh-Hant", "24工作小時"),
        (field("duration"), "2h", "en", "2 h"),
        (field("phone"), "+85223456789", "en", "+852 2345 6789"),
        (field("rating"), 4, "en", "4/5"),
        (field("signature"), {"typed": "陳大文"}, "zh-Hant", "陳大文"),
        (field("signature"), {"image": "data:image/png;base64,AAAA"}, "zh-Hans", "已签名"),
        (
            field("file"),
            {"name": "a.pdf", "size": 1536, "type": "x", "sha256": "0"},
            "en",
            "a.pdf (1.5 KB)",
        ),
        (field("table"), [{}, {}], "zh-Hant", "2 項"),
        (field("table"), [{}], "en", "1 row"),
        (field("unit"), "T1-1A", "en", "T1-1A"),
    ],
)
def test_plain_text_of_each_kind(spec, value, locale, text):
    assert show(spec, value, locale) == text


def test_label_text_falls_back_through_the_language_to_english_then_anything():
    label = {"zh-Hant": "單元", "en": "Unit"}
    assert label_text(label, "zh-Hant-HK") == "單元"
    assert label_text(label, "zh-TW") == "單元"
    assert label_text(label, "zh-Hans") == "Unit"
    assert label_text({"zh-Hans": "单元"}, "en") == "单元"
    assert label_text({}, "en", "unit") == "unit"
