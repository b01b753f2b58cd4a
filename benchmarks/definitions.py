"""What loading and checking the definitions costs: the base library and the example
estates, as ``estateflow check procedures forms examples`` reads them, cold and warm.

Cold is a fresh interpreter per run, timed from outside the process, so it includes
start-up and imports; warm repeats the check in this process after a first run (rules
are compiled once and cached by then, files are in the page cache). The baseline is
ruamel.yaml's pure-Python safe loader (the parser the loader composes with) reading the
same files into plain data, so the ratio is what positions, the format schemas, lint
and compilation add. Composing the node graph with positions, the first thing the loader
does, is shown between the two.

``--quick`` checks only the benchmark estate of ``data/`` (three files): the library
grows with every procedure ported, and a smoke run must stay a matter of seconds.
"""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path

from ruamel.yaml import YAML

from benchmarks import compare
from benchmarks.engine import interleaved
from estateflow.definitions import check_paths

REPO = Path(__file__).resolve().parents[1]
PATHS = ("procedures", "forms", "examples")
QUICK_PATHS = ("benchmarks/data/estate",)

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
    paths = QUICK_PATHS if quick else PATHS
    files = _files(paths)
    what = f"{' '.join(paths)} ({len(files)} files)"
    return _cold_rows(what, paths, files, quick) + _warm_rows(what, paths, files, quick)


def _files(paths: tuple[str, ...]) -> list[str]:
    """The files ``check_paths`` reads, relative to the repository, found by a first run."""
    result = check_paths(paths, cwd=REPO)
    if result.errors:
        raise AssertionError(f"{' '.join(paths)} does not check: {result.errors[0]}")
    return sorted(result.texts)


def _cold_rows(what: str, paths: tuple[str, ...], files: list[str], quick: bool) -> list[dict]:
    commands = {
        _STARTUP: ["-c", "pass"],
        _SAFE: ["-c", _SAFE_LOAD, *files],
        _CHECK_PATHS: ["-c", _CHECK, *paths],
    }
    timings = interleaved(
        {name: partial(_run_python, args) for name, args in commands.items()},
        number=1,
        repeat=1 if quick else 5,
        clock="wall",  # the time is spent in the child processes
    )
    return compare(f"definitions cold: {what}", timings, baselines=(_STARTUP, _SAFE))


def _run_python(args: list[str]) -> None:
    subprocess.run([sys.executable, *args], cwd=REPO, check=True)


def _warm_rows(what: str, paths: tuple[str, ...], files: list[str], quick: bool) -> list[dict]:
    yaml = YAML(typ="safe", pure=True)
    texts = [REPO / f for f in files]

    def safe_load() -> None:
        for path in texts:
            yaml.load(path.read_text(encoding="utf-8"))

    def compose() -> None:
        for path in texts:
            yaml.compose(path.read_text(encoding="utf-8"))

    def check() -> None:
        if check_paths(paths, cwd=REPO).errors:
            raise AssertionError(f"{' '.join(paths)} stopped checking")

    timings = interleaved(
        {_SAFE: safe_load, _COMPOSE: compose, _CHECK_PATHS: check},
        number=1 if quick else 3,
        repeat=2 if quick else 5,
    )
    return compare(f"definitions warm: {what}", timings, baselines=(_SAFE, _COMPOSE))
