"""A whole form: parse, defaults, computed values, visibility, requirement, then the schema.

The order, for :func:`clean_form` and :func:`evaluate_form_state` alike:

1. Parse each field that is not ``readonly`` (a readonly field takes no input: its value is
   worked out on the server, whatever was submitted).
2. ``default`` for each absent value, in declaration order. Absent means the key is
   missing or null; a cleared text box sends ``""`` and stays empty. A boolean's absence
   means an unticked box (False), so booleans take their default only on a first render.
   A default the field refuses (out of its bounds, say) is left out without a message.
3. ``compute``, after the plain fields, in declaration order. A readonly computed field is
   always recomputed; an editable one is computed only when nothing was submitted for it.
4. ``show_if`` in declaration order. A hidden field is dropped from the result, never
   required, and its input errors are forgotten; expressions read it as none. When
   hiding a field changes what steps 2-4 see, they run again with it hidden, until the
   hidden set settles (at most :data:`MAX_PASSES` rounds).
5. ``required`` and ``required_if`` on the visible fields.
6. The JSON Schema of :func:`form_schema`, over the values as they will be stored.

Expressions run through :func:`estateflow.rules.evaluate` with ``{**env, "form": …}``,
``form`` holding every field as :func:`rule_values` shows it (none while unknown). A
:class:`~estateflow.errors.RuleError` becomes a message on the field, except when the
rule reads a form field that is still empty or invalid: the rule then cannot be decided
yet: a ``show_if`` hides its field, a ``required_if`` does not require it, and a
computed value stays empty, so that an unfinished form shows no message the person cannot
act on (``form.fee > 100`` with no fee yet reads as false, much as SQL's null would).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from estateflow import rules
from estateflow.errors import Invalid, RuleError
from estateflow.fields._errors import FieldError
from estateflow.fields._numbers import round_decimal
from estateflow.fields._parse import empty_value, is_empty, parse_value, required_message
from estateflow.fields._schema import form_validator
from estateflow.fields._spec import FieldSpec
from estateflow.fields._values import dump_values, rule_value

#: Rounds of defaults, computed values and visibility before the hidden set must settle.
MAX_PASSES = 4
#: What a rule gives when it read a form field that is still empty or invalid.
UNDECIDED = object()
#: Longest part of a schema message quoted to the user (it may quote the value).
MAX_SCHEMA_MESSAGE = 120


@dataclass(frozen=True, slots=True, kw_only=True)
class FormState:
    """Where a form stands after its latest change, for the web's live re-rendering."""

    values: Mapping[str, Any]
    """Clean values of the visible fields, defaults and computed values included; None
    (or the type's empty value) where the input is missing or invalid."""
    visible: frozenset[str]
    required: frozenset[str]
    """Visible fields that must be filled in now (``required`` or ``required_if``)."""
    computed: Mapping[str, Any]
    """The values of the visible fields that have ``compute``."""
    errors: Mapping[str, tuple[str, ...]]
    """Messages by field id, or by path into a table (``workers[0].name``)."""

    @property
    def ok(self) -> bool:
        return not self.errors


def clean_form(
    fields: Mapping[str, FieldSpec],
    raw: Mapping[str, Any],
    *,
    env: Mapping[str, Any],
    currency: str,
    region: str | None,
    timezone: str,
    calendar: Any = None,
) -> dict[str, Any]:
    """The clean values of a submitted form, in declaration order, hidden fields left out.

    Args:
        raw: What was submitted, by field id; keys that are not fields are ignored.
        env: What expressions see besides ``form`` (``case``, ``params``, ``now``…).
        region: Default region of phone numbers (CN, HK, MO, TW).
        timezone: Where a datetime typed without an offset was meant.
        calendar: For the business-time helpers of expressions.

    Raises:
        Invalid: with every message of every field at once.
    """
    state = _evaluate(fields, raw, env, currency, region, timezone, calendar)
    if state.errors:
        raise Invalid(state.errors)
    return dict(state.values)


