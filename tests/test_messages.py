"""Messages through Meta-Wiki: availability check, confirmation step, sending by email and talk
page with recorded API answers (success and every error), the sent log, rate limits, and the
promise that nothing of a message's subject or text is stored."""

from __future__ import annotations

import copy
import datetime as dt
from urllib.parse import parse_qs

import pytest
import requests
import responses
import sqlalchemy as sa

from capx.extensions import db
from capx.models import MessageLog, utcnow
from tests.conftest import add_recorded, html_text, recorded

API = "https://meta.wikimedia.org/w/api.php"
SENDER = "Bruno Exemplo"
RECIPIENT = "Ana Exemplo"


def _user_row(name: str) -> dict:
    """A user row of the recorded list=users answers (by name)."""
    for sample in ("users-mixed", "users-blocked"):
        for row in recorded("meta-list-users-emailable", sample)["response"]["body"]["query"]["users"]:
            if row.get("name") == name:
                return copy.deepcopy(row)
    raise KeyError(name)


def add_users(rsps: responses.RequestsMock, *, recipient: str = RECIPIENT, recipient_row: dict | None = None,
              sender_emailable: bool = True, sender_blocked: bool = False, partial: bool = False) -> None:
    """Answer list=users for (recipient, sender), built from the recorded rows."""
    sender = _user_row(SENDER)
    sender["emailable"] = sender_emailable
    if sender_blocked:
        blocked = _user_row("Carla Exemplo")
        sender.update({k: v for k, v in blocked.items() if k.startswith("block")})
        sender["blockpartial"] = partial
    target = recipient_row if recipient_row is not None else _user_row(recipient)
    body = copy.deepcopy(recorded("meta-list-users-emailable", "users-mixed")["response"]["body"])
    body["query"]["users"] = [target, sender]
    rsps.add("GET", API, json=body, match=[responses.matchers.query_param_matcher(
        {"action": "query", "list": "users", "usprop": "emailable|blockinfo|registration",
         "ususers": f"{recipient}|{SENDER}"}, strict_match=False)])


def add_global(rsps: responses.RequestsMock, name: str = RECIPIENT, sample: str = "normal") -> None:
    """Answer meta=globaluserinfo for ``name`` with a recorded body."""
    body = recorded("meta-globaluserinfo", sample)["response"]["body"]
    rsps.add("GET", API, json=body, match=[responses.matchers.query_param_matcher(
        {"action": "query", "meta": "globaluserinfo", "guiuser": name}, strict_match=False)])


def add_available(rsps: responses.RequestsMock, times: int = 1, **kwargs) -> None:
    for _ in range(times):
        add_users(rsps, **kwargs)
        add_global(rsps)


def posts(rsps: responses.RequestsMock) -> list[dict[str, list[str]]]:
    """The form bodies of the POSTs made to the API."""
    out = []
    for call in rsps.calls:
        if call.request.method == "POST":
            body = call.request.body
            out.append(parse_qs(body.decode() if isinstance(body, bytes) else body))
    return out


@pytest.fixture()
def sender(app, make_user):
    from capx.models import User
    from capx.services.accounts import store_token

    user = make_user(SENDER)
    with app.app_context():
        store_token(db.session.get(User, user.id), "meta", ("a1b2c3d4e5f60718293a4b5c6d7e8f90", "0123456789abcdef0123456789abcdef01234567"))
        db.session.commit()
    return user


@pytest.fixture()
def logged_in(client, login, sender):
    login(client, sender)
    return client


def log_rows(app) -> list[MessageLog]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(MessageLog).order_by(MessageLog.id)))
        db.session.expunge_all()
        return rows


FORM = {"recipient": RECIPIENT, "method": "email", "subject": "Budgeting", "text": "Hello Ana, let us talk."}


# -- the Write tab and the live check ------------------------------------------------------------

def test_write_tab_needs_login(client):
    response = client.get("/message")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_write_tab_prefills_recipient_and_shows_tabs(logged_in):
    page = html_text(logged_in.get("/message?username=ana_Exemplo"))
    assert 'value="Ana Exemplo"' in page
    assert 'href="/message/sent"' in page and 'aria-current="page"' in page
    assert 'id="message-from" type="text" value="Bruno Exemplo" dir="auto" readonly' in page  # From, fixed
    assert "js/messages.js" in page


