"""Loading a library and estates: overlays, ids, estate promises, positions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from estateflow.definitions import check_paths
from estateflow.errors import render_all

PROCEDURE = """\
id: complaint
title: {zh-Hans: 投诉, zh-Hant: 投訴, en: Complaint}
roles: [front_desk, cs_supervisor]
params:
  forward_within: 20m
start: {roles: [front_desk], form: intake, to: forward}
steps:
  forward:
    role: cs_supervisor
    due: 20m
    actions:
      dispatch: {to: fix}
  fix:
    role: cs_supervisor
    actions: {done: {to: closed}}
  closed: {terminal: resolved}
"""
FORM = """\
id: intake
fields:
  unit: {type: unit, required: true}
  summary: {type: textarea}
"""
ESTATE = """\
id: sunny
region: HK
currency: HKD
timezone: Asia/Hong_Kong
library: ..
roles: {front_desk: {label: Front desk}, cs_supervisor: {label: Supervisor}}
procedures: [complaint]
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def library(tmp_path: Path, **extra: str) -> Path:
    files = {
        "procedures/complaint.yaml": PROCEDURE,
        "forms/intake.yaml": FORM,
        "sunny/estate.yaml": ESTATE,
    }
    files.update({name.replace("__", "/"): text for name, text in extra.items()})
    return write(tmp_path, files)


def found(result) -> set[tuple[str, str, int, int]]:
    return {(d.code, d.span.path, d.span.line, d.span.col) for d in result.diagnostics}


def test_library_and_estate_without_problems_give_a_bundle(tmp_path):
    root = library(tmp_path)
    result = check_paths(["procedures", "forms", "sunny"], cwd=root)
    assert result.diagnostics == [], render_all(result.diagnostics, result.texts.get)
    bundle = result.bundles["sunny"]
    assert list(bundle.procedures) == ["complaint"]
    assert bundle.procedures["complaint"].steps["forward"].actions["dispatch"].to == ("fix",)
    assert bundle.forms["intake"].fields["unit"].required is True
    assert bundle.estate.currency == "HKD"


def test_misspelt_step_in_base_is_reported_at_the_target_with_a_suggestion(tmp_path):
    root = library(tmp_path)
    (root / "procedures/complaint.yaml").write_text(
        PROCEDURE.replace("dispatch: {to: fix}", "dispatch: {to: fixx}"), encoding="utf-8"
    )
    result = check_paths(["procedures", "forms"], cwd=root)
    [diagnostic] = [d for d in result.errors if d.code == "unknown-step"]
    assert (diagnostic.span.path, diagnostic.span.line, diagnostic.span.col) == (
        "procedures/complaint.yaml",
        12,
        22,
    )
    assert diagnostic.hint == "did you mean 'fix'?"


def test_misspelt_step_in_an_overlay_points_into_the_overlay(tmp_path):
    overlay = "extends: complaint\nsteps:\n  fix:\n    actions: {done: {to: closd}}\n"
    root = library(tmp_path, sunny__procedures__complaint_yaml=overlay)
    (root / "sunny/procedures/complaint_yaml").rename(root / "sunny/procedures/complaint.yaml")
    result = check_paths(["procedures", "forms", "sunny"], cwd=root)
    assert ("unknown-step", "sunny/procedures/complaint.yaml", 4, 26) in found(result)
    [diagnostic] = [d for d in result.errors if d.code == "unknown-step"]
    assert diagnostic.hint == "did you mean 'closed'?"
    # The base stays clean: nothing is blamed on the file the overlay builds on.
    assert not [d for d in result.diagnostics if d.span.path == "procedures/complaint.yaml"]


def test_overlay_merges_maps_replaces_lists_and_removes_nulls(tmp_path):
    overlay = textwrap.dedent(
        """\
        extends: complaint
        params: {forward_within: 15m}
        start: {roles: [cs_supervisor]}
        steps:
          forward:
            actions:
              dispatch: {to: closed}
          fix: null
        """
    )
    root = library(tmp_path)
    write(root, {"sunny/procedures/complaint.yaml": overlay})
    result = check_paths(["sunny"], cwd=root)
    assert not result.errors, render_all(result.diagnostics, result.texts.get)
    proc = result.bundles["sunny"].procedures["complaint"]
    assert proc.params["forward_within"] == "15m"
    assert proc.start.roles == ("cs_supervisor",)
    assert proc.start.form == "intake"  # kept from the base: maps merge by key
    assert "fix" not in proc.steps
    assert proc.steps["forward"].role == "cs_supervisor"


def test_circular_extends_is_reported_once_per_cycle(tmp_path):
    root = write(
        tmp_path,
        {
            "procedures/a.yaml": "id: a\nextends: b\n",
            "procedures/b.yaml": "id: b\nextends: a\n",
        },
    )
    result = check_paths(["procedures"], cwd=root)
    codes = [d.code for d in result.errors]
    assert "circular-extends" in codes


def test_duplicate_ids_name_the_other_file(tmp_path):
    root = library(tmp_path)
    write(root, {"procedures/copy.yaml": PROCEDURE})
    result = check_paths(["procedures", "forms"], cwd=root)
    [dup] = [d for d in result.errors if d.code == "duplicate-id"]
    assert "procedures/complaint.yaml" in dup.hint or "procedures/copy.yaml" in dup.hint
    assert dup.span.line == 1


