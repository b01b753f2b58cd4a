"""What loading and checking the definitions costs: the base library and the example
estates, as ``estateflow check procedures forms examples`` reads them, cold and warm.

Cold is a fresh interpreter per run, timed from outside the process, so it includes
start-up and imports; warm repeats the check in this process after a first run (rules
are compiled once and cached by then, files are in the page cache). The baseline is
ruamel.yaml's pure-Python safe loader (the parser the loader composes with) reading the
same files into plain data, so the ratio is what positions, the format schemas, lint
and compilation add. Composing the node graph with positions, the first thing the loader
does, is shown between the two.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ruamel.yaml import YAML

from benchmarks import compare, per_call
from estateflow.definitions import check_paths

REPO = Path(__file__).resolve().parents[1]
PATHS = ("procedures", "forms", "examples")

_CHECK = (
    "import sys\n"
    "from estateflow.definitions import check_paths\n"
    "result = check_paths(sys.argv[1:])\n"
    "sys.exit(1 if result.errors else 0)\n"
)
_SAFE_LOAD = (
    "import sys\n"
    "from ruamel.yaml import YAML\n"
    "yaml = YAML(typ='safe', pure=True)\n"
    "for path in sys.argv[1:]:\n"
    "    with open(path, encoding='utf-8') as f:\n"
    "        yaml.load(f.read())\n"
)
_STARTUP = "python -c pass"
_SAFE = "ruamel.yaml safe load"
_COMPOSE = "ruamel.yaml compose (positions)"
_CHECK_PATHS = "check_paths (load + schema + lint + compile)"


def run(quick: bool) -> list[dict]:
    files = _files()
    return _cold_rows(files, quick) + _warm_rows(files, quick)


def _files() -> list[str]:
    """The files ``check_paths`` reads, relative to the repository, found by a first run."""
    result = check_paths(PATHS, cwd=REPO)
    if result.errors:
        raise AssertionError(f"the library does not check: {result.errors[0]}")
    return sorted(result.texts)


def _cold_rows(files: list[str], quick: bool) -> list[dict]:
    repeat = 1 if quick else 5
    timings = {
        _STARTUP: _subprocess_us(["-c", "pass"], repeat),
        _SAFE: _subprocess_us(["-c", _SAFE_LOAD, *files], repeat),
        _CHECK_PATHS: _subprocess_us(["-c", _CHECK, *PATHS], repeat),
    }
    group = f"definitions cold: {len(files)} files, fresh interpreter"
    return compare(group, timings, baselines=(_STARTUP, _SAFE))


def _subprocess_us(args: list[str], repeat: int) -> float:
    """Microseconds for the best of ``repeat`` runs of ``python args`` in the repository."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter_ns()
        subprocess.run([sys.executable, *args], cwd=REPO, check=True)
        best = min(best, time.perf_counter_ns() - start)
    return best / 1000


def _warm_rows(files: list[str], quick: bool) -> list[dict]:
    number, repeat = (1, 1) if quick else (3, 5)
    yaml = YAML(typ="safe", pure=True)
    paths = [REPO / f for f in files]

    def safe_load() -> None:
        for path in paths:
            yaml.load(path.read_text(encoding="utf-8"))

    def compose() -> None:
        for path in paths:
            yaml.compose(path.read_text(encoding="utf-8"))

    def check() -> None:
        if check_paths(PATHS, cwd=REPO).errors:
            raise AssertionError("the library stopped checking")

    timings = {
        _SAFE: per_call(safe_load, number=number, repeat=repeat),
        _COMPOSE: per_call(compose, number=number, repeat=repeat),
        _CHECK_PATHS: per_call(check, number=number, repeat=repeat),
    }
    group = f"definitions warm: {len(files)} files, in process"
    return compare(group, timings, baselines=(_SAFE, _COMPOSE))
