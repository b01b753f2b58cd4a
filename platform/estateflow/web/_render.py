"""Pages and their parts: one template per page, a partial is a named block inside it.

A request renders the whole page, or only the block whose element htmx targets
(``HX-Target``) when the request is htmx and not boosted: hx-boost wants the page.
Every response says ``Vary: HX-Request`` so no cache mixes the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType
from markupsafe import Markup, escape

from estateflow import fields as f
from estateflow.web import _i18n

TEMPLATES = Path(__file__).parent / "templates"


def _label(value: Any, locale: str = "en") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f.label_text(value, locale, fallback="")


#: Words the engine writes into cases (statuses, and the outcomes the library's
#: terminals name), marked for translation; any other word is shown as written.
TERMS = frozenset(
    {
        _i18n.N_("open"),
        _i18n.N_("closed"),
        _i18n.N_("waiting"),
        _i18n.N_("done"),
        _i18n.N_("skipped"),
        _i18n.N_("cancelled"),
        _i18n.N_("resolved"),
        _i18n.N_("rejected"),
        _i18n.N_("waived"),
        _i18n.N_("invalid"),
        _i18n.N_("handed_over"),
        _i18n.N_("absent"),
    }
)


def _term(word: str | None) -> str:
    if not word:
        return ""
    return _i18n.gettext(word) if word in TERMS else word


def _translated(message: str | None) -> Markup:
    """A message held in a variable (an error text), translated and escaped; unlike
    `_()`, it is not a format string, so a '%' it quotes is kept as typed."""
    return escape(_i18n.gettext(message)) if message else Markup("")


def _role(role_id: str | None, estate: Any, locale: str = "en") -> str:
    """A role's label in the estate, else its id."""
    role = estate.roles.get(role_id) if role_id else None
    return (_label(role.label, locale) if role else "") or (role_id or "")


def _local(moment: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime(fmt)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Jinja's new-style gettext marks the translation safe: escape it first, so that
    # `_()` never passes markup through, whatever text reaches it.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: escape(_i18n.gettext(message)),
        lambda singular, plural, n: escape(_i18n.ngettext(singular, plural, n)),
        newstyle=True,
    )
    env.filters["t"] = _translated
    env.filters["when"] = _i18n.when
    env.filters["money"] = _i18n.money
    env.globals["LANGUAGES"] = _i18n.NAMES
    env.filters["label"] = _label
    env.filters["local"] = _local
    env.filters["role"] = _role
    env.filters["term"] = _term
    env.filters["span"] = _span
    env.globals["display"] = f.display_value
    return env


_ENV = environment()


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    block: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page, or only ``block`` when htmx targets that block's element."""
    page = _ENV.get_template(template)
    context = {"here": request.url.path, **context}
    target = request.headers.get("hx-target", "")
    wanted = block or (target.replace("-", "_") if target else None)
    is_htmx = request.headers.get("hx-request") == "true"
    boosted = request.headers.get("hx-boost") == "true"
    with _i18n.using(context.get("lang")):
        if is_htmx and not boosted and wanted and wanted in page.blocks:
            ctx = page.new_context(dict(context))
            body = "".join(page.blocks[wanted](ctx))
        else:
            body = page.render(**context)
    out = {"Vary": "HX-Request", **(headers or {})}
    return Response(content=body, status_code=status, media_type=MediaType.HTML, headers=out)
