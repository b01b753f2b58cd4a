"""Hostile definitions: whatever a file holds, the loader answers with located diagnostics.

Three families of generated files go through :func:`check_paths`: YAML-ish noise,
well-shaped procedures, forms and estates with random values, and mutations of the real
library. For every one the check must return (never raise), every diagnostic must carry a
registered code and a position inside its file, and :func:`render_all` must render them.
A second part feeds YAML bombs and the sandbox escapes of ``tests/rules`` to the loader in
a subprocess with a memory and CPU limit.

CI runs a fixed number of examples, derandomized, so every run tests the same files.
For a longer hunt run ``ESTATEFLOW_FUZZ_EXAMPLES=5000 pytest tests/definitions/test_hostile.py``:
each test then takes that many examples, with a fresh seed each run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unicodedata
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from estateflow.definitions import CheckResult, check_paths
from estateflow.definitions import _keys as keys
from estateflow.errors import CODES, render_all
from estateflow.rules import RuleSyntaxError, compile_rule

REPO = Path(__file__).resolve().parents[2]
FUZZ_EXAMPLES = int(os.environ.get("ESTATEFLOW_FUZZ_EXAMPLES") or 0)
LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: Codes about a file as a whole, which may stand at no line.
FILE_LEVEL = frozenset({"unreadable-file"})
#: Characters a message never carries raw: controls, line separators, bidi overrides.
RAW_NEVER = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Codes of a refused expression ('bad-value': the schema refuses an empty one).
REFUSALS = frozenset(
    {
        "rule-syntax",
        "too-complex",
        "forbidden-expression",
        "bad-arguments",
        "unknown-name",
        "form-in-guard",
        "rule-limit",
        "bad-value",
    }
)


def fuzz(ci_examples: int) -> settings:
    """Settings for one fuzz test: ``ci_examples`` fixed examples, or the env's count."""
    return settings(
        max_examples=FUZZ_EXAMPLES or ci_examples,
        derandomize=not FUZZ_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


# -- the property ----------------------------------------------------------------------------
def check_tree(files: dict[str, str | bytes], targets: list[str]) -> CheckResult:
    """Write ``files`` into a fresh folder, check ``targets`` there, and assert that every
    diagnostic is registered, located inside its file, and renders."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        result = check_paths(targets, cwd=root)
        for diagnostic in result.diagnostics:
            assert_located(diagnostic, source_of(result, root, diagnostic.span.path))
        rendered = render_all(result.diagnostics, result.texts.get)
        for diagnostic in result.diagnostics:
            assert str(diagnostic) in rendered
    return result


def source_of(result: CheckResult, root: Path, path: str) -> str:
    """The text the diagnostic's position refers to: as read, or as it is on disk."""
    if path in result.texts:
        return result.texts[path]
    file = root / path
    if not file.is_file():
        return ""
    return file.read_bytes().decode("utf-8-sig", errors="replace")


def assert_located(diagnostic, text: str) -> None:
    span = diagnostic.span
    shown = f"{diagnostic}\n{text[:300]!r}"
    assert diagnostic.code in CODES, shown
    assert span.path, shown
    assert diagnostic.message, shown
    for words in (diagnostic.message, diagnostic.hint or ""):
        assert not any(unicodedata.category(ch) in RAW_NEVER for ch in words), shown
    if diagnostic.code in FILE_LEVEL or not text:
        return
    # YAML 1.2 (and editors) break lines at LF, CRLF and CR only; a file ending in a line
    # break has an empty last line, where "end of file" problems may stand.
    lines = LINE_BREAK.split(text)
    assert 1 <= span.line <= len(lines), shown
    assert 1 <= span.col <= len(lines[span.line - 1]) + 1, shown
    if span.end_line is not None:
        assert span.line <= span.end_line <= len(lines), shown
        if span.end_col is not None:
            assert 1 <= span.end_col <= len(lines[span.end_line - 1]) + 1, shown
            assert span.end_line > span.line or span.end_col >= span.col, shown


def test_messages_show_control_characters_escaped():
    """Any character can reach a key through a double-quoted escape. Quoted raw into a
    message, ESC [2J would clear the terminal and a line break split the message."""
    result = check_tree({"forms/f.yaml": 'id: f\nfields: {}\n"\\e[2J\\nx\\u202e": 1\n'}, ["forms"])
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == ("unknown-key", 3, 1)
    assert "unknown key '\\x1b[2J\\nx\\u202e'" in diagnostic.message


def test_a_file_that_does_not_parse_renders_with_its_line():
    """Syntax errors, the commonest mistake, show their line and caret like any other; a
    control character in that line shows as U+FFFD, so it cannot drive the terminal."""
    result = check_tree(
        {"forms/f.yaml": "id: f\nfields: [a\n", "forms/g.yaml": "id: g\ntitle: a\x1b[2Jb\n"},
        ["forms"],
    )
    rendered = render_all(result.diagnostics, result.texts.get)
    assert "   2 | fields: [a\n" in rendered
    assert "   2 | title: a\ufffd[2Jb\n     |         ^\n" in rendered
    assert "\x1b" not in rendered


@pytest.mark.parametrize(("written", "col"), [("1 +", 34), ('"1 +"', 35), ("'1 +'", 35)])
def test_a_problem_at_the_end_of_an_expression_underlines_nothing_past_it(written, col):
    form = f"id: f\nfields:\n  a: {{type: integer, show_if: {written}}}\n"
    result = check_tree({"forms/f.yaml": form}, ["forms"])
    (diagnostic,) = result.diagnostics
    span = diagnostic.span
    assert (diagnostic.code, span.line, span.col) == ("rule-syntax", 3, col)
    assert span.end_col is None


# -- (a) YAML-ish text -----------------------------------------------------------------------
# fmt: off
#: Pieces of YAML syntax, put together at random.
SYNTAX = [
    ": ", ":", "- ", "-", "? ", "{", "}", "[", "]", ", ", ",", "#", " # c", "'", '"', "|", ">",
    "|-", ">+", "&a ", "&b ", "*a", "*b", "*zz", "<<: ", "<<: *a", "!!str ", "!!int ", "!!map ",
    "!!binary ", "!tag ", "!<tag:x> ", "%YAML 1.2\n---\n", "%TAG ! tag:x,\n", "---", "...",
    "\t", "\\", "\\x41", "\\u2028", "\r", "\r\n", "\n", "\ufeff", "\u2028", "\x85", "\x00",
    "\x07", "\x1b[31m", "\ud800", "\U0001f600", "業戶", "ǅ", "e\u0301",
]
# fmt: on
# fmt: off
#: Scalars YAML reads in surprising ways.
SCALARS = [
    "~", "null", "Null", "NULL", "true", "True", "yes", "no", "on", "off", "y", "8:30", "0x1F",
    "0o17", "0b101", "017", "1_000", "1e400", "-1e400", ".inf", "-.Inf", ".nan",
    "1." + "0" * 50, "9" * 400, "-" + "9" * 30, "0." + "0" * 400 + "1", "1e-400", "1e99999999",
    "2026-02-30", "2026-09-24T17:50:00+08:00", "24:00", "10m", "24bh", "3bd", "-5m",
    "9" * 30 + "d", "80%", "1e3%", "NaN%", "case.x", "form.x + 1", "__import__('os')",
    "'ab' * 10 ** 8", "{{ x }}", "{% if %}", "", " ", "''", '""',
]
# fmt: on
#: Words the loader gives a meaning to.
WORDS = sorted(
    keys.PROCEDURE_KEYS
    | keys.STEP_KEYS
    | keys.ACTION_KEYS
    | keys.FORM_KEYS
    | keys.ESTATE_KEYS
    | keys.FIELD_KEYS
    | keys.DUE_KEYS
    | {"procedure", "form", "estate", "text", "select", "table", "HK", "CN", "closed"}
)

fragments = st.one_of(
    st.sampled_from(SYNTAX),
    st.sampled_from(SCALARS),
    st.sampled_from(WORDS),
    st.text(max_size=6),
    st.characters(max_codepoint=0x9F),
)
text_line = st.tuples(
    st.one_of(st.integers(0, 10).map(" ".__mul__), st.sampled_from(["\t", "  \t", " -  "])),
    st.lists(fragments, max_size=8).map("".join),
).map("".join)


@st.composite
def nesting(draw) -> str:
    depth = draw(st.integers(1, 400))
    open_, close = draw(
        st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", ""), ("[", ""), ("{", ""), ("a:\n", "")])
    )
    if open_ == "a:\n":
        return "".join(" " * i + "a:\n" for i in range(min(depth, 120)))
    return open_ * depth + "x" + close * depth


yamlish = st.one_of(
    st.lists(text_line, max_size=25).map("\n".join),
    st.tuples(st.lists(text_line, max_size=6).map("\n".join), nesting()).map("\n".join),
    st.lists(st.sampled_from(WORDS + SYNTAX), max_size=40).map(" ".join),
)
#: Where a generated file goes, and what is checked: a library, an estate or a loose file.
PLACES = [
    ("procedures/p.yaml", ["procedures"]),
    ("forms/f.yaml", ["forms"]),
    ("est/estate.yaml", ["est"]),
    ("loose.yaml", ["loose.yaml"]),
    ("loose.json", ["loose.json"]),
]


@fuzz(200)
@given(
    place=st.sampled_from(PLACES),
    head=st.sampled_from(["", "id: p\n", "id: p\nsteps:\n", "id: f\nfields:\n  a:\n", "{"]),
    body=st.one_of(yamlish, st.binary(max_size=200)),
)
def test_yamlish_text_never_crashes_the_loader(place, head, body):
    name, targets = place
    content = head.encode() + body if isinstance(body, bytes) else head + body
    check_tree({name: content}, targets)


# -- (b) well-shaped definitions with random values ------------------------------------------
IDS = ["a", "b", "p", "f", "start", "closed", "front_desk", "office", "x", "Bad Id", "", "業"]
EXPRESSIONS = [
    "case.a",
    "form.a",
    "steps.a.at",
    "params.x[case.a]",
    "registers.r.count(unit=case.unit)",
    "form.a > 1 and not case.b",
    "days(1)",
    "1 +",
    "case.__class__",
    "'x' * 99999999",
    "a" * 2100,
    "(" * 50 + "1" + ")" * 50,
    "now",
    "actor.roles",
    "case.a if case.b else 1",
]
leaf = st.one_of(
    st.sampled_from(IDS),
    st.sampled_from(EXPRESSIONS),
    st.sampled_from(SCALARS),
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
)
anything = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(IDS + WORDS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


#: Whether one generated example may put values of the wrong kind anywhere. A strict
#: example mostly passes the schema and so reaches the compiler and the linter.
LOOSE = st.shared(st.booleans(), key="loose")


def sometimes_wrong(value):
    return LOOSE.flatmap(lambda loose: st.one_of(value, anything) if loose else value)


def shaped(fields: dict, required: tuple[str, ...] = (), optional: bool = True):
    """A mapping with the ``required`` keys and some of the others; in a loose example,
    values of the wrong kind in place of some of them, or of the whole mapping."""
    mapping = st.fixed_dictionaries(
        {key: sometimes_wrong(fields[key]) for key in required},
        optional={
            key: sometimes_wrong(value) for key, value in fields.items() if key not in required
        },
    )
    return sometimes_wrong(mapping) if optional else mapping


def or_leaf(value):
    """``value``, or in a loose example any scalar."""
    return LOOSE.flatmap(lambda loose: value | leaf if loose else value)


def id_map(value):
    return st.dictionaries(ids, value, max_size=4)


GOOD_IDS = [i for i in IDS if re.fullmatch(r"[a-z][a-z0-9_-]*", i)]
ids = LOOSE.flatmap(lambda loose: st.sampled_from(IDS if loose else GOOD_IDS))
id_list = st.lists(ids, min_size=1, max_size=3) | ids
ids_only_list = or_leaf(st.lists(ids, min_size=1, max_size=3))


def choice(good: list, bad: list):
    """One of ``good``, or in a loose example also one of ``bad``."""
    return LOOSE.flatmap(lambda loose: st.sampled_from(good + bad if loose else good))


# fmt: off
#: Pieces of expressions, put together at random.
EXPRESSION_TOKENS = [
    "case", "form", "steps", "params", "actor", "now", "registers", ".", "[", "]", "(", ")",
    ",", "+", "-", "*", "/", "//", "%", "**", "~", "|", "==", "<", " and ", " or ", " not ",
    " in ", " if ", " else ", "1", "1.5", "'x'", "none", "true", "max", "round", "length",
    "default", "days", "count", "=", "a", "unit", "__class__", "_x", "x²", "¾", "業", "'",
]
# fmt: on
expression = or_leaf(
    st.sampled_from(EXPRESSIONS)
    | st.lists(st.sampled_from(EXPRESSION_TOKENS), min_size=1, max_size=12).map("".join)
)
label = st.text(min_size=1, max_size=10) | st.fixed_dictionaries(
    {"en": st.text(min_size=1, max_size=5)}
)
duration = or_leaf(st.sampled_from(["10m", "24bh", "3bd", "2 hours", "0m", "-1m", "1e9d", "x"]))
deadline = duration | shaped(
    {
        "within": duration,
        "at": expression,
        "calendar": ids,
        "warn_at": or_leaf(st.sampled_from(["80%", "150%", "-1%", "%", "5m", "x"])),
        "escalate": shaped({"notify": ids_only_list, "reassign": ids, "action": ids}),
    }
)
action = shaped(
    {
        "label": label,
        "when": expression,
        "roles": ids_only_list,
        "set": id_map(expression),
        "register": id_map(
            shaped(
                {
                    "add": id_map(expression),
                    "remove": shaped({"where": id_map(expression)}, required=("where",)),
                    "update": shaped(
                        {"where": id_map(expression), "set": id_map(expression)},
                        required=("where", "set"),
                    ),
                    "count": expression,
                }
            )
        ),
        "to": id_list,
        "route": st.lists(
            shaped({"when": expression, "to": id_list}, required=("to",)), max_size=3
        ),
        "pause": st.booleans(),
        "resume": st.booleans(),
        "notify": ids_only_list,
    }
)
step = shaped(
    {
        "role": ids,
        "assignee": st.sampled_from(["starter", "owner", "x"]) | id_map(ids),
        "form": ids,
        "due": deadline,
        "timer": shaped({"after": duration, "action": ids}, required=("after", "action")),
        "skip_if": expression,
        "actions": id_map(action),
        "join": ids_only_list,
        "to": id_list,
        "spawn": shaped({"procedure": ids, "data": id_map(expression)}, required=("procedure",)),
        "wait": or_leaf(st.sampled_from(["child", "none"])),
        "terminal": ids,
    }
)
field = shaped(
    {
        "type": choice(
            ["text", "integer", "money", "select", "table", "date", "unit", "rating"], ["x"]
        ),
        "required": or_leaf(st.booleans()),
        "required_if": expression,
        "show_if": expression,
        "compute": expression,
        "default": expression,
        "min": or_leaf(st.integers(-(10**30), 10**30) | st.sampled_from(["2026-01-01"])),
        "max": or_leaf(st.integers(-(10**30), 10**30) | st.sampled_from(["10:00"])),
        "pattern": or_leaf(
            st.sampled_from(["^[0-9]+$", "(", "a{4294967296}", "(" * 300 + ")" * 300])
        ),
        "options": st.lists(
            ids | shaped({"value": or_leaf(ids), "label": label}, required=("value",)),
            min_size=1,
            max_size=3,
        ),
        "columns": id_map(anything),
        "label": label,
    },
    required=("type",),
)
procedure = shaped(
    {
        "id": ids,
        "title": label,
        "roles": ids_only_list,
        "registers": ids_only_list,
        "params": id_map(leaf),
        "data": id_map(field),
        "start": shaped({"roles": ids_only_list, "form": ids, "to": id_list}, required=("to",)),
        "owner": or_leaf(st.sampled_from(["starter", "none"])),
        "due": deadline,
        "steps": id_map(step),
        "extends": ids,
    },
    required=("id", "start", "steps"),
    optional=False,
)
form = shaped(
    {"id": ids, "title": label, "fields": id_map(field), "extends": ids},
    required=("id", "fields"),
    optional=False,
)
hours = (
    st.sampled_from(["24/7", "09:00-18:00", "25:00-26:00", "x"])
    | id_map(st.lists(st.sampled_from(["09:00-12:00", "11:00-13:00", "9-5", "18:00-09:00"])))
    | st.dictionaries(
        st.sampled_from(["mon-fri", "sat", "sun", "fri-mon", "xyz"]),
        st.lists(st.sampled_from(["09:00-12:00", "11:00-13:00", "24:00-25:00"]), max_size=2),
        max_size=3,
    )
)
estate = shaped(
    {
        "id": ids,
        "region": or_leaf(choice(["CN", "HK", "MO", "TW"], ["XX", "hk"])),
        "currency": or_leaf(choice(["CNY", "HKD", "MOP", "TWD"], ["EUR"])),
        "timezone": choice(["Asia/Hong_Kong", "Asia/Shanghai"], ["Mars/Phobos", "../../etc", ""]),
        "years": st.lists(or_leaf(st.integers(1, 99999) | st.integers(2020, 2030)), max_size=3),
        "calendars": id_map(hours | shaped({"label": label, "hours": hours}, required=("hours",))),
        "holidays": shaped(
            {
                "closed": st.lists(or_leaf(choice(["2026-12-24", "2026-02-30"], ["x"]))),
                "open": st.lists(or_leaf(st.sampled_from(["2026-12-24", "2026-10-10"]))),
            }
        ),
        "buildings": st.lists(shaped({"id": ids, "name": label}, required=("id",)), max_size=3),
        "roles": id_map(shaped({"label": label, "calendar": ids}) | st.none()),
        "shifts": id_map(
            id_map(
                shaped(
                    {
                        "label": label,
                        "hours": or_leaf(choice(["07:00-19:00"], ["7-19"])),
                        "hands_over_to": ids,
                    },
                    required=("hours",),
                    optional=False,
                )
            )
        ),
        "params": id_map(id_map(leaf)),
        "registers": id_map(
            shaped({"title": label, "fields": id_map(field)}, required=("fields",))
        ),
        "procedures": st.lists(ids, max_size=3),
    },
    required=("id", "region", "timezone", "currency"),
    optional=False,
)


def dump(data, style: str) -> str:
    if style == "json":
        return json.dumps(data, ensure_ascii=False, default=str)
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = {"block": False, "flow": True, "mixed": None}[style]
    yaml.allow_unicode = True
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


@fuzz(100)
@given(
    proc=procedure,
    form_=form,
    estate_=st.none() | estate,
    overlay=procedure.map(
        lambda data: {**data, "extends": "p"} if isinstance(data, dict) else data
    ),
    style=st.sampled_from(["block", "flow", "mixed", "json"]),
)
def test_shaped_definitions_with_random_values_never_crash_the_loader(
    proc, form_, estate_, overlay, style
):
    ext = "json" if style == "json" else "yaml"
    files = {f"procedures/p.{ext}": dump(proc, style), f"forms/f.{ext}": dump(form_, style)}
    targets = ["procedures", "forms"]
    if estate_ is not None:
        files["est/estate.yaml"] = dump({**estate_, "library": ".."}, style)
        files[f"est/procedures/o.{ext}"] = dump(overlay, style)
        targets.append("est")
    check_tree(files, targets)


# -- (c) mutations of the real library -------------------------------------------------------
#: The real definition files, by what they are; a mutation picks a kind, then a file.
LIBRARY = {
    "procedure": sorted(REPO.glob("procedures/*.yaml")),
    "form": sorted(REPO.glob("forms/*.yaml")),
    "estate": sorted(REPO.glob("examples/*/estate.yaml")),
    "overlay": sorted(
        [*REPO.glob("examples/*/procedures/*.yaml"), *REPO.glob("examples/*/forms/*.yaml")]
    ),
}
_FORM_REF = re.compile(r"\bform: ([\w-]+)")
_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|[^\s:,{}\[\]#]+")


def surroundings(path: Path) -> tuple[dict[str, str], list[str]]:
    """The real files a mutated ``path`` is checked with, and the targets to check.

    Reading the whole library takes a second, so each file comes with only what it leans
    on: a form alone; a procedure with the forms it names; an estate or an overlay with
    the estate's folder, the base procedures its overlays extend, the complaint procedure,
    and their forms.
    """
    rel = path.relative_to(REPO)
    if rel.parts[0] == "forms":
        return {}, ["forms"]
    if rel.parts[0] == "procedures":
        procedures, targets = [path], ["procedures", "forms"]
    else:
        estate = REPO / rel.parts[0] / rel.parts[1]
        own = [estate / "estate.yaml", *sorted(estate.glob("*/*.yaml"))]
        own = [f for f in own if f.parent.name in (estate.name, "procedures", "forms")]
        overlaid = [REPO / "procedures" / f.name for f in own if f.parent.name == "procedures"]
        procedures = [*own, *overlaid, REPO / "procedures/complaint.yaml"]
        targets = [estate.relative_to(REPO).as_posix()]
    files = {f.relative_to(REPO).as_posix(): f.read_text(encoding="utf-8") for f in procedures}
    for procedure in procedures:
        for form_id in _FORM_REF.findall(procedure.read_text(encoding="utf-8")):
            form_file = REPO / "forms" / f"{form_id}.yaml"
            if form_file.exists():
                files[f"forms/{form_id}.yaml"] = form_file.read_text(encoding="utf-8")
    files.pop(rel.as_posix(), None)
    return files, targets


@st.composite
def mutated(draw) -> tuple[Path, str]:
    # An estate with its overlays takes ten times as long to check as a procedure.
    kind = draw(st.sampled_from(["procedure"] * 3 + ["form"] * 2 + ["estate", "overlay"]))
    if not LIBRARY[kind]:
        kind = "procedure"
    path = draw(st.sampled_from(LIBRARY[kind]))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    token = st.one_of(st.sampled_from(SCALARS + SYNTAX + WORDS + EXPRESSIONS), st.text(max_size=8))
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = [draw(token) + "\n"]
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(["delete", "duplicate", "swap", "indent", "tab", "replace", "insert"])
        )
        if op == "delete":
            del lines[at]
        elif op == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), lines[at])
        elif op == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif op == "indent":
            stripped = lines[at].lstrip(" ")
            indent = len(lines[at]) - len(stripped) + draw(st.integers(-4, 4))
            lines[at] = " " * max(indent, 0) + stripped
        elif op == "tab":
            lines[at] = "\t" + lines[at].lstrip(" ")
        elif op == "replace":
            spans = [m.span() for m in _TOKEN.finditer(lines[at])]
            if spans:
                start, end = draw(st.sampled_from(spans))
                lines[at] = lines[at][:start] + draw(token) + lines[at][end:]
        else:
            lines.insert(at, draw(text_line) + "\n")
    text = "".join(lines)
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return path, text


@fuzz(80)
@given(case=mutated())
def test_mutated_library_files_never_crash_the_loader(case):
    path, text = case
    files, targets = surroundings(path)
    files[path.relative_to(REPO).as_posix()] = text
    check_tree(files, targets)


def test_unmutated_surroundings_check_cleanly():
    """Without a mutation each procedure, estate and overlay checks with no error in its
    surroundings, so a failure above is the mutation's doing (with part of the library,
    procedures outside it may be missing). A form is checked alone, as everywhere."""
    for path in [*LIBRARY["procedure"], *LIBRARY["estate"], *LIBRARY["overlay"]]:
        files, targets = surroundings(path)
        files[path.relative_to(REPO).as_posix()] = path.read_text(encoding="utf-8")
        result = check_tree(files, targets)
        errors = [d for d in result.errors if d.code != "unknown-procedure"]
        assert not errors, render_all(errors, result.texts.get)


# -- bombs and escapes, under a memory and CPU limit -----------------------------------------
_LIMITED = textwrap.dedent(
    """
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (10, 10))
    from estateflow.definitions import check_paths
    from estateflow.errors import render_all
    found = {}
    for name, root, targets in json.loads(sys.stdin.read()):
        result = check_paths(targets, cwd=root)
        render_all(result.diagnostics, result.texts.get)
        found[name] = [
            [d.code, d.span.path, d.span.line, d.span.col] for d in result.errors
        ]
    print(json.dumps(found))
    """
)


def check_limited(tmp_path: Path, cases: dict[str, tuple[dict, list[str]]]) -> dict:
    """Write each case under ``tmp_path`` and check them all in one subprocess limited to
    1 GB of address space and 10 s of CPU; the errors found, by case."""
    tasks = []
    for name, (files, targets) in cases.items():
        root = tmp_path / name
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        tasks.append((name, str(root), targets))
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED],
        input=json.dumps(tasks),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"killed or failed ({result.returncode}): {result.stderr[-2000:]}"
    )
    return json.loads(result.stdout)


