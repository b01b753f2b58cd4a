"""Raw input (an HTML form's strings, a JSON body's values, a rule's result) to clean values."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers

from estateflow.fields._errors import FieldError
from estateflow.fields._ids import parse_id_document
from estateflow.fields._numbers import parse_decimal, parse_integer, parse_rating
from estateflow.fields._spec import FieldSpec
from estateflow.fields._times import parse_date, parse_datetime, parse_duration_value, parse_time

#: Characters a ``text`` field keeps when it sets no ``max_length``.
MAX_TEXT_LENGTH = 1_000
#: Characters a ``textarea`` field keeps when it sets no ``max_length``.
MAX_TEXTAREA_LENGTH = 20_000
#: Longest phone number input, spaces and punctuation included.
MAX_PHONE_LENGTH = 40
#: Longest e-mail address (RFC 5321's limit on a path).
MAX_EMAIL_LENGTH = 254
#: Longest unit or staff id.
MAX_ID_LENGTH = 64
#: Longest file name kept in a file reference.
MAX_FILE_NAME_LENGTH = 255
#: Largest upload when a file or photo field sets no ``max_size``: a phone photo fits.
MAX_FILE_SIZE = 25 * 1024 * 1024
#: Largest drawn signature, as the characters of its data URL.
MAX_SIGNATURE_LENGTH = 500_000
#: Longest typed signature.
MAX_TYPED_SIGNATURE_LENGTH = 100
#: Most rows a table reads before refusing the whole input.
MAX_TABLE_ROWS = 500
#: Most choices a multiselect reads.
MAX_CHOICES = 200

#: What an empty ``accept`` means for a photo field.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")

_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"", "off", "false", "0", "no"})
_EMAIL = re.compile(r"[^\s@\"(),:;<>\[\]\\]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}")
_SLUG = re.compile(r"[^\W_][\w.\-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg|webp));base64,([A-Za-z0-9+/]+={0,2})")
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
          "image/webp": (b"RIFF",)}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_REQUIRED = {
    "select": "choose one",
    "multiselect": "choose at least one",
    "boolean": "tick this box",
    "file": "attach a file",
    "photo": "attach a photo",
    "signature": "sign here",
    "table": "add at least one row",
    "unit": "choose a unit",
    "staff": "choose a staff member",
}


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def required_message(field: FieldSpec) -> str:
    """What a required field says when it is left empty."""
    return _REQUIRED.get(field.type, "fill in this field")


def empty_value(field: FieldSpec) -> Any:
    """The clean value of a field left empty: False, an empty list, or None."""
    if field.type == "boolean":
        return False
    if field.type in ("multiselect", "table"):
        return []
    return None


def is_empty(field: FieldSpec, value: Any) -> bool:
    """Whether a required field counts as not filled in (a required box must be ticked)."""
    return value is None or value == [] or (field.type == "boolean" and value is not True)


def _blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, list | tuple | dict) and not raw


def parse_value(
    field: FieldSpec, raw: Any, *, region: str | None = None, timezone: str | None = None
) -> Any:
    """The clean value of one field from what was submitted for it.

    Empty input (None, blank text, an empty list) gives :func:`empty_value`: whether that
    is allowed is for :func:`clean_form` to say, as ``required_if`` may depend on other
    fields. ``region`` (CN, HK, MO, TW) is the default for phone numbers without a country
    code; ``timezone`` reads a datetime typed without an offset.

    Raises:
        FieldError: with a message for the person who typed ``raw``.
    """
    if field.type == "boolean":
        return parse_boolean(raw)
    if field.type == "table":
        return parse_table(field, raw, region=region, timezone=timezone)
    if _blank(raw):
        return empty_value(field)
    parser = _PARSERS.get(field.type)
    if parser is None:
        raise ValueError(f"unknown field type '{field.type}'")
    return parser(field, raw, region, timezone)


def parse_boolean(raw: Any) -> bool:
    if isinstance(raw, list | tuple):
        # A hidden "false" input before the checkbox sends both; the last one counts.
        raw = raw[-1] if raw else None
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise FieldError("choose yes or no")


def _text(field: FieldSpec, raw: Any, *_: Any) -> str:
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise FieldError("enter text")
    multiline = field.type == "textarea"
    limit = field.max_length or (MAX_TEXTAREA_LENGTH if multiline else MAX_TEXT_LENGTH)
    text = str(raw)
    if len(text) > 4 * limit:  # before normalising: no work on a megabyte of input
        raise FieldError(f"enter at most {plural(limit, 'character')}")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if multiline:
        text = text.replace("\t", " ")
    elif "\n" in text or "\t" in text:
        text = " ".join(text.split())
    if _CONTROL.search(text):
        raise FieldError("remove the control characters from this text")
    if len(text) > limit:
        raise FieldError(f"enter at most {plural(limit, 'character')}")
    if field.min_length is not None and len(text) < field.min_length:
        raise FieldError(f"enter at least {plural(field.min_length, 'character')}")
    if field.pattern is not None and re.fullmatch(field.pattern, text) is None:
        raise FieldError("this is not in the expected format")
    return text


def _select(field: FieldSpec, raw: Any, *_: Any) -> str:
    value = _choice(raw)
    if value not in {option.value for option in field.options}:
        raise FieldError("choose one of the listed options")
    return value


def _choice(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise FieldError("choose one of the listed options")
    return str(raw).strip()


def _multiselect(field: FieldSpec, raw: Any, *_: Any) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or len(items) > MAX_CHOICES:
        raise FieldError("choose from the listed options")
    chosen = {_choice(item) for item in items if not _blank(item)}
    known = [option.value for option in field.options]
    if not chosen <= set(known):
        raise FieldError("choose only from the listed options")
    # In the order of the options, so equal choices give equal values.
    return [value for value in known if value in chosen]


def _phone(field: FieldSpec, raw: Any, region: str | None, _: Any) -> str:
    if not isinstance(raw, str | int) or isinstance(raw, bool) or len(str(raw)) > MAX_PHONE_LENGTH:
        raise FieldError("enter a phone number")
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if region is None and not text.startswith("+"):
        raise FieldError("enter the phone number with its country code, like +852 2345 6789")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise FieldError("enter a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise FieldError("this phone number is not valid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(field: FieldSpec, raw: Any, *_: Any) -> str:
    hint = "enter an email address like name@example.com"
    if not isinstance(raw, str) or len(raw) > MAX_EMAIL_LENGTH:
        raise FieldError(hint)
    text = unicodedata.normalize("NFC", raw).strip()
    if _EMAIL.fullmatch(text) is None or ".." in text:
        raise FieldError(hint)
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def _slug(field: FieldSpec, raw: Any, *_: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise FieldError(required_message(field))
    text = unicodedata.normalize("NFC", str(raw)).strip()
    if len(text) > MAX_ID_LENGTH or _SLUG.fullmatch(text) is None:
        raise FieldError(required_message(field))
    return text


def _id_document(field: FieldSpec, raw: Any, *_: Any) -> dict[str, str]:
    return parse_id_document(raw, field.kinds)


def _file(field: FieldSpec, raw: Any, *_: Any) -> dict[str, Any]:
    """A reference to an upload already stored: ``{"name", "size", "type", "sha256"}``."""
    if not isinstance(raw, Mapping):
        raise FieldError(required_message(field))
    name, size, kind, digest = (raw.get(k) for k in ("name", "size", "type", "sha256"))
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_FILE_NAME_LENGTH:
        raise FieldError("the file has no usable name")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise FieldError("the file's size is missing")
    if not isinstance(kind, str) or not kind:
        raise FieldError("the file's type is missing")
    if not isinstance(digest, str) or _SHA256.fullmatch(digest.lower()) is None:
        raise FieldError("the file's checksum is missing")
    # Only the last part of a path: browsers on some systems send the whole of it.
    name = unicodedata.normalize("NFC", re.split(r"[\\/]", name.strip())[-1])
    kind = kind.strip().lower()
    accept = accepted_types(field)
    if accept and not _accepted(name, kind, accept):
        raise FieldError(f"this kind of file is not accepted; use {', '.join(accept)}")
    limit = field.max_size or MAX_FILE_SIZE
    if size > limit:
        raise FieldError(f"this file is larger than {size_text(limit)}")
    if size == 0:
        raise FieldError("this file is empty")
    return {"name": name, "size": size, "type": kind, "sha256": digest.lower()}


def accepted_types(field: FieldSpec) -> tuple[str, ...]:
    """The field's ``accept`` list; a photo without one takes the common image types."""
    if field.accept:
        return tuple(a.strip().lower() for a in field.accept)
    return PHOTO_TYPES if field.type == "photo" else ()


