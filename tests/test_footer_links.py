"""The footer's User Guide and translatewiki.net links (issue 18): URLs from configuration, with
documented defaults, on every page, for visitors and logged-in people; check-config checks them."""

from __future__ import annotations

from capx import create_app
from capx.config import TRANSLATEWIKI_URL, USER_GUIDE_URL, load_settings
from capx.devtools.config_check import OK, WARN, _footer_links
from tests.conftest import html_text
from tests.conftest import test_config as build_test_config


def _footer(html: str) -> str:
    return html.split('<footer class="site-footer">')[1].split("</footer>")[0]


def test_defaults_are_the_user_guide_and_the_translatewiki_page(tmp_path):
    settings = load_settings({}, tmp_path)
    assert settings.user_guide_url == USER_GUIDE_URL == "https://meta.wikimedia.org/wiki/Capacity_Exchange/User_Guide"
    assert settings.translatewiki_url == TRANSLATEWIKI_URL == "https://translatewiki.net/wiki/Translating:CapX"
    chosen = load_settings({"CAPX_USER_GUIDE_URL": "https://example.org/guide",
                            "CAPX_TRANSLATEWIKI_URL": "https://example.org/translate"}, tmp_path)
    assert (chosen.user_guide_url, chosen.translatewiki_url) == ("https://example.org/guide", "https://example.org/translate")
    assert load_settings({"CAPX_USER_GUIDE_URL": ""}, tmp_path).user_guide_url == USER_GUIDE_URL


def test_footer_links_for_visitors_and_logged_in_people(client, login, make_user):
    for path in ("/", "/capacity", "/data_analytics_dashboard"):
        footer = _footer(html_text(client.get(path)))
        assert f'<a href="{USER_GUIDE_URL}">User Guide</a>' in footer, path
        assert f'<a href="{TRANSLATEWIKI_URL}">Help translate</a>' in footer, path
    login(client, make_user("Footer Reader"))
    footer = _footer(html_text(client.get("/home")))
    assert USER_GUIDE_URL in footer and TRANSLATEWIKI_URL in footer


def test_configured_urls_are_used(database_urls):
    app = create_app(build_test_config(*database_urls, CAPX_USER_GUIDE_URL="https://example.org/guide",
                                       CAPX_TRANSLATEWIKI_URL="https://example.org/translate"))
    footer = _footer(html_text(app.test_client().get("/capacity")))
    assert 'href="https://example.org/guide"' in footer and 'href="https://example.org/translate"' in footer


def test_footer_in_portuguese_and_arabic(client):
    assert "Guia do usuário" in _footer(html_text(client.get("/capacity?uselang=pt-br")))
    assert "دليل المستخدم" in _footer(html_text(client.get("/capacity?uselang=ar")))


def test_check_config_reports_the_footer_links():
    good = _footer_links({"CAPX_USER_GUIDE_URL": USER_GUIDE_URL, "CAPX_TRANSLATEWIKI_URL": TRANSLATEWIKI_URL})
    assert good.status == OK and USER_GUIDE_URL in good.detail
    bad = _footer_links({"CAPX_USER_GUIDE_URL": "javascript:alert(1)", "CAPX_TRANSLATEWIKI_URL": TRANSLATEWIKI_URL})
    assert bad.status == WARN and "CAPX_USER_GUIDE_URL" in bad.detail
