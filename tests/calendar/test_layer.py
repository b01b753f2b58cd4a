"""The calendar layer stays pure: what it imports, and no clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import estateflow.calendar as calendar_package

PACKAGE = Path(calendar_package.__file__).parent
SOURCES = sorted(PACKAGE.glob("*.py"))
ALLOWED_THIRD_PARTY = {"chinese_calendar", "holidays"}
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_imports_only_errors_the_standard_library_and_the_holiday_packages():
    assert SOURCES
    for source in SOURCES:
        for name in imported_modules(ast.parse(source.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top == "estateflow":
                assert name.startswith(("estateflow.errors", "estateflow.calendar")), (
                    source.name,
                    name,
                )
            else:
                assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, name
            assert top not in {"asyncio", "piccolo", "litestar"}, (source.name, name)


def test_never_reads_the_clock():
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CLOCK_CALLS, (source.name, node.lineno)


def ruff_order(name: str) -> tuple[int, str]:
    # How ruff sorts ``__all__``: constants, then classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_names_are_sorted_and_exported():
    names = calendar_package.__all__
    assert isinstance(names, tuple) and list(names) == sorted(names, key=ruff_order)
    assert all(hasattr(calendar_package, name) for name in names)
    assert all(source.name.startswith("_") for source in SOURCES)
