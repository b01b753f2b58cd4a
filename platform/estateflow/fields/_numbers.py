"""Whole numbers, decimals, money and ratings: read exactly, never through float arithmetic."""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from estateflow.fields._errors import FieldError
from estateflow.fields._spec import FieldSpec

#: Longest text read as a number; anything longer is a typing mistake.
MAX_NUMBER_LENGTH = 40
#: Digits allowed before the decimal point (a trillion is far beyond any amount we keep).
MAX_WHOLE_DIGITS = 15
#: Decimal places of a money field that does not set ``places``.
MONEY_PLACES = 2
#: Decimal places of a decimal field that does not set ``places``.
MAX_PLACES = 12
#: The range of a rating field that does not set ``min`` or ``max``.
RATING_RANGE = (1, 5)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


def places_of(field: FieldSpec) -> int | None:
    """Decimal places a value of ``field`` keeps: ``places``, or 2 for money."""
    if field.places is not None:
        return field.places
    return MONEY_PLACES if field.type == "money" else None


def _number_text(raw: str) -> str:
    # NFKC turns full-width digits and signs (１２３, －) into ASCII.
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return text


def parse_integer(field: FieldSpec, raw: Any, message: str = "enter a whole number") -> int:
    if isinstance(raw, bool):
        raise FieldError(message)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float | Decimal):
        if not _finite(raw) or raw != int(raw):
            raise FieldError(message)
        value = int(raw)
    elif isinstance(raw, str) and len(raw) <= MAX_NUMBER_LENGTH:
        text = _number_text(raw)
        if not _INTEGER.fullmatch(text):
            raise FieldError(message)
        value = int(text)
    else:
        raise FieldError(message)
    if len(str(abs(value))) > MAX_WHOLE_DIGITS:
        raise FieldError("this number is too large")
    check_bounds(field, Decimal(value))
    return value


def parse_rating(field: FieldSpec, raw: Any) -> int:
    low, high = rating_range(field)
    message = f"choose a rating from {low} to {high}"
    value = parse_integer(field, raw, message)
    if not low <= value <= high:
        raise FieldError(message)
    return value


def rating_range(field: FieldSpec) -> tuple[int, int]:
    low = RATING_RANGE[0] if field.min is None else int(field.min)
    high = RATING_RANGE[1] if field.max is None else int(field.max)
    return low, high


def parse_decimal(field: FieldSpec, raw: Any) -> Decimal:
    """A Decimal with the field's places; more places than allowed is refused, not rounded.

    A float from a JSON body is read through its shortest text (``0.1`` stays ``0.1``).
    """
    money = field.type == "money"
    message = "enter an amount" if money else "enter a number"
    if isinstance(raw, bool):
        raise FieldError(message)
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise FieldError(message)
        value = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            raise FieldError(message)
        value = raw
    elif isinstance(raw, str) and len(raw) <= MAX_NUMBER_LENGTH:
        text = _number_text(raw)
        if not _DECIMAL.fullmatch(text):
            raise FieldError(message)
        value = Decimal(text)
    else:
        raise FieldError(message)
    if value.adjusted() >= MAX_WHOLE_DIGITS:
        raise FieldError("this number is too large")
    places = places_of(field)
    value = _quantize_exactly(value, MAX_PLACES if places is None else places, money)
    if places is None:
        value = _plain(value)
    check_bounds(field, value)
    return value


def round_decimal(field: FieldSpec, value: Decimal) -> Decimal:
    """A computed amount rounded half up to the field's places (computed values may round)."""
    places = places_of(field)
    if places is None or not value.is_finite():
        return value
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _quantize_exactly(value: Decimal, places: int, money: bool) -> Decimal:
    try:
        quantized = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise FieldError("this number is too large") from None
    if quantized != value:
        if places == 0:
            raise FieldError("enter a whole amount" if money else "enter a whole number")
        noun = "an amount" if money else "a number"
        raise FieldError(f"enter {noun} with at most {places} decimal places")
    return quantized


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros beyond the point, and never in exponent form."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _finite(value: float | Decimal) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def check_bounds(field: FieldSpec, value: Decimal) -> None:
    if field.type == "rating":
        return
    low, high = _bound(field.min), _bound(field.max)
    if low is not None and value < low:
        raise FieldError(f"enter {low} or more")
    if high is not None and value > high:
        raise FieldError(f"enter {high} or less")


def _bound(bound: Any) -> Decimal | None:
    if bound is None or isinstance(bound, bool):
        return None
    return Decimal(str(bound)) if isinstance(bound, float) else Decimal(bound)
