"""``estateflow graph``: a procedure as a Mermaid flowchart or an SVG drawing."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the ``graph`` subcommand to the ``estateflow`` parser's subparsers."""
