"""``estateflow graph``: Mermaid text and our own SVG drawing of a procedure."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from estateflow.cli import main
from estateflow.definitions import (
    Bundle,
    ProcedureSpec,
    load_bundle,
    procedure_graph,
    render_mermaid,
    render_svg,
)

REPO = Path(__file__).resolve().parents[2]
SUNSHINE = REPO / "examples" / "sunshine"
LAB = REPO / "tests" / "engine" / "data" / "estate"
SVG = "{http://www.w3.org/2000/svg}"

MINI_ESTATE = """\
id: mini
name: {en: Mini}
region: HK
locale: en
currency: HKD
timezone: Asia/Hong_Kong
years: [2026]
library: ..
calendars:
  office: {hours: {mon-fri: ["09:00-18:00"]}}
roles:
  clerk: {label: {en: Clerk, zh-Hant: 文員}, calendar: office}
  boss: {label: {en: Boss}, calendar: office}
procedures: [permit]
"""
MINI_PROCEDURE = """\
id: permit
title: {en: 'Permit "A<B" & co', zh-Hant: 許可證}
roles: [clerk, boss]
params:
  check_within: 2h
data:
  ok: {type: boolean}
start: {roles: [clerk], to: check}
steps:
  check:
    title: {en: Check the papers, zh-Hant: 查核文件}
    role: clerk
    due: {within: "params.check_within", warn_at: 50%, escalate: {notify: [boss]}}
    actions:
      split: {label: {en: Split}, to: [left, right]}
  left:
    role: clerk
    skip_if: "case.ok"
    actions: {done: {to: both}}
  right:
    role: boss
    due: 1bh
    actions:
      decide: {label: {en: Decide}, set: {ok: "true"}, to: both}
  both: {join: [left, right], to: approve}
  approve:
    title: {en: "Approve <b>|#1</b>"}
    role: boss
    actions:
      approve:
        label: {en: Approve}
        route:
          - {when: "case.ok", to: done}
          - {to: check}
      refuse: {label: {en: Refuse}, to: refused}
  done: {terminal: resolved}
  refused: {title: {en: Refused}, terminal: rejected}
"""
MINI_MERMAID = """\
%% permit: Permit "A<B" & co
flowchart TD
    start(["Start<br/>Clerk"]):::start
    check("Check the papers<br/>Clerk<br/>due 2h; warn 50%<br/>↑ notify Boss"):::task
    left("left<br/>Clerk<br/>skip if: case.ok"):::task
    right("right<br/>Boss<br/>due 1bh"):::task
    both{{"both<br/>join"}}:::join
    approve("Approve #lt;b#gt;#124;#35;1#lt;/b#gt;<br/>Boss"):::task
    done(["done<br/>resolved"]):::resolved
    refused(["Refused<br/>rejected"]):::stopped
    start --> check
    fork_check_split[" "]:::fork
    check -->|"Split"| fork_check_split
    fork_check_split --> left
    fork_check_split --> right
    left -->|"done"| both
    right -->|"Decide"| both
    both --> approve
    approve -->|"Approve: case.ok"| done
    approve -->|"Approve: otherwise"| check
    approve -->|"Refuse"| refused
    classDef start fill:#1e293b,stroke:#1e293b,color:#ffffff
    classDef task fill:#eff6ff,stroke:#2563eb
    classDef join fill:#e2e8f0,stroke:#334155
    classDef spawn fill:#f5f3ff,stroke:#7c3aed
    classDef fork fill:#1f2937,stroke:#1f2937,color:#1f2937
    classDef resolved fill:#dcfce7,stroke:#15803d,stroke-width:2px
    classDef stopped fill:#fee2e2,stroke:#b91c1c,stroke-width:2px
    classDef other fill:#fef3c7,stroke:#b45309,stroke-width:2px
