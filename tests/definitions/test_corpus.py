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
BAD = sorted(p for p in (HERE / "bad").iterdir() if p.suffix in (".yaml", ".yml", ".json"))
GOOD = sorted(
    p for p in (HERE / "good").iterdir() if p.suffix in (".yaml", ".yml", ".json") or p.is_dir()
)
EXPECT = re.compile(r"#\s*expect:\s*([a-z][a-z0-9-]*)\s+(\d+):(\d+)")


def expectations(path: Path) -> list[tuple[str, int, int]]:
    """The ``# expect:`` lines at the top of a case (JSON has no comments: for
    ``x.json`` they stand in ``x.json.expect``)."""
    sidecar = Path(f"{path}.expect")
    source = sidecar if sidecar.exists() else path
    found = []
    for line in source.read_text(encoding="utf-8", errors="replace").splitlines():
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


#: Codes whose case needs several files or a broken file system; each is tested by name.
ELSEWHERE = {
    "unreadable-file": "test_loader.py::test_missing_path_is_reported_not_raised",
    "duplicate-id": "test_loader.py::test_duplicate_ids_name_the_other_file",
    "circular-extends": "test_loader.py::test_circular_extends_is_reported_once_per_cycle",
    "missing-role": "test_loader.py::test_estate_must_provide_the_roles_a_procedure_needs",
    "unknown-param": "test_loader.py::test_estate_param_override_must_name_a_real_parameter",
    "unknown-library": "test_loader.py::test_estate_with_a_wrong_library_folder",
    "business-without-calendar": "test_loader.py::test_business_deadline_needs_a_calendar",
    # Raised while a case runs, not when a definition loads: see tests/rules.
    "rule-type": "tests/rules",
    "rule-value": "tests/rules",
    "undefined": "tests/rules",
}


def test_every_registered_code_has_a_bad_case():
    declared = {code for path in BAD for code, _, _ in expectations(path)}
    missing = set(CODES) - declared - set(ELSEWHERE)
    assert not missing, f"codes without a bad case: {sorted(missing)}"
