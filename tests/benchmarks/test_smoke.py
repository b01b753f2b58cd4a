"""``python -m benchmarks --quick`` (what CI runs) finishes and writes a complete table.

Nothing here is about time (DESIGN.md §9): the numbers are read by people, not asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: The baselines of benchmarks/engine.py, from the `bench` extra.
BASELINE_PACKAGES = ("SpiffWorkflow", "transitions")
MISSING = [name for name in BASELINE_PACKAGES if importlib.util.find_spec(name) is None]
needs_baselines = pytest.mark.skipif(
    bool(MISSING),
    reason=f"benchmark baselines not installed ({', '.join(MISSING)}): pip install -e '.[bench]'",
)


def quick_run(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks --quick --json OUT ARGS…``, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,  # a blow-up guard, not a timing assertion: the run takes a minute
    )
    assert done.returncode == 0, done.stderr
    return done


@needs_baselines
def test_quick_run_gives_every_row_a_name_value_baseline_and_ratio(tmp_path):
    out = tmp_path / "bench.json"
    assert "µs/op" in quick_run(out).stdout
    report = json.loads(out.read_text())
    assert (report["quick"], report["clock"]) == (True, "wall")
    rows = report["rows"]
    assert {"definitions", "due", "engine", "rules", "scale", "store"} <= {
        row["module"] for row in rows
    }

    by_group: dict[tuple[str, str], dict[str, float]] = {}
    for row in rows:
        assert row["group"] and row["variant"], row
        assert isinstance(row["us"], float) and math.isfinite(row["us"]) and row["us"] > 0, row
        by_group.setdefault((row["module"], row["group"]), {})[row["variant"]] = row["us"]
    for row in rows:
        variants = by_group[(row["module"], row["group"])]
        if "baseline" in row:
            assert row["baseline"] in variants, row
            assert row["ratio"] == pytest.approx(row["us"] / variants[row["baseline"]]), row
        else:
            # A baseline's own row: its baseline is itself (ratio 1), named by another row.
            assert any(
                other.get("baseline") == row["variant"]
                for other in rows
                if (other["module"], other["group"]) == (row["module"], row["group"])
            ), f"{row['group']}: '{row['variant']}' is compared with nothing"


@needs_baselines
def test_cpu_clock_is_said_in_the_report_and_times_every_row(tmp_path):
    out = tmp_path / "bench.json"
    quick_run(out, "--cpu", "engine")
    report = json.loads(out.read_text())
    assert (report["clock"], report["quick"]) == ("cpu", True)
    assert {row["module"] for row in report["rows"]} == {"engine"}
    assert all(math.isfinite(row["us"]) and row["us"] > 0 for row in report["rows"])
