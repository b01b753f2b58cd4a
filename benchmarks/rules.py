"""What a rule costs: evaluation against a plain Python lambda and against Jinja's own
``compile_expression`` (same grammar, no allowlist, floats, no bounds), and compilation
cold and cached."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from jinja2 import Environment, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from benchmarks import compare, per_call
from estateflow.rules import RegisterView, compile_rule, evaluate

_NOW = datetime(2026, 9, 24, 17, 50, tzinfo=UTC)
_CASES = {
    "guard": "case.severity == 'major' and not case.valid",
    "lookup": "params.forward_within[case.severity]",
    "arithmetic": "(form.cards * params.card_fee - 0.5) * 1.05 > 100",
    "fee compute": (
        "max(0, registers.cards.count(unit=case.unit) + form.cards"
        " - params.free_cards * registers.members.count(unit=case.unit)) * params.card_fee"
    ),
}


def _env() -> dict:
    return {
        "case": {"severity": "major", "valid": False, "unit": "A-1201"},
        "form": {"cards": 2},
        "params": {
            "forward_within": {"major": "10m", "general": "20m"},
            "card_fee": Decimal("50.00"),
            "free_cards": 3,
        },
        "now": _NOW,
        "registers": {
            "cards": RegisterView([{"unit": "A-1201"}] * 4 + [{"unit": "B"}] * 4, name="cards"),
            "members": RegisterView([{"unit": "A-1201"}], name="members"),
        },
    }


def _lambdas():
    return {
        "guard": lambda e: e["case"]["severity"] == "major" and not e["case"]["valid"],
        "lookup": lambda e: e["params"]["forward_within"][e["case"]["severity"]],
        "arithmetic": lambda e: (
            (e["form"]["cards"] * e["params"]["card_fee"] - Decimal("0.5")) * Decimal("1.05") > 100
        ),
        "fee compute": lambda e: (
            max(
                0,
                e["registers"]["cards"].count(unit=e["case"]["unit"])
                + e["form"]["cards"]
                - e["params"]["free_cards"]
                * e["registers"]["members"].count(unit=e["case"]["unit"]),
            )
            * e["params"]["card_fee"]
        ),
    }


def run(quick: bool) -> list[dict]:
    number, repeat = (2_000, 3) if quick else (50_000, 5)
    env = _env()
    # Jinja has no 'max' global and reads 0.5 as a float, which does not mix with Decimal:
    # its baseline gets Python's max and a float fee.
    jinja_env = {**env, "max": max, "params": {**env["params"], "card_fee": 50.0}}
    jinja = Environment(undefined=StrictUndefined)
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    lambdas = _lambdas()
    rows: list[dict] = []
    for group, source in _CASES.items():
        rule = compile_rule(source)
        plain = jinja.compile_expression(source, undefined_to_none=False)
        sandboxed = sandbox.compile_expression(source, undefined_to_none=False)
        fn = lambdas[group]
        ours = evaluate(rule, env)
        assert fn(env) == ours, (group, fn(env), ours)
        assert plain(**jinja_env) == ours, group
        timings = {
            "python lambda": per_call(lambda fn=fn: fn(env), number=number, repeat=repeat),
            "jinja compile_expression": per_call(
                lambda p=plain: p(**jinja_env), number=number, repeat=repeat
            ),
            "jinja sandboxed compile_expression": per_call(
                lambda s=sandboxed: s(**jinja_env), number=number, repeat=repeat
            ),
            "rules.evaluate": per_call(
                lambda r=rule: evaluate(r, env), number=number, repeat=repeat
            ),
        }
        rows += compare(
            f"evaluate {group}",
            timings,
            baselines=("python lambda", "jinja compile_expression"),
        )
    rows += _compile_rows(quick)
    return rows


def _compile_rows(quick: bool) -> list[dict]:
    number, repeat = (20, 2) if quick else (300, 3)
    source = _CASES["fee compute"]
    uncached = compile_rule.__wrapped__
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    compile_rule(source)
    timings = {
        "jinja sandboxed compile_expression": per_call(
            lambda: sandbox.compile_expression(source), number=number, repeat=repeat
        ),
        "rules.compile_rule (uncached)": per_call(
            lambda: uncached(source), number=number, repeat=repeat
        ),
        "rules.compile_rule (cached)": per_call(
            lambda: compile_rule(source), number=number * 100, repeat=repeat
        ),
    }
    baseline = "jinja sandboxed compile_expression"
    return compare("compile fee compute", timings, baselines=(baseline,))
