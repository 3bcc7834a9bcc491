"""`flask capx sync-accounts`: global renames and locks from Meta-Wiki, idempotent."""

from __future__ import annotations

from typing import Any, Callable

import requests
import responses
import sqlalchemy as sa
from flask import Flask

from capx.extensions import db
from capx.models import User
from tests.conftest import add_recorded, recorded

API = "https://meta.wikimedia.org/w/api.php"


def add_missing_by_id(rsps: responses.RequestsMock, central_id: int) -> None:
    """meta=globaluserinfo answers {"missing": true} (a hidden account looks like this)."""
    body = recorded("meta-globaluserinfo", "missing-name")["response"]["body"]
    rsps.add("GET", API, json=body, match=[responses.matchers.query_param_matcher(
        {"meta": "globaluserinfo", "guiid": str(central_id)}, strict_match=False)])


def state(app: Flask) -> dict[int, tuple[str, bool, int]]:
    with app.app_context():
        return {u.central_id: (u.username, u.is_locked, u.session_generation)
                for u in db.session.scalars(sa.select(User))}


def run(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["capx", "sync-accounts"])


def test_sync_renames_locks_and_is_idempotent(app: Flask, make_user: Callable[..., User],
                                               mocked_http: responses.RequestsMock) -> None:
    make_user("Ana Exemplo", central_id=12345678)
    make_user("Locked Example", central_id=13579246)
    make_user("Old Example Name", central_id=24681357)
    make_user("Hidden Example", central_id=31415926)
    make_user("Unknown Example", central_id=999999999)
    make_user("Dev User", central_id=-5)  # development accounts are never asked about
    for name in ("normal", "locked", "renamed-by-id", "error-unknown-id"):
        add_recorded(mocked_http, "meta-globaluserinfo", name)
    add_missing_by_id(mocked_http, 31415926)

    result = run(app)
    assert result.exit_code == 0, result.output
    assert "5 checked, 1 renamed, 3 locked, 0 unlocked, 0 failed" in result.output
    after = state(app)
    assert after[12345678] == ("Ana Exemplo", False, 0)
    assert after[13579246][:2] == ("Locked Example", True)
    assert after[13579246][2] == 1  # a lock ends the sessions
    assert after[24681357] == ("New Example Name", False, 0)
    assert after[31415926][1] is True
    assert after[999999999][1] is True
    assert after[-5] == ("Dev User", False, 0)
    asked = {c.request.params.get("guiid") for c in mocked_http.calls}
    assert asked == {"12345678", "13579246", "24681357", "31415926", "999999999"}
    for call in mocked_http.calls:
        assert call.request.params["formatversion"] == "2"
        assert call.request.req_kwargs["timeout"]
        assert call.request.headers["User-Agent"].startswith("CapX/")

    # Second run: nothing changes.
    result = run(app)
    assert result.exit_code == 0
    assert "5 checked, 0 renamed, 0 locked, 0 unlocked, 0 failed" in result.output
    assert state(app) == after


def test_sync_unlocks(app: Flask, make_user: Callable[..., User], mocked_http: responses.RequestsMock) -> None:
    make_user("Ana Exemplo", central_id=12345678, is_locked=True)
    add_recorded(mocked_http, "meta-globaluserinfo", "normal")
    result = run(app)
    assert "1 unlocked" in result.output
    assert state(app)[12345678][1] is False


def test_sync_rename_onto_a_stored_name(app: Flask, make_user: Callable[..., User],
                                        mocked_http: responses.RequestsMock) -> None:
    """Two stored accounts swap names on Meta-Wiki: the unique key holds at every step."""
    make_user("New Example Name", central_id=12345678)  # now called Ana Exemplo on Meta-Wiki
    make_user("Old Example Name", central_id=24681357)  # now called New Example Name
    add_recorded(mocked_http, "meta-globaluserinfo", "normal")
    add_recorded(mocked_http, "meta-globaluserinfo", "renamed-by-id")
    assert run(app).exit_code == 0
    after = state(app)
    assert after[12345678][0] == "Ana Exemplo"
    assert after[24681357][0] == "New Example Name"


def test_sync_failure_leaves_the_account_and_fails_the_job(app: Flask, make_user: Callable[..., User],
                                                           mocked_http: responses.RequestsMock) -> None:
    make_user("Old Example Name", central_id=24681357)
    make_user("Ana Exemplo", central_id=12345678)
    mocked_http.add("GET", API, body=requests.ConnectionError("down"), match=[
        responses.matchers.query_param_matcher({"guiid": "24681357"}, strict_match=False)])
    add_recorded(mocked_http, "meta-globaluserinfo", "normal")
    result = run(app)
    assert result.exit_code == 1
    assert "1 failed" in result.output
    assert state(app)[24681357] == ("Old Example Name", False, 0)


def test_sync_http_error_and_maxlag(app: Flask, make_user: Callable[..., User],
                                    mocked_http: responses.RequestsMock) -> None:
    make_user("Ana Exemplo", central_id=12345678)
    mocked_http.add("GET", API, status=503, body="Service Unavailable")
    result = run(app)
    assert result.exit_code == 1
    assert "failed (http-503)" in result.output


def test_locked_users_disappear_from_login(app: Flask, client: Any, make_user: Callable[..., User], login: Any,
                                           mocked_http: responses.RequestsMock) -> None:
    user = make_user("Locked Example", central_id=13579246)
    login(client, user)
    assert client.get("/home").status_code == 200
    add_recorded(mocked_http, "meta-globaluserinfo", "locked")
    run(app)
    assert client.get("/home").status_code == 302
