"""What every response shares: security headers, cookies, CSRF rejection, error pages, 503, /healthz."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask, abort

from capx import create_app
from capx.translations import catalog
from tests.conftest import CapxClient, html_text
from tests.conftest import test_config as config_for_tests

PAGES = ["/", "/privacy_policy", "/login", "/healthz", "/no-such-page", "/static/css/capx.css",
         "/api/suggest/capacity?q=a"]


def build(database_urls: tuple[str, str], **overrides: Any) -> Flask:
    """A separate app on the same database (for other settings or extra test routes)."""
    other = create_app(config_for_tests(*database_urls, **overrides))
    other.test_client_class = CapxClient
    return other


def csp_directives(value: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in value.split(";") if part.strip()}


@pytest.mark.parametrize("url", PAGES)
def test_security_headers_everywhere(client: Any, url: str) -> None:
    r = client.get(url)
    csp = csp_directives(r.headers["Content-Security-Policy"])
    assert csp["default-src"] == "default-src 'self'"
    assert csp["object-src"] == "object-src 'none'"
    assert csp["base-uri"] == "base-uri 'none'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in r.headers  # only in production


def test_security_headers_on_post_and_errors(client: Any) -> None:
    for r in (client.post("/language", data={"uselang": "en"}), client.post("/language", csrf=False),
              client.get("/logout")):
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_or_style(client: Any, make_user: Any, login: Any) -> None:
    user = make_user("Ana Exemplo")
    pages = [client.get(url) for url in ("/", "/privacy_policy", "/login", "/no-such-page")]
    login(client, user)
    pages.append(client.get("/home"))
    for r in pages:
        body = html_text(r)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline <script>"
        assert "<style" not in body and " style=" not in body
        assert not re.search(r"\son[a-z]+=", body), "inline event handler"


def test_html_is_private(client: Any) -> None:
    r = client.get("/")
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in r.headers["Vary"]


def test_production_headers_and_cookies(app: Flask, database_urls: tuple[str, str]) -> None:
    prod = build(database_urls, CAPX_ENV="production", SESSION_COOKIE_SECURE=True, CAPX_DEV_LOGIN=False)
    client = prod.test_client()
    r = client.get("/", base_url="https://capx.test")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Development mode" not in html_text(r)
    r = prod.test_client().get("/login", base_url="https://capx.test")  # the CSRF token starts a session
    cookie = r.headers["Set-Cookie"]
    assert "capx_session=" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    r = client.post("/language", data={"uselang": "ar", "next": "/"}, base_url="https://capx.test",
                    headers={"Referer": "https://capx.test/"})
    assert r.status_code == 302
    assert "capx_lang=ar" in r.headers["Set-Cookie"] and "Secure" in r.headers["Set-Cookie"]
    # Over HTTPS a POST from another site is refused even with a valid token (Referer check).
    r = client.post("/language", data={"uselang": "ar"}, base_url="https://capx.test",
                    headers={"Referer": "https://evil.example/"})
    assert r.status_code == 400


def test_development_cookie_not_secure(client: Any) -> None:
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


# -- CSRF ---------------------------------------------------------------------------------------

def test_csrf_rejection_shows_the_values_and_resubmits(client: Any) -> None:
    r = client.post("/language", data={"uselang": "pt-br", "next": "/privacy_policy"}, csrf=False)
    assert r.status_code == 400
    body = html_text(r)
    assert "Your session expired" in body
    assert "<dd>pt-br</dd>" in body and "<dd>/privacy_policy</dd>" in body
    form = re.search(r'<form method="post" action="/language" class="stack">(.*?)</form>', body, re.S)
    assert form, "the page offers to send the form again"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))
    assert set(fields) == {"csrf_token", "uselang", "next"}
    assert fields["csrf_token"]
    # Resubmitting exactly what the page holds (with its fresh token) works.
    r = client.post("/language", data=fields, csrf=False)
    assert r.status_code == 302 and r.headers["Location"] == "/privacy_policy"
    assert "capx_lang=pt-br" in r.headers["Set-Cookie"]


def test_csrf_rejection_escapes_values(client: Any) -> None:
    r = client.post("/language", data={"uselang": '"><script>alert(1)</script>'}, csrf=False)
    body = html_text(r)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_csrf_bad_token(client: Any) -> None:
    r = client.post("/language", data={"uselang": "ar", "csrf_token": "forged"}, csrf=False)
    assert r.status_code == 400
    assert "capx_lang" not in r.headers.get("Set-Cookie", "")


# -- error pages --------------------------------------------------------------------------------

@pytest.fixture()
def routes_app(app: Flask, database_urls: tuple[str, str]) -> Iterator[Flask]:
    """An app with routes that fail in each way (added before its first request)."""
    other = build(database_urls, PROPAGATE_EXCEPTIONS=False)

    @other.get("/test/forbidden")
    def forbidden() -> str:
        abort(403)

    @other.get("/test/crash")
    def crash() -> str:
        raise ZeroDivisionError("boom")

    yield other


def test_404(client: Any) -> None:
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "Page not found" in html_text(r)
    assert 'href="/"' in html_text(r)


def test_404_translated(client: Any) -> None:
    from capx.translations import message

    r = client.get("/no-such-page?uselang=pt-br")
    assert str(message("error-404-title", (), "pt-br")) in html_text(r)


def test_403(routes_app: Flask) -> None:
    r = routes_app.test_client().get("/test/forbidden")
    assert r.status_code == 403
    assert "You cannot do this" in html_text(r)


def test_405(client: Any) -> None:
    r = client.get("/logout")
    assert r.status_code == 405
    assert "Not allowed" in html_text(r)


def test_500(routes_app: Flask) -> None:
    r = routes_app.test_client().get("/test/crash")
    assert r.status_code == 500
    body = html_text(r)
    assert "Something went wrong" in body and "boom" not in body and "Traceback" not in body
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


# -- database unreachable ----------------------------------------------------------------------

@pytest.fixture(params=["mariadb-closed-port", "sqlite-unopenable"])
def down_app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    url = {"mariadb-closed-port": "mysql+pymysql://capx:nothing@127.0.0.1:9/capx?charset=utf8mb4",
           "sqlite-unopenable": f"sqlite:///{tmp_path}/no/such/dir/capx.sqlite"}[request.param]
    return build((url, f"sqlite:///{tmp_path}/lc.sqlite"), PROPAGATE_EXCEPTIONS=False)


def test_503_when_the_database_is_unreachable(down_app: Flask) -> None:
    client = down_app.test_client()
    r = client.get("/")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in html_text(r)
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_503_for_a_logged_in_visitor(down_app: Flask) -> None:
    client = down_app.test_client()
    with client.session_transaction() as sess:
        sess["user_id"] = 1
        sess["generation"] = 0
    r = client.get("/privacy_policy")
    assert r.status_code == 503 and r.headers["Retry-After"]


def _logged_in_client(app: Flask) -> Any:
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user_id"] = 1
        sess["generation"] = 0
    return client


@pytest.mark.parametrize("path", ["/static/css/capx.css", "/static/js/capx.js", "/static/img/capx-logo.svg"])
def test_static_files_answer_while_the_database_is_down(down_app: Flask, path: str) -> None:
    """The 503 page must arrive styled: its CSS, JS and logo never ask the database (issue 19)."""
    r = _logged_in_client(down_app).get(path)
    assert r.status_code == 200
    r.close()


def test_503_page_is_the_styled_error_page_for_a_logged_in_visitor(down_app: Flask) -> None:
    client = _logged_in_client(down_app)
    r = client.get("/home")
    assert r.status_code == 503
    body = html_text(r)
    assert "Temporarily unavailable" in body
    for asset in re.findall(r'(?:href|src)="(/static/[^"?]+)', body):
        loaded = client.get(asset)
        assert loaded.status_code == 200, asset
        loaded.close()
    assert '<link rel="stylesheet" href="/static/css/capx.css">' in body


def test_a_static_request_runs_no_query(app: Flask, client: Any, make_user: Any, login: Any) -> None:
    from tests.conftest import statements_run

    login(client, make_user("Ana Exemplo"))
    with statements_run(app) as statements:
        r = client.get("/static/css/capx.css")
        assert r.status_code == 200
        r.close()
    assert statements == []


def test_connection_lost_at_teardown_is_not_a_500(app: Flask, database_urls: tuple[str, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The server goes away after the page was made: closing the session must not turn it into a 500."""
    import sqlite3

    import sqlalchemy as sa

    from capx.extensions import db

    if not database_urls[0].startswith("sqlite"):
        pytest.skip("simulated with SQLite's driver error")
    other = build(database_urls, PROPAGATE_EXCEPTIONS=False)

    armed = {"on": False}

    @other.get("/test/read")
    def read() -> str:
        value = str(db.session.execute(sa.text("SELECT 1")).scalar())
        armed["on"] = True  # the server goes away once the page is made
        return value

    with other.app_context():
        dialect = db.engine.dialect
    real_rollback = dialect.do_rollback

    def lost(connection: object) -> None:
        if armed["on"]:
            armed["on"] = False
            raise sqlite3.OperationalError("disk I/O error")
        real_rollback(connection)

    monkeypatch.setattr(dialect, "do_rollback", lost)
    r = other.test_client().get("/test/read")
    assert r.status_code == 200 and r.get_data(as_text=True) == "1"
    monkeypatch.undo()
    assert other.test_client().get("/test/read").status_code == 200