@pytest.mark.parametrize("row_name, emailable, sender_emailable, status, methods", [
    (RECIPIENT, True, True, "available", ["email", "talk"]),
    (RECIPIENT, False, True, "email-unavailable", ["talk"]),
    (RECIPIENT, True, False, "email-unavailable", ["talk"]),
])
def test_availability_json(logged_in, mocked_http, row_name, emailable, sender_emailable, status, methods):
    row = _user_row(row_name)
    row["emailable"] = emailable
    add_users(mocked_http, recipient_row=row, sender_emailable=sender_emailable)
    add_global(mocked_http)
    data = logged_in.get("/message/availability?username=Ana_Exemplo").get_json()
    assert data["status"] == status
    assert data["methods"] == methods
    assert data["label"]
    assert data["sender_blocked"] is False


def test_availability_json_user_not_found(logged_in, mocked_http):
    name = "Nonexistent Example User 4821"
    add_users(mocked_http, recipient=name)
    data = logged_in.get(f"/message/availability?username={name}").get_json()
    assert data["status"] == "not-found"
    assert data["label"] == "User not found"
    assert data["methods"] == []


def test_availability_json_locked_recipient(logged_in, mocked_http):
    add_users(mocked_http, recipient="Locked Example",
              recipient_row={"userid": 1357, "name": "Locked Example", "emailable": True})
    add_global(mocked_http, "Locked Example", "locked")
    data = logged_in.get("/message/availability?username=Locked Example").get_json()
    assert data["status"] == "locked"
    assert data["methods"] == []


def test_availability_json_self_and_empty(logged_in):
    assert logged_in.get("/message/availability?username=bruno_Exemplo").get_json()["status"] == "self"
    assert logged_in.get("/message/availability?username=").get_json()["status"] == "not-found"


def test_availability_json_sender_blocked(logged_in, mocked_http):
    add_available(mocked_http, sender_blocked=True)
    data = logged_in.get("/message/availability?username=Ana Exemplo").get_json()
    assert data["sender_blocked"] is True
    assert "blocked" in data["blocked_label"]


def test_availability_json_timeout(logged_in, mocked_http):
    mocked_http.add("GET", API, body=requests.Timeout("slow"))
    data = logged_in.get("/message/availability?username=Ana Exemplo").get_json()
    assert data["status"] == "check-failed"


# -- the confirmation step -------------------------------------------------------------------------

def test_review_shows_confirmation_and_sends_nothing(app, logged_in, mocked_http):
    add_available(mocked_http)
    response = logged_in.post("/message", data=FORM)
    page = html_text(response)
    assert response.status_code == 200
    assert "This cannot be undone." in page
    assert "sent by email to <bdi>Ana Exemplo</bdi>" in page
    assert "[Capacity Exchange] Budgeting" in page
    assert 'formaction="/message/send"' in page
    assert posts(mocked_http) == []
    assert log_rows(app) == []


def test_review_for_talk_page_says_it_is_public(logged_in, mocked_http):
    add_available(mocked_http)
    page = html_text(logged_in.post("/message", data={**FORM, "method": "talk"}))
    assert "talk page of <bdi>Ana Exemplo</bdi>" in page
    assert "public" in page


def test_back_to_edit_keeps_the_text(logged_in, mocked_http):
    response = logged_in.post("/message", data={**FORM, "edit": "1"})
    page = html_text(response)
    assert response.status_code == 200
    assert "Hello Ana, let us talk." in page and 'value="Budgeting"' in page
    assert mocked_http.calls == [] or all(c.request.method == "GET" for c in mocked_http.calls)


def test_review_validates_fields(logged_in):
    response = logged_in.post("/message", data={"recipient": "Bad#Name", "method": "email", "subject": "",
                                                "text": "x" * 5001})
    page = html_text(response)
    assert response.status_code == 422
    assert "not a valid Wikimedia user name" in page
    assert "This field is required." in page
    assert "5,000 characters" in page


def test_review_user_not_found(logged_in, mocked_http):
    name = "Nonexistent Example User 4821"
    add_users(mocked_http, recipient=name)
    response = logged_in.post("/message", data={**FORM, "recipient": name})
    assert response.status_code == 422
    assert "User not found" in html_text(response)


def test_post_without_csrf_is_refused(logged_in, app):
    response = logged_in.post("/message/send", data=FORM, csrf=False)
    assert response.status_code == 400
    assert log_rows(app) == []


# -- sending ---------------------------------------------------------------------------------------

