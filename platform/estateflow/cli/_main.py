from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from estateflow import __version__
from estateflow.cli import _admin, _docs, _graph, _migrate, _serve, _simulate, _tokens, _worker
from estateflow.cli import _ops as ops_commands
from estateflow.definitions import CheckResult, check_paths, schema_for
from estateflow.errors import render_all

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="estateflow",
        description="Property-management procedures as YAML, run by a generic engine.",
    )
    parser.add_argument("--version", action="version", version=f"estateflow {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="check definition files and report every problem",
        description="Check procedures, forms and estates. Exit status 1 "
        "when there are errors, 0 when there are only warnings.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        default=None,
        metavar="PATH",
        help="files or folders (default: procedures forms examples)",
    )
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(run=_check)

    schema = sub.add_parser("schema", help="print the JSON Schema of a definition file kind")
    schema.add_argument("kind", choices=("procedure", "form", "estate"))
    schema.add_argument(
        "--draft-07",
        action="store_true",
        help="draft-07 instead of 2020-12, for the YAML language server",
    )
    schema.set_defaults(run=_schema)

    _docs.add_parser(sub)

    _simulate.register(sub)
    _graph.register(sub)
    _admin.register(sub)
    _serve.register(sub)
    _worker.register(sub)
    _migrate.register(sub)
    ops_commands.register(sub)
    _tokens.register(sub)
    return parser


def _default_paths() -> list[str]:
    return [p for p in ("procedures", "forms", "examples") if Path(p).exists()]


def _check(args: argparse.Namespace) -> int:
    paths = args.paths or _default_paths()
    if not paths:
        print("estateflow check: nothing to check here; name files or folders", file=sys.stderr)
        return EXIT_USAGE
    result = check_paths(paths)
    if args.format == "json":
        print(json.dumps(_as_json(result), ensure_ascii=False, indent=2))
    else:
        text = render_all(result.diagnostics, result.texts.get)
        if text:
            print(text)
        print(_summary(result))
    return EXIT_ERRORS if result.errors else EXIT_OK


def _summary(result: CheckResult) -> str:
    def count(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    return (
        f"checked {count(result.files, 'file')}: {count(len(result.errors), 'error')}, "
        f"{count(len(result.warnings), 'warning')}"
    )


def _as_json(result: CheckResult) -> dict:
    return {
        "files": result.files,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "diagnostics": [
            {
                "path": d.span.path,
                "line": d.span.line,
                "col": d.span.col,
                "end_line": d.span.end_line,
                "end_col": d.span.end_col,
                "code": d.code,
                "severity": d.severity,
                "message": d.message,
                "hint": d.hint,
            }
            for d in result.diagnostics
        ],
    }


def _schema(args: argparse.Namespace) -> int:
    schema = schema_for(args.kind, "07" if args.draft_07 else "2020-12")
    print(json.dumps(schema, ensure_ascii=False, indent=2))
    return EXIT_OK
