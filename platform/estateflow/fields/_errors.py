from __future__ import annotations

from collections.abc import Mapping

from estateflow.errors import EstateFlowError


class FieldError(EstateFlowError, ValueError):
    """Input for one field cannot be used; ``message`` is for the person who typed it.

    Messages are plain English in lower case with no final period, and say what to do:
    ``enter a whole number``, ``this date is before 2026-01-01``.
    """

    def __init__(self, message: str, errors: Mapping[str, tuple[str, ...]] | None = None) -> None:
        # Both arguments go to Exception, so the error pickles for the worker.
        super().__init__(message, errors)
        self.message = message
        self.errors: dict[str, tuple[str, ...]] = dict(errors) if errors else {"": (message,)}
        """Messages by path below the field: ``""`` is the field itself, ``"[2].name"`` a
        cell of a table (row numbers count the submitted rows from 0)."""

    def __str__(self) -> str:
        return self.message
