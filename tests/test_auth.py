"""Logging in with Meta-Wiki OAuth (a full mocked handshake), the development login, logging out."""

from __future__ import annotations

import re
import time
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
import sqlalchemy as sa
from flask import Flask

from capx import create_app
from capx.access import safe_next
from capx.extensions import db
from capx.models import OAuthToken, Profile, User
from tests.conftest import html_text
from tests.conftest import test_config as config_for_tests

INDEX = "https://meta.wikimedia.org/w/index.php"
CONSUMER_KEY = "0f4e6a1b2c3d4e5f60718293a4b5c6d7"
CONSUMER_SECRET = "test-consumer-secret-0123456789abcdef"
REQUEST_TOKEN = "b1e2c3d4a5f60718293a4b5c6d7e8f90"
REQUEST_SECRET = "5c4b3a29180f7e6d5c4b3a2918070f6e"
VERIFIER = "e3b0c44298fc1c149afbf4c8996fb924"
ACCESS_KEY = "4d3c2b1a0f9e8d7c6b5a49382716a5b4"
ACCESS_SECRET = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"
CENTRAL_ID = 12345678

UNSAFE_NEXT = ["//evil.example/", "/\\evil.example", "https://evil.example/", "http://evil.example",
               "javascript:alert(1)", "/home\r\nSet-Cookie: x=1", "/home\nLocation: //evil", "evil",
               "\\\\evil.example", "/\tevil", ""]


def _title(title: str) -> list[Any]:
    return [responses.matchers.query_param_matcher({"title": title})]


def _body(sample: str) -> str:
    from tests.conftest import recorded

    return recorded("meta-oauth-identify-jwt-payload", sample)["response"]["body"]


def add_initiate(rsps: responses.RequestsMock) -> None:
    rsps.add("POST", INDEX, match=_title("Special:OAuth/initiate"), body=_body("initiate-success"),
             content_type="text/plain")


def add_token(rsps: responses.RequestsMock) -> None:
    rsps.add("POST", INDEX, match=_title("Special:OAuth/token"), body=_body("token-success"),
             content_type="text/plain")


def claims(nonce: str, **overrides: Any) -> dict[str, Any]:
    """The JWT claims of Special:OAuth/identify (UserStatementProvider), issued now."""
    now = int(time.time())
    data = {"iss": "https://meta.wikimedia.org", "aud": CONSUMER_KEY, "exp": now + 100, "iat": now,
            "sub": str(CENTRAL_ID), "username": "Ana Exemplo", "editcount": 1532, "confirmed_email": True,
            "email_verified": True, "blocked": False, "registered": "20150312143055",
            "groups": ["*", "user", "autoconfirmed"], "rights": ["read", "edit", "sendemail"],
            "grants": ["basic", "editpage", "sendemail"], "nonce": nonce}
    data.update(overrides)
    return data


def add_identify(rsps: responses.RequestsMock, secret: str = CONSUMER_SECRET, nonce: str | None = None,
                 **overrides: Any) -> None:
    """Answer identify with a JWT signed like Meta-Wiki does, echoing the request's oauth_nonce."""

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        header = request.headers["Authorization"]
        header = header.decode() if isinstance(header, bytes) else header
        request_nonce = re.search(r'oauth_nonce="(.*?)"', header).group(1)  # type: ignore[union-attr]
        token = jwt.encode(claims(nonce or request_nonce, **overrides), secret, algorithm="HS256")
        return 200, {}, token

    rsps.add_callback("POST", INDEX, callback=callback, match=_title("Special:OAuth/identify"),
                      content_type="application/json")


def start(client: Any, next_url: str = "/privacy_policy") -> Any:
    return client.post("/login", data={"next": next_url})


def callback(client: Any, token: str = REQUEST_TOKEN) -> Any:
    return client.get(f"/oauth/callback?oauth_verifier={VERIFIER}&oauth_token={token}")


