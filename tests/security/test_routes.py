"""Checks over every route the app has, so routes added later are covered without being listed.

* every state-changing route (POST, PUT, PATCH, DELETE) rejects a request without a valid CSRF
  token, for anonymous and logged-in visitors alike;
* a GET never changes what is stored;
* every response carries the security headers.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
import responses
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

from capx.extensions import db

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: Values for URL variables: existing rows are looked up by the fixture; these are fallbacks.
DEFAULTS = {"int": 1, "string": "Test_user", "default": "Test_user", "path": "x"}


def rule_url(rule: Rule, values: dict[str, Any]) -> str:
    """The rule's URL with its variables filled in."""
    args = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__.lower().replace("converter", "")  # noqa: SLF001
        args[name] = values.get(name, DEFAULTS.get(converter, 1))
    return rule.build(args, append_unknown=False)[1]


def app_rules(app: Flask, methods: set[str]) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static" and methods & (r.methods or set())]


@pytest.fixture()
def remote_down(mocked_http: responses.RequestsMock) -> Iterator[None]:
    """Any remote call made by a route answers 503, so no test here depends on the network."""
    pattern = re.compile(r"https?://.*")
    for method in (responses.GET, responses.POST):
        mocked_http.add(method, pattern, status=503, body="unavailable")
    yield


#: The system's own bookkeeping, not stored data: shared rate-limit counts (a limited GET counts a
#: hit) and job outages (a failing job records when its outage started).
BOOKKEEPING_TABLES = {"rate_counter", "job_outage"}


def fingerprint(app: Flask) -> dict[str, Any]:
    """Row counts of every table and a digest of every row's content (main database and binds),
    the bookkeeping tables aside."""
    state: dict[str, Any] = {}
    with app.app_context():
        for bind_key, engine in db.engines.items():
            with engine.connect() as conn:
                for table in db.metadatas[bind_key].sorted_tables:
                    if table.name in BOOKKEEPING_TABLES:
                        continue
                    rows = conn.execute(sa.select(table)).all()
                    state[f"{bind_key}:{table.name}"] = sorted(repr(tuple(row)) for row in rows)
    return state


@pytest.mark.parametrize("logged_in", [False, True])
def test_state_changing_routes_reject_missing_csrf_token(app: Flask, client: Any, make_user: Any, login: Any,
                                                        remote_down: None, logged_in: bool) -> None:
    user = make_user("Test user")
    if logged_in:
        login(client, user)
    rules = app_rules(app, STATE_CHANGING)
    assert rules, "the app has state-changing routes"
    before = fingerprint(app)
    for rule in rules:
        url = rule_url(rule, {"user_id": user.id, "username": "Test_user"})
        for method in sorted(STATE_CHANGING & (rule.methods or set())):
            response = client.open(url, method=method, data={"anything": "1"})
            assert response.status_code == 400, f"{method} {rule.rule} accepted a request without CSRF token"
    assert fingerprint(app) == before


def test_get_routes_do_not_change_state(app: Flask, client: Any, make_user: Any, login: Any,
                                        remote_down: None) -> None:
    user = make_user("Test user")
    make_user("Other user")
    login(client, user)
    client.get("/home")  # a first visit may set cookies; it must not write either
    before = fingerprint(app)
    for rule in app_rules(app, {"GET"}):
        url = rule_url(rule, {"user_id": user.id, "username": "Other_user"})
        response = client.get(url)
        assert response.status_code < 500, f"GET {rule.rule} failed with {response.status_code}"
        assert fingerprint(app) == before, f"GET {rule.rule} changed stored data"


def test_every_response_has_security_headers(app: Flask, client: Any, make_user: Any, login: Any,
                                             remote_down: None) -> None:
    user = make_user("Test user")
    login(client, user)
    for rule in app_rules(app, {"GET"}):
        response = client.get(rule_url(rule, {"user_id": user.id, "username": "Test_user"}))
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, rule.rule
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, rule.rule
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (rule.rule, directive)
        assert headers.get("X-Content-Type-Options") == "nosniff", rule.rule
        assert headers.get("Referrer-Policy"), rule.rule
