"""Who is on duty: the estate's shifts with the staff assigned to each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from types import MappingProxyType
from zoneinfo import ZoneInfo

from estateflow.definitions import EstateSpec


def _parse(hours: str) -> tuple[time, time]:
    start, _, end = hours.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(
        end.strip().replace("24:00", "00:00")
    )


@dataclass(frozen=True, slots=True)
class ShiftRoster:
    """A :class:`Roster` from an estate's shifts and who works each one.

    ``duty`` maps ``(role, shift)`` to a username; ``teams`` maps ``(role, building)`` to
    a username; ``units`` maps a unit to its building.
    """

    estate: EstateSpec
    duty: Mapping[tuple[str, str], str] = field(default_factory=lambda: MappingProxyType({}))
    teams: Mapping[tuple[str, str], str] = field(default_factory=lambda: MappingProxyType({}))
    units: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def shift_at(self, role: str, at: datetime) -> str | None:
        """The name of ``role``'s shift at ``at`` (local time of the estate)."""
        local = at.astimezone(ZoneInfo(self.estate.timezone)).time()
        for shift in self.estate.shifts.get(role, ()):
            start, end = _parse(shift.hours)
            inside = start <= local < end if start < end else (local >= start or local < end)
            if inside:
                return shift.id
        return None

    def on_duty(self, role: str, at: datetime) -> str | None:
        shift = self.shift_at(role, at)
        return self.duty.get((role, shift)) if shift else None

    def building_team(self, role: str, unit: str | None) -> str | None:
        building = self.units.get(unit or "")
        return self.teams.get((role, building)) if building else None
