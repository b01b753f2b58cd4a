"""UI text in zh-Hans, zh-Hant and en: catalogs complete, pages in each language."""

from __future__ import annotations

import pytest

from estateflow.services import LOCALES
from estateflow.web import _i18n
from tests.web.conftest import INTAKE_FORM, csrf_of, sign_in

pytestmark = pytest.mark.anyio

#: What each main page says in each language: UI text and the definitions' own labels.
EXPECTED = {
    "zh-Hans": {
        "inbox": ["待办", "新建个案", "登记簿", "期限"],
        "start": ["开立个案", "业户投诉处理"],
        "case": ["个案资料", "处理经过", "打印"],
    },
    "zh-Hant": {
        "inbox": ["待辦", "新建個案", "登記簿", "期限"],
        "start": ["開立個案", "業戶投訴處理"],
        "case": ["個案資料", "處理經過", "列印"],
    },
    "en": {
        "inbox": ["Inbox", "New case", "Registers", "Due"],
        "start": ["Open case", "Complaint handling"],
        "case": ["Case data", "Timeline", "Print"],
    },
}


def test_every_message_has_text_in_every_language():
    messages = [m.id for m in _i18n.extract() if m.id]
    assert len(messages) > 50
    assert _i18n.missing() == {locale: [] for locale in LOCALES}


def test_traditional_text_comes_from_opencc_unless_overridden():
    with _i18n.using("zh-Hant"):
        assert _i18n.gettext("Owner complaint handling form") == "業戶投訴處理表"  # converted
        assert _i18n.gettext("Sign out") == "登出"  # overridden in zh_Hant.po
    with _i18n.using("zh-Hans"):
        assert _i18n.gettext("Sign out") == "退出登录"


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        ("zh-HK", "zh-Hant"),
        ("zh_TW", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("en-GB", "en"),
        ("", "en"),
        ("fr", "en"),
    ],
)
def test_locale_codes_are_normalized(code, locale):
    assert _i18n.normalize(code) == locale


def test_money_and_dates_are_written_for_the_language():
    from datetime import UTC, datetime

    moment = datetime(2026, 9, 24, 2, 0, tzinfo=UTC)
    with _i18n.using("en"):
        assert _i18n.money("1234.5", "HKD") == "HK$1,234.50"
        assert "Sep 24, 2026" in _i18n.when(moment, "Asia/Hong_Kong")
    with _i18n.using("zh-Hans"):
        assert _i18n.money("1234.5", "CNY") == "¥1,234.50"
        assert "2026年9月24日" in _i18n.when(moment, "Asia/Shanghai")


async def _choose(client, page_html: str, locale: str, back: str) -> None:
    response = await client.post(
        "/language",
        data={"locale": locale, "csrf": csrf_of(page_html), "next": back},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == back


async def test_main_pages_in_each_language(client):
    inbox = await sign_in(client, "wychan")
    assert "待辦" in inbox  # no choice made: the estate's language (zh-Hant)
    form = await client.get("/e/sunshine/start/complaint")
    started = await client.post(
        "/e/sunshine/start/complaint",
        data={**INTAKE_FORM, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    case_url = started.headers["location"]
    for locale, expected in EXPECTED.items():
        await _choose(client, inbox, locale, "/e/sunshine/")
        pages = {
            "inbox": (await client.get("/e/sunshine/")).text,
            "start": (await client.get("/e/sunshine/start/complaint")).text,
            "case": (await client.get(case_url)).text,
        }
        for name, words in expected.items():
            assert f'<html lang="{locale}">' in pages[name]
            for word in words:
                assert word in pages[name], (locale, name, word)
        inbox = pages["inbox"]


async def test_a_language_outside_the_three_is_refused_and_the_form_needs_csrf(client, services):
    from estateflow.services import People

    page = await sign_in(client, "wychan")
    await client.post("/language", data={"locale": "fr", "csrf": csrf_of(page), "next": "/"})
    await client.post("/language", data={"locale": "en", "csrf": "forged", "next": "/"})
    assert await People(services.store, services.clock).locale("wychan") == ""
    moved = await client.post(
        "/language",
        data={"locale": "en", "csrf": csrf_of(page), "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert moved.headers["location"] == "/"


async def test_the_sign_in_page_speaks_the_browsers_language(client):
    hant = await client.get("/login", headers={"Accept-Language": "zh-HK,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-Hant">' in hant.text and "登入" in hant.text
    hans = await client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert "登录" in hans.text
    plain = await client.get("/login", headers={"Accept-Language": "fr-FR,fr"})
    assert '<html lang="en">' in plain.text and "Sign in" in plain.text