def test_estate_must_provide_the_roles_a_procedure_needs(tmp_path):
    root = library(tmp_path)
    estate = ESTATE.replace(", cs_supervisor: {label: Supervisor}", "")
    (root / "sunny/estate.yaml").write_text(estate, encoding="utf-8")
    result = check_paths(["sunny"], cwd=root)
    [missing] = [d for d in result.errors if d.code == "missing-role"]
    assert (missing.span.path, missing.span.line) == ("sunny/estate.yaml", 7)
    assert "cs_supervisor" in missing.message


def test_estate_param_override_must_name_a_real_parameter(tmp_path):
    root = library(tmp_path)
    estate = ESTATE + "params:\n  complaint: {forward_withn: 10m}\n"
    (root / "sunny/estate.yaml").write_text(estate, encoding="utf-8")
    result = check_paths(["sunny"], cwd=root)
    [unknown] = [d for d in result.errors if d.code == "unknown-param"]
    assert unknown.hint == "did you mean 'forward_within'?"
    assert (unknown.span.line, unknown.span.col) == (9, 15)


def test_every_file_is_reported_in_one_run(tmp_path):
    root = write(
        tmp_path,
        {
            "procedures/one.yaml": "id: one\nsteps: [x]\n",
            "procedures/two.yaml": "id: two\nowner: nobody\nsteps: {}\n",
            "forms/three.yaml": "id: three\nfields: {a: {type: txt}}\n",
        },
    )
    result = check_paths(["procedures", "forms"], cwd=root)
    assert {d.span.path for d in result.errors} == {
        "procedures/one.yaml",
        "procedures/two.yaml",
        "forms/three.yaml",
    }
    [bad_type] = [d for d in result.errors if d.span.path == "forms/three.yaml"]
    assert bad_type.hint == "did you mean 'text'?"


def test_broken_form_does_not_cascade_into_unknown_form(tmp_path):
    root = library(tmp_path)
    (root / "forms/intake.yaml").write_text(FORM + "  extra: {type: nope}\n", encoding="utf-8")
    result = check_paths(["procedures", "forms"], cwd=root)
    assert [d.code for d in result.errors] == ["bad-value"]


def test_json_definitions_load_like_yaml(tmp_path):
    root = write(
        tmp_path,
        {"forms/contact.json": '{"id": "contact", "fields": {"phone": {"type": "phone"}}}'},
    )
    result = check_paths(["forms"], cwd=root)
    assert result.diagnostics == []
    assert result.files == 1


def test_yaml_1_2_keeps_times_and_no_as_text_and_decimals_exact(tmp_path):
    text = PROCEDURE.replace(
        "forward_within: 20m", "forward_within: 20m\n  opens: 8:30\n  answer: no\n  fee: 0.1"
    )
    root = library(tmp_path)
    (root / "procedures/complaint.yaml").write_text(text, encoding="utf-8")
    result = check_paths(["procedures", "forms"], cwd=root)
    assert not result.errors
    from decimal import Decimal

    from estateflow.definitions._pipeline import _Run

    run = _Run(root)
    layer = run.library(root)
    params = layer.procedures["complaint"].data["params"]
    assert params["opens"] == "8:30"
    assert params["answer"] == "no"
    assert params["fee"] == Decimal("0.1")


def test_missing_path_is_reported_not_raised(tmp_path):
    result = check_paths(["nowhere"], cwd=tmp_path)
    assert [d.code for d in result.errors] == ["unreadable-file"]


def test_estate_with_a_wrong_library_folder(tmp_path):
    root = library(tmp_path)
    (root / "sunny/estate.yaml").write_text(ESTATE.replace("library: ..", "library: ../lib"),
                                            encoding="utf-8")
    result = check_paths(["sunny"], cwd=root)
    [wrong] = result.errors
    assert (wrong.code, wrong.span.line, wrong.span.col) == ("unknown-library", 5, 10)


def test_business_deadline_needs_a_calendar(tmp_path):
    root = library(tmp_path)
    (root / "procedures/complaint.yaml").write_text(
        PROCEDURE.replace("    due: 20m", "    due: 24bh"), encoding="utf-8"
    )
    result = check_paths(["sunny"], cwd=root)
    [missing] = result.errors
    assert missing.code == "business-without-calendar"
    assert (missing.span.path, missing.span.line, missing.span.col) == (
        "procedures/complaint.yaml", 10, 10,
    )
    assert "'office'" in missing.message


def test_bundle_of_an_estate_far_from_its_library_lays_out_again(tmp_path):
    """The library lies outside the estate's grandparent (as the built-in library does
    for an estate in a temporary folder): the bundle's names are still relative, and
    the stored bundle compiles again (it named an absolute path, which storage refuses)."""
    from estateflow.definitions import load_bundle
    from estateflow.services import compile_sources

    root = library(tmp_path / "lib")
    estate = write(
        tmp_path / "deep" / "er" / "sunny",
        {"estate.yaml": ESTATE.replace("library: ..", f"library: {root}")},
    )
    bundle = load_bundle(estate)
    assert sorted(bundle.sources) == [
        "deep/er/sunny/estate.yaml",
        "lib/forms/intake.yaml",
        "lib/procedures/complaint.yaml",
    ]
    again = compile_sources(bundle.estate.path, bundle.sources)
    assert sorted(again.procedures) == ["complaint"]