def full_login(client: Any, rsps: responses.RequestsMock, next_url: str = "/privacy_policy", **identity: Any) -> Any:
    add_initiate(rsps)
    add_token(rsps)
    add_identify(rsps, **identity)
    r = start(client, next_url)
    assert r.status_code == 302, html_text(r)
    return callback(client)


def ua(request: Any) -> str:
    value = request.headers["User-Agent"]
    return value.decode() if isinstance(value, bytes) else value


def session_data(app: Flask, client: Any) -> dict[str, Any]:
    cookie = client.get_cookie("capx_session", domain="capx.test")
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))  # type: ignore[attr-defined]


def users(app: Flask) -> list[User]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(User).order_by(User.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


# -- the handshake ------------------------------------------------------------------------------

def test_full_oauth_handshake(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    add_initiate(mocked_http)
    add_token(mocked_http)
    add_identify(mocked_http)

    # Leg 1: a POST (with CSRF) asks Meta-Wiki for a request token and redirects there.
    r = start(client, "/privacy_policy?x=1")
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == INDEX
    query = parse_qs(location.query)
    assert query == {"title": ["Special:OAuth/authenticate"], "oauth_token": [REQUEST_TOKEN],
                     "oauth_consumer_key": [CONSUMER_KEY]}
    initiate = mocked_http.calls[0].request
    auth_header = initiate.headers["Authorization"]
    auth_header = auth_header.decode() if isinstance(auth_header, bytes) else auth_header
    assert 'oauth_callback="http%3A%2F%2Fcapx.test%2Foauth%2Fcallback"' in auth_header
    assert ua(initiate) == app.config["CAPX_USER_AGENT"]
    assert initiate.req_kwargs["timeout"] == app.config["CAPX_HTTP_TIMEOUT"]
    # The request token secret is in the cookie only encrypted.
    assert REQUEST_SECRET not in str(session_data(app, client))
    assert users(app) == []

    # Leg 3: Meta-Wiki sends the browser back; token exchange, identify, user created, logged in.
    r = callback(client)
    assert r.status_code == 302, html_text(r)
    assert r.headers["Location"] == "/privacy_policy?x=1"
    assert [c.request.url.split("title=")[1] for c in mocked_http.calls] == [
        "Special%3AOAuth%2Finitiate", "Special%3AOAuth%2Ftoken", "Special%3AOAuth%2Fidentify"]
    for call in mocked_http.calls:
        assert ua(call.request) == app.config["CAPX_USER_AGENT"]
        assert call.request.req_kwargs["timeout"]

    [user] = users(app)
    assert (user.central_id, user.username) == (CENTRAL_ID, "Ana Exemplo")
    assert user.registered_at is not None and user.registered_at.year == 2015
    assert user.last_login_at is not None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile).where(Profile.user_id == user.id)) == 1
        row = db.session.get(OAuthToken, (user.id, "meta"))
        assert row is not None
        stored = bytes(row.token_encrypted)
        assert ACCESS_KEY.encode() not in stored and ACCESS_SECRET.encode() not in stored
        from capx.services.accounts import load_token

        assert load_token(user.id, "meta") == (ACCESS_KEY, ACCESS_SECRET)

    # The cookie holds the user id and session generation, never a token.
    cookie = client.get_cookie("capx_session", domain="capx.test")
    data = session_data(app, client)
    assert data["user_id"] == user.id
    assert "oauth_request" not in data
    for secret in (ACCESS_KEY, ACCESS_SECRET, REQUEST_SECRET):
        assert secret not in cookie.value and secret not in str(data)
    assert cookie.http_only and cookie.same_site == "Lax"

    # Logged in: the home page greets the user.
    assert "Ana Exemplo" in html_text(client.get("/home"))


def test_second_login_updates_without_duplicates(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    full_login(client, mocked_http)
    client.post("/logout")
    r = start(client)
    assert r.status_code == 302
    assert callback(client).status_code == 302
    assert len(users(app)) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OAuthToken)) == 1