def evaluate_form_state(
    fields: Mapping[str, FieldSpec],
    raw: Mapping[str, Any] | None,
    *,
    env: Mapping[str, Any],
    currency: str | None = None,
    region: str | None = None,
    timezone: str | None = None,
    calendar: Any = None,
) -> FormState:
    """The same steps as :func:`clean_form`, returning the state instead of raising.

    ``raw=None`` is a first render: every default applies (booleans' too) and no field is
    reported missing. Otherwise the errors are exactly those :func:`clean_form` would
    raise; the caller may show only those of fields the person has touched.
    """
    return _evaluate(fields, raw, env, currency, region, timezone, calendar)


class _Run:
    """One evaluation of a form: the inputs, the messages, and the rule plumbing."""

    def __init__(
        self,
        fields: Mapping[str, FieldSpec],
        env: Mapping[str, Any],
        region: str | None,
        timezone: str | None,
        calendar: Any,
    ) -> None:
        self.fields = fields
        self.env = env
        self.region = region
        self.timezone = timezone
        self.calendar = calendar
        self.invalid: dict[str, dict[str, tuple[str, ...]]] = {}
        self.values: dict[str, Any] = {}
        self.view: dict[str, Any] = {}
        self.messages: dict[str, list[str]] = {}

    def reset(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self.view = {fid: rule_value(self.fields[fid], v) for fid, v in values.items()}
        self.messages = {}

    def set(self, fid: str, value: Any) -> None:
        self.values[fid] = value
        self.view[fid] = rule_value(self.fields[fid], value)

    def evaluate(self, fid: str, expr: Any, what: str) -> tuple[bool, Any]:
        """``(True, value)``; ``(False, None)`` with a message when the rule failed, and
        ``(False, UNDECIDED)`` without one when it read a form field still empty."""
        rule = getattr(expr, "rule", expr)  # definitions wrap rules in an Expr
        env = {**self.env, "form": self.view}
        try:
            if self.calendar is None:
                return True, rules.evaluate(rule, env)
            return True, rules.evaluate(rule, env, calendar=self.calendar)
        except RuleError as exc:
            if self._undecided(rule):
                return False, UNDECIDED
            self.messages.setdefault(fid, []).append(f"could not work out {what}: {exc.message}")
            return False, None

    def _undecided(self, rule: Any) -> bool:
        for reference in getattr(rule, "references", ()):
            path = reference.path
            if len(path) < 2 or path[0] != "form" or path[1] not in self.fields:
                continue
            field = self.fields[path[1]]
            # An unticked box is an answer (False), not a value still missing.
            if field.type != "boolean" and (
                path[1] in self.invalid or is_empty(field, self.values.get(path[1]))
            ):
                return True
        return False

    def coerce(self, fid: str, result: Any, what: str, *, quiet: bool = False) -> Any:
        """A rule's result as a clean value of the field, or its empty value and a message
        (no message when ``quiet``)."""
        field = self.fields[fid]
        number = isinstance(result, int | Decimal) and not isinstance(result, bool)
        if number and field.type in ("decimal", "money"):
            # Computed amounts round half up; only typed ones are refused for extra places.
            result = round_decimal(field, Decimal(result))
        try:
            return parse_value(field, result, region=self.region, timezone=self.timezone)
        except FieldError as exc:
            if not quiet:
                self.messages.setdefault(fid, []).append(f"{what} is not accepted: {exc.message}")
            return empty_value(field)


def _evaluate(
    fields: Mapping[str, FieldSpec],
    raw: Mapping[str, Any] | None,
    env: Mapping[str, Any],
    currency: str | None,
    region: str | None,
    timezone: str | None,
    calendar: Any,
) -> FormState:
    first = raw is None
    raw = raw or {}
    run = _Run(fields, env, region, timezone, calendar)
    parsed: dict[str, Any] = {}
    given: set[str] = set()
    for fid, field in fields.items():
        parsed[fid] = empty_value(field)
        if field.readonly:
            continue
        if raw.get(fid) is not None:
            given.add(fid)
        try:
            parsed[fid] = parse_value(field, raw.get(fid), region=region, timezone=timezone)
        except FieldError as exc:
            run.invalid[fid] = exc.errors

    hidden: frozenset[str] = frozenset()
    for _ in range(MAX_PASSES):
        found = _one_pass(run, parsed, given, hidden, first)
        if found == hidden:
            break
        hidden = found

    visible = frozenset(fid for fid in fields if fid not in hidden)
    required = _required(run, visible)
    errors: dict[str, list[str]] = {}
    for fid in fields:
        if fid not in visible:
            continue
        for path, messages in run.invalid.get(fid, {}).items():
            errors.setdefault(fid + path, []).extend(messages)
        errors.setdefault(fid, []).extend(run.messages.get(fid, ()))
        missing = fid in required and is_empty(fields[fid], run.values[fid])
        if missing and not first and fid not in run.invalid:
            errors[fid].append(_missing(fields[fid]))
    values = {fid: run.values[fid] for fid in fields if fid in visible}
    if not first:
        _check_schema(fields, values, currency, errors)
    return FormState(
        values=values,
        visible=visible,
        required=required,
        computed={fid: values[fid] for fid in visible if fields[fid].compute is not None},
        errors={key: tuple(found) for key, found in errors.items() if found},
    )


def _one_pass(
    run: _Run, parsed: Mapping[str, Any], given: set[str], hidden: frozenset[str], first: bool
) -> frozenset[str]:
    """Defaults, computed values and visibility with ``hidden`` hidden; the new hidden set."""
    fields = run.fields
    run.reset({fid: (None if fid in hidden else parsed[fid]) for fid in fields})
    for fid, field in fields.items():
        if fid in hidden or field.compute is not None or field.default is None:
            continue
        absent = fid not in given and fid not in run.invalid
        if field.readonly or (absent and (first or field.type != "boolean")):
            ok, result = run.evaluate(fid, field.default, "the default value")
            if ok:
                # A default is a suggestion: one the field refuses is left out, and a
                # required field then asks to be filled in. A readonly one has no such way.
                quiet = not field.readonly
                run.set(fid, run.coerce(fid, result, "the default value", quiet=quiet))
    for fid, field in fields.items():
        if fid in hidden or field.compute is None:
            continue
        if field.readonly or fid not in given:
            ok, result = run.evaluate(fid, field.compute, "this value")
            run.set(fid, run.coerce(fid, result, "the computed value") if ok else None)
    found = set()
    for fid, field in fields.items():
        if field.show_if is None:
            continue
        ok, shown = run.evaluate(fid, field.show_if, "whether this field applies")
        # A failed rule shows the field with its message; an undecided one hides it.
        if (ok and not shown) or shown is UNDECIDED:
            found.add(fid)
            run.set(fid, None)
    return frozenset(found)


def _required(run: _Run, visible: frozenset[str]) -> frozenset[str]:
    required = set()
    for fid, field in run.fields.items():
        if fid not in visible:
            continue
        if field.required:
            required.add(fid)
        elif field.required_if is not None:
            ok, needed = run.evaluate(fid, field.required_if, "whether this field is required")
            if ok and needed:
                required.add(fid)
    return frozenset(required)


def _missing(field: FieldSpec) -> str:
    if field.readonly:
        return "this value could not be worked out"
    return required_message(field)


def _check_schema(
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    currency: str | None,
    errors: dict[str, list[str]],
) -> None:
    """Belt and braces: report what the schema finds in fields that have no message yet."""
    validator = form_validator(fields, currency=currency or "")
    for error in validator.iter_errors(dump_values(fields, values)):
        path = list(error.absolute_path)
        if not path:
            fid, key = "", ""
        else:
            fid = str(path[0])
            key = fid + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
        if fid and errors.get(fid):
            continue
        text = error.message
        if len(text) > MAX_SCHEMA_MESSAGE:
            text = text[: MAX_SCHEMA_MESSAGE - 1] + "…"
        errors.setdefault(key, []).append(f"this value is not valid: {text}")
