"""Syntax errors are located inside the expression, from the lexer's token positions."""

from __future__ import annotations

import pytest

from estateflow.rules import RuleSyntaxError, compile_rule


def problem(source: str):
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rule(source)
    return caught.value.problems[0]


@pytest.mark.parametrize(
    ("source", "offset", "length", "message"),
    [
        ("case.x = 1", 7, 1, "unexpected '=' after the end of the expression"),
        ("case.x ==", 9, 1, "unexpected end of the expression"),
        ("(case.x", 7, 1, "unexpected end of the expression: '(' is never closed"),
        ("case.x)", 6, 1, "unexpected ')'"),
        ("case.x and 'abc", 11, 4, "this text is never closed"),
        ("case.x $ 1", 7, 1, "unexpected character '$'"),
        ("case.severity major", 14, 5, "unexpected 'major' after the end of the expression"),
        ("10m", 2, 1, "unexpected 'm' after the end of the expression"),
        ("max(1,, 2)", 6, 1, "unexpected ','"),
        ("case.\n  x ==\n", 12, 1, "unexpected end of the expression"),
        ("(case.x]", 7, 1, "unexpected ']', expected ')'"),
        ("", 0, 1, "the expression is empty"),
    ],
)
def test_syntax_error_is_located(source, offset, length, message):
    found = problem(source)
    assert found.code == "rule-syntax"
    assert (found.offset, found.length, found.message) == (offset, length, message)


def test_single_equals_hints_at_double():
    assert problem("case.x = 1").hint == "compare with '==', not '='"


def test_missing_bracket_hints_at_the_bracket():
    assert problem("max(1, 2").hint == "add the missing ')'"


def test_offsets_count_characters_not_bytes():
    found = problem("case.標題 == '投訴' and case.x ==")
    assert found.offset == len("case.標題 == '投訴' and case.x ==")


def test_conditional_without_else_points_at_if():
    found = problem("case.a if case.b")
    assert (found.code, found.offset, found.length) == ("rule-syntax", 7, 2)


def test_too_long_expression_points_past_the_limit():
    from estateflow.rules import MAX_EXPRESSION_LENGTH

    found = problem("x" * (MAX_EXPRESSION_LENGTH + 5))
    assert (found.code, found.offset, found.length) == ("too-complex", MAX_EXPRESSION_LENGTH, 5)