def test_callback_without_a_started_login(client: Any, mocked_http: responses.RequestsMock) -> None:
    r = callback(client)
    assert r.status_code == 400
    assert "took too long" in html_text(r)
    assert len(mocked_http.calls) == 0


def test_callback_cannot_be_replayed(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    assert full_login(client, mocked_http).status_code == 302
    assert callback(client).status_code in (302, 400)  # logged in already: the pending login was used up
    assert len([c for c in mocked_http.calls if "token" in c.request.url]) == 1


def test_callback_with_another_request_token(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    add_initiate(mocked_http)
    start(client)
    r = callback(client, token="ffffffffffffffffffffffffffffffff")
    assert r.status_code == 502
    assert users(app) == []


@pytest.mark.parametrize("case", ["replayed-nonce", "expired", "wrong-secret", "wrong-audience", "wrong-issuer",
                                  "issued-in-the-future"])
def test_identify_jwt_is_verified(app: Flask, client: Any, mocked_http: responses.RequestsMock, case: str) -> None:
    now = int(time.time())
    kwargs: dict[str, Any] = {
        "replayed-nonce": {"nonce": "142637452366187395131750000000"},
        "expired": {"iat": now - 400, "exp": now - 300},
        "wrong-secret": {"secret": "someone-elses-consumer-secret-0123456789"},
        "wrong-audience": {"aud": "another-consumer"},
        "wrong-issuer": {"iss": "https://evil.example"},
        "issued-in-the-future": {"iat": now + 600, "exp": now + 700},
    }[case]
    r = full_login(client, mocked_http, **kwargs)
    assert r.status_code == 502
    assert "did not confirm your login" in html_text(r)
    assert users(app) == []
    assert "user_id" not in session_data(app, client)


def test_initiate_error(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    mocked_http.add("POST", INDEX, match=_title("Special:OAuth/initiate"),
                    body=_body("initiate-error-invalid-consumer"), content_type="text/plain")
    r = start(client)
    assert r.status_code == 502
    assert "cannot be reached" in html_text(r)


def test_initiate_timeout(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    import requests

    mocked_http.add("POST", INDEX, body=requests.ConnectTimeout("timed out"))
    assert start(client).status_code == 502


def test_token_exchange_error(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    add_initiate(mocked_http)
    mocked_http.add("POST", INDEX, match=_title("Special:OAuth/token"), body=_body("token-error-bad-verifier"),
                    content_type="text/plain")
    start(client)
    assert callback(client).status_code == 502
    assert users(app) == []


def test_start_login_needs_csrf_and_post(client: Any, mocked_http: responses.RequestsMock) -> None:
    assert client.post("/login", data={"next": "/"}, csrf=False).status_code == 400
    assert len(mocked_http.calls) == 0


def test_start_login_without_consumer(app: Flask, database_urls: tuple[str, str],
                                      mocked_http: responses.RequestsMock) -> None:
    from tests.conftest import CapxClient

    other = create_app(config_for_tests(*database_urls, CAPX_OAUTH_CONSUMER_KEY="", CAPX_OAUTH_CONSUMER_SECRET="",
                                   CAPX_DEV_LOGIN=False))
    other.test_client_class = CapxClient
    client = other.test_client()
    assert "not configured" in html_text(client.get("/login"))
    assert client.post("/login", data={}).status_code == 400
    assert len(mocked_http.calls) == 0


# -- refusals, renames ---------------------------------------------------------------------------

def test_blocked_user_is_refused(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    add_initiate(mocked_http)
    add_token(mocked_http)
    mocked_http.add("POST", INDEX, match=_title("Special:OAuth/identify"),
                    json=_body("identify-error-blocked-user"))
    start(client)
    r = callback(client)
    assert r.status_code == 403
    assert "blocked from logging in" in html_text(r)
    assert users(app) == []
    assert "user_id" not in session_data(app, client)


def test_blocked_claim_is_refused(app: Flask, client: Any, mocked_http: responses.RequestsMock) -> None:
    r = full_login(client, mocked_http, blocked=True)
    assert r.status_code == 403
    assert users(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OAuthToken)) == 0


def test_locked_user_is_refused(app: Flask, client: Any, make_user: Callable[..., User],
                                mocked_http: responses.RequestsMock) -> None:
    make_user("Ana Exemplo", central_id=CENTRAL_ID, is_locked=True)
    r = full_login(client, mocked_http)
    assert r.status_code == 403
    assert "is locked" in html_text(r)
    assert "user_id" not in session_data(app, client)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OAuthToken)) == 0


def test_refusal_is_translated(app: Flask, client: Any, make_user: Callable[..., User],
                               mocked_http: responses.RequestsMock) -> None:
    from capx.translations import message

    make_user("Ana Exemplo", central_id=CENTRAL_ID, is_locked=True)
    client.set_cookie("capx_lang", "pt-br", domain="capx.test")
    r = full_login(client, mocked_http)
    assert str(message("login-refused-locked", (), "pt-br")) in html_text(r)


def test_rename_keeps_the_account(app: Flask, client: Any, make_user: Callable[..., User],
                                  mocked_http: responses.RequestsMock) -> None:
    old = make_user("Old Example Name", central_id=CENTRAL_ID)
    assert full_login(client, mocked_http).status_code == 302
    [user] = users(app)
    assert user.id == old.id and user.username == "Ana Exemplo"


def test_rename_onto_a_name_another_stored_account_had(app: Flask, client: Any, make_user: Callable[..., User],
                                                        mocked_http: responses.RequestsMock) -> None:
    previous = make_user("Ana Exemplo", central_id=777)  # renamed away on Meta-Wiki, not yet synced
    assert full_login(client, mocked_http).status_code == 302
    by_id = {u.central_id: u for u in users(app)}
    assert by_id[CENTRAL_ID].username == "Ana Exemplo"
    assert by_id[777].id == previous.id and by_id[777].username != "Ana Exemplo"


# -- next ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("target, expected", [
    ("/feed?x=1", "/feed?x=1"), ("/", "/"), (None, "/home"),
    *[(value, "/home") for value in UNSAFE_NEXT],
])
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_is_ignored_by_dev_login(client: Any, target: str) -> None:
    r = client.post("/login/dev", data={"username": "Ana Exemplo", "next": target})
    assert r.status_code == 302
    assert r.headers["Location"] == "/home"


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_is_ignored_by_the_login_page(client: Any, target: str) -> None:
    body = html_text(client.get("/login", query_string={"next": target}))
    assert re.findall(r'name="next" type="hidden" value="([^"]*)"', body) == ["/home", "/home"]


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "javascript:alert(1)"])
def test_unsafe_next_is_ignored_by_oauth(client: Any, mocked_http: responses.RequestsMock, target: str) -> None:
    r = full_login(client, mocked_http, next_url=target)
    assert r.headers["Location"] == "/home"


