"""Field specs and made-up identity numbers for the fields tests (nobody's real numbers).

The check characters here are computed by a second, independent reading of each
algorithm, so the tests do not only compare the module with itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from estateflow.fields import FieldSpec, OptionSpec
from estateflow.rules import compile_rule

_BOUNDED = ("date", "time", "datetime", "duration")


def field(kind: str, fid: str = "f", **keys: Any) -> FieldSpec:
    """A FieldSpec; rules given as text are compiled, number bounds become Decimal."""
    for key in ("required_if", "show_if", "compute", "default"):
        if isinstance(keys.get(key), str):
            keys[key] = compile_rule(keys[key])
    for key in ("min", "max"):
        if isinstance(keys.get(key), int | str) and kind not in _BOUNDED:
            keys[key] = Decimal(keys[key])
    if "options" in keys:
        keys["options"] = tuple(
            OptionSpec(value=o, label={"en": o.title(), "zh-Hant": f"選{o}"})
            for o in keys["options"]
        )
    return FieldSpec(id=fid, type=kind, **keys)


def form(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {spec.id: spec for spec in specs}


def cn_id(body17: str) -> str:
    # ISO 7064 MOD 11-2: weights 2^(17-i) mod 11; the check makes the weighted sum 1 mod 11.
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body17))
    check = (12 - total % 11) % 11
    return body17 + ("X" if check == 10 else str(check))


def hkid(body: str) -> str:
    values = [36 if ch == " " else int(ch, 36) for ch in body.rjust(8)]
    total = sum(v * (9 - i) for i, v in enumerate(values))
    check = (11 - total % 11) % 11
    return body + ("A" if check == 10 else str(check))


def taiwan_id(body9: str) -> str:
    code = "ABCDEFGHJKLMNPQRSTUVXYWZIO".index(body9[0]) + 10
    digits = [code // 10, code % 10] + [int(d) for d in body9[1:]]
    total = digits[0] + sum(d * (9 - i) for i, d in enumerate(digits[1:]))
    return body9 + str((10 - total % 10) % 10)


def change_last(number: str) -> str:
    """The same number with its check character moved on by one: never valid."""
    last = number[-1]
    return number[:-1] + (str((int(last) + 1) % 10) if last.isdigit() else "0")


#: Valid made-up numbers.
CN_ID = cn_id("11010519900101123")
CN_ID_X = next(
    cn_id(f"33010619850501{i:03d}")
    for i in range(1000)
    if cn_id(f"33010619850501{i:03d}")[-1] == "X"
)
HKID_ONE_LETTER = hkid("A123456")
HKID_TWO_LETTERS = hkid("XY987654")
TAIWAN_ID = taiwan_id("A12345678")