def _sparse(size: int):
    def write(path: Path) -> None:
        with open(path, "wb") as file:
            file.truncate(size)

    return write


def _laughs() -> str:
    rows = ["id: laughs", "a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    return "\n".join(rows) + "\n"


#: Each bomb: its file (in a library's procedures/) and the error that must stop it there.
BOMBS: dict[str, tuple[str | bytes | object, tuple[str, int, int]]] = {
    "billion-laughs": (_laughs(), ("too-many-aliases", 2, 4)),
    "aliased-text": (
        "id: p\nroles: [&x " + "A" * 150_000 + ", " + ", ".join(["*x"] * 20_000) + "]\n",
        ("too-many-aliases", 2, 9),
    ),
    "deep-flow-lists": ("[" * 10_000 + "]" * 10_000, ("too-large", 1, 66)),
    "deep-flow-maps": ("{a: " * 10_000 + "}" * 10_000, ("too-large", 1, 258)),
    "deep-block-lists": ("- " * 10_000 + "x\n", ("too-large", 1, 131)),
    "deep-unclosed": ("id: p\nx: " + "[" * 10_000, ("too-large", 2, 68)),
    "deep-indented-maps": (
        "".join(" " * i + "a:\n" for i in range(200)),
        ("too-large", 65, 65),
    ),
    "file-of-50-mb": (b"id: p\n" + b"a: 1\n" * 10_000_000, ("too-large", 1, 1)),
    "sparse-file-of-2-gb": (_sparse(2 << 30), ("too-large", 1, 1)),
    "key-100k-times": ("a: 1\n" * 100_000, ("too-large", 1, 1)),
    "key-repeated-to-the-cap": ("a: 1\n" * 49_000, ("duplicate-key", 2, 1)),
    "long-line-id": ("id: " + "X" * 240_000 + "\nsteps: {}\n", ("bad-id", 1, 5)),
    "long-line-key": ("id: p\n" + "k" * 240_000 + ": 1\n", ("yaml-syntax", 2, 240_001)),
    "long-line-expression": (
        "id: p\nroles: [a]\nstart: {roles: [a], to: s}\nsteps:\n  s:\n    role: a\n"
        '    skip_if: "' + "case.x + " * 25_000 + '1"\n'
        "    actions: {ok: {to: e}}\n  e: {terminal: done}\n",
        ("too-complex", 7, 2015),
    ),
}


@pytest.mark.parametrize(
    "group",
    [["key-repeated-to-the-cap"], [b for b in BOMBS if b != "key-repeated-to-the-cap"]],
    ids=["dense-file-at-the-cap", "the-other-bombs"],
)
def test_yaml_bombs_are_refused_at_their_place_within_limits(tmp_path, group):
    """The densest file under the size cap gets a process of its own: it alone takes a
    few seconds of the CPU limit."""
    cases = {name: ({"procedures/p.yaml": BOMBS[name][0]}, ["procedures"]) for name in group}
    found = check_limited(tmp_path, cases)
    for name in group:
        code, line, col = BOMBS[name][1]
        assert [code, "procedures/p.yaml", line, col] in found[name], (name, found[name])


_PROCEDURE = """\
id: {id}
roles: [clerk]
start: {{roles: [clerk], form: intake, to: check}}
steps:
  check:
    role: clerk
    form: intake
    actions:
      done:
        route:
          - when: {expression}
            to: closed
          - to: closed
  closed: {{terminal: resolved}}
"""
_FORM = """\
id: {id}
fields:
  summary: {{type: text}}
  valid: {{type: boolean}}
  fee:
    type: money
    compute: {expression}
"""


def loosely_named(vector: str) -> bool:
    """Whether ``vector`` is refused only for a name under a root that a form's own
    expressions see loosely (a form serves several procedures)."""
    try:
        compile_rule(vector)
    except RuleSyntaxError:
        return False
    return vector.startswith(("case.", "steps.", "params.", "registers."))


def test_sandbox_escapes_in_definition_files_are_refused_where_written(tmp_path):
    """Every escape of tests/rules, written as a route's condition and as a form's compute,
    is refused with a rule code on the expression's line, within the scalar; the same
    files with a harmless expression check cleanly."""
    from tests.rules.test_rules_escapes import ESCAPE_VECTORS

    files = {"forms/intake.yaml": _FORM.format(id="intake", expression='"form.valid"')}
    for index, vector in enumerate(["case.summary", *ESCAPE_VECTORS]):
        quoted = json.dumps(vector)  # a JSON string is a YAML double-quoted scalar
        files[f"procedures/e{index}.yaml"] = _PROCEDURE.format(id=f"e{index}", expression=quoted)
        files[f"forms/f{index}.yaml"] = _FORM.format(id=f"f{index}", expression=quoted)
    found = check_limited(tmp_path, {"escapes": (files, ["procedures", "forms"])})["escapes"]
    by_file: dict[str, list] = {}
    for code, path, line, col in found:
        by_file.setdefault(path, []).append((code, line, col))
    assert "procedures/e0.yaml" not in by_file and "forms/f0.yaml" not in by_file, by_file
    for index, vector in enumerate(ESCAPE_VECTORS, start=1):
        width = len(json.dumps(vector))
        places = [(f"procedures/e{index}.yaml", 11, 19), (f"forms/f{index}.yaml", 7, 15)]
        for path, line, col in places[: 1 if loosely_named(vector) else 2]:
            refusals = by_file.get(path, [])
            assert any(
                code in REFUSALS and at_line == line and col <= at_col <= col + width
                for code, at_line, at_col in refusals
            ), (vector, path, refusals)
