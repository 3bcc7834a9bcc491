"""Open redirects and rate limits.

* Every form that takes ``next`` (language, theme, save/unsave, development login, the login page)
  sends hostile values to a same-site default; logout ignores ``next`` altogether.
* Routes that make remote calls for a visitor are bounded: the OAuth start (per address and per
  process), the messages availability check (per user, with a one-minute cache); the picker
  suggestions (/api/suggest) make no remote call at all.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from tests.orgs_helpers import make_org

META_API = "https://meta.wikimedia.org/w/api.php"

HOSTILE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "https:/\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "\t//evil.example",
    " //evil.example",
    "/\t/evil.example",
    "/\r\nSet-Cookie: stolen=1",
    "/\nLocation: https://evil.example",
    "evil.example",
]


def assert_same_site(response: Any, expected: str) -> None:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http", "https")
    assert parts.netloc in ("", "capx.test"), location
    path = location if not parts.netloc else location.split(parts.netloc, 1)[1]
    assert path == expected, location
    assert "\r" not in location and "\n" not in location
    assert not any("stolen" in value for value in response.headers.getlist("Set-Cookie"))


@pytest.fixture()
def user(make_user: Any) -> Any:
    return make_user("Redirect Tester")


def _forms(app: Any, make_user: Any) -> dict[str, tuple[str, dict[str, str], str]]:
    """(url, data, default target) of every POST form that honours ``next``."""
    other = make_user("Someone Else")
    org = make_org(app, "Saved Org", managers=(other,))
    return {
        "language": ("/language", {"uselang": "en"}, "/"),
        "theme": ("/theme", {"theme": "dark"}, "/"),
        "save-profile": (f"/saved/profile/{other.id}", {"action": "save"}, "/feed/saved"),
        "unsave-profile": (f"/saved/profile/{other.id}", {"action": "unsave"}, "/feed/saved"),
        "save-organization": (f"/saved/organization/{org}", {"action": "save"}, "/feed/saved"),
        "unsave-organization": (f"/saved/organization/{org}", {"action": "unsave"}, "/feed/saved"),
    }


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_forms_with_next_refuse_other_sites(app: Any, client: Any, login: Any, make_user: Any, user: Any,
                                            target: str) -> None:
    login(client, user)
    for name, (url, data, default) in _forms(app, make_user).items():
        response = client.post(url, data={**data, "next": target})
        assert response.status_code == 302, name
        assert_same_site(response, default)


def test_forms_with_next_keep_same_site_paths(app: Any, client: Any, login: Any, make_user: Any, user: Any) -> None:
    login(client, user)
    for name, (url, data, _default) in _forms(app, make_user).items():
        response = client.post(url, data={**data, "next": "/events?format=online"})
        assert_same_site(response, "/events?format=online"), name


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_language_and_theme_refuse_other_sites_when_anonymous(client: Any, target: str) -> None:
    assert_same_site(client.post("/language", data={"uselang": "pt-br", "next": target}), "/")
    assert_same_site(client.post("/theme", data={"theme": "dark", "next": target}), "/")


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_dev_login_and_login_page_refuse_other_sites(client: Any, login: Any, user: Any, target: str) -> None:
    response = client.post("/login/dev", data={"username": "Fresh Person", "next": target})
    assert_same_site(response, "/home")
    # The login page as an anonymous visitor: the hidden field holds the safe default.
    client.post("/logout")
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/home"' in page
    # (The language form's own ``next`` is this page's path, /login?next=..., which is same-site.)
    lowered = page.lower()
    for attr in ("href", "action", "value", "src"):
        for start in ("//", "/\\", "https://evil", "http:evil", "javascript:", "data:", "evil.example"):
            assert f'{attr}="{start}' not in lowered, (attr, start)
    # Already logged in: /login?next= redirects at once, to the default.
    login(client, user)
    assert_same_site(client.get("/login", query_string={"next": target}), "/home")


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/profile"])
def test_logout_ignores_next(client: Any, login: Any, user: Any, target: str) -> None:
    login(client, user)
    response = client.post("/logout", data={"next": target})
    assert_same_site(response, "/")
    response = client.post(f"/logout?next={target}")
    assert_same_site(response, "/")


# -- rate limits -------------------------------------------------------------------------------------

@pytest.mark.allow_network_errors
def test_oauth_start_is_rate_limited(app: Any, client: Any, mocked_http: responses.RequestsMock) -> None:
    """Each login start asks Meta-Wiki for a request token; a flood gets 429 without asking."""
    mocked_http.add(responses.POST, re.compile(r"https://meta\.wikimedia\.org/.*"), status=503, body="down")
    codes = [client.post("/login", data={"next": "/home"}).status_code for _ in range(25)]
    remote_calls = len(mocked_http.calls)
    assert codes[:10] == [502] * 10  # Meta-Wiki down: explained, and counted
    assert set(codes[10:]) == {429}
    assert remote_calls == 10
    response = client.post("/login", data={"next": "/home"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "Too many logins were started from here" in response.get_data(as_text=True)


@pytest.mark.allow_network_errors
def test_oauth_start_process_ceiling_holds_with_spoofed_addresses(app: Any, client: Any,
                                                                   mocked_http: responses.RequestsMock) -> None:
    """Even from ever-changing addresses, one process starts at most 120 logins a minute."""
    mocked_http.add(responses.POST, re.compile(r"https://meta\.wikimedia\.org/.*"), status=503, body="down")
    codes = [client.post("/login", data={"next": "/home"}, environ_base={"REMOTE_ADDR": f"10.0.{i // 250}.{i % 250}"}
                         ).status_code for i in range(140)]
    assert codes.count(502) == 120 and codes.count(429) == 20
    assert len(mocked_http.calls) == 120


def test_suggest_api_makes_no_remote_calls(client: Any, mocked_http: responses.RequestsMock) -> None:
    """/api/suggest answers from reference data in the database: hammering it reaches no service."""
    from capx.services import choices

    for kind in choices.KINDS:
        for query in ("a", "wiki", "<script>", "x" * 500, ""):
            response = client.get(f"/api/suggest/{kind}", query_string={"q": query})
            assert response.status_code == 200 and isinstance(response.get_json(), list)
            assert len(response.get_json()) <= 20
    assert client.get("/api/suggest/unknown-kind").status_code == 404
    assert len(mocked_http.calls) == 0


def _meta_api_callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Any list=users / globaluserinfo question: every name exists, can receive email, is not locked."""
    params = parse_qs(urlsplit(request.url).query)
    names = (params.get("ususers") or [""])[0].split("|")
    body = {"batchcomplete": "", "query": {
        "users": [{"userid": 1000 + i, "name": n, "emailable": True, "registration": "2020-01-01T00:00:00Z"}
                  for i, n in enumerate(names) if n],
        "globaluserinfo": {"home": "metawiki", "id": 1, "name": (params.get("guiuser") or ["x"])[0],
                           "registration": "2020-01-01T00:00:00Z"}}}
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture()
def messenger(app: Any, client: Any, login: Any, make_user: Any, mocked_http: responses.RequestsMock) -> Any:
    from capx.extensions import db
    from capx.models import User
    from capx.services.accounts import store_token

    user = make_user("Message Sender")
    with app.app_context():  # a sender logged in through Meta-Wiki holds an access token
        store_token(db.session.get(User, user.id), "meta", ("token-key", "token-secret"))
        db.session.commit()
    login(client, user)
    mocked_http.add_callback(responses.GET, META_API, callback=_meta_api_callback)
    return client