def test_send_email(app, logged_in, mocked_http):
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, "meta-emailuser", "success", match_params=False)
    response = logged_in.post("/message/send", data=FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith("/message/sent")
    [sent] = posts(mocked_http)
    assert sent["action"] == ["emailuser"]
    assert sent["target"] == [RECIPIENT]
    assert sent["subject"] == ["[Capacity Exchange] Budgeting"]
    assert sent["text"] == ["Hello Ana, let us talk."]
    assert sent["ccme"] == ["1"]
    assert sent["token"] == ["7f3c1e9ab2d44c6f8e0a5b1d2c3e4f5a684fa2b1+\\"]
    post_call = next(c for c in mocked_http.calls if c.request.method == "POST")
    auth = post_call.request.headers["Authorization"]
    auth = auth.decode() if isinstance(auth, bytes) else auth
    assert auth.startswith("OAuth ") and 'oauth_token="a1b2c3d4e5f60718293a4b5c6d7e8f90"' in auth
    [row] = log_rows(app)
    assert (row.recipient_username, row.method, row.status, row.error_code) == (RECIPIENT, "email", "sent", None)
    page = html_text(logged_in.get("/message/sent"))
    assert "Your email was sent." in page
    assert "<bdi>Ana Exemplo</bdi>" in page and "Sent" in page


def test_send_talk_page(app, logged_in, mocked_http):
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, "meta-edit-newsection", "success-existing-page", match_params=False)
    response = logged_in.post("/message/send", data={**FORM, "method": "talk"})
    assert response.status_code == 302
    [sent] = posts(mocked_http)
    assert sent["action"] == ["edit"]
    assert sent["title"] == ["User talk:Ana Exemplo"]
    assert sent["section"] == ["new"]
    assert sent["sectiontitle"] == ["Budgeting"]
    assert sent["text"][0].startswith("Hello Ana, let us talk.") and sent["text"][0].endswith("~~~~")
    assert sent["assert"] == ["user"]
    [row] = log_rows(app)
    assert row.status == "sent" and row.method == "talk"
    assert row.talk_page_url == "https://meta.wikimedia.org/w/index.php?diff=27890456"
    page = html_text(logged_in.get("/message/sent"))
    assert 'href="https://meta.wikimedia.org/w/index.php?diff=27890456"' in page


def test_recipient_with_capx_account_is_linked_in_the_log(app, logged_in, mocked_http, make_user):
    ana = make_user(RECIPIENT)
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, "meta-emailuser", "success", match_params=False)
    logged_in.post("/message/send", data=FORM)
    [row] = log_rows(app)
    assert row.recipient_id == ana.id


EMAIL_ERRORS = {
    "noemailtext": "cannot receive email",
    "nowikiemailtext": "cannot receive email",
    "emailnotarget": "does not know this user",
    "baduser_target": "does not know this user",
    "cantsend": "no confirmed email address",
    "usermaildisabled": "no confirmed email address",
    "blocked": "You are blocked on Meta-Wiki",
    "ratelimited": "too many messages in a short time",
    "badtoken": "did not accept your login",
    "permissiondenied": "refused this message",
    "badtoken-legacy-error-format": "did not accept your login",
    "blockedfrommail-legacy-documented": "You are blocked on Meta-Wiki",
}


EDIT_ERRORS = {
    "badtoken": "did not accept your login",
    "assertuserfailed": "did not accept your login",
    "blocked": "You are blocked on Meta-Wiki",
    "blocked-legacy-error-format": "You are blocked on Meta-Wiki",
    "protectedpage": "refused this message",
    "ratelimited": "too many messages in a short time",
    "abusefilter-disallowed": "refused this message",
    "abusefilter-warning": "refused this message",
    "maxlag": "busy or had a problem",
}


#: Each recorded refusal, by method: (method, recording, sample, what the page says).
SEND_ERRORS = sorted([("email", "meta-emailuser", sample, said) for sample, said in EMAIL_ERRORS.items()]
                     + [("talk", "meta-edit-newsection", sample, said) for sample, said in EDIT_ERRORS.items()])


@pytest.mark.parametrize("method, recording, sample, said", SEND_ERRORS)
def test_send_errors(app, logged_in, mocked_http, method, recording, sample, said):
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    answer = add_recorded(mocked_http, recording, sample, match_params=False)
    response = logged_in.post("/message/send", data={**FORM, "method": method})
    assert response.status_code == 422
    page = html_text(response)
    assert said in page
    assert 'value="Budgeting"' in page  # nothing typed is lost
    [row] = log_rows(app)
    assert (row.status, row.method) == ("failed", method) and row.error_code
    assert row.talk_page_url is None
    if method == "email":
        body = answer["response"]["body"]
        assert row.error_code == (body.get("errors") or [body.get("error")])[0]["code"]


