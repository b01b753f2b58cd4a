"""Run the benchmark modules and print one table: ``python -m benchmarks [--quick]
[--cpu] [--json PATH] [NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

import benchmarks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations: a smoke run")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time the in-process rows (engine, rules) by this process's CPU time, not wall "
        "time: steadier on a machine shared with other work (definitions cold and store "
        "time other processes, by wall time)",
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this path")
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    args = parser.parse_args(argv)
    available = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_")
    )
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; have {', '.join(available)}")
    clock = "cpu" if args.cpu else "wall"
    benchmarks.use_clock(clock)
    rows = []
    for name in args.names or available:
        module = importlib.import_module(f"benchmarks.{name}")
        for row in module.run(args.quick):
            rows.append({"module": name, **row})
    print(_table(rows))
    if args.json:
        report = {"quick": args.quick, "clock": clock, "rows": rows}
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _table(rows: list[dict]) -> str:
    header = ("module", "group", "variant", "µs/op", "baseline", "ratio")
    lines = [
        (
            row["module"],
            row["group"],
            row["variant"],
            f"{row['us']:.2f}",
            row.get("baseline", "-"),
            f"{row['ratio']:.2f}x" if "ratio" in row else "-",
        )
        for row in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    right = {3, 5}
    out = []
    for line in (header, *lines):
        cells = [
            str(cell).rjust(width) if i in right else str(cell).ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
