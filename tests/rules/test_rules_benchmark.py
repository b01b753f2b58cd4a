"""The rules benchmark runs, and compares itself with the baselines it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_benchmark_writes_rows_with_ratios(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out), "rules"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    compared = {(r["group"], r["variant"], r["baseline"]) for r in rows if "ratio" in r}
    assert ("evaluate guard", "rules.evaluate", "python lambda") in compared
    assert ("evaluate guard", "rules.evaluate", "jinja compile_expression") in compared
    assert all(r["us"] > 0 for r in rows)
    assert "ratio" in result.stdout.splitlines()[0]