def test_availability_check_is_cached_per_user_and_name(messenger: Any, mocked_http: responses.RequestsMock) -> None:
    first = messenger.get("/message/availability?username=Ana_Exemplo").get_json()
    assert first["status"] == "available"
    calls = len(mocked_http.calls)
    assert calls >= 1
    for _ in range(50):
        assert messenger.get("/message/availability?username=ana Exemplo").get_json() == first
    assert len(mocked_http.calls) == calls


def test_availability_check_is_rate_limited_per_user(app: Any, client: Any, login: Any, make_user: Any,
                                                     messenger: Any, mocked_http: responses.RequestsMock) -> None:
    codes = [messenger.get(f"/message/availability?username=Person_{i}").status_code for i in range(45)]
    assert codes[:30] == [200] * 30 and set(codes[30:]) == {429}
    calls = len(mocked_http.calls)
    limited = messenger.get("/message/availability?username=Person_999")
    data = limited.get_json()
    assert limited.status_code == 429 and data["status"] == "check-failed" and data["methods"] == []
    assert "checked too many recipients" in data["label"]
    assert len(mocked_http.calls) == calls  # nothing asked once limited
    # The confirmation step shares the budget: it says so instead of asking Meta-Wiki.
    response = messenger.post("/message", data={"recipient": "Person 1000", "method": "talk", "subject": "Hi",
                                                 "text": "Hello"})
    assert response.status_code == 422
    assert "checked too many recipients" in response.get_data(as_text=True)
    assert len(mocked_http.calls) == calls
    # Another user has a budget of their own.
    other = make_user("Other Sender")
    login(client, other)
    assert client.get("/message/availability?username=Person_1").status_code == 200


@pytest.mark.allow_network_errors
def test_failed_availability_checks_are_not_cached(app: Any, client: Any, login: Any, make_user: Any,
                                                   mocked_http: responses.RequestsMock) -> None:
    login(client, make_user("Message Sender"))
    mocked_http.add(responses.GET, META_API, body=requests.ConnectionError("down"))
    assert client.get("/message/availability?username=Ana").get_json()["status"] == "check-failed"
    mocked_http.remove(responses.GET, META_API)
    mocked_http.add_callback(responses.GET, META_API, callback=_meta_api_callback)
    assert client.get("/message/availability?username=Ana").get_json()["status"] == "available"
