"""Runnable benchmarks, each printed with its ratio against a baseline measured in the same run.

Every public module here has ``run(quick: bool) -> list[dict]``; ``python -m benchmarks``
runs them all. Each row is a dict with ``group`` (what is measured), ``variant`` (how),
``us`` (microseconds per operation, best of several repeats), and for a row compared with
a baseline, ``baseline`` (the variant it is compared with) and ``ratio`` (``us`` divided by
the baseline's). Numbers are for comparing variants on one machine, never asserted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: What :func:`per_call` can time by: wall time, or this process's CPU time, which other
#: work on a shared machine does not stretch (``python -m benchmarks --cpu``).
CLOCKS: dict[str, Callable[[], int]] = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}
_clock = CLOCKS["wall"]


def use_clock(name: str) -> None:
    """Time :func:`per_call` by ``name``, a key of :data:`CLOCKS`, from now on."""
    global _clock
    _clock = CLOCKS[name]


def per_call(fn: Callable[[], Any], *, number: int, repeat: int, clock: str | None = None) -> float:
    """Microseconds per call of ``fn``: the best of ``repeat`` runs of ``number`` calls,
    timed by ``clock`` (a key of :data:`CLOCKS`; by default the one :func:`use_clock`
    chose)."""
    read = CLOCKS[clock] if clock else _clock
    best = float("inf")
    for _ in range(repeat):
        start = read()
        for _ in range(number):
            fn()
        best = min(best, (read() - start) / number)
    return best / 1000


def compare(group: str, timings: dict[str, float], baselines: tuple[str, ...]) -> list[dict]:
    """Rows for one group: every variant, and each non-baseline one against each baseline."""
    rows: list[dict] = []
    for variant, us in timings.items():
        rank = _rank(variant, baselines)
        against = [b for b in baselines[:rank] if b != variant]
        if not against:
            rows.append({"group": group, "variant": variant, "us": us})
        for baseline in against:
            rows.append(
                {
                    "group": group,
                    "variant": variant,
                    "us": us,
                    "baseline": baseline,
                    "ratio": us / timings[baseline],
                }
            )
    return rows


def _rank(variant: str, baselines: tuple[str, ...]) -> int:
    return baselines.index(variant) if variant in baselines else len(baselines)


__all__ = ("CLOCKS", "compare", "per_call", "use_clock")
