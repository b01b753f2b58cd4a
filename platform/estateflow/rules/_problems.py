from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from estateflow.errors import Diagnostic, SourceSpan, code_info


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleProblem:
    """One thing wrong with an expression, located inside its text."""

    code: str
    """Registered in :data:`estateflow.errors.codes.RULES`."""
    message: str
    offset: int
    """0-based, in characters from the start of the expression text."""
    length: int
    """How many characters the offending part spans (at least 1)."""
    hint: str | None = None

    def diagnostic(self, start: SourceSpan) -> Diagnostic:
        """This problem as a diagnostic, for an expression whose text begins at ``start``.

        ``start`` is the position of the expression's first character (after an opening
        quote); the hint falls back to the code's default.
        """
        hint = self.hint if self.hint is not None else code_info(self.code).hint
        span = start.shifted(self.offset, self.length)
        return Diagnostic(code=self.code, message=self.message, span=span, hint=hint)


class RuleSyntaxError(Exception):
    """Load time: an expression cannot be compiled. Carries every problem found."""

    def __init__(self, problems: Iterable[RuleProblem]) -> None:
        problems = tuple(sorted(problems, key=lambda p: (p.offset, p.code)))
        # One argument keeps the exception picklable.
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        if not self.problems:
            return "no problems"
        first = self.problems[0]
        text = f"{first.offset}: {first.code}: {first.message}"
        more = len(self.problems) - 1
        return text if not more else f"{text} (and {more} more)"
