"""Names are checked against the case data model when the definition loads."""

from __future__ import annotations

from estateflow.errors import SourceSpan
from estateflow.rules import (
    ANY,
    FORM_IN_GUARD,
    RuleProblem,
    Scope,
    Shape,
    check_names,
    compile_rule,
)


def problems(source: str, scope: Scope) -> list[tuple[str, int, int, str | None]]:
    found = check_names(compile_rule(source), scope)
    return [(p.code, p.offset, p.length, p.hint) for p in found]


def test_misspelt_form_field_in_a_route_is_an_error_with_a_suggestion(route_scope):
    found = check_names(compile_rule("form.valdi"), route_scope)
    assert [(p.code, p.offset, p.length) for p in found] == [("unknown-name", 0, 10)]
    assert found[0].message == "'form.valdi' is not a field of form 'investigation'"
    assert found[0].hint == "did you mean 'form.valid'?"


def test_correct_names_pass(route_scope):
    source = (
        "form.valid and case.severity == 'major' and steps.investigate.valid"
        " and params.forward_within[case.severity] and actor.username and now.hour > 8"
        " and registers.cards.count(unit=case.unit) > 0 and registers.members.anything"
    )
    assert problems(source, route_scope) == []


def test_form_in_a_when_says_it_is_not_available_there(when_scope):
    found = check_names(compile_rule("case.valid and not form.valid"), when_scope)
    assert [(p.code, p.offset, p.length) for p in found] == [("form-in-guard", 19, 4)]
    assert found[0].message == FORM_IN_GUARD
    assert "route" in found[0].hint


def test_unknown_root_suggests_a_close_root(route_scope):
    assert problems("cases.severity", route_scope) == [
        ("unknown-name", 0, 5, "did you mean 'case'?")
    ]


def test_unknown_root_far_from_any_lists_the_roots(route_scope):
    (problem,) = check_names(compile_rule("xyz"), route_scope)
    assert problem.hint.startswith("expected one of 'actor', 'case'")


def test_a_bad_middle_part_is_underlined_up_to_itself(route_scope):
    found = problems("steps.investigat.valid", route_scope)
    assert found == [("unknown-name", 0, 16, "did you mean 'steps.investigate'?")]


def test_path_stops_at_a_computed_subscript(route_scope):
    rule = compile_rule("params.forward_within[case.severity]")
    assert [r.path for r in rule.references] == [("params", "forward_within"), ("case", "severity")]
    assert problems("params.forward_withn[case.sevrity]", route_scope) == [
        ("unknown-name", 0, 20, "did you mean 'params.forward_within'?"),
        ("unknown-name", 21, 12, "did you mean 'case.severity'?"),
    ]


def test_quoted_subscripts_continue_the_path(route_scope):
    rule = compile_rule("steps['investigate'].valid")
    assert [r.path for r in rule.references] == [("steps", "investigate", "valid")]
    assert problems("steps['investigat'].valid", route_scope)[0][0] == "unknown-name"


def test_below_an_opaque_shape_anything_goes(route_scope):
    assert problems("registers.members.a.b.c", route_scope) == []


def test_leaf_has_no_fields():
    scope = Scope(roots={"case": Shape.of({"unit": Shape.LEAF})})
    (problem,) = check_names(compile_rule("case.unit.block"), scope)
    assert problem.message == "'case.unit' has no fields: 'case.unit.block' does not exist"


def test_register_query_fields_are_checked(route_scope):
    source = "registers.cards.count(unti=case.unit) + registers.cards.sum('fe')"
    found = problems(source, route_scope)
    assert found == [
        ("unknown-name", 22, 4, "did you mean 'unit'?"),
        ("unknown-name", 61, 2, "did you mean 'fee'?"),
    ]


def test_register_offers_only_its_queries(route_scope):
    (problem,) = check_names(compile_rule("registers.cards.holder"), route_scope)
    assert problem.message == "'holder' is not a query of register 'cards'"


def test_unknown_register(route_scope):
    found = problems("registers.card.exists(unit=case.unit)", route_scope)
    assert found == [("unknown-name", 0, 14, "did you mean 'registers.cards'?")]


def test_function_names_are_not_values(route_scope):
    (problem,) = check_names(compile_rule("today"), route_scope)
    assert problem.code == "unknown-name"
    assert "call it" in problem.message


def test_functions_outside_the_scope_are_unknown():
    scope = Scope(roots={"now": ANY}, functions=frozenset({"max"}))
    assert problems("today() and max(1, 2)", scope) == [
        ("unknown-name", 0, 5, "expected one of 'max()'")
    ]


def test_names_in_every_part_are_found(route_scope):
    source = "max(case.a, 1) + [case.b][0] + {'k': case.c}['k'] + case.d|default(case.e)"
    rule = compile_rule(source)
    assert [r.path for r in rule.references] == [
        ("case", "a"),
        ("case", "b"),
        ("case", "c"),
        ("case", "d"),
        ("case", "e"),
    ]
    assert [r.offset for r in rule.references] == [4, 18, 37, 52, 67]


def test_shape_of_builds_opaque_fields():
    shape = Shape.of(["a", "b"])
    assert dict(shape.fields) == {"a": ANY, "b": ANY}
    assert Shape.ANY is ANY
    assert Shape({"a": ANY}).fields == {"a": ANY}


def test_problem_becomes_a_diagnostic_at_the_expression_start():
    problem = RuleProblem(code="unknown-name", message="m", offset=5, length=10, hint=None)
    start = SourceSpan(path="p.yaml", line=14, col=15)
    diagnostic = problem.diagnostic(start)
    assert (diagnostic.span.line, diagnostic.span.col, diagnostic.span.end_col) == (14, 20, 30)
    assert diagnostic.code == "unknown-name"