def test_login_required_comes_back(client: Any) -> None:
    r = client.get("/home?tab=1")
    assert r.status_code == 302
    assert r.headers["Location"] == "/login?next=/home?tab%3D1"
    r = client.post("/login/dev", data={"username": "Ana", "next": "/home?tab=1"})
    assert r.headers["Location"] == "/home?tab=1"


def test_menu_login_link_comes_back_to_the_page(client: Any) -> None:
    """The header's Log in link carries the page's path, without the empty query's "?" (found by
    the browser walk: /privacy_policy became /login?next=/privacy_policy?)."""
    body = html_text(client.get("/privacy_policy"))
    assert 'href="/login?next=/privacy_policy"' in body
    assert 'href="/login?next=/events?from%3D2031-01-01"' in html_text(client.get("/events?from=2031-01-01"))


# -- GET /login ---------------------------------------------------------------------------------

def test_get_login_changes_nothing(app: Flask, client: Any, make_user: Callable[..., User], login: Any,
                                   mocked_http: responses.RequestsMock) -> None:
    r = client.get("/login?next=/privacy_policy")
    assert r.status_code == 200
    assert len(mocked_http.calls) == 0
    assert users(app) == []
    assert "user_id" not in session_data(app, client)
    # A logged-in user is sent on, still logged in (no logout by GET).
    user = make_user("Ana Exemplo")
    login(client, user)
    r = client.get("/login?next=/privacy_policy")
    assert r.status_code == 302 and r.headers["Location"] == "/privacy_policy"
    assert client.get("/home").status_code == 200
    assert client.get("/logout").status_code == 405
    assert client.get("/home").status_code == 200


