"""JSON for case state and event payloads, keeping Decimals, dates and times exact.

Plain JSON would turn money into floats and times into strings that no longer say what
they are; each such value is written as a one-key object (``{"$dec": "50.00"}``,
``{"$dt": "2026-09-24T02:00:00+00:00"}``) and read back as itself. Keys are sorted and
spacing fixed, so the same value always gives the same text (event digests rely on it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from estateflow.calendar import Duration, parse_duration


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Duration):
        return {"$dur": str(value)}
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot store a {type(value).__name__}")


_DECODERS = {
    "$dec": Decimal,
    "$dt": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$dur": parse_duration,
}


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, value),) = obj.items()
        decoder = _DECODERS.get(key)
        if decoder is not None:
            return decoder(value)
    return obj


def dumps(value: Any) -> str:
    return json.dumps(
        value, default=_encode, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )


def loads(text: str | bytes) -> Any:
    return json.loads(text, object_hook=_decode)
