from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause:
    """A span during which a clock stands still.

    A task paused while waiting for the owner, or an estate-wide stop such as typhoon
    signal 8 or a black rainstorm warning, which the caller passes to every clock of the
    estate. Pauses may overlap; the arithmetic merges them.
    """

    start: datetime
    end: datetime | None = None
    """None while still paused: the clock stays stopped from ``start`` on."""

    def __post_init__(self) -> None:
        aware(self.start, "pause start")
        if self.end is not None:
            aware(self.end, "pause end")
            if self.end < self.start:
                raise ValueError(f"pause ends at {self.end} before it starts at {self.start}")


def merge_pauses(pauses: Iterable[Pause]) -> tuple[Pause, ...]:
    """Sorted, disjoint and non-touching pauses covering the same time, in UTC."""
    spans = sorted(
        (
            (p.start.astimezone(UTC), None if p.end is None else p.end.astimezone(UTC))
            for p in pauses
            if p.end is None or p.end > p.start
        ),
        key=lambda span: span[0],
    )
    merged: list[tuple[datetime, datetime | None]] = []
    for start, end in spans:
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            if last_end is not None and (end is None or end > last_end):
                merged[-1] = (last_start, end)
            continue
        merged.append((start, end))
    return tuple(Pause(start=s, end=e) for s, e in merged)


def aware(moment: datetime, what: str) -> datetime:
    """``moment`` itself; a TypeError if it is not a timezone-aware datetime."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TypeError(f"{what} must be timezone-aware, not naive: {moment}")
    return moment
