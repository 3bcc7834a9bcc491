"""Internationalization: fallbacks, PLURAL (CLDR), GENDER, escaping, links, tags, qqx, language choice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markupsafe import Markup

from capx import translations
from capx.translations import (Catalog, fallback_chain, format_text, message, parse_accept_language, plural_form,
                               text_direction)


def fmt(text: str, *params, lang: str = "en") -> str:
    return str(format_text(text, params, lang))


# -- fallbacks ----------------------------------------------------------------------------------

def test_fallback_chain() -> None:
    assert fallback_chain("pt-br") == ["pt-br", "pt", "en"]
    assert fallback_chain("pt") == ["pt", "pt-br", "en"]
    assert fallback_chain("de-at") == ["de-at", "de", "en"]
    assert fallback_chain("en") == ["en"]
    assert fallback_chain("arz") == ["arz", "ar", "en"]


def test_lookup_follows_the_chain(tmp_path: Path) -> None:
    files = {
        "en": {"a": "A en", "b": "B en", "c": "C en"},
        "pt": {"a": "A pt", "b": "B pt"},
        "pt-br": {"a": "A pt-br", "c": ""},  # an empty translation counts as missing
    }
    for code, data in files.items():
        (tmp_path / f"{code}.json").write_text(json.dumps({"@metadata": {}, **data}), encoding="utf-8")
    catalog = Catalog(tmp_path).load()
    assert catalog.lookup("a", "pt-br") == "A pt-br"
    assert catalog.lookup("b", "pt-br") == "B pt"
    assert catalog.lookup("c", "pt-br") == "C en"
    assert catalog.lookup("missing", "pt-br") is None
    assert catalog.interface_languages == ["en", "pt", "pt-br"]


def test_missing_key_strict_and_lenient() -> None:
    with pytest.raises(translations.MissingMessage):
        message("no-such-key-anywhere", (), "en", strict=True)
    assert str(message("no-such-key-anywhere", (), "en")) == "⧼no-such-key-anywhere⧽"


# -- PLURAL -------------------------------------------------------------------------------------

@pytest.mark.parametrize("number, expected", [(0, "0 files"), (1, "1 file"), (2, "2 files"), (1000, "1,000 files")])
def test_plural_english(number: int, expected: str) -> None:
    assert fmt("{{PLURAL:$1|$1 file|$1 files}}", number) == expected


@pytest.mark.parametrize("number, expected", [(0, "0 arquivo"), (1, "1 arquivo"), (2, "2 arquivos"),
                                              (1000, "1.000 arquivos")])
def test_plural_portuguese(number: int, expected: str) -> None:
    # CLDR: in Portuguese 0 and 1 are both "one"; numbers use '.' for thousands.
    assert fmt("{{PLURAL:$1|$1 arquivo|$1 arquivos}}", number, lang="pt-br") == expected


@pytest.mark.parametrize("number, form", [(0, "zero"), (1, "one"), (2, "two"), (3, "few"), (10, "few"),
                                          (11, "many"), (99, "many"), (100, "other"), (102, "other"),
                                          (103, "few")])
def test_plural_arabic_six_forms(number: int, form: str) -> None:
    assert fmt("{{PLURAL:$1|zero|one|two|few|many|other}}", number, lang="ar") == form


@pytest.mark.parametrize("number, form", [(1, "one"), (21, "one"), (2, "few"), (24, "few"), (5, "many"),
                                          (11, "many"), (12, "many"), (111, "many")])
def test_plural_russian(number: int, form: str) -> None:
    assert fmt("{{PLURAL:$1|one|few|many}}", number, lang="ru") == form


def test_plural_missing_forms_use_the_last() -> None:
    assert fmt("{{PLURAL:$1|one|few}}", 5, lang="ru") == "few"
    assert fmt("{{PLURAL:$1|only}}", 5) == "only"


def test_plural_explicit_forms() -> None:
    text = "{{PLURAL:$1|0=no results|12=a dozen results|$1 result|$1 results}}"
    assert fmt(text, 0) == "no results"
    assert fmt(text, 12) == "a dozen results"
    assert fmt(text, 1) == "1 result"
    assert fmt(text, 7) == "7 results"
    assert plural_form("en", 0, ["0=none", "one", "other"]) == "none"


def test_plural_in_a_real_message() -> None:
    assert str(message("results-count", (1,), "en")) == "1 result"
    assert str(message("results-count", (2500,), "en")) == "2,500 results"


# -- GENDER -------------------------------------------------------------------------------------

@pytest.mark.parametrize("gender, expected", [("male", "he"), ("female", "she"), ("unknown", "they"), (None, "they")])
def test_gender(gender, expected: str) -> None:
    assert fmt("{{GENDER:$1|he|she|they}}", gender) == expected


def test_gender_with_fewer_forms() -> None:
    assert fmt("{{GENDER:$1|person}}", "female") == "person"


# -- escaping, links, tags ---------------------------------------------------------------------

def test_parameters_are_escaped() -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    out = fmt("Welcome, $1!", payload)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out


def test_markup_parameters_are_kept() -> None:
    assert fmt("Hi $1", Markup("<bdi>Ana</bdi>")) == "Hi <bdi>Ana</bdi>"


def test_message_result_is_markup_and_escapes_in_templates(app) -> None:
    from flask import render_template_string

    with app.test_request_context("/"):
        out = render_template_string("{{ msg('home-welcome', name) }}", name="<b>x</b>")
    assert out == "Welcome, &lt;b&gt;x&lt;/b&gt;!"


def test_numbers_are_localized() -> None:
    assert fmt("$1", 1234567) == "1,234,567"
    assert fmt("$1", 1234567, lang="pt-br") == "1.234.567"
    assert fmt("$1", "1234567") == "1234567"  # strings are shown as they are


def test_missing_parameter_stays_visible() -> None:
    assert fmt("$1 and $2", "a") == "a and $2"


def test_external_link() -> None:
    out = fmt("See [https://meta.wikimedia.org/wiki/Main_Page?a=1&b=2 Meta-Wiki].")
    assert out == ('See <a href="https://meta.wikimedia.org/wiki/Main_Page?a=1&amp;b=2" class="external" '
                   'rel="nofollow noopener">Meta-Wiki</a>.')


def test_site_link_and_parameter_link() -> None:
    assert fmt("Read the [/privacy_policy policy].") == 'Read the <a href="/privacy_policy">policy</a>.'
    assert fmt("Read the [$1 policy].", "/privacy_policy") == 'Read the <a href="/privacy_policy">policy</a>.'
    assert fmt("[$1 $2]", "/x", "<i>") == '<a href="/x">&lt;i&gt;</a>'


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "//evil.example/", "data:text/html,x",
                                 "vbscript:x"])
def test_dangerous_link_targets_are_refused(url: str) -> None:
    assert "<a" not in fmt("[$1 click]", url)
    assert "<a" not in fmt(f"[{url} click]")


def test_only_allowed_tags_survive() -> None:
    assert fmt("<b>bold</b> <i>it</i> <bdi>x</bdi> a<br>b") == "<b>bold</b> <i>it</i> <bdi>x</bdi> a<br>b"
    out = fmt("<script>alert(1)</script> <a href='x'>l</a> <b onclick='x'>b</b> <img src=x>")
    assert "<script" not in out and "<a " not in out and "onclick=" not in out.replace("&#39;", "'").split("&lt;")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<b onclick" not in out and "<img" not in out


def test_translation_with_script_stays_text(app, monkeypatch: pytest.MonkeyPatch) -> None:
    cat = translations.catalog()
    monkeypatch.setitem(cat.messages.setdefault("pt-br", {}), "home-welcome", "<script>alert(1)</script> $1")
    out = str(message("home-welcome", ("Ana",), "pt-br"))
    assert out == "&lt;script&gt;alert(1)&lt;/script&gt; Ana"


# -- qqx, directions, autonyms ------------------------------------------------------------------

def test_qqx_shows_keys() -> None:
    assert str(message("site-name", (), "qqx")) == "(site-name)"
    assert str(message("home-welcome", ("<b>",), "qqx")) == "(home-welcome: &lt;b&gt;)"


def test_text_direction() -> None:
    assert text_direction("ar") == "rtl"
    assert text_direction("he") == "rtl"
    assert text_direction("fa") == "rtl"
    assert text_direction("pt-br") == "ltr"
    assert text_direction("qqx") == "ltr"


def test_autonyms() -> None:
    assert translations.language_autonym("pt-br") == "Português (Brasil)"
    assert translations.language_autonym("ar") == "العربية"
    assert translations.language_autonym("en") == "English"


def test_babel_locale_mapping_is_safe() -> None:
    assert str(translations.babel_locale("pt-br")) == "pt_BR"
    assert str(translations.babel_locale("zh-hans")) == "zh_Hans"
    assert str(translations.babel_locale("sr-ec")) == "sr_Cyrl"
    assert str(translations.babel_locale("qqx")) == "en"
    assert str(translations.babel_locale("xx-nonsense")) == "en"


# -- Accept-Language parsing --------------------------------------------------------------------

@pytest.mark.parametrize("header, expected", [
    ("pt-BR,pt;q=0.9,en;q=0.8", "pt-br"),
    ("pt-PT,pt;q=0.9", "pt-br"),  # pt → pt-br by fallback
    ("de-DE,ar;q=0.5", "ar"),
    ("ar;q=0.4, pt-br;q=0.8", "pt-br"),
    ("de, fr", None),
    ("en-US", "en"),
    ("en-US,pt-BR;q=0.5", "en"),
    ("en-GB", "en"),
    ("*", None),
    ("pt-br;q=0", None),
    ("", None),
])
def test_parse_accept_language(header: str, expected: str | None) -> None:
    assert parse_accept_language(header, ["ar", "en", "pt-br"]) == expected


# -- the language of a request ------------------------------------------------------------------

def html_lang(response) -> tuple[str, str]:
    m = re.search(r'<html lang="([^"]*)" dir="([^"]*)"', response.get_data(as_text=True))
    assert m, "no <html lang dir>"
    return m.group(1), m.group(2)


def test_default_is_english(client) -> None:
    assert html_lang(client.get("/")) == ("en", "ltr")


def test_uselang(client) -> None:
    r = client.get("/?uselang=pt-br")
    assert html_lang(r) == ("pt-br", "ltr")
    assert message("landing-title", (), "pt-br") in Markup(r.get_data(as_text=True))


def test_uselang_arabic_is_rtl(client) -> None:
    assert html_lang(client.get("/?uselang=ar")) == ("ar", "rtl")


@pytest.mark.parametrize("value", ["xx", "<script>", "pt-br\r\nX: y", "../en", "qqq"])
def test_invalid_uselang_is_ignored(client, value: str) -> None:
    r = client.get("/", query_string={"uselang": value})
    assert r.status_code == 200
    assert html_lang(r) == ("en", "ltr")
    assert "<script>" not in r.get_data(as_text=True).split("<body>")[0]


def test_qqx_page(client) -> None:
    r = client.get("/?uselang=qqx")
    body = r.get_data(as_text=True)
    assert "(landing-title)" in body and "(site-name)" in body
    assert html_lang(r) == ("en", "ltr")


def test_accept_language(client) -> None:
    r = client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    assert html_lang(r)[0] == "pt-br"
    assert "Accept-Language" in r.headers.get("Vary", "")


def test_uselang_beats_accept_language(client) -> None:
    r = client.get("/?uselang=ar", headers={"Accept-Language": "pt-BR"})
    assert html_lang(r)[0] == "ar"


def test_saved_choice_anonymous_cookie(client) -> None:
    r = client.post("/language", data={"uselang": "pt-br", "next": "/privacy_policy"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/privacy_policy")
    cookie = r.headers.get("Set-Cookie", "")
    assert "capx_lang=pt-br" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert html_lang(client.get("/"))[0] == "pt-br"
    # The saved choice beats the browser's language.
    assert html_lang(client.get("/", headers={"Accept-Language": "ar"}))[0] == "pt-br"


def test_saved_choice_invalid_is_ignored(client) -> None:
    r = client.post("/language", data={"uselang": "klingon", "next": "//evil.example"})
    assert r.status_code == 302 and r.headers["Location"] in ("/", "http://capx.test/")
    assert "capx_lang" not in r.headers.get("Set-Cookie", "")


def test_saved_choice_logged_in_goes_to_the_account(app, client, make_user, login) -> None:
    from capx.extensions import db
    from capx.models import User

    user = make_user("Ana Exemplo")
    login(client, user)
    client.post("/language", data={"uselang": "ar", "next": "/home"})
    with app.app_context():
        assert db.session.get(User, user.id).interface_language == "ar"
    # Another device (no language cookie) gets the account's choice.
    other = app.test_client()
    login(other, user)
    assert html_lang(other.get("/home")) == ("ar", "rtl")


def test_language_chosen_before_logging_in_stays(app, client) -> None:
    """A visitor picks Arabic, then logs in with a new account: the pages stay in Arabic (found by
    the browser walk, where they fell back to the browser's English after the login)."""
    client.post("/language", data={"uselang": "ar", "next": "/"})
    r = client.post("/login/dev", data={"username": "Samira Exemplo"})
    assert r.status_code == 302
    assert html_lang(client.get("/home", headers={"Accept-Language": "en-US"})) == ("ar", "rtl")


def test_account_choice_beats_the_cookie(app, client, make_user, login) -> None:
    from capx.extensions import db
    from capx.models import User

    user = make_user("Ana Exemplo")
    with app.app_context():
        db.session.get(User, user.id).interface_language = "pt-br"
        db.session.commit()
    client.set_cookie("capx_lang", "ar", domain="capx.test")
    login(client, user)
    assert html_lang(client.get("/home"))[0] == "pt-br"


def test_language_picker_lists_autonyms(client) -> None:
    body = client.get("/").get_data(as_text=True)
    assert 'lang="pt-br"' in body and "Português (Brasil)" in body
    assert 'lang="ar"' in body and "العربية" in body


def test_dates_and_numbers_follow_the_language(app) -> None:
    import datetime as dt

    from flask_babel import format_date, format_decimal

    with app.test_request_context("/?uselang=pt-br"):
        assert format_decimal(1234.5) == "1.234,5"
        assert format_date(dt.date(2026, 3, 1), "long") == "1 de março de 2026"
    with app.test_request_context("/?uselang=ar"):
        assert format_decimal(12) != ""


def test_pages_are_translated(client, make_user) -> None:
    body = client.get("/?uselang=pt-br").get_data(as_text=True)
    assert "Aprenda e compartilhe capacidades" in body and "Política de privacidade" in body
    make_user("Ana Exemplo")
    make_user("Bruno Exemplo")
    body = client.get("/?uselang=ar").get_data(as_text=True)
    assert "تبادل القدرات" in body
    assert "ويكيميديان اثنان" in body  # the Arabic dual, chosen by the CLDR rules


def test_portuguese_explicit_zero(client) -> None:
    assert str(message("results-count", (0,), "pt-br")) == "Nenhum resultado"
    assert str(message("results-count", (1,), "pt-br")) == "1 resultado"
    assert str(message("results-count", (1500,), "pt-br")) == "1.500 resultados"