def test_healthz_reports_the_database(client: Any, down_app: Flask) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok", "database": "ok"}
    r = down_app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json() == {"status": "error", "database": "unreachable"}


# -- layout ---------------------------------------------------------------------------------------

def test_layout_anonymous(client: Any) -> None:
    body = html_text(client.get("/"))
    assert 'class="skip-link" href="#content"' in body and 'id="content"' in body
    assert 'href="/login"' in body
    assert 'href="/privacy_policy"' in body and "translatewiki.net" in body
    assert "Log out" not in body


def test_layout_logged_in(client: Any, make_user: Any, login: Any) -> None:
    login(client, make_user("Ana <Exemplo>"))
    body = html_text(client.get("/home"))
    assert 'action="/logout"' in body and 'href="/home"' in body
    assert "Ana &lt;Exemplo&gt;" in body and "<bdi>" in body


def test_nav_never_points_to_missing_pages(app: Flask, client: Any, make_user: Any, login: Any) -> None:
    for logged_in in (False, True):
        if logged_in:
            login(client, make_user("Ana Exemplo"))
        body = html_text(client.get("/"))
        nav = re.search(r'<ul class="site-nav__list">(.*?)</ul>', body, re.S).group(1)
        for href in re.findall(r'href="([^"]+)"', nav):
            assert client.get(href.split("?")[0]).status_code in (200, 302), href


