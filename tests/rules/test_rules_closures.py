"""Rules are compiled to closures: no source text is run, and only allowlisted node kinds
are compiled; the sandbox stands behind them whatever the data holds."""

from __future__ import annotations

import ast
import builtins
from datetime import date
from decimal import Decimal

import pytest
from jinja2 import nodes

from estateflow.errors import RuleError
from estateflow.rules import RegisterView, RuleSyntaxError, compile_rule, evaluate
from estateflow.rules._closures import NotCompilable, compile_tree

from .samples import NOW

#: One expression for each kind of node the allowlist admits, with its value.
EVERY_KIND = [
    ("case.severity", "major"),
    ("case['severity']", "major"),
    ("params.within[case.severity]", "10m"),
    ("case.tags[1]", "b"),
    ("1 < case.n <= 3 < 4", True),
    ("case.severity in ['major', 'minor'] and not case.valid", True),
    ("case.valid or case.n", Decimal(2)),
    ("-case.n + +1 - 0.5 * 2 / 4 // 1 % 3", Decimal(-1)),
    ("'yes' if case.valid else 'no'", "no"),
    ("[case.n, 1]", [Decimal(2), Decimal(1)]),
    ("(case.n, 'x')", (Decimal(2), "x")),
    ("{'n': case.n}", {"n": Decimal(2)}),
    ("max(1, case.n)", Decimal(2)),
    ("today()", NOW.date()),
    ("registers.cards.count(unit='A')", 2),
    ("case.severity|upper|length", 5),
    ("case.missing|default(case.n)", Decimal(2)),
    ("date('2026-09-24').year", 2026),
]


_EVAL, _EXEC = builtins.eval, builtins.exec


def _names() -> dict:
    return {
        "case": {"severity": "major", "valid": False, "n": Decimal(2), "tags": ["a", "b"]},
        "params": {"within": {"major": "10m"}},
        "now": NOW,
        "registers": {"cards": RegisterView([{"unit": "A"}, {"unit": "A"}], name="cards")},
    }


def test_compiling_and_evaluating_every_kind_of_node_runs_no_source_text():
    """Neither `eval` nor `exec` is called, nor `compile` but to parse: Jinja's lexer reads
    a number token (text its pattern matched as digits) with `ast.literal_eval`."""
    reached = []
    builtin_compile = builtins.compile

    def refuse(*args, **kwargs):
        reached.append(args[:1])
        raise AssertionError("a rule reached eval or exec")

    def parse_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            reached.append(source)
            raise AssertionError("a rule reached compile")
        return builtin_compile(source, filename, mode, flags, *args, **kwargs)

    values = []
    try:
        builtins.eval = builtins.exec = refuse
        builtins.compile = parse_only
        for source, _ in EVERY_KIND:
            rule = compile_rule.__wrapped__(source)  # not from the cache
            values.append(evaluate(rule, _names()))
    finally:
        builtins.eval, builtins.exec, builtins.compile = _EVAL, _EXEC, builtin_compile
    assert reached == []
    for (source, expected), value in zip(EVERY_KIND, values, strict=True):
        assert (value, type(value)) == (expected, type(expected)), source


@pytest.mark.parametrize(
    "node",
    [
        nodes.Pow(nodes.Const(Decimal(2)), nodes.Const(Decimal(8))),
        nodes.Concat([nodes.Const("a"), nodes.Const("b")]),
        nodes.Test(nodes.Name("x", "load"), "defined", [], [], None, None),
        nodes.Getitem(nodes.Name("x", "load"), nodes.Slice(None, None, None), "load"),
        nodes.CondExpr(nodes.Name("x", "load"), nodes.Const("a"), None),
        nodes.Const(10**400),
        nodes.Const(1.5),
        nodes.Name("x", "store"),
        nodes.Call(nodes.ImportedName("os.system"), [nodes.Const("id")], [], None, None),
        nodes.Call(nodes.Name("max", "load"), [], [], nodes.Name("x", "load"), None),
        nodes.Filter(nodes.Name("x", "load"), "attr", [nodes.Const("__class__")], [], None, None),
        nodes.Slice(None, None, None),
        nodes.ContextReference(),
        nodes.EnvironmentAttribute("globals"),
    ],
    ids=lambda n: type(n).__name__,
)
def test_a_node_the_allowlist_refuses_is_not_compiled_either(node):
    with pytest.raises(NotCompilable):
        compile_tree(node)


def test_a_callable_found_in_data_is_never_called():
    """`registers.cards.count(...)` passes the allowlist; if the data put something other
    than a register there, the sandbox still refuses to call it."""
    rule = compile_rule("registers.cards.count(unit='A')")
    names = {"registers": {"cards": {"count": lambda **kw: "called"}}}
    with pytest.raises(RuleError) as caught:
        evaluate(rule, names)
    assert caught.value.code == "forbidden-expression"


def test_an_argument_given_twice_is_refused_where_it_is_repeated():
    source = "registers.cards.count(unit=case.unit, unit='A')"
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rule(source)
    (problem,) = caught.value.problems
    assert (problem.code, problem.offset, problem.length) == ("bad-arguments", 38, 4)
    assert problem.message == "'unit' is given twice"


def test_a_list_written_out_is_a_new_list_each_time():
    rule = compile_rule("['a', 'b']")
    first = evaluate(rule, {})
    first.append("c")
    assert evaluate(rule, {}) == ["a", "b"]


def test_a_date_part_is_read_but_not_a_method_of_the_date():
    assert evaluate(compile_rule("case.on.month"), {"case": {"on": date(2026, 9, 24)}}) == 9
    with pytest.raises(RuleError) as caught:
        evaluate(compile_rule("case.on.isoformat"), {"case": {"on": date(2026, 9, 24)}})
    assert caught.value.code == "rule-type"
