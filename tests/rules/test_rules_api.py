"""The package's promises: a sorted public API, registered codes with fixtures, purity."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import estateflow.rules as rules
from estateflow.errors import CODES
from estateflow.errors.codes import RULES

PACKAGE = Path(rules.__file__).parent
BAD_CASES = Path(__file__).parents[1] / "definitions" / "bad"
#: Codes only evaluation raises: no definition file can show them at load time.
RUN_TIME_ONLY = {"undefined", "rule-type", "rule-value"}
#: Standard modules the layer may use: nothing that reads a clock, a file or the network.
ALLOWED_IMPORTS = {
    "__future__", "collections", "dataclasses", "datetime", "decimal", "difflib", "functools",
    "inspect", "jinja2", "operator", "re", "types", "typing", "estateflow",
}  # fmt: skip
_CODE_LITERAL = re.compile(
    r"""(?:RuleError\(|_fail\(|problem\(|code=)\s*\n?\s*["']([a-z]+(?:-[a-z]+)*)["']"""
)


def _sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py")}


def test_all_is_a_sorted_tuple_of_existing_names():
    assert isinstance(rules.__all__, tuple)
    assert list(rules.__all__) == sorted(rules.__all__)
    for name in rules.__all__:
        assert hasattr(rules, name), name


def test_every_code_the_layer_produces_is_registered_and_nothing_more():
    produced = set()
    for text in _sources().values():
        produced.update(_CODE_LITERAL.findall(text))
    registered = {code.code for code in RULES}
    assert produced <= set(CODES)
    assert produced == registered


def test_every_load_time_code_has_a_bad_case_file():
    covered = set()
    for path in BAD_CASES.glob("rules-*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.match(r"# expect: ([a-z-]+) \d+:\d+$", first)
        assert match, f"{path.name} must start with '# expect: CODE LINE:COL'"
        covered.add(match[1])
    load_time = {code.code for code in RULES} - RUN_TIME_ONLY
    assert load_time - covered == set()
    assert len(list(BAD_CASES.glob("rules-*.yaml"))) >= 10


def test_layer_imports_nothing_that_does_io_or_keeps_time():
    for name, text in _sources().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in ALLOWED_IMPORTS, (name, module)
                if module.startswith("estateflow."):
                    assert module.split(".")[1] in ("errors", "calendar", "rules"), (name, module)
        assert ".now(" not in text and ".today(" not in text, name


def test_every_limit_is_documented():
    text = (PACKAGE / "_limits.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"[A-Z_]+ = ", line):
            above = [lines[j] for j in range(i - 1, -1, -1) if lines[j].startswith("#")]
            assert lines[i - 1].startswith("#") and any(x.startswith("#:") for x in above), line


def test_rule_syntax_error_pickles_with_its_problems():
    try:
        rules.compile_rule("case.__class__")
    except rules.RuleSyntaxError as exc:
        again = pickle.loads(pickle.dumps(exc))
        assert again.problems == exc.problems
        assert "forbidden-expression" in str(again)
    else:
        raise AssertionError("not refused")


def test_rule_knows_what_it_uses():
    rule = rules.compile_rule("max(registers.cards.count(unit=case.unit), 1) > params.n")
    assert [f.path for f in rule.functions] == [("max",)]
    assert [(q.register, q.method, [f.path for f in q.fields]) for q in rule.queries] == [
        ("cards", "count", [("unit",)])
    ]
    assert not rule.is_constant
    assert rules.compile_rule("0.1 * 3 == 0.3").is_constant
    assert not rules.compile_rule("today() > date('2026-01-01')").is_constant
