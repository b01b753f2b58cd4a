from __future__ import annotations

from collections.abc import Iterable, Mapping

from estateflow.errors._diagnostic import Diagnostic


class EstateFlowError(Exception):
    """Base of every error EstateFlow raises on purpose."""


class DefinitionError(EstateFlowError):
    """Load time: one or more definition files are wrong. Carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        diagnostics = tuple(sorted(diagnostics, key=lambda d: d.span.sort_key()))
        # A single argument keeps the exception picklable without a custom __reduce__.
        super().__init__(diagnostics)
        self.diagnostics = diagnostics

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    def __str__(self) -> str:
        errors = self.errors
        if not errors:
            return "no errors"
        first = str(errors[0])
        more = len(errors) - 1
        return first if not more else f"{first} (and {more} more)"


class RuleError(EstateFlowError):
    """Run time: an expression failed while being evaluated (a limit, a bad value)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotAllowed(EstateFlowError):
    """The actor may not do this (role, assignee, guard or state)."""


class Invalid(EstateFlowError):
    """A submitted form failed validation; ``errors`` maps field id to its messages."""

    def __init__(self, errors: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__(dict(errors))
        self.errors = dict(errors)


class Conflict(EstateFlowError):
    """Someone else changed the case first; the caller shows the current state."""


class Closed(EstateFlowError):
    """The case or task has already ended."""


class NotFound(EstateFlowError):
    """No such thing in this estate (also said for things the user may not see)."""
