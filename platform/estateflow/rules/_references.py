"""What a compiled rule records about the names it uses, for checks at load time."""

from __future__ import annotations

from dataclasses import dataclass

from estateflow.rules._problems import RuleProblem


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A dotted name a rule uses: ``form.valid`` is ``("form", "valid")``.

    A path stops before a computed subscript: ``params.forward_within[case.severity]``
    gives ``("params", "forward_within")`` and ``("case", "severity")``; a quoted one
    (``steps['forward'].at``) carries on.
    """

    path: tuple[str, ...]
    offset: int
    length: int
    """Spans the whole path."""
    ends: tuple[int, ...] = ()
    """Where each part of the path ends (exclusive), to underline up to a bad part."""

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterQuery:
    """A call such as ``registers.cards.count(unit=case.unit)``."""

    register: str
    method: str
    fields: tuple[Reference, ...]
    """The register fields it filters or sums on, each located at its name."""
    offset: int
    length: int


@dataclass(slots=True)
class Findings:
    problems: list[RuleProblem]
    references: list[Reference]
    functions: list[Reference]
    """Calls of listed functions; the path is the function's name."""
    queries: list[RegisterQuery]
