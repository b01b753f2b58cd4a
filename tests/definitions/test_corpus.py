"""The definition corpus: every bad case fails with its declared code and position,
every good case loads. Adding a case means adding a file.

A bad case declares what it must produce on its first lines::

    # expect: unknown-step 14:11
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from estateflow.definitions import check_paths
from estateflow.errors import CODES, render_all

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad").glob("*.y*ml"))
GOOD = sorted(
    p for p in (HERE / "good").iterdir() if p.suffix in (".yaml", ".yml", ".json") or p.is_dir()
)
EXPECT = re.compile(r"#\s*expect:\s*([a-z][a-z0-9-]*)\s+(\d+):(\d+)")


def expectations(path: Path) -> list[tuple[str, int, int]]:
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break
        match = EXPECT.search(line)
        if match:
            found.append((match[1], int(match[2]), int(match[3])))
    return found


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_case_reports_its_code_at_its_position(path):
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect: CODE LINE:COL' line"
    result = check_paths([path], cwd=HERE)
    got = {(d.code, d.span.line, d.span.col) for d in result.diagnostics}
    report = render_all(result.diagnostics, result.texts.get)
    for code, line, col in expected:
        assert code in CODES, f"{code} is not registered in errors/codes.py"
        assert (code, line, col) in got, f"expected {code} at {line}:{col}, got:\n{report}"


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_case_loads_without_errors(path):
    result = check_paths([path], cwd=HERE)
    assert not result.errors, render_all(result.diagnostics, result.texts.get)