def test_privacy_policy_has_real_content(client: Any) -> None:
    body = html_text(client.get("/privacy_policy"))
    for words in ("What we store", "Where", "For how long", "Your rights", "Toolforge"):
        assert words in body


STAFF_PAGES = ("/organizations/staff", "/staff/people", "/capacity/suggestions", "/report_bug/triage")


@pytest.mark.parametrize("is_staff", [False, True])
def test_staff_reach_their_pages_from_the_personal_menu(client: Any, make_user: Any, login: Any,
                                                         is_staff: bool) -> None:
    """Staff pages link from nowhere else: the personal menu lists them for staff, and only for staff."""
    login(client, make_user("Ana Exemplo", is_staff=is_staff))
    body = html_text(client.get("/home"))
    menu = re.search(r'<ul class="header-menu__list">(.*?)</ul>', body, re.S).group(1)
    staff_links = [href for href in re.findall(r'href="([^"]+)"', menu) if href in STAFF_PAGES]
    assert staff_links == (list(STAFF_PAGES) if is_staff else [])
    assert ("Staff</li>" in menu) is is_staff
    for href in staff_links:
        assert client.get(href).status_code == 200, href


def test_untranslated_text_is_marked_with_its_language(client: Any, monkeypatch: Any) -> None:
    """A page whose Arabic translation is incomplete: its English paragraphs say so to screen readers
    and run left to right inside the right-to-left page; translated text carries no mark."""
    arabic = catalog().messages["ar"]
    untranslated = {key: text for key, text in arabic.items() if key.startswith("privacy-") and key != "privacy-delete-text"}
    for key in untranslated:
        monkeypatch.delitem(arabic, key)
    body = html_text(client.get("/privacy_policy?uselang=ar"))
    assert '<html lang="ar" dir="rtl"' in body
    assert '<p class="page-intro" lang="en" dir="ltr">' in body
    assert '<h2 id="privacy-login" lang="en" dir="ltr">' in body
    # Title, intro, 12 headings, 11 texts: "privacy-delete-text" is translated, so it is unmarked.
    assert body.count('lang="en" dir="ltr"') == 25 == len(untranslated)
    assert '<h2 id="privacy-delete" lang="en" dir="ltr">Deleting your profile</h2>\n    <p>حذف' in body
    english = html_text(client.get("/privacy_policy?uselang=en"))
    assert 'lang="en" dir="ltr">' not in english.split("<main", 1)[1]


def test_theme_choice(client: Any) -> None:
    r = client.post("/theme", data={"theme": "dark", "next": "/privacy_policy"})
    assert r.status_code == 302 and r.headers["Location"] == "/privacy_policy"
    assert 'class="theme-dark"' in html_text(client.get("/"))
    client.post("/theme", data={"theme": "<evil>", "next": "https://evil.example"})
    assert 'class="theme-dark"' in html_text(client.get("/"))
    client.set_cookie("capx_theme", "<evil>", domain="capx.test")
    assert 'class="theme-auto"' in html_text(client.get("/"))


def test_landing_figures(client: Any, make_user: Any) -> None:
    make_user("Ana Exemplo")
    body = html_text(client.get("/"))
    assert "1 Wikimedian" in body
    assert "capacities in the directory" in body


def test_request_body_limit(client: Any) -> None:
    r = client.post("/language", data={"uselang": "x" * (3 * 1024 * 1024)})
    assert r.status_code == 413
