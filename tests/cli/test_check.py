"""The estateflow command as a user runs it: exit codes, text and JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "estateflow.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


GOOD = "id: note\nfields:\n  text: {type: textarea, required: true}\n"


def test_check_exits_0_and_says_so_when_all_is_well(tmp_path):
    write(tmp_path, "forms/note.yaml", GOOD)
    done = run("check", "forms", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "checked 1 file: 0 errors, 0 warnings"


def test_check_exits_1_and_prints_location_source_caret_and_hint(tmp_path):
    write(tmp_path, "forms/note.yaml", GOOD.replace("textarea", "textaera"))
    done = run("check", "forms", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "forms/note.yaml:3:16: bad-value: 'textaera' is not allowed in 'type'"
    assert lines[1] == "   3 |   text: {type: textaera, required: true}"
    assert lines[2] == "     |                ^^^^^^^^"
    assert lines[3] == "   hint: did you mean 'textarea'?"
    assert lines[-1] == "checked 1 file: 1 error, 0 warnings"


def test_check_json_lists_diagnostics_for_tools(tmp_path):
    write(tmp_path, "forms/note.yaml", GOOD.replace("required: true", "required: yes"))
    done = run("check", "--format", "json", "forms", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert report["errors"] == 1
    [item] = report["diagnostics"]
    assert (item["path"], item["line"], item["col"], item["code"]) == (
        "forms/note.yaml",
        3,
        36,
        "wrong-type",
    )


def test_schema_prints_a_schema_per_kind_and_draft(tmp_path):
    done = run("schema", "procedure", "--draft-07", cwd=tmp_path)
    schema = json.loads(done.stdout)
    assert done.returncode == 0
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "steps" in schema["properties"]


def test_no_command_prints_help_and_exits_2(tmp_path):
    done = run(cwd=tmp_path)
    assert done.returncode == 2
    assert "check" in done.stdout


def test_a_file_is_named_relative_inside_the_working_folder_and_whole_outside(tmp_path):
    inside, outside = tmp_path / "work", tmp_path / "elsewhere"
    write(inside, "forms/bad.yaml", "id: bad\nfields: {}\ncolour: blue\n")
    write(outside, "forms/bad.yaml", "id: bad\nfields: {}\ncolour: blue\n")
    near = run("check", "forms", cwd=inside)
    assert near.stdout.startswith("forms/bad.yaml:3:1: unknown-key"), near.stdout
    far = run("check", str(outside / "forms"), cwd=inside)
    assert far.stdout.startswith(f"{outside / 'forms' / 'bad.yaml'}:3:1: unknown-key"), far.stdout