def test_send_timeout_is_a_clear_error(app, logged_in, mocked_http):
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    mocked_http.add("POST", API, body=requests.Timeout("slow"))
    response = logged_in.post("/message/send", data=FORM)
    assert response.status_code == 422
    assert "did not answer in time" in html_text(response)
    [row] = log_rows(app)
    assert (row.status, row.error_code) == ("failed", "timeout")


def test_send_server_error_is_a_clear_error(app, logged_in, mocked_http):
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    mocked_http.add("POST", API, status=503, body="Service Unavailable")
    response = logged_in.post("/message/send", data=FORM)
    assert response.status_code == 422
    assert "busy or had a problem" in html_text(response)
    assert log_rows(app)[0].error_code == "http-503"


def test_anonymous_csrf_token_means_bad_login(app, logged_in, mocked_http):
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-anonymous")
    response = logged_in.post("/message/send", data=FORM)
    assert "did not accept your login" in html_text(response)
    assert posts(mocked_http) == []
    assert log_rows(app)[0].error_code == "notloggedin"


def test_no_stored_token(app, client, login, make_user, mocked_http):
    user = make_user(SENDER)  # dev login: no OAuth token stored
    login(client, user)
    add_available(mocked_http)
    response = client.post("/message/send", data=FORM)
    assert "This session has no Meta-Wiki login" in html_text(response)
    assert log_rows(app)[0].error_code == "no-oauth-token"


def test_without_token_the_write_tab_says_sending_needs_meta_wiki(client, login, make_user, mocked_http):
    """The development login stores no token: the page says so, and review stops before asking
    Meta-Wiki anything (no call registered, none made), with no log row."""
    login(client, make_user(SENDER))
    page = html_text(client.get("/message?username=Ana_Exemplo"))
    assert "Sending a message needs a login with your Wikimedia account through Meta-Wiki" in page
    response = client.post("/message", data=FORM)
    assert response.status_code == 422
    assert "This session has no Meta-Wiki login" in html_text(response)
    assert len(mocked_http.calls) == 0
    assert log_rows(app=client.application) == []


def test_with_token_no_notice(logged_in):
    assert "Sending a message needs a login" not in html_text(logged_in.get("/message"))


def test_blocked_sender_cannot_send(app, logged_in, mocked_http):
    add_available(mocked_http, sender_blocked=True)
    response = logged_in.post("/message/send", data=FORM)
    assert response.status_code == 422
    assert "You are blocked on Meta-Wiki" in html_text(response)
    assert posts(mocked_http) == []
    [row] = log_rows(app)
    assert (row.status, row.error_code) == ("failed", "sender-blocked")


def test_blocked_sender_stops_at_review(logged_in, mocked_http):
    add_available(mocked_http, sender_blocked=True)
    response = logged_in.post("/message", data=FORM)
    assert response.status_code == 422
    assert "This cannot be undone." not in html_text(response)


def test_locked_recipient_cannot_be_messaged(logged_in, mocked_http):
    add_users(mocked_http, recipient="Locked Example",
              recipient_row={"userid": 1357, "name": "Locked Example", "emailable": True})
    add_global(mocked_http, "Locked Example", "locked")
    response = logged_in.post("/message/send", data={**FORM, "recipient": "Locked Example"})
    assert response.status_code == 422
    assert "locked" in html_text(response)
    assert posts(mocked_http) == []


@pytest.mark.parametrize("path", ["/message", "/message/send"])
def test_email_refused_when_recipient_cannot_receive_it(logged_in, mocked_http, app, path):
    """Both the review and the send ask for the talk page instead; nothing is sent or logged."""
    row = _user_row(RECIPIENT)
    row["emailable"] = False
    add_users(mocked_http, recipient_row=row)
    add_global(mocked_http)
    response = logged_in.post(path, data=FORM)
    assert response.status_code == 422
    assert "choose the talk page" in html_text(response)
    assert posts(mocked_http) == []
    assert log_rows(app) == []


# -- rate limits -----------------------------------------------------------------------------------

