"""Scopes and values shaped like a real procedure's, for the rules tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from estateflow.rules import ANY, FORM_IN_GUARD, RegisterView, Scope, Shape

#: Thursday 24 September 2026, 17:50 (tests never use today's date).
NOW = datetime(2026, 9, 24, 17, 50, tzinfo=UTC)


def model_scope(*, with_form: bool) -> Scope:
    """The names of a complaint procedure: in a route (with form) or a `when` (without)."""
    roots = {
        "case": Shape.of(["severity", "unit", "summary", "valid", "number", "opened_at"]),
        "steps": Shape.of({"investigate": Shape.of(["valid", "findings", "at", "by"])}),
        "params": Shape.of(["forward_within", "resolve_within", "card_fee", "free_cards"]),
        "actor": Shape.of(["username", "roles"]),
        "now": Shape.DATETIME,
        "registers": Shape.of(
            {
                "cards": Shape.register("cards", ["unit", "holder", "fee"]),
                "members": ANY,
            }
        ),
    }
    unavailable = {}
    if with_form:
        roots["form"] = Shape.of(["valid", "findings", "satisfied"], label="form 'investigation'")
    else:
        unavailable["form"] = FORM_IN_GUARD
    return Scope(roots=roots, unavailable=unavailable)


def sample_env() -> dict:
    """Values of a major complaint being investigated, with two registers."""
    return {
        "case": {
            "severity": "major",
            "unit": "A-1201",
            "summary": "water leak",
            "valid": None,
            "number": "TS-2026-000123",
        },
        "form": {"valid": True, "findings": "pipe", "satisfied": False, "cards": 2},
        "params": {
            "forward_within": {"major": "10m", "general": "20m"},
            "card_fee": Decimal("50.00"),
            "free_cards": 3,
        },
        "actor": {"username": "chan", "roles": ["cs_supervisor"]},
        "steps": {"investigate": {"valid": True, "at": NOW}},
        "now": NOW,
        "registers": {
            "cards": RegisterView(
                [
                    {"unit": "A-1201", "holder": "Chan", "fee": Decimal("0")},
                    {"unit": "A-1201", "holder": "Lee", "fee": Decimal("50.00")},
                    {"unit": "B-0301", "holder": "Wong", "fee": None},
                ],
                name="cards",
            ),
            "members": RegisterView([{"unit": "A-1201"}], name="members"),
        },
    }
