"""Sandbox escapes and resource attacks: every one is refused when the definition loads.

Each vector is an expression a hostile or careless author could write. "Refused at load"
means :func:`compile_rule` raises, or :func:`check_names` reports a problem against the
full case data model; nothing here is ever evaluated.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from estateflow.errors import CODES
from estateflow.rules import RuleProblem, RuleSyntaxError, check_names, compile_rule

from .samples import model_scope

ESCAPE_VECTORS = [
    # dunder walks
    "case.__class__",
    "case.__class__.__mro__[1].__subclasses__()",
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__[1]",
    "case['__class__']",
    "case.__getattribute__('x')",
    "case.x.__globals__",
    "case._private",
    "registers.cards.count(__class__=1)",
    # Jinja globals and template specials
    "cycler.__init__.__globals__.os.popen('id').read()",
    "cycler",
    "joiner()",
    "namespace(x=1)",
    "range(100000000)",
    "lipsum()",
    "lipsum.__globals__['os']",
    "dict(a=1)",
    "self",
    "self._TemplateReference__context",
    "config",
    "config.items()",
    "loop.index",
    "request.environ",
    # format-string tricks
    "'{0.__class__}'.format(case)",
    "'{0.__init__.__globals__}'.format(case)",
    "'%s' % case",
    "'%(a)s' % case",
    "case.summary.format(case)",
    "case.summary.format_map(case)",
    "'{}'|format(case)",
    # filters outside the list
    "case|attr('__class__')",
    "case.roles|map('upper')|list",
    "case|pprint",
    "case.summary|safe",
    "[case]|selectattr('x')",
    # exponent, huge repetition, huge numbers
    "2 ** 8",
    "'ab' * 10 ** 8",
    "7 ** 300000000",
    "'ab' * 100000000",
    "[1, 2, 3] * 100000",
    "100000000 * 'x'",
    "1" + "0" * 40,
    "1e400",
    "0x" + "f" * 200,
    # deep nesting and size
    "(" * 200 + "1" + ")" * 200,
    "[" * 200 + "]" * 200,
    "1" + " + 1" * 450,
    "not " * 300 + "case.valid",
    "-" * 1500 + "1",
    "case.x" + " or case.x" * 250,
    "'" + "a" * 3000 + "'",
    # attributes of values that are not data, calls of non-listed functions
    "(1).real",
    "'abc'.upper()",
    "[1, 2].append(3)",
    "case.summary.upper()",
    "case.roles.pop()",
    "now.replace(year=2000)",
    "registers.cards.delete()",
    "registers.cards._rows",
    "registers.cards.count",
    "open('/etc/passwd')",
    "eval('1')",
    "__import__('os')",
    "maxx(1, 2)",
    "case.x(1)",
    "max(*case.roles)",
    "max(**case)",
    # other grammar outside the allowlist
    "case.unit ~ 'x'",
    "case.x is defined",
    "case.roles[0:2]",
    "case.valid if case.valid",
    # names outside the model (a misspelt field must never read as false)
    "form.valdi",
    "case.valdi",
    "steps.investigate.valdi",
    "params.forward_within_",
    "actor.password",
    "now.tzinfo",
    "registers.cardz.count(unit=case.unit)",
    "registers.cards.count(unti=case.unit)",
    "registers.cards.holder",
    "os",
    "today",
    # syntax
    "case.valid = true",
    "case.valid ==",
    "(case.valid",
    "case.valid)",
    "'unterminated",
    "a\x00b",
    "",
]


def refusals(source: str) -> tuple[RuleProblem, ...]:
    """Everything wrong with ``source`` in a route, where every root of the model exists."""
    try:
        rule = compile_rule(source)
    except RuleSyntaxError as exc:
        return exc.problems
    return check_names(rule, model_scope(with_form=True))


@pytest.mark.parametrize("source", ESCAPE_VECTORS, ids=lambda s: repr(s[:40]))
def test_escape_vector_is_refused_at_load_with_a_located_registered_code(source):
    problems = refusals(source)
    assert problems, f"{source!r} was accepted"
    for problem in problems:
        assert problem.code in CODES
        assert 0 <= problem.offset <= max(len(source), 1)
        assert problem.length >= 1
        assert problem.message and not problem.message[0].isupper()
        assert not problem.message.endswith(".")


#: Values typed by users that try to make an accepted expression allocate or spin: each
#: must end in a RuleError. Values are JSON; ints stand for numbers typed in a form.
RUN_TIME_ATTACKS = [
    ("case.s * case.n", {"s": "ab", "n": 100_000_000}),
    ("case.l * case.n", {"l": [0, 1], "n": 100_000_000}),
    ("case.n * case.s", {"s": "ab", "n": 10**30}),
    ("case.n * case.n * case.n * case.n", {"n": 10**20}),
    ("case.n + 1", {"n": int("9" * 4000)}),
    ("case.s + case.s + case.s", {"s": "x" * 4000}),
    ("case.l + case.l + case.l", {"l": list(range(4000))}),
    ("case.s % case.l", {"s": "%s" * 1000, "l": [1]}),
    ("days(case.n)", {"n": 10**20}),
    ("round(case.n, 10)", {"n": 10**23}),
    ("case.n // 0.000001", {"n": 10**23}),
]

_SUBPROCESS = textwrap.dedent(
    """
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (10, 10))
    sys.path[:0] = [sys.argv[1]]
    from estateflow.errors import RuleError
    from estateflow.rules import RuleSyntaxError, check_names, compile_rule, evaluate
    from tests.rules.samples import model_scope
    scope = model_scope(with_form=True)
    vectors, attacks = json.loads(sys.stdin.read())
    accepted = []
    for source in vectors:
        try:
            rule = compile_rule(source)
        except RuleSyntaxError:
            continue
        if not check_names(rule, scope):
            accepted.append(source)
    for source, case in attacks:
        try:
            evaluate(compile_rule(source), {"case": case})
        except RuleError:
            continue
        accepted.append(source)
    print(json.dumps(accepted))
    """
)


def test_escape_vectors_cannot_exhaust_memory_or_time():
    """The limits are generous: they only turn a regression into a failure, not a hang."""
    repo = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS, repo],
        input=json.dumps([ESCAPE_VECTORS, RUN_TIME_ATTACKS]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("source", "code", "offset", "length"),
    [
        ("case.__class__", "forbidden-expression", 4, 10),
        ("2 ** 8", "forbidden-expression", 2, 2),
        ("'ab' * 100000000", "rule-limit", 0, 16),
        ("case.summary ~ 'x'", "forbidden-expression", 0, 18),
        ("case|attr('__class__')", "forbidden-expression", 5, 4),
        ("'%s' % case", "forbidden-expression", 0, 11),
        ("x or lipsum()", "forbidden-expression", 5, 6),
        ("case.roles[0:2]", "forbidden-expression", 0, 15),
        ("case.x + 1" + "0" * 30, "rule-limit", 9, 31),
        ("(" * 40 + "1" + ")" * 40, "too-complex", 32, 1),
    ],
)
def test_refusal_points_at_the_offending_part(source, code, offset, length):
    problems = refusals(source)
    assert (code, offset, length) in {(p.code, p.offset, p.length) for p in problems}


def test_every_problem_is_reported_not_only_the_first():
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rule("case.__class__ or 2 ** 3 or lipsum()")
    offsets = [p.offset for p in caught.value.problems]
    assert offsets == [4, 20, 28]


def test_unknown_function_and_filter_suggest_the_close_one():
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rule("maxx(1, 2) + case.x|uper")
    hints = [p.hint for p in caught.value.problems]
    assert hints == ["did you mean 'max'?", "did you mean 'upper'?"]