def _accepted(name: str, kind: str, accept: tuple[str, ...]) -> bool:
    for entry in accept:
        if entry.startswith("."):
            if name.lower().endswith(entry):
                return True
        elif entry.endswith("/*"):
            if kind.startswith(entry[:-1]):
                return True
        elif kind == entry:
            return True
    return False


def size_text(size: int) -> str:
    """``5 MB``, ``300 KB``, ``12 bytes``: sizes in messages (1 MB = 1,048,576 bytes)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            amount = size / scale  # display only: a rounded size in a message
            return f"{amount:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _signature(field: FieldSpec, raw: Any, *_: Any) -> dict[str, str]:
    """A drawn signature as an image data URL, or a typed name: both are stored as dicts."""
    if isinstance(raw, Mapping):
        if isinstance(raw.get("image"), str):
            raw = raw["image"]
        elif isinstance(raw.get("typed"), str):
            return {"typed": _typed_name(raw["typed"])}
        else:
            raise FieldError("sign here, or type your name")
    if not isinstance(raw, str):
        raise FieldError("sign here, or type your name")
    if not raw.startswith("data:"):
        return {"typed": _typed_name(raw)}
    if len(raw) > MAX_SIGNATURE_LENGTH:
        raise FieldError("the signature image is too large")
    match = _DATA_URL.fullmatch(raw)
    if match is None:
        raise FieldError("the signature is not a PNG, JPEG or WebP image")
    try:
        data = base64.b64decode(match[2], validate=True)
    except (binascii.Error, ValueError):
        raise FieldError("the signature image is damaged") from None
    if not data.startswith(_MAGIC[match[1]]):
        raise FieldError("the signature image is damaged")
    return {"image": raw}


def _typed_name(raw: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise FieldError("sign here, or type your name")
    if len(name) > MAX_TYPED_SIGNATURE_LENGTH or _CONTROL.search(name):
        raise FieldError(f"type your name in at most {MAX_TYPED_SIGNATURE_LENGTH} characters")
    return name


def parse_table(
    field: FieldSpec, raw: Any, *, region: str | None = None, timezone: str | None = None
) -> list[dict[str, Any]]:
    """Rows parsed column by column; blank rows are dropped, errors keyed ``[row].column``.

    Row numbers in messages count the submitted rows from 0, blank ones included, so they
    point at the rows the person sees. Only ``required`` applies to a column:
    expressions on columns are not evaluated.
    """
    if _blank(raw):
        rows: Sequence[Any] = []
    elif isinstance(raw, list | tuple):
        rows = raw
    else:
        raise FieldError("this table cannot be read")
    if len(rows) > MAX_TABLE_ROWS:
        raise FieldError(f"enter at most {plural(field.max_rows or MAX_TABLE_ROWS, 'row')}")
    clean: list[dict[str, Any]] = []
    errors: dict[str, tuple[str, ...]] = {}
    for number, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors[f"[{number}]"] = ("this row cannot be read",)
            continue
        if all(_blank(row.get(column.id)) for column in field.columns):
            continue
        values: dict[str, Any] = {}
        for column in field.columns:
            try:
                value = parse_value(column, row.get(column.id), region=region, timezone=timezone)
            except FieldError as exc:
                for path, messages in exc.errors.items():
                    errors[f"[{number}].{column.id}{path}"] = messages
                continue
            if column.required and is_empty(column, value):
                errors[f"[{number}].{column.id}"] = (required_message(column),)
            values[column.id] = value
        clean.append(values)
    if field.min_rows is not None and 0 < len(clean) < field.min_rows:
        errors[""] = (f"add at least {plural(field.min_rows, 'row')}",)
    if field.max_rows is not None and len(clean) > field.max_rows:
        errors[""] = (f"enter at most {plural(field.max_rows, 'row')}",)
    if errors:
        raise FieldError(errors.get("", ("check the rows marked",))[0], errors)
    return clean


_PARSERS = {
    "text": _text,
    "textarea": _text,
    "integer": lambda f, raw, *_: parse_integer(f, raw),
    "decimal": lambda f, raw, *_: parse_decimal(f, raw),
    "money": lambda f, raw, *_: parse_decimal(f, raw),
    "rating": lambda f, raw, *_: parse_rating(f, raw),
    "date": lambda f, raw, _, tz: parse_date(f, raw, tz),
    "time": lambda f, raw, *_: parse_time(f, raw),
    "datetime": lambda f, raw, _, tz: parse_datetime(f, raw, tz),
    "duration": lambda f, raw, *_: parse_duration_value(f, raw),
    "select": _select,
    "multiselect": _multiselect,
    "phone": _phone,
    "id_document": _id_document,
    "email": _email,
    "unit": _slug,
    "staff": _slug,
    "file": _file,
    "photo": _file,
    "signature": _signature,
}
