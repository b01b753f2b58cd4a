"""``estateflow simulate``: play a script of actors, forms and clock moves against an estate.

The script is YAML (the format is in ``_script``'s docstring and the command's help): who
acts, the rows the registers start with, then steps that ``start`` a case, ``act`` on a
task, ``advance`` the clock (firing warnings, escalations and timers on the way) and
``expect`` what should be true. The run is an :class:`estateflow.engine.Simulation`; the
output is a timeline (text) or the event list (JSON). A failed expectation exits 1; a
mistake in the script (unknown step, bad form data, an action not allowed) is printed as
``script.yaml:LINE: message`` and exits 2, as does an estate that does not compile.

With ``--replay`` instead of a script, the closed cases of the procedure in the database
are played again on the new bundle (``_replay``): exit 1 when one would breach a deadline
or diverge, 2 for a mistake (a bad database URL, an unknown procedure, definition errors).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from estateflow.cli._admin import DB_VARIABLE
from estateflow.cli._simulate._play import play
from estateflow.cli._simulate._replay import run_replay
from estateflow.cli._simulate._script import ScriptError, did_you_mean, read_script
from estateflow.cli._simulate._show import events_json, timeline
from estateflow.definitions import Bundle, check_paths
from estateflow.errors import render_all

__all__ = ("known_procedure", "load_estate", "register")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

SCRIPT_HELP = """\
a script:
  start: 2026-09-24T10:00+08:00        # the clock; without an offset, the estate's time
  actors: {desk: {username: wychan, roles: [front_desk]}}
  registers: {members: [{unit: T1-3A, name: A}]}       # optional starting rows
  duty: {front_desk: {day: wychan}}                   # optional: who is on each shift
  steps:
    - start: {as: desk, form: {unit: T1-12A, severity: major}}
    - advance: 12m                     # or {to: 2026-09-25T09:00}; fires what falls due
    - act: {step: forward, action: dispatch, as: desk, form: {department: engineering}}
    - expect: {open: [investigate], due: {investigate: +24h}, events: {DeadlineMissed: 1}}
'case:' on act and expect picks a case: a name given at start, a procedure id or a number.

--replay, instead of a script: every closed case of PROCEDURE in the database (only that
estate's) is played again on the new bundle, each person's act at its recorded time, and
the report says per case which deadlines it meets, which it would breach (newly, or as it
did then) or where it would diverge (a step, action or form the new bundle no longer has
or accepts). The new bundle is --estate DIR (a folder), or --estate ID --draft DRAFT (a
draft saved in the browser, on the published bundle), or --estate ID (the published one).
  estateflow simulate complaint --estate examples/sunshine --replay --since 2026-09-01
Exit status 1 when a case would breach or diverge."""


def register(sub: Any) -> None:
    """Add the ``simulate`` subcommand to the ``estateflow`` parser's subparsers."""
    parser = sub.add_parser(
        "simulate",
        help="play a script of actors, forms and clock moves against an estate",
        description="Run PROCEDURE on the estate in DIR as the script says and print the "
        "timeline: each event with its time, case, step, actor and deadlines. Exit status "
        "1 when an 'expect' step fails, 2 when the script or the definitions are wrong. "
        "With --replay, play the closed cases of the database on the estate instead.",
        epilog=SCRIPT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("procedure", metavar="PROCEDURE", help="what 'start' opens by default")
    parser.add_argument(
        "--estate",
        required=True,
        metavar="DIR",
        help="the estate folder (with --replay also an estate id in the database)",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--script", metavar="FILE", help="the script (YAML)")
    mode.add_argument(
        "--replay", action="store_true", help="replay closed cases from the database instead"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    replay = parser.add_argument_group("replaying (--replay)")
    replay.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help=f"database (default: ${DB_VARIABLE} or a SQLite file in ~/.local/share/estateflow)",
    )
    replay.add_argument("--draft", metavar="DRAFT", help="a draft's id, from the admin pages")
    replay.add_argument("--since", metavar="DATE", help="only cases closed on or after DATE")
    replay.add_argument("--until", metavar="DATE", help="only cases closed before DATE")
    parser.set_defaults(run=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    if args.replay:
        return run_replay(args, load_estate, known_procedure)
    for option in ("db", "draft", "since", "until"):
        if getattr(args, option) is not None:
            print(f"estateflow simulate: --{option} goes with --replay", file=sys.stderr)
            return EXIT_USAGE
    bundle = load_estate(args.estate)
    if bundle is None:
        return EXIT_USAGE
    if not known_procedure(bundle, args.procedure):
        return EXIT_USAGE
    shown = args.script
    try:
        text = Path(args.script).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"estateflow simulate: cannot read '{shown}': {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        script = read_script(text, bundle, args.procedure)
    except ScriptError as exc:
        print(f"{shown}:{exc.line}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    run = play(script, bundle)
    if args.format == "json":
        print(json.dumps(events_json(run.simulation), ensure_ascii=False, indent=2))
    else:
        print(timeline(run, bundle), end="")
    if run.errors:
        for line, message in run.errors:
            print(f"{shown}:{line}: {message}", file=sys.stderr)
        return EXIT_USAGE
    if run.failures:
        for line, message in run.failures:
            print(f"{shown}:{line}: expectation failed: {message}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def load_estate(folder: str | Path) -> Bundle | None:
    """The estate's compiled bundle, or None after printing its errors to stderr."""
    path = Path(folder)
    estate_file = next(
        (path / n for n in ("estate.yaml", "estate.yml", "estate.json") if (path / n).exists()),
        None,
    )
    if estate_file is None:
        print(f"estateflow: '{folder}' holds no estate.yaml", file=sys.stderr)
        return None
    result = check_paths([estate_file])
    if result.errors:
        print(render_all(result.diagnostics, result.texts.get), file=sys.stderr, end="")
        return None
    if not result.bundles:
        print(f"estateflow: '{folder}' does not compile to an estate", file=sys.stderr)
        return None
    return next(iter(result.bundles.values()))


def known_procedure(bundle: Bundle, procedure: str) -> bool:
    """Whether the estate uses ``procedure``; if not, says so on stderr."""
    if procedure in bundle.procedures:
        return True
    print(
        f"estateflow: estate '{bundle.estate.id}' does not use procedure '{procedure}'"
        + did_you_mean(procedure, bundle.procedures, "; it uses "),
        file=sys.stderr,
    )
    return False
