"""``estateflow graph``: a procedure as a Mermaid flowchart or an SVG drawing.

The SVG is laid out and drawn by ``estateflow.definitions`` itself: no Node, no Graphviz,
no network. Labels come in the language asked for (default: the estate's).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from estateflow.cli._simulate import known_procedure, load_estate
from estateflow.definitions import procedure_graph, render_mermaid, render_svg

EXIT_OK, EXIT_USAGE = 0, 2
LANGUAGES = ("zh-Hans", "zh-Hant", "en")


def register(sub: Any) -> None:
    """Add the ``graph`` subcommand to the ``estateflow`` parser's subparsers."""
    parser = sub.add_parser(
        "graph",
        help="draw a procedure as a Mermaid flowchart or an SVG",
        description="Print PROCEDURE as the estate in DIR runs it (its overlays and params "
        "applied): steps as nodes with their role, deadline and escalation, each way on as "
        "an edge with its action and condition, forks and joins, terminal outcomes.",
    )
    parser.add_argument("procedure", metavar="PROCEDURE")
    parser.add_argument("--estate", required=True, metavar="DIR", help="the estate folder")
    parser.add_argument("--format", choices=("mermaid", "svg"), default="mermaid")
    parser.add_argument(
        "--lang", choices=LANGUAGES, default=None, help="label language (default: the estate's)"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", default=None, help="write here instead of stdout"
    )
    parser.set_defaults(run=_graph)


def _graph(args: argparse.Namespace) -> int:
    bundle = load_estate(args.estate)
    if bundle is None:
        return EXIT_USAGE
    if not known_procedure(bundle, args.procedure):
        return EXIT_USAGE
    proc = bundle.procedures[args.procedure]
    lang = args.lang or (bundle.estate.locale if bundle.estate.locale in LANGUAGES else "en")
    graph = procedure_graph(proc, bundle.estate, lang)
    text = render_svg(graph) if args.format == "svg" else render_mermaid(graph)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"estateflow graph: cannot write '{args.output}': {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
