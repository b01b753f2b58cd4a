"""Identity documents: the format of each kind, its check digit where one is public, masking.

Real checksums: mainland resident ID (GB 11643-1999, ISO 7064 MOD 11-2), Hong Kong
identity card and Taiwan national ID. Format only: Macau resident identity card (its check
digit has no published algorithm), Home Return Permit and passport.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from estateflow.fields._errors import FieldError
from estateflow.fields._spec import ID_KINDS

#: Longest ID number input read at all (before spaces and brackets are removed).
MAX_ID_INPUT_LENGTH = 40

#: The stored form of each kind's number: upper case, no spaces, no brackets.
ID_PATTERNS: Mapping[str, str] = {
    "cn_resident": r"^[1-9][0-9]{16}[0-9X]$",
    "hkid": r"^[A-Z]{1,2}[0-9]{6}[0-9A]$",
    "macau_id": r"^[157][0-9]{7}$",
    "taiwan_id": r"^[A-Z][1289][0-9]{8}$",
    "home_return_permit": r"^[HM](?:[0-9]{8}|[0-9]{10})$",
    "passport": r"^(?=.*[0-9])[A-Z0-9]{5,15}$",
}
_COMPILED = {kind: re.compile(pattern) for kind, pattern in ID_PATTERNS.items()}

#: Names for messages and displays.
ID_KIND_NAMES: Mapping[str, str] = {
    "cn_resident": "mainland resident ID",
    "hkid": "Hong Kong ID",
    "macau_id": "Macau ID",
    "taiwan_id": "Taiwan ID",
    "home_return_permit": "Home Return Permit",
    "passport": "passport",
}

_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
# Taiwan: each first letter stands for a two-digit number (I, O, W, X, Y, Z out of order).
_TW_LETTERS = {letter: 10 + i for i, letter in enumerate("ABCDEFGHJKLMNPQRSTUV")} | {
    "X": 30, "Y": 31, "W": 32, "Z": 33, "I": 34, "O": 35,
}  # fmt: skip
_TIDY = re.compile(r"[\s\-()]")


def cn_resident_check(first17: str) -> str:
    """The check character of a mainland resident ID: ISO 7064 MOD 11-2 over 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11]


def hkid_check(body: str) -> str:
    """The check character of an HKID from its letters and six digits (``A123456`` → ``3``).

    Weights 9..2 over eight places; a one-letter ID has a space (worth 36) in front.
    Letters are worth 10 (A) to 35 (Z); a remainder of 10 gives ``A``.
    """
    padded = body.rjust(8)
    total = sum(
        (36 if ch == " " else int(ch) if ch.isdigit() else ord(ch) - 55) * w
        for ch, w in zip(padded, range(9, 1, -1), strict=True)
    )
    check = -total % 11
    return "A" if check == 10 else str(check)


def taiwan_check(body: str) -> str:
    """The check digit of a Taiwan ID from its letter and first eight digits."""
    code = _TW_LETTERS[body[0]]
    digits = [code // 10, code % 10, *(int(d) for d in body[1:])]
    weights = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1)
    total = sum(d * w for d, w in zip(digits, weights, strict=True))
    return str(-total % 10)


def _tidy(text: str) -> str:
    return _TIDY.sub("", unicodedata.normalize("NFKC", text)).upper()


def _check(kind: str, number: str) -> None:
    """Raise a FieldError if ``number`` (tidied) is not a valid ``kind``."""
    name = ID_KIND_NAMES[kind]
    if not _COMPILED[kind].fullmatch(number):
        raise FieldError(f"enter a {name} number like {_EXAMPLES[kind]}")
    if kind == "cn_resident":
        try:
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            born = None
        if born is None or born.year < 1900:
            raise FieldError(f"this {name} number has no valid date of birth")
        if cn_resident_check(number[:17]) != number[17]:
            raise FieldError(f"this {name} number is not valid: check the last character")
    elif kind == "hkid" and hkid_check(number[:-1]) != number[-1]:
        raise FieldError(f"this {name} number is not valid: check the digit in brackets")
    elif kind == "taiwan_id" and taiwan_check(number[:-1]) != number[-1]:
        raise FieldError(f"this {name} number is not valid: check the last digit")


#: Example shapes for messages: made up, not anyone's number.
_EXAMPLES = {
    "cn_resident": "110101199003074514",
    "hkid": "A123456(3)",
    "macau_id": "1234567(8)",
    "taiwan_id": "A123456789",
    "home_return_permit": "H12345678",
    "passport": "E12345678",
}


def parse_id_document(raw: Any, kinds: Iterable[str]) -> dict[str, str]:
    """Read ``{"kind": …, "number": …}`` or a bare number into the stored form.

    A bare number is matched against the kinds allowed (all when ``kinds`` is empty); a
    passport is taken only when no other kind has that format, so a mistyped HKID is
    reported as such instead of passing as a passport.
    """
    allowed = tuple(kinds) or tuple(sorted(ID_KINDS))
    if isinstance(raw, Mapping):
        kind, number = raw.get("kind"), raw.get("number")
        if not isinstance(kind, str) or kind not in allowed:
            names = ", ".join(ID_KIND_NAMES[k] for k in allowed)
            raise FieldError(f"choose the kind of document: {names}")
    else:
        kind, number = None, raw
    if not isinstance(number, str) or not number.strip():
        raise FieldError("enter the document number")
    if len(number) > MAX_ID_INPUT_LENGTH:
        raise FieldError("this document number is too long")
    number = _tidy(number)
    if kind is None:
        kind = _guess_kind(number, allowed)
    _check(kind, number)
    return {"kind": kind, "number": number}


def _guess_kind(number: str, allowed: tuple[str, ...]) -> str:
    specific = [k for k in allowed if k != "passport" and _COMPILED[k].fullmatch(number)]
    if len(specific) == 1:
        return specific[0]
    if not specific and "passport" in allowed and _COMPILED["passport"].fullmatch(number):
        return "passport"
    if len(allowed) == 1:
        return allowed[0]
    if specific:
        raise FieldError("choose the kind of document")
    names = ", ".join(ID_KIND_NAMES[k] for k in allowed)
    raise FieldError(f"enter a valid document number ({names})")


def mask(value: Mapping[str, str]) -> str:
    """The number for lists: first characters and the last one kept, the rest as ``*``.

    ``{"kind": "hkid", "number": "A1234563"}`` gives ``A123***(3)``; a Hong Kong or Macau
    check digit is shown in brackets as on the card.
    """
    number = str(value.get("number", ""))
    if len(number) < 2:
        return "*" * len(number)
    keep = 4 if len(number) >= 8 else 1
    middle = "*" * (len(number) - keep - 1)
    last = number[-1]
    if value.get("kind") in ("hkid", "macau_id"):
        last = f"({last})"
    return f"{number[:keep]}{middle}{last}"
