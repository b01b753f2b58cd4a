"""Diagnostics render like a compiler's: location, source line, caret, hint."""

from __future__ import annotations

import pickle

from estateflow.errors import DefinitionError, Diagnostic, SourceSpan, render

SOURCE = 'steps:\n  callback:\n    route:\n      - {when: "form.satisfed", to: closed}\n'


def test_render_matches_the_golden_text():
    diagnostic = Diagnostic(
        code="unknown-name",
        message="'form.satisfed' is not a field of form 'callback'",
        span=SourceSpan(path="procedures/complaint.yaml", line=4, col=16, end_line=4, end_col=29),
        hint="did you mean 'form.satisfied'?",
    )
    assert render(diagnostic, SOURCE) == (
        "procedures/complaint.yaml:4:16: unknown-name: 'form.satisfed' is not a field of "
        "form 'callback'\n"
        '   4 |       - {when: "form.satisfed", to: closed}\n'
        "     |                ^^^^^^^^^^^^^\n"
        "   hint: did you mean 'form.satisfied'?"
    )


def test_caret_accounts_for_wide_chinese_characters():
    source = "title: {zh-Hans: 投诉, en: Complaint, bad: 1}\n"
    diagnostic = Diagnostic(
        code="unknown-key",
        message="unknown key 'bad'",
        span=SourceSpan(path="p.yaml", line=1, col=38),
    )
    caret_line = render(diagnostic, source).splitlines()[2]
    # 18 ASCII columns, two wide characters (4 columns), then 17 more before 'bad'.
    assert caret_line == "     | " + " " * (37 + 2) + "^"


def test_warning_is_marked_and_unknown_line_renders_without_source():
    diagnostic = Diagnostic(
        code="no-holiday-data",
        message="no data for 2031",
        span=SourceSpan(path="estate.yaml"),
        severity="warning",
    )
    assert render(diagnostic, "x: 1\n") == "estate.yaml: warning: no-holiday-data: no data for 2031"


def test_definition_error_keeps_every_diagnostic_sorted_and_pickles():
    late = Diagnostic(code="b", message="late", span=SourceSpan(path="a.yaml", line=9, col=1))
    early = Diagnostic(code="a", message="early", span=SourceSpan(path="a.yaml", line=2, col=5))
    error = DefinitionError([late, early])
    assert error.diagnostics == (early, late)
    assert str(error) == "a.yaml:2:5: a: early (and 1 more)"
    again = pickle.loads(pickle.dumps(error))
    assert again.diagnostics == error.diagnostics


def test_lines_are_counted_as_yaml_counts_them():
    # U+2028 is not a line break to YAML: the caret must stay on YAML's line 2.
    source = "a: 1\nb: x\u2028y\nc: 3\n"
    diagnostic = Diagnostic(
        code="bad-value", message="m", span=SourceSpan(path="p.yaml", line=3, col=1)
    )
    assert render(diagnostic, source).splitlines()[1] == "   3 | c: 3"


def test_render_all_splits_each_file_once():
    from estateflow.errors import render_all

    reads = []

    def read(path):
        reads.append(path)
        return "x: 1\n" * 3

    many = [
        Diagnostic(code="bad-value", message="m", span=SourceSpan(path="p.yaml", line=n, col=1))
        for n in (1, 2, 3)
    ]
    text = render_all(many, read)
    assert reads == ["p.yaml"]
    assert text.count("| x: 1") == 3
