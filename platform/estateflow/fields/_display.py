"""Plain-text renderings of clean values for lists, timelines and print views."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import phonenumbers

from estateflow.fields._ids import mask
from estateflow.fields._numbers import rating_range
from estateflow.fields._parse import size_text
from estateflow.fields._spec import FieldSpec, Label

#: Symbols of the estates' currencies; any other currency shows its code.
CURRENCY_SYMBOLS: Mapping[str, str] = {"CNY": "¥", "HKD": "HK$", "MOP": "MOP$", "TWD": "NT$"}
#: The locale a label falls back to when it has no text in the one asked for.
FALLBACK_LOCALE = "en"

_WORDS: Mapping[str, Mapping[str, str]] = {
    "zh-Hans": {"yes": "是", "no": "否", "signed": "已签名", "rows": "{n} 项", "join": "、"},
    "zh-Hant": {"yes": "是", "no": "否", "signed": "已簽名", "rows": "{n} 項", "join": "、"},
    "en": {
        "yes": "Yes",
        "no": "No",
        "signed": "Signed",
        "rows": "{n} rows",
        "row": "{n} row",
        "join": ", ",
    },
}
_UNITS: Mapping[str, Mapping[str, str]] = {
    "zh-Hans": {"s": "秒", "m": "分钟", "h": "小时", "d": "天", "bh": "工作小时", "bd": "个工作日"},
    "zh-Hant": {"s": "秒", "m": "分鐘", "h": "小時", "d": "天", "bh": "工作小時", "bd": "個工作日"},
    "en": {"s": " s", "m": " min", "h": " h", "d": " d", "bh": " business h",
           "bd": " business days"},
}  # fmt: skip


def _language(locale: str) -> str:
    """``zh-Hant-HK`` → ``zh-Hant``; ``zh-HK``, ``zh-TW``, ``zh-MO`` → ``zh-Hant``."""
    if locale in _WORDS:
        return locale
    if locale.startswith("zh"):
        traditional = ("Hant", "HK", "TW", "MO")
        return "zh-Hant" if any(part in traditional for part in locale.split("-")) else "zh-Hans"
    return FALLBACK_LOCALE


def label_text(label: Label, locale: str, fallback: str = "") -> str:
    """The label in ``locale``, else its language's, else English, else any text it has."""
    for key in (locale, _language(locale), FALLBACK_LOCALE):
        if label.get(key):
            return label[key]
    return next((text for text in label.values() if text), fallback)


def display_value(field: FieldSpec, value: Any, *, locale: str, currency: str) -> str:
    """``value`` (clean, or as stored) as one line of plain text; empty text for no value.

    Money carries the currency's symbol (``HK$1,234.50``), booleans and counts are in the
    locale, id documents are masked and select fields show their options' labels.
    """
    words = _WORDS[_language(locale)]
    kind = field.type
    if value is None or value == [] or value == "":
        return ""
    if kind == "boolean":
        return words["yes"] if value else words["no"]
    if kind == "money":
        amount = Decimal(value)
        symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
        sign = "-" if amount < 0 else ""
        return f"{sign}{symbol}{_grouped(abs(amount))}"
    if kind == "decimal":
        return _grouped(Decimal(value))
    if kind == "integer":
        return f"{int(value):,}"
    if kind == "rating":
        return f"{value}/{rating_range(field)[1]}"
    if kind == "select":
        return _option_label(field, value, locale)
    if kind == "multiselect":
        return words["join"].join(_option_label(field, v, locale) for v in value)
    if kind == "datetime":
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    if kind == "duration":
        number = value.rstrip("bhdms")
        return f"{number}{_UNITS[_language(locale)][value[len(number) :]]}"
    if kind == "phone":
        return _phone(value)
    if kind == "id_document":
        return mask(value)
    if kind in ("file", "photo"):
        return f"{value['name']} ({size_text(int(value['size']))})"
    if kind == "signature":
        return value["typed"] if "typed" in value else words["signed"]
    if kind == "table":
        return words["row" if len(value) == 1 and "row" in words else "rows"].format(n=len(value))
    return str(value)


def _grouped(amount: Decimal) -> str:
    # Decimal's own formatting: digits grouped and the places kept, with no float on the way.
    return format(amount, ",f")


def _option_label(field: FieldSpec, value: str, locale: str) -> str:
    for option in field.options:
        if option.value == value:
            return label_text(option.label, locale, value)
    return value


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
