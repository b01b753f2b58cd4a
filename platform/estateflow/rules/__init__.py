"""The expression language: parse, allowlist, compile, evaluate (DESIGN §4).

Layer: above ``calendar`` and ``errors``, below ``fields``. Trusts no input: every
expression is written by a definition author, and every value by a user, so the text is
parsed with Jinja's expression grammar and each node is checked against an allowlist
before anything compiles, names are checked against the case data model at load time,
and the checked tree is compiled to Python closures (never to source text: nothing
reaches ``eval`` or ``exec``) that read only data, call only listed functions and stay
within bounds on what they may build. Pure: no I/O, no clock (``now`` is given), no
asyncio.

    rule = compile_rule("params.forward_within[case.severity]")   # RuleSyntaxError
    problems = check_names(rule, scope)                            # at load time
    value = evaluate(rule, {"case": ..., "params": ..., "now": ...})   # RuleError
"""

from estateflow.rules._check import RESERVED_NAMES
from estateflow.rules._functions import FILTERS, FUNCTIONS
from estateflow.rules._limits import (
    CACHE_SIZE,
    DECIMAL_PRECISION,
    MAX_DEPTH,
    MAX_EXPRESSION_LENGTH,
    MAX_INTEGER_DIGITS,
    MAX_LIST_LENGTH,
    MAX_NODES,
    MAX_ROUND_PLACES,
    MAX_STRING_LENGTH,
)
from estateflow.rules._names import (
    ANY,
    FORM_IN_GUARD,
    FORM_IN_GUARD_HINT,
    LEAF,
    MODEL_ROOTS,
    Scope,
    Shape,
    check_names,
)
from estateflow.rules._problems import RuleProblem, RuleSyntaxError
from estateflow.rules._references import Reference, RegisterQuery
from estateflow.rules._registers import REGISTER_METHODS, RegisterView
from estateflow.rules._rule import Rule, compile_rule, evaluate

__all__ = (
    "ANY",
    "CACHE_SIZE",
    "DECIMAL_PRECISION",
    "FILTERS",
    "FORM_IN_GUARD",
    "FORM_IN_GUARD_HINT",
    "FUNCTIONS",
    "LEAF",
    "MAX_DEPTH",
    "MAX_EXPRESSION_LENGTH",
    "MAX_INTEGER_DIGITS",
    "MAX_LIST_LENGTH",
    "MAX_NODES",
    "MAX_ROUND_PLACES",
    "MAX_STRING_LENGTH",
    "MODEL_ROOTS",
    "REGISTER_METHODS",
    "RESERVED_NAMES",
    "Reference",
    "RegisterQuery",
    "RegisterView",
    "Rule",
    "RuleProblem",
    "RuleSyntaxError",
    "Scope",
    "Shape",
    "check_names",
    "compile_rule",
    "evaluate",
)
