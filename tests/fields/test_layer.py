"""The fields layer stays pure: what it imports, no clock, no I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import estateflow.fields as fields_package

PACKAGE = Path(fields_package.__file__).parent
SOURCES = sorted(PACKAGE.glob("*.py"))
ALLOWED_OURS = ("estateflow.errors", "estateflow.rules", "estateflow.calendar", "estateflow.fields")
ALLOWED_THIRD_PARTY = {"jsonschema", "phonenumbers"}
CLOCK_CALLS = {"now", "today", "utcnow", "monotonic", "perf_counter"}
IO_CALLS = {"open", "read_text", "write_text", "urlopen", "getenv", "input", "print"}


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_imports_only_the_layers_below_and_the_standard_library():
    assert len(SOURCES) > 5
    for source in SOURCES:
        for name in imported_modules(ast.parse(source.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top == "estateflow":
                assert name == "estateflow" or name.startswith(ALLOWED_OURS), (source.name, name)
            else:
                assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, name
            assert top not in {"asyncio", "piccolo", "litestar", "os", "io", "socket"}, name


def test_never_reads_the_clock_or_does_io():
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert name not in CLOCK_CALLS | IO_CALLS, (source.name, node.lineno, name)


def ruff_order(name: str) -> tuple[int, str]:
    # How ruff sorts ``__all__``: constants, then classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_names_are_sorted_and_exported():
    names = fields_package.__all__
    assert isinstance(names, tuple) and list(names) == sorted(names, key=ruff_order)
    assert all(hasattr(fields_package, name) for name in names)
    assert {"FIELD_KEYS", "FIELD_TYPES", "ID_KINDS", "FieldSpec", "Label", "OptionSpec"} <= set(
        names
    )
    assert all(source.name.startswith("_") for source in SOURCES)
