"""A case as plain data (dicts, lists, scalars) and back, for whoever stores it.

Decimals, dates and datetimes stay as they are: the store's codec writes them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from types import MappingProxyType
from typing import Any

from estateflow.calendar import Pause
from estateflow.engine._state import Activation, CaseState, Event, TaskState


def plain(obj: Any) -> Any:
    """Dataclasses, mappings, tuples and sets as dicts and lists."""
    names = _FIELDS.get(type(obj))
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj))
    if names is not None:
        return {name: plain(getattr(obj, name)) for name in names}
    if isinstance(obj, str | int | float | bool | None):
        return obj
    if isinstance(obj, Mapping):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [plain(v) for v in obj]
    if isinstance(obj, frozenset | set):
        return sorted(obj)
    return obj


#: Field names per dataclass type, looked up once (``fields()`` is slow on a hot path).
_FIELDS: dict[type, tuple[str, ...]] = {}


def case_to_dict(case: CaseState) -> dict[str, Any]:
    return plain(case)


def case_from_dict(raw: Mapping[str, Any]) -> CaseState:
    tasks = tuple(
        TaskState(**{**t, "pauses": tuple(Pause(**p) for p in t["pauses"])}) for t in raw["tasks"]
    )
    activations = {
        k: Activation(**{**a, "branches": tuple(a["branches"]), "arrived": frozenset(a["arrived"])})
        for k, a in raw["activations"].items()
    }
    steps = {k: MappingProxyType(dict(v)) for k, v in raw["steps"].items()}
    return CaseState(
        **{
            **raw,
            "data": MappingProxyType(dict(raw["data"])),
            "steps": MappingProxyType(steps),
            "tasks": tasks,
            "activations": MappingProxyType(activations),
            "pauses": tuple(Pause(**p) for p in raw["pauses"]),
        }
    )


def event_to_dict(event: Event) -> dict[str, Any]:
    return {
        "type": event.type,
        "at": event.at,
        "actor": event.actor,
        "payload": plain(event.payload),
    }


def event_from_dict(raw: Mapping[str, Any]) -> Event:
    return Event(
        type=raw["type"],
        at=raw["at"],
        actor=raw.get("actor"),
        payload=MappingProxyType(dict(raw.get("payload") or {})),
    )
