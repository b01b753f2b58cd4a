"""Diagnostics and the error family: the bottom layer, importing nothing of ours.

Definition problems are data (:class:`Diagnostic`), yielded by the loader, the linter and
the rules compiler and raised together as one :class:`DefinitionError`. Run-time problems
are exceptions of their own branch, as Jinja splits load time from run time.
"""

from estateflow.errors._diagnostic import Diagnostic, Severity, SourceSpan
from estateflow.errors._exceptions import (
    Closed,
    Conflict,
    DefinitionError,
    EstateFlowError,
    Invalid,
    NotAllowed,
    NotFound,
    RuleError,
)
from estateflow.errors._render import render, render_all
from estateflow.errors.codes import CODES, Code, code_info

__all__ = (
    "CODES",
    "Closed",
    "Code",
    "Conflict",
    "DefinitionError",
    "Diagnostic",
    "EstateFlowError",
    "Invalid",
    "NotAllowed",
    "NotFound",
    "RuleError",
    "Severity",
    "SourceSpan",
    "code_info",
    "render",
    "render_all",
)
