"""``estateflow migrate``: move running cases of a procedure to another bundle."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from estateflow.cli._admin import DB_VARIABLE, default_database_url
from estateflow.errors import DefinitionError, EstateFlowError
from estateflow.services import MigrationReport, Services, migrate_cases
from estateflow.store import open_store


def register(sub: Any) -> None:
    migrate = sub.add_parser(
        "migrate",
        help="move running cases of a procedure to another bundle",
        description="Move the running cases of PROCEDURE in an estate from the bundle "
        "they started with to BUNDLE. Each open task stays on its step, or moves to the "
        "step --map names; a task left on a step the new bundle lacks refuses the whole "
        "run, and nothing is written. Try --dry-run first.",
    )
    migrate.add_argument("procedure", metavar="PROCEDURE")
    migrate.add_argument("--estate", required=True)
    migrate.add_argument(
        "--to",
        required=True,
        metavar="BUNDLE",
        help="a bundle hash, a unique prefix of one, or 'published' (the current one)",
    )
    migrate.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="move tasks on step OLD to step NEW (repeat for more steps)",
    )
    migrate.add_argument("--dry-run", action="store_true", help="show what would move")
    migrate.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help=f"database (default: ${DB_VARIABLE} or a SQLite file in ~/.local/share/estateflow)",
    )
    migrate.set_defaults(run=_migrate)


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        for item in pair.split(","):
            old, sep, new = item.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise ValueError(f"--map expects OLD=NEW, got {item!r}")
            if old.strip() in mapping:
                raise ValueError(f"--map names step '{old.strip()}' twice")
            mapping[old.strip()] = new.strip()
    return mapping


def _migrate(args: argparse.Namespace) -> int:
    try:
        mapping = _mapping(args.map)
    except ValueError as exc:
        print(f"estateflow migrate: {exc}", file=sys.stderr)
        return 2

    async def main() -> MigrationReport:
        store = await open_store(args.db or default_database_url())
        try:
            return await migrate_cases(
                Services(store),
                args.estate,
                args.procedure,
                args.to,
                mapping,
                dry_run=args.dry_run,
            )
        finally:
            await store.close()

    try:
        report = asyncio.run(main())
    except DefinitionError as exc:
        print(f"estateflow migrate: the bundle does not compile: {exc}", file=sys.stderr)
        return 1
    except EstateFlowError as exc:
        print(f"estateflow migrate: {exc}", file=sys.stderr)
        return 1
    _print(report)
    if not report.ok:
        print(
            "estateflow migrate: refused: fix the problems above (--map OLD=NEW); "
            "nothing was written",
            file=sys.stderr,
        )
        return 1
    return 0


def _print(report: MigrationReport) -> None:
    verb = "would move" if report.dry_run or not report.ok else "moving"
    print(
        f"{report.procedure} in {report.estate_id}: {len(report.cases)} running "
        f"case{'s' if len(report.cases) != 1 else ''} {verb} to bundle {report.to_bundle[:12]}"
    )
    for problem in report.problems:
        print(f"  problem: {problem}")
    for case in report.cases:
        state = ""
        if not report.dry_run and report.ok:
            state = "  moved" if case.moved else "  skipped (closed or moved meanwhile)"
        print(f"{case.number}  from {case.from_bundle[:12]}{state}")
        for move in case.plan.moves:
            if move.how == "kept":
                what = f"kept on '{move.step}'"
            elif move.how == "mapped":
                what = f"'{move.step}' -> '{move.to}'"
            else:
                what = f"refused: {move.reason}"
            print(f"    {move.task_id:<20} {what}")
        for problem in case.plan.problems:
            if not problem.startswith("task '"):
                print(f"    problem: {problem}")
    bad = sum(1 for c in report.cases if not c.plan.ok)
    if report.dry_run:
        print(f"{len(report.cases) - bad} can move, {bad} cannot")
    elif report.ok:
        print(f"moved {report.moved} of {len(report.cases)}")
