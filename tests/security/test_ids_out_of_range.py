"""Numeric ids in URLs: any number answers 404 when nothing has that id, never a server error.

The rules are read from the app's url_map, so a route added later with an ``<int:...>`` variable is
covered without being listed here. Each is requested with every method it accepts (POSTs carry a
valid CSRF token, so the request reaches the view), logged in as staff, who may open every page.
A number beyond what the database can hold (SQLite and MariaDB store signed 64-bit integers) used to
reach the query and fail there (``OverflowError`` on SQLite).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
import responses
from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

#: Beyond signed 64 bits (the first one just beyond), and numbers that fit but name no row: the
#: largest signed 64-bit value, and one beyond MariaDB's 32-bit INT columns.
OUT_OF_RANGE = (str(2**63), str(2**64), "99999999999999999999", "9" * 5000)
MISSING = (str(2**63 - 1), str(2**31))
#: Values for the other variables of a rule (e.g. the role in /mentorship/<id>/apply/<role>).
OTHER_VALUES = {"role": "mentee"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def int_rules(app: Flask) -> list[Rule]:
    """Every rule with at least one integer variable."""
    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())]  # noqa: SLF001


def url_with(rule: Rule, number: str) -> str:
    """The rule's path with ``number`` for every integer variable (built by hand: url_for refuses
    such numbers now, which is the point)."""
    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "default", match.group(2)
        return number if converter.startswith("int") else OTHER_VALUES.get(name, "Test_user")

    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


@pytest.fixture()
def remote_down(mocked_http: responses.RequestsMock) -> Iterator[None]:
    """A route that asked a remote service would get 503 (none should be reached with a missing id)."""
    for method in (responses.GET, responses.POST):
        mocked_http.add(method, re.compile(r"https?://.*"), status=503, body="unavailable")
    yield


def test_the_app_has_integer_routes(app: Flask) -> None:
    # The enumeration below must have something to enumerate (the issue listed at least these).
    rules = {rule.rule for rule in int_rules(app)}
    for expected in ("/events/<int:event_id>", "/events/<int:event_id>.ics",
                     "/organization_profile/<int:organization_id>", "/report_bug/<int:report_id>",
                     "/mentorship/manage/<int:program_id>/key",
                     "/capacity/suggestions/<int:suggestion_id>/approve"):
        assert expected in rules


def test_url_with_fills_every_variable(app: Flask) -> None:
    rule = next(r for r in int_rules(app) if r.rule == "/mentorship/<int:program_id>/apply/<role>")
    assert url_with(rule, "18446744073709551616") == "/mentorship/18446744073709551616/apply/mentee"


@pytest.mark.parametrize("numbers", [OUT_OF_RANGE, MISSING], ids=["beyond-64-bits", "missing"])
def test_every_integer_route_answers_404(app: Flask, client: Any, make_user: Any, login: Any,
                                         remote_down: None, numbers: tuple[str, ...]) -> None:
    login(client, make_user("Staff member", is_staff=True))
    problems = []
    for rule in int_rules(app):
        methods = sorted(rule.methods or ())
        if numbers is MISSING:
            # OPTIONS is answered by Flask for any matching URL; only the views look the id up.
            methods = [m for m in methods if m != "OPTIONS"]
        for number in numbers:
            url = url_with(rule, number)
            for method in methods:
                # A complete-looking form (the save buttons' action), so the id is what decides.
                data = ({"csrf_token": client.csrf_token(), "action": "save"} if method in STATE_CHANGING
                        else None)
                try:
                    status = client.open(url, method=method, data=data).status_code
                except Exception as exc:  # noqa: BLE001 - tests propagate a view's error: report them all
                    status = f"{type(exc).__name__}: {exc}"[:120]
                if status != 404:
                    problems.append(f"{method} {url[:90]}: {status}")
    assert not problems, "\n".join(problems)


#: Ids that routes read from the query string or the form rather than the path: any number is
#: "nothing chosen" or "not found", never a server error. (Path variables are covered above for
#: every route; these are the ones that reach a query.)
ID_PARAMETERS = [
    ("GET", "/events?capacity={n}", None),
    ("GET", "/events?territory={n}", None),
    ("GET", "/events?organization={n}", None),
    ("GET", "/events.ics?capacity={n}&organization={n}", None),
    ("GET", "/feed?capacity={n}&organization={n}&territory={n}", None),
    ("GET", "/organization_list?capacity={n}&territory={n}", None),
    ("GET", "/data_analytics_dashboard?tab=languages&language={n}", None),
    ("GET", "/data_analytics_dashboard?tab=capacities&capacity={n}", None),
    ("POST", "/capacity/themes/edit", {"category": "{n}"}),
    ("POST", "/translation?lang=pt-br", {"capacity_id": "{n}", "name": "Nome", "description": "", "lang": "pt-br"}),
]


@pytest.mark.parametrize("method, url, form", ID_PARAMETERS)
def test_ids_in_query_strings_and_forms_never_fail(app: Flask, client: Any, make_user: Any, login: Any,
                                                    remote_down: None, method: str, url: str,
                                                    form: dict[str, str] | None) -> None:
    login(client, make_user("Staff member", is_staff=True))
    for number in (*OUT_OF_RANGE, *MISSING):
        data = {key: value.format(n=number) for key, value in (form or {}).items()}
        if method == "POST":
            data["csrf_token"] = client.csrf_token()
        response = client.open(url.format(n=number), method=method, data=data or None)
        assert response.status_code < 500, f"{method} {url.format(n=number[:30])}: {response.status_code}"


@pytest.mark.parametrize("value, expected", [
    ("12", 12), (" 12 ", 12), (12, 12), (str(2**63 - 1), 2**63 - 1),
    (str(2**63), None), ("9" * 5000, None), ("0", None), ("-1", None), ("1e3", None), ("", None), (None, None),
    ("١٢", None), ("１２", None),  # digits Python's int() would take, which no link writes
])
def test_parse_id(value: Any, expected: int | None) -> None:
    from capx.support.values import parse_id

    assert parse_id(value) == expected
