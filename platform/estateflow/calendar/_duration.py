from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from estateflow.calendar._errors import DurationError

Unit = Literal["s", "m", "h", "d", "bh", "bd"]

#: The longest duration a literal may give, counting a business hour as an hour and a
#: business day as a day; longer spans are typing mistakes, and the bound keeps the
#: day-by-day arithmetic short.
MAX_DURATION = timedelta(days=3660)

UNITS: tuple[Unit, ...] = ("s", "m", "h", "d", "bh", "bd")
_NOMINAL: dict[str, timedelta] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "bh": timedelta(hours=1),
    "bd": timedelta(days=1),
}
_LITERAL = re.compile(r"([0-9]{1,9})(s|m|h|d|bh|bd)")
# A number followed by a word: meant as a duration, never a valid expression.
_LOOKS_LIKE = re.compile(r"\s*[0-9]+(?:[.,][0-9]+)?\s*[^\W\d_]+\s*")
_FORMS = "30s, 10m, 1h, 2d (wall clock), 24bh (business hours) or 3bd (business days)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration:
    """A span of time as written in a definition: ``10m``, ``24bh``, ``3bd``.

    ``s``, ``m``, ``h`` and ``d`` are wall-clock time: real elapsed time, so ``1d`` is 24
    hours even across a daylight-saving change. ``bh`` counts only the open time of a
    calendar; ``bd`` counts its working days (see :meth:`Calendar.add`).
    """

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise DurationError(f"'{self.unit}' is not a unit of duration", _hint())
        if self.amount < 0:
            raise DurationError(f"'{self}' is negative", _hint())
        if self.amount * _NOMINAL[self.unit] > MAX_DURATION:
            raise DurationError(
                f"'{self}' is longer than {MAX_DURATION.days} days",
                "use a shorter duration; deadlines longer than ten years are not supported",
            )

    @property
    def business(self) -> bool:
        """True for ``bh`` and ``bd``, which need a calendar."""
        return self.unit in ("bh", "bd")

    @property
    def span(self) -> timedelta | None:
        """The elapsed time (wall units) or open time (``bh``) it stands for.

        None for ``bd``, whose open time depends on where it starts.
        """
        if self.unit == "bd":
            return None
        return self.amount * _NOMINAL[self.unit]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def parse_duration(text: str) -> Duration:
    """Read a literal such as ``10m`` or ``24bh``; no spaces, no signs, no fractions."""
    if not isinstance(text, str):
        raise DurationError(f"'{text}' is not a duration", _hint())
    match = _LITERAL.fullmatch(text)
    if match is None:
        raise DurationError(f"'{text}' is not a duration", _hint())
    amount, unit = match.groups()
    return Duration(amount=int(amount), unit=unit)  # type: ignore[arg-type]


def is_duration_literal(text: object) -> bool:
    """Whether ``text`` is meant as a literal rather than an expression.

    True for what :func:`parse_duration` reads and also for near misses such as ``2 hours``,
    ``1.5h`` or ``10x``: a number followed by a word. The caller passes those to
    :func:`parse_duration`, which reports ``bad-duration`` with the accepted forms, instead
    of compiling them as an expression and reporting a syntax error.
    """
    return isinstance(text, str) and _LOOKS_LIKE.fullmatch(text) is not None


def _hint() -> str:
    return f"write a whole number and a unit: {_FORMS}"
