"""UI text in zh-Hans, zh-Hant and en: Babel catalogs compiled when first used.

``locales/zh_Hans.po`` holds the simplified Chinese of every message; zh-Hant is derived
from it with OpenCC (traditional characters) and then overridden by ``locales/zh_Hant.po``;
``locales/en.po`` holds the English (the message ids are English, so most entries repeat
them). The ``.po`` files are compiled in memory with ``babel.messages.mofile`` at the
first request: there is no build step.

Refresh the catalogs after changing UI text with ``python -m estateflow.web._i18n``: it
extracts the messages from the templates and the web modules, keeps every translation
already made, and lists the messages still missing one.

The language of a request is the user's choice (``users.locale``), else the estate's.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_currency
from litestar import Request, Response, post
from litestar.response import Redirect

from estateflow.services import LOCALES, People
from estateflow.web._common import PUBLIC, _csrf_ok, _finish, _safe_next, _state, _visit

HERE = Path(__file__).parent
CATALOGS = HERE / "locales"
#: Locale → the ``.po`` file that holds its text.
FILES = {"zh-Hans": "zh_Hans.po", "zh-Hant": "zh_Hant.po", "en": "en.po"}
#: How each language names itself in the switcher.
NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}

_current: ContextVar[str] = ContextVar("estateflow_ui_locale", default="en")


def normalize(locale: str | None) -> str:
    """One of LOCALES for a code such as ``zh-HK``, ``zh_CN`` or ``en-GB``."""
    code = (locale or "").replace("_", "-").lower()
    if code.startswith("zh"):
        if any(tag in code for tag in ("hant", "-hk", "-tw", "-mo")):
            return "zh-Hant"
        return "zh-Hans"
    return "en"


def browser_locale(request: Request) -> str:
    """The first of LOCALES the browser asks for (``Accept-Language``), else English:
    for pages shown before anyone signs in."""
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("zh", "en")):
            return normalize(tag)
    return "en"


def _read(locale: str) -> Catalog:
    path = CATALOGS / FILES[locale]
    if not path.exists():
        return Catalog(locale=locale.replace("-", "_"))
    with path.open("rb") as handle:
        return read_po(handle, locale=locale.replace("-", "_"))


def _compile(catalog: Catalog) -> _gettext.GNUTranslations:
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _hant(text: str) -> str:
    return _converter().convert(text) if text else text


@cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def merged(locale: str) -> Catalog:
    """The catalog of ``locale`` as served: zh-Hant is OpenCC's conversion of zh-Hans
    with the entries of ``zh_Hant.po`` over it."""
    if locale != "zh-Hant":
        return _read(locale)
    texts = {m.id: _hant(m.string) for m in _read("zh-Hans") if m.id and m.string}
    texts.update({m.id: m.string for m in _read("zh-Hant") if m.id and m.string})
    out = Catalog(locale="zh_Hant")
    for message_id, text in texts.items():
        out.add(message_id, text)
    return out


@cache
def translations(locale: str) -> _gettext.GNUTranslations:
    return _compile(merged(locale))


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


@contextlib.contextmanager
def using(locale: str | None) -> Iterator[str]:
    """Render in ``locale`` inside the block."""
    chosen = normalize(locale)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


# -- formatting for the locale ------------------------------------------------------------
def _babel_locale() -> Locale:
    return Locale.parse(_current.get().replace("-", "_"))


def when(moment: datetime | None, timezone: str) -> str:
    """A date and time in the estate's time zone, written the way the language writes it."""
    if moment is None:
        return ""
    return format_datetime(moment, "medium", tzinfo=ZoneInfo(timezone), locale=_babel_locale())


def money(amount: Any, currency: str) -> str:
    """An amount in the estate's currency, written for the language."""
    if amount is None or amount == "":
        return ""
    return format_currency(Decimal(str(amount)), currency, locale=_babel_locale())


# -- extraction ---------------------------------------------------------------------------
METHODS = [
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("_*.py", "python"),
]
OPTIONS = {
    "**/templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True"},
}


def extract() -> Catalog:
    """Every UI message in the templates and the web modules (``_()`` and ``N_()``)."""
    catalog = Catalog(project="EstateFlow")
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(HERE),
        METHODS,
        options_map=OPTIONS,
        keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        catalog.add(message, locations=[(filename, lineno)])
    return catalog


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def missing() -> dict[str, list[str]]:
    """For each locale, the messages it has no text for (as served)."""
    wanted = [m.id for m in extract() if m.id]
    out: dict[str, list[str]] = {}
    for locale in LOCALES:
        have = {m.id for m in merged(locale) if m.id and m.string}
        out[locale] = [str(m) for m in wanted if m not in have]
    return out


_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def update() -> dict[str, list[str]]:
    """Rewrite the ``.po`` files with every extracted message, keeping translations."""
    template = extract()
    CATALOGS.mkdir(exist_ok=True)
    for locale in LOCALES:
        old = {m.id: m.string for m in _read(locale) if m.id}
        # A fixed date and no source locations: the files change only when a message
        # does, so branches that touch different templates merge without conflicts.
        out = Catalog(
            locale=locale.replace("-", "_"), project="EstateFlow", creation_date=_EPOCH
        )
        for message in template:
            if not message.id:
                continue
            if locale == "zh-Hant" and not old.get(message.id):
                continue  # derived from zh-Hans by OpenCC unless overridden here
            string = old.get(message.id) or (message.id if locale == "en" else "")
            out.add(message.id, string, locations=message.locations)
        with (CATALOGS / FILES[locale]).open("wb") as handle:
            write_po(handle, out, width=100, no_location=True, sort_output=True)
    translations.cache_clear()
    return missing()


# -- the language switcher ------------------------------------------------------------------
@post("/language", opt=PUBLIC)
async def choose_language(request: Request) -> Response:
    """A plain form: the chosen language for the signed-in user ('' = the estate's)."""
    visit = await _visit(request)
    form = await request.form()
    target = _safe_next(str(form.get("next") or "/"))
    if visit.session.user is not None and _csrf_ok(visit, request, form):
        chosen = str(form.get("locale") or "")
        if chosen in LOCALES or chosen == "":
            people: People = _state(request).people
            await people.set_locale(visit.session.user, chosen)
    return _finish(request, visit, Redirect(path=target, status_code=303))


ROUTES = [choose_language]


if __name__ == "__main__":
    for locale, messages in update().items():
        print(f"{locale}: {len(messages)} missing")
        for message in messages:
            print(f"  {message}")