"""


@pytest.fixture(scope="module")
def sunshine() -> Bundle:
    return load_bundle(SUNSHINE)


@pytest.fixture(scope="module")
def lab() -> Bundle:
    return load_bundle(LAB)


@pytest.fixture
def mini(tmp_path) -> Path:
    (tmp_path / "forms").mkdir()
    (tmp_path / "procedures").mkdir()
    (tmp_path / "estate").mkdir()
    (tmp_path / "estate" / "estate.yaml").write_text(MINI_ESTATE, encoding="utf-8")
    (tmp_path / "procedures" / "permit.yaml").write_text(MINI_PROCEDURE, encoding="utf-8")
    return tmp_path / "estate"


def transitions(proc: ProcedureSpec) -> Counter:
    """Every way from one step to the next, counted from the spec itself."""
    found = Counter(("", target, "") for target in proc.start.to)
    for step in proc.steps.values():
        for action in step.actions.values():
            targets = [*action.to, *(t for r in action.route for t in r.to)]
            found.update((step.id, t, action.id) for t in targets)
        found.update((step.id, t, "") for t in step.to)
    return found


def drawn(svg: str) -> tuple[ET.Element, list[ET.Element], Counter]:
    root = ET.fromstring(svg)
    nodes = [g for g in root.iter(f"{SVG}g") if "node" in g.get("class", "").split()]
    edges = Counter(
        (
            "" if g.get("data-from") == "_start" else g.get("data-from"),
            g.get("data-to"),
            g.get("data-action", ""),
        )
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "edge"
    )
    return root, nodes, edges


def boxes(root: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for g in root.iter(f"{SVG}g"):
        if "node" in g.get("class", "").split() or g.get("class") == "start":
            rect = g.find(f"{SVG}rect")
            x, y = float(rect.get("x")), float(rect.get("y"))
            out[g.get("data-step", "_start")] = (
                x,
                y,
                x + float(rect.get("width")),
                y + float(rect.get("height")),
            )
    return out


def overlapping(root: ET.Element) -> list[tuple[str, str]]:
    placed = list(boxes(root).items())
    return [
        (a, b)
        for n, (a, (x0, y0, x1, y1)) in enumerate(placed)
        for b, (a0, b0, a1, b1) in placed[n + 1 :]
        if not (x1 <= a0 or a1 <= x0 or y1 <= b0 or b1 <= y0)
    ]


# -- Mermaid -----------------------------------------------------------------------------------
def test_mermaid_of_a_small_procedure_is_the_golden_text(mini):
    bundle = load_bundle(mini)
    graph = procedure_graph(bundle.procedures["permit"], bundle.estate, "en")
    assert render_mermaid(graph) == MINI_MERMAID


def test_mermaid_labels_follow_the_language_and_fall_back_to_ids(mini):
    bundle = load_bundle(mini)
    text = render_mermaid(procedure_graph(bundle.procedures["permit"], bundle.estate, "zh-Hant"))
    assert text.splitlines()[0] == "%% permit: 許可證"
    assert '    check("查核文件<br/>文員<br/>時限 2h; 預警 50%<br/>↑ 通知 Boss"):::task' in text
    assert '    start(["開始<br/>文員"]):::start' in text


# -- SVG -------------------------------------------------------------------------------------
def test_svg_has_a_node_per_step_and_an_edge_per_transition_and_no_overlaps(sunshine):
    assert len(sunshine.procedures) >= 6
    for proc in sunshine.procedures.values():
        svg = render_svg(procedure_graph(proc, sunshine.estate, "zh-Hant"))
        root, nodes, edges = drawn(svg)
        assert root.tag == f"{SVG}svg"
        assert sorted(n.get("data-step") for n in nodes) == sorted(proc.steps), proc.id
        assert edges == transitions(proc), proc.id
        assert not overlapping(root), proc.id


@pytest.mark.parametrize("procedure", ["fork-loop", "clocks", "queue"])
def test_svg_of_loops_and_timers_keeps_every_edge_and_no_box_overlaps(lab, procedure):
    proc = lab.procedures[procedure]
    root, _, edges = drawn(render_svg(procedure_graph(proc, lab.estate, "en")))
    assert edges == transitions(proc)
    assert not overlapping(root)


def test_svg_of_the_complaint_shows_forks_joins_deadlines_and_outcomes(sunshine):
    proc = sunshine.procedures["complaint"]
    root, nodes, _ = drawn(render_svg(procedure_graph(proc, sunshine.estate, "zh-Hant")))
    forks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "fork"]
    assert sorted((g.get("data-from"), g.get("data-action")) for g in forks) == [
        ("_start", ""),
        ("forward", "dispatch"),
    ]
    kinds = {n.get("data-step"): n.get("class") for n in nodes}
    assert kinds["received"] == kinds["investigated"] == "node join"
    assert kinds["fix"] == "node spawn"
    assert kinds["closed"] == "node terminal outcome-resolved"
    assert kinds["closed_invalid"] == "node terminal outcome-invalid"
    [forward] = [n for n in nodes if n.get("data-step") == "forward"]
    # Title, role, the deadline param's values by severity with the warning (wrapped),
    # and the escalation.
    assert [t.text for t in forward.iter(f"{SVG}text")] == [
        "轉呈當事部門",
        "前台客服",
        "時限 major 10m · general 20m ·",
        "minor 30m; 預警 50%",
        "↑ 通知 客服主管",
    ]
    # Ranks go down the flow: the start on top, every box of the main path lower than the last.
    top = boxes(root)
    path = ["_start", "received", "forward", "investigated", "inform", "callback", "closed"]
    assert [top[s][1] for s in path] == sorted(top[s][1] for s in path)


def test_svg_escapes_text_and_keeps_it(mini):
    bundle = load_bundle(mini)
    svg = render_svg(procedure_graph(bundle.procedures["permit"], bundle.estate, "en"))
    root = ET.fromstring(svg)  # would raise on an unescaped '<' or '&'
    assert "<b>" not in svg
    assert root.find(f"{SVG}title").text == 'Permit "A<B" & co (permit)'
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Approve <b>|#1</b>" in texts


# -- the command -----------------------------------------------------------------------------
def test_graph_command_prints_mermaid_in_the_estate_language_by_default(capsys):
    code = main(["graph", "visitor", "--estate", str(SUNSHINE)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out.startswith("%% visitor: ")
    assert "flowchart TD" in out.splitlines()[1]
    assert "開始" in out  # Sunshine Garden's locale is zh-Hant


def test_graph_command_writes_svg_to_a_file(tmp_path, capsys):
    target = tmp_path / "visitor.svg"
    options = ("--format", "svg", "--lang", "en", "-o", str(target))
    code = main(["graph", "visitor", "--estate", str(SUNSHINE), *options])
    assert (code, capsys.readouterr().out) == (0, "")
    root = ET.fromstring(target.read_text(encoding="utf-8"))
    assert root.get("lang") == "en"
    assert "Start" in [t.text for t in root.iter(f"{SVG}text")]


def test_graph_command_names_an_unknown_procedure_and_exits_2(capsys):
    code = main(["graph", "visiter", "--estate", str(SUNSHINE)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.strip() == (
        "estateflow: estate 'sunshine' does not use procedure 'visiter'; did you mean 'visitor'?"
    )


def test_graph_command_reports_a_broken_estate_like_check(tmp_path, capsys):
    broken = tmp_path / "estate"
    broken.mkdir()
    (broken / "estate.yaml").write_text(
        textwrap.dedent(MINI_ESTATE).replace("region: HK", "region: XX"), encoding="utf-8"
    )
    code = main(["graph", "permit", "--estate", str(broken)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "estate.yaml:3:" in err