# -- logout ----------------------------------------------------------------------------------------

def test_logout_ends_every_session(app: Flask, client: Any, login: Any) -> None:
    r = client.post("/login/dev", data={"username": "Ana Exemplo"})
    assert r.status_code == 302
    [user] = users(app)
    other_device = app.test_client()
    login(other_device, user)
    assert other_device.get("/home").status_code == 200
    stolen = client.get_cookie("capx_session", domain="capx.test").value

    r = client.post("/logout")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/home").status_code == 302
    # The other device's session is void too, and so is a copy of the old cookie.
    assert other_device.get("/home").status_code == 302
    replay = app.test_client()
    replay.set_cookie("capx_session", stolen, domain="capx.test")
    assert replay.get("/home").status_code == 302
    # Logging in again works.
    client.post("/login/dev", data={"username": "Ana Exemplo"})
    assert client.get("/home").status_code == 200


def test_logout_needs_csrf(client: Any) -> None:
    client.post("/login/dev", data={"username": "Ana Exemplo"})
    r = client.post("/logout", csrf=False)
    assert r.status_code == 400
    assert client.get("/home").status_code == 200


def test_locked_user_loses_sessions(app: Flask, client: Any, make_user: Callable[..., User], login: Any) -> None:
    user = make_user("Ana Exemplo")
    login(client, user)
    assert client.get("/home").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).is_locked = True
        db.session.commit()
    assert client.get("/home").status_code == 302


# -- development login ---------------------------------------------------------------------------

def test_dev_login_creates_a_user(app: Flask, client: Any) -> None:
    body = html_text(client.get("/login"))
    assert "Development login" in body
    assert "Development mode" in html_text(client.get("/"))  # banner on every page
    r = client.post("/login/dev", data={"username": "ana_exemplo"})
    assert r.status_code == 302
    [user] = users(app)
    assert user.username == "Ana exemplo" and user.central_id < 0
    client.post("/logout")
    client.post("/login/dev", data={"username": "Ana exemplo"})
    assert len(users(app)) == 1


@pytest.mark.parametrize("name", ["", "Bad#Name", "a" * 90, "<script>"])
def test_dev_login_validates(app: Flask, client: Any, name: str) -> None:
    r = client.post("/login/dev", data={"username": name})
    assert r.status_code == 400
    assert users(app) == []
    assert "<script>" not in html_text(r).split("</header>")[1]


def test_dev_login_refuses_locked(client: Any, make_user: Callable[..., User]) -> None:
    make_user("Locked Example", is_locked=True)
    assert client.post("/login/dev", data={"username": "Locked Example"}).status_code == 403


@pytest.mark.parametrize("overrides", [{"CAPX_DEV_LOGIN": False},
                                       {"CAPX_DEV_LOGIN": True, "CAPX_ENV": "production"}])
def test_dev_login_off(app: Flask, database_urls: tuple[str, str], overrides: dict[str, Any]) -> None:
    from tests.conftest import CapxClient

    other = create_app(config_for_tests(*database_urls, **overrides))
    other.test_client_class = CapxClient
    client = other.test_client()
    body = html_text(client.get("/login"))
    assert "Development login" not in body and 'action="/login/dev"' not in body
    assert client.post("/login/dev", data={"username": "Ana"}).status_code == 404
    assert users(app) == []
