from __future__ import annotations

from estateflow.errors import Diagnostic, EstateFlowError, Severity, SourceSpan, code_info

Where = tuple[str | int, ...]


class CalendarError(EstateFlowError):
    """A calendar, its hours, its holidays or a duration is wrong.

    Raised while a definition is compiled (the definitions layer turns it into a
    :class:`~estateflow.errors.Diagnostic` at the YAML node ``where`` points to) and, as
    ``no-working-time``, by the arithmetic when a search finds no open time at all.
    """

    def __init__(self, code: str, message: str, hint: str | None = None, where: Where = ()) -> None:
        # All arguments go to Exception so that the error pickles for the worker.
        super().__init__(code, message, hint, where)
        self.code = code
        """Registered in :data:`estateflow.errors.codes.CALENDAR`."""
        self.message = message
        self.hint = hint if hint is not None else code_info(code).hint
        self.where = tuple(where)
        """Path from the argument of :func:`build_calendar` that holds the fault: ``("hours",
        "mon-fri", 1)``, ``("timezone",)``, ``("region",)``, ``("open", 0)``. A calendar written
        as the bare string ``24/7`` has its hours at the calendar's own node."""

    def within(self, *prefix: str | int) -> CalendarError:
        """The same error located deeper: ``err.within("calendars", "office")``."""
        return CalendarError(self.code, self.message, self.hint, (*prefix, *self.where))

    def diagnostic(self, span: SourceSpan, severity: Severity = "error") -> Diagnostic:
        return Diagnostic(
            code=self.code, message=self.message, span=span, hint=self.hint, severity=severity
        )

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class DurationError(CalendarError, ValueError):
    """A duration literal cannot be read; ``code`` is always ``bad-duration``."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__("bad-duration", message, hint)
        # Exception pickles through ``args``, which must match this constructor.
        self.args = (message, hint)