def _past_rows(app, sender_id: int, ages: list[dt.timedelta]) -> None:
    with app.app_context():
        for age in ages:
            db.session.add(MessageLog(sender_id=sender_id, recipient_username="Someone", method="talk", status="sent",
                                      created_at=utcnow() - age))
        db.session.commit()


def test_rate_limit_per_hour(app, logged_in, sender, mocked_http, monkeypatch):
    monkeypatch.setitem(app.config, "CAPX_MESSAGE_LIMIT_HOUR", 2)
    _past_rows(app, sender.id, [dt.timedelta(minutes=5), dt.timedelta(minutes=50), dt.timedelta(hours=3)])
    response = logged_in.post("/message/send", data=FORM)
    assert response.status_code == 422
    assert "limit of messages per hour" in html_text(response)
    assert mocked_http.calls == [] or posts(mocked_http) == []
    assert len(log_rows(app)) == 3  # the refusal is not an attempt


def test_rate_limit_per_day(app, logged_in, sender, monkeypatch):
    monkeypatch.setitem(app.config, "CAPX_MESSAGE_LIMIT_DAY", 3)
    _past_rows(app, sender.id, [dt.timedelta(hours=2), dt.timedelta(hours=5), dt.timedelta(hours=23)])
    response = logged_in.post("/message", data=FORM)
    assert response.status_code == 422
    assert "limit of messages per day" in html_text(response)


def test_old_messages_do_not_count(app, logged_in, sender, mocked_http, monkeypatch):
    monkeypatch.setitem(app.config, "CAPX_MESSAGE_LIMIT_HOUR", 1)
    monkeypatch.setitem(app.config, "CAPX_MESSAGE_LIMIT_DAY", 1)
    _past_rows(app, sender.id, [dt.timedelta(hours=25)])
    add_available(mocked_http)
    assert logged_in.post("/message", data=FORM).status_code == 200


# Issue 19: attempts that never reached Meta-Wiki (refused connection, network down, no answer in
# time) are logged but do not use up the limit; the message says which of them happened.
NOT_REACHED = {"refused": (requests.ConnectionError("connection refused"), "unreachable", "could not connect"),
               "timeout": (requests.Timeout("slow"), "timeout", "did not answer in time")}


@pytest.mark.parametrize("failure", sorted(NOT_REACHED))
def test_attempts_that_never_reached_meta_wiki_do_not_use_up_the_limit(app, logged_in, mocked_http, monkeypatch,
                                                                        failure):
    monkeypatch.setitem(app.config, "CAPX_MESSAGE_LIMIT_HOUR", 2)
    error, code, said = NOT_REACHED[failure]
    for _ in range(3):
        add_available(mocked_http)
        add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
        mocked_http.add("POST", API, body=error)
        response = logged_in.post("/message/send", data=FORM)
        assert response.status_code == 422
        assert said in html_text(response) and "limit of messages" not in html_text(response)
    assert [(row.status, row.error_code) for row in log_rows(app)] == [("failed", code)] * 3
    # Meta-Wiki is back: the message goes out, the limit untouched by the three failures.
    add_available(mocked_http)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, "meta-emailuser", "success", match_params=False)
    response = logged_in.post("/message/send", data=FORM)
    assert response.status_code == 302
    assert log_rows(app)[-1].status == "sent"


def test_a_refused_connection_is_not_called_a_timeout(app, logged_in, mocked_http):
    mocked_http.add("GET", API, body=requests.ConnectionError("connection refused"))
    response = logged_in.post("/message", data=FORM)
    assert response.status_code == 422
    body = html_text(response)
    assert "could not connect to Meta-Wiki" in body and "did not answer in time" not in body


def test_attempts_meta_wiki_refused_still_count(app, logged_in, sender, mocked_http, monkeypatch):
    monkeypatch.setitem(app.config, "CAPX_MESSAGE_LIMIT_HOUR", 2)
    with app.app_context():
        for code in ("ratelimited", "unreachable", "timeout", "no-oauth-token", "blockedfrommail"):
            db.session.add(MessageLog(sender_id=sender.id, recipient_username="Someone", method="email",
                                      status="failed", error_code=code, created_at=utcnow()))
        db.session.commit()
    response = logged_in.post("/message/send", data=FORM)
    assert response.status_code == 422
    assert "limit of messages per hour" in html_text(response)


