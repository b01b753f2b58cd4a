"""Registers as people read them: the rows an estate keeps (households, cards, keys,
stored items...) with their history, whatever registers the estate declares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from estateflow.definitions import Bundle, RegisterSpec
from estateflow.errors import NotFound
from estateflow.store import Store
from estateflow.store import people as rows


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterEntry:
    id: int
    unit: str
    data: Mapping[str, Any]
    case_id: str | None
    """The case that added the row; None for rows loaded by an administrator."""
    case_number: str | None
    created_at: datetime
    removed_at: datetime | None
    removed_by: str | None = None
    """The case that removed the row, when a case did."""
    removed_by_number: str | None = None

    @property
    def current(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterPage:
    spec: RegisterSpec
    entries: tuple[RegisterEntry, ...]


class Registers:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def read(self, bundle: Bundle, register: str) -> RegisterPage:
        """Every row of ``register`` in ``bundle``'s estate, removed ones too, newest first.

        Any register the estate declares has a page: nothing here knows their names.
        """
        spec = bundle.estate.registers.get(register)
        if spec is None:
            raise NotFound(f"no register '{register}'")
        async with self.store.unit_of_work(writes=False) as uow:
            found = await rows.register_history(uow, bundle.estate.id, register)
        entries = tuple(
            RegisterEntry(
                id=int(row["id"]),
                unit=row["unit"] or "",
                data=row["data"],
                case_id=row["case_id"],
                case_number=row["case_number"],
                created_at=row["created_at"],
                removed_at=row["removed_at"],
                removed_by=row["removed_by"],
                removed_by_number=row["removed_by_number"],
            )
            for row in found
        )
        return RegisterPage(spec=spec, entries=entries)
