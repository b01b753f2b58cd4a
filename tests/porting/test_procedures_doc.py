"""docs/procedures.md is what `estateflow docs procedures` prints, never a hand edit."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from estateflow.cli import main

REPO = Path(__file__).resolve().parents[2]


def generated(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["docs", "procedures", *args]) == 0
    return out.getvalue()


def test_committed_reference_equals_the_commands_output():
    committed = (REPO / "docs" / "procedures.md").read_text(encoding="utf-8")
    assert committed == generated(), "run: estateflow docs procedures > docs/procedures.md"


def test_reference_lists_every_library_procedure_with_its_sources():
    text = generated()
    for path in sorted((REPO / "procedures").glob("*.yaml")):
        assert f"\n## {path.stem}\n" in text
    assert "000 2.1.2.5(1) a-g" in text  # fire
    assert "Param `satisfaction_target`: `95`" in text


def test_an_estate_is_documented_with_its_overlays():
    text = generated("--estate", str(REPO / "examples" / "tower"))
    assert text.startswith("# Procedures of 丰融国际大厦 (tower)")
    assert "**客户投诉处理 / Client complaint handling**" in text
    assert "| `order` |" in text  # the tower's repair overlay