def test_default_limits_come_from_the_settings():
    from capx.config import load_settings

    settings = load_settings({})
    assert (settings.message_limit_hour, settings.message_limit_day) == (5, 20)
    config = load_settings({"CAPX_MESSAGE_LIMIT_HOUR": "2", "CAPX_MESSAGE_LIMIT_DAY": "7"}).flask_config()
    assert (config["CAPX_MESSAGE_LIMIT_HOUR"], config["CAPX_MESSAGE_LIMIT_DAY"]) == (2, 7)


# -- privacy ----------------------------------------------------------------------------------------

def test_no_table_holds_the_subject_or_the_text(app, logged_in, mocked_http):
    subject, text = "Zqx-subject-7731", "Zqx-body-text-99412 about budgeting"
    add_available(mocked_http, times=2)
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, "meta-emailuser", "success", match_params=False)
    add_recorded(mocked_http, "meta-edit-newsection", "success-existing-page", match_params=False)
    assert logged_in.post("/message/send", data={**FORM, "subject": subject, "text": text}).status_code == 302
    assert logged_in.post("/message/send", data={**FORM, "method": "talk", "subject": subject,
                                                 "text": text}).status_code == 302
    with app.app_context():
        found = []
        for engine in db.engines.values():
            meta = sa.MetaData()
            meta.reflect(bind=engine)
            with engine.connect() as conn:
                for table in meta.sorted_tables:
                    for row in conn.execute(table.select()):
                        blob = " ".join(str(v) for v in row)
                        if "Zqx" in blob:
                            found.append(table.name)
    assert found == []
    assert len(log_rows(app)) == 2


def test_sent_tab_shows_only_own_log(app, logged_in, make_user, sender):
    other = make_user("Carla Exemplo")
    with app.app_context():
        db.session.add(MessageLog(sender_id=other.id, recipient_username="Secret Recipient", method="email",
                                  status="sent"))
        db.session.add(MessageLog(sender_id=sender.id, recipient_username="Dora Exemplo", method="talk",
                                  status="failed", error_code="protectedpage"))
        db.session.commit()
    page = html_text(logged_in.get("/message/sent"))
    assert "Dora Exemplo" in page
    assert "Secret Recipient" not in page
    assert "refused this message" in page  # the reason, on demand


def test_sent_tab_empty(logged_in):
    assert "You have not sent any message yet." in html_text(logged_in.get("/message/sent"))


def test_sent_tab_pages_newest_first(app, logged_in, sender):
    with app.app_context():
        for i in range(25):
            db.session.add(MessageLog(sender_id=sender.id, recipient_username=f"Recipient {i:02d}", method="talk",
                                      status="sent", created_at=utcnow() - dt.timedelta(minutes=100 - i)))
        db.session.commit()
    first = html_text(logged_in.get("/message/sent"))
    assert first.index("Recipient 24") < first.index("Recipient 23")
    assert "Recipient 04" not in first and 'href="/message/sent?page=2"' in first
    assert "Recipient 04" in html_text(logged_in.get("/message/sent?page=2"))


def test_client_maps_names_meta_wiki_normalized(app, mocked_http):
    from capx.clients.meta_wiki import MetaWikiClient

    body = copy.deepcopy(recorded("meta-list-users-emailable", "users-normalized-name")["response"]["body"])
    body["query"]["normalized"] = [{"fromencoded": False, "from": "ana_Exemplo", "to": "Ana Exemplo"}]
    mocked_http.add("GET", API, json=body)
    with app.app_context():
        client = MetaWikiClient("https://meta.wikimedia.org/w/index.php", API)
        found = client.users(["ana_Exemplo"])
    assert found["ana_Exemplo"].exists and found["ana_Exemplo"].name == "Ana Exemplo"
    assert found["ana_Exemplo"].emailable is True


def test_client_reads_block_state(app, mocked_http):
    from capx.clients.meta_wiki import MetaWikiClient

    add_recorded(mocked_http, "meta-list-users-emailable", "users-blocked", match_params=False)
    with app.app_context():
        carla = MetaWikiClient("https://meta.wikimedia.org/w/index.php", API).users(["Carla Exemplo"])["Carla Exemplo"]
    assert carla.exists and carla.blocked and carla.block_email


def test_partially_blocked_sender_may_use_the_talk_page(logged_in, mocked_http):
    add_available(mocked_http, sender_blocked=True, partial=True)
    data = logged_in.get("/message/availability?username=Ana Exemplo").get_json()
    assert data["sender_blocked"] is False
    assert data["methods"] == ["talk"]  # the recorded block also stops email (blockemail)
