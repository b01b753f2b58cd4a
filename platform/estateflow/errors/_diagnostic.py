from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSpan:
    """Where something stands in a definition file; lines and columns are 1-based."""

    path: str
    line: int = 0
    """0 when the position is unknown (a file that could not be read at all)."""
    col: int = 0
    end_line: int | None = None
    end_col: int | None = None
    """Exclusive end column on ``end_line``; drives the length of the caret underline."""

    def shifted(self, offset: int, length: int | None = None) -> SourceSpan:
        """The span ``offset`` characters further along the same line (inside a scalar)."""
        col = self.col + offset
        end = col + length if length else None
        return replace(self, col=col, end_line=self.line if end else None, end_col=end)

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.col)

    def __str__(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem in a definition, with where it is and how to fix it."""

    code: str
    """Kebab-case, registered in :mod:`estateflow.errors.codes`; stable once released."""
    message: str
    """One line, lower case, no final period; quotes the names it talks about."""
    span: SourceSpan
    hint: str | None = None
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        kind = "" if self.is_error else "warning: "
        return f"{self.span}: {kind}{self.code}: {self.message}"
