"""Let's Connect: the registration sent to Let's Connect (a signed JWT; only the date and the
confirmation kept), the confirmation step, "Clean and go back", errors that keep the answers, and
the profile import (recorded responses, errors and timeouts) that never saves."""

from __future__ import annotations

import json

import jwt
import pytest
import requests
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (Capacity, LetsConnectRegistration, Organization, OrganizationName, Profile)
from tests.conftest import FIXTURES, add_recorded, html_text

LC_URL = "https://letsconn.toolforge.org/profile/"
ENDPOINT = "https://letsconn.toolforge.org/endpoint/"
PUBLIC_KEY = (FIXTURES / "keys" / "lets-connect-test-public.pem").read_bytes()

VALID = {"full_name": "Ana Exemplo da Silva", "email": "ana@example.org", "role": "volunteer-organiser",
         "topics": ["education", "diversity"], "gender": "woman", "age_range": "25-34"}


def registration(app, user):
    with app.app_context():
        return db.session.scalar(sa.select(LetsConnectRegistration).where(LetsConnectRegistration.user_id == user.id))


def registered_at(app, user):
    with app.app_context():
        return db.session.scalar(sa.select(Profile.lets_connect_registered_at).where(Profile.user_id == user.id))


def confirmation(app, user):
    with app.app_context():
        return db.session.scalar(sa.select(Profile.lets_connect_confirmation).where(Profile.user_id == user.id))


def sent_claims(mocked_http):
    """The claims of every registration sent, verified with the public key of the test pair."""
    out = []
    for call in mocked_http.calls:
        if call.request.url == ENDPOINT:
            token = json.loads(call.request.body)["token"]
            out.append(jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"]))
    return out


def test_form_offers_the_guide_options(client, ana):
    page = html_text(client.get("/profile/lets-connect"))
    for role in ("paid-staff", "volunteer-staff", "volunteer-organiser", "executive-director", "board-member",
                 "individual-volunteer"):
        assert f'value="{role}"' in page
    assert page.count('name="topics"') == 9 and 'name="topic_other"' in page
    assert "Clean and go back" in page
    assert "Sign up to Let" in html_text(client.get("/profile/edit"))


def test_review_then_confirm_reaches_lets_connect_with_a_verifiable_jwt(client, ana, app, mocked_http):
    response = client.post("/profile/lets-connect", data={**VALID, "step": "review"})
    assert response.status_code == 200
    page = html_text(response)
    assert "letsconn.toolforge.org" in page
    assert registered_at(app, ana) is None and sent_claims(mocked_http) == []  # nothing sent before the confirmation
    add_recorded(mocked_http, "letsconnect-endpoint", "confirmed")
    response = client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    assert response.status_code == 302 and response.headers["Location"] == "/profile/edit"
    [claims] = sent_claims(mocked_http)
    assert claims["user"] == "Ana Exemplo" and claims["email"] == "ana@example.org"
    assert claims["full_name"] == "Ana Exemplo da Silva" and claims["role"] == "volunteer-organiser"
    assert claims["area"] == "education, diversity" and claims["gender"] == "woman" and claims["age"] == "25-34"
    assert isinstance(claims["timestamp"], int) and len(claims["nonce"]) == 36
    assert registered_at(app, ana) is not None and confirmation(app, ana) == "LC-2026-000123"
    assert registration(app, ana) is None  # the personal data is kept by Let's Connect only
    # No table of either database holds a copy of the personal data.
    with app.app_context():
        for engine in db.engines.values():
            with engine.connect() as conn:
                for table in sa.inspect(conn).get_table_names():
                    quoted = engine.dialect.identifier_preparer.quote(table)
                    for row_data in conn.execute(sa.text(f"SELECT * FROM {quoted}")):
                        assert "ana@example.org" not in [str(v) for v in row_data]
    assert "Update my registration data" in html_text(client.get("/profile/edit"))
    assert "confirmation: LC-2026-000123" in html_text(client.get("/profile/lets-connect"))


def test_a_second_registration_keeps_the_first_date_and_erases_an_old_local_copy(client, ana, app, mocked_http):
    with app.app_context():  # what an earlier version stored locally
        db.session.add(LetsConnectRegistration(user_id=ana.id, username=ana.username, email="old@example.org",
                                               role="board-member"))
        db.session.commit()
    add_recorded(mocked_http, "letsconnect-endpoint", "confirmed")
    client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    first = registered_at(app, ana)
    client.post("/profile/lets-connect", data={"email": "new@example.org", "role": "board-member", "step": "confirm"})
    claims = sent_claims(mocked_http)
    assert [c["email"] for c in claims] == ["ana@example.org", "new@example.org"]
    assert claims[1]["full_name"] is None and claims[1]["area"] is None
    assert claims[0]["nonce"] != claims[1]["nonce"]
    assert registered_at(app, ana) == first and registration(app, ana) is None


def add_failure(rsps, method: str, url: str, sample: str, failure: str) -> None:
    """Let's Connect fails at ``url``: a ``timeout``, a refused ``connection``, or the recorded answer
    ``failure`` of ``sample``."""
    if failure == "timeout":
        rsps.add(method, url, body=requests.exceptions.ReadTimeout("slow"))
    elif failure == "connection":
        rsps.add(method, url, body=requests.exceptions.ConnectionError("refused"))
    else:
        add_recorded(rsps, sample, failure)


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("failure", ["refused", "server-error", "no-confirmation", "timeout", "connection"])
def test_send_failures_keep_the_answers_and_store_nothing(client, ana, app, mocked_http, failure):
    add_failure(mocked_http, "POST", ENDPOINT, "letsconnect-endpoint", failure)
    response = client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    assert response.status_code == 503
    page = html_text(response)
    assert "could not be reached, so your registration was not sent" in page
    assert 'name="email" value="ana@example.org"' in page and page.count('name="topics"') == 2
    assert 'name="full_name" value="Ana Exemplo da Silva"' in page
    assert registered_at(app, ana) is None and confirmation(app, ana) is None


def test_without_a_signing_key_nothing_is_sent(client, ana, app, mocked_http):
    app.config["CAPX_LETS_CONNECT_PRIVATE_KEY"] = ""
    try:
        response = client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    finally:
        app.config["CAPX_LETS_CONNECT_PRIVATE_KEY"] = str(FIXTURES / "keys" / "lets-connect-test-private.pem")
    assert response.status_code == 503 and 'value="ana@example.org"' in html_text(response)
    assert len(mocked_http.calls) == 0 and registered_at(app, ana) is None


def test_clean_and_go_back_discards(client, ana, app):
    response = client.post("/profile/lets-connect", data={**VALID, "step": "clean"})
    assert response.status_code == 302 and response.headers["Location"] == "/profile/edit"
    assert registration(app, ana) is None and registered_at(app, ana) is None


@pytest.mark.parametrize("changes, field_error", [
    ({"email": ""}, "This field is required."),
    ({"email": "not-an-email"}, "Enter a valid email address"),
    ({"role": ""}, "This field is required."),
    ({"role": "emperor"}, "Choose one of the options offered."),
    ({"topics": ["education", "diversity", "governance"]}, "Choose at most 2 topics"),
    ({"topics": ["education", "diversity"], "topic_other": "Poetry"}, "Choose at most 2 topics"),
    ({"topics": ["astrology"]}, "Choose one of the options offered."),
    ({"gender": "robot"}, "Choose one of the options offered."),
    ({"age_range": "1-2"}, "Choose one of the options offered."),
    ({"full_name": "x" * 201}, "Use at most 200 characters."),
    ({"email": "a" * 243 + "@example.org"}, "Use at most 254 characters."),
])
def test_validation(client, ana, app, changes, field_error):
    response = client.post("/profile/lets-connect", data={**VALID, **changes, "step": "confirm"})
    assert response.status_code == 422
    assert field_error in html_text(response)
    assert registered_at(app, ana) is None


@pytest.mark.parametrize("changes", [
    {"topics": ["education"], "topic_other": "Poetry"},
    {"full_name": "x" * 200},
    {"email": "a" * 242 + "@example.org"},
    {"gender": "self-described", "gender_other": "y" * 100},
])
def test_limits_at_the_boundary_are_accepted(client, ana, app, mocked_http, changes):
    add_recorded(mocked_http, "letsconnect-endpoint", "confirmed")
    response = client.post("/profile/lets-connect", data={**VALID, **changes, "step": "confirm"})
    assert response.status_code == 302
    assert registered_at(app, ana) is not None


def test_confirm_page_carries_the_values(client, ana):
    page = html_text(client.post("/profile/lets-connect", data={**VALID, "step": "review"}))
    assert 'name="email" value="ana@example.org"' in page
    assert page.count('name="topics"') == 2
    page = html_text(client.post("/profile/lets-connect", data={**VALID, "step": "edit"}))
    assert 'value="ana@example.org"' in page and 'value="education" checked' in page


# -- import ---------------------------------------------------------------------------------------

def _orgs(app):
    with app.app_context():
        for acronym, name in (("AR", "Wikimedia Argentina"), ("AT", "Wikimedia Austria")):
            org = Organization(acronym=acronym)
            org.names.append(OrganizationName(lang="en", name=name))
            db.session.add(org)
        db.session.commit()


def test_import_prefills_the_form_for_review_and_saves_only_on_save(client, ana, app, mocked_http):
    _orgs(app)
    page = html_text(client.get("/profile/lets-connect/import"))
    assert "Nothing is saved until you press Save profile" in page
    add_recorded(mocked_http, "lets-connect-profile", "found")
    response = client.post("/profile/lets-connect/import")
    assert response.status_code == 200
    page = html_text(response)
    assert "Organizer of edit-a-thons in São Paulo." in page
    assert "no-such-skill" in page and "ZZZ" in page and "Unknown Example Group" in page  # listed as unmatched
    assert 'name="lets_connect_import" value="1"' in page
    with app.app_context():
        communication = db.session.scalar(sa.select(Capacity.id).where(Capacity.code == "communication"))
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == ana.id))
        assert profile.bio is None and not profile.capacities and profile.lets_connect_imported_at is None
    assert f'name="capacity_available" value="{communication}" checked' in page
    # Saving the reviewed form stores it and the import is no longer offered.
    import re

    from werkzeug.datastructures import MultiDict
    pairs = re.findall(r'<input type="checkbox" name="([a-z_]+)" value="(\d+)" checked>', page)
    for lid, options in re.findall(r'name="proficiency_(\d+)">(.*?)</select>', page, re.S):
        pairs.append((f"proficiency_{lid}", re.search(r'value="(\d)" selected', options).group(1)))
    pairs += [("bio", "Organizer of edit-a-thons in São Paulo."), ("lets_connect_import", "1"), ("save", "1")]
    response = client.post("/profile/edit", data=MultiDict(pairs + [("csrf_token", client.csrf_token())]), csrf=False)
    assert response.status_code == 302
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == ana.id))
        assert profile.lets_connect_imported_at is not None
        assert {(pc.kind, pc.capacity_id) for pc in profile.capacities} >= {("known", communication),
                                                                           ("available", communication)}
        assert len(profile.languages) == 2 and len(profile.territories) == 2 and len(profile.affiliations) == 2
        assert len(profile.projects) == 2
        pt_level = [pl.proficiency for pl in profile.languages if pl.language.code == "pt"]
        assert pt_level == [6]
    assert "Let&#39;s Connect integration" not in html_text(client.get("/profile/edit"))
    response = client.post("/profile/lets-connect/import")
    assert response.status_code == 302 and len(mocked_http.calls) == 1


def test_import_not_registered(client, make_user, login, mocked_http):
    login(client, make_user("Bruno Exemplo"))
    add_recorded(mocked_http, "lets-connect-profile", "not-registered")
    response = client.post("/profile/lets-connect/import")
    assert response.status_code == 302
    assert "Let&#39;s Connect has no profile" in html_text(client.get("/profile/edit")) or \
        "Let's Connect has no profile" in html_text(client.get("/profile/edit"))


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("failure", ["server-error", "unexpected-shape", "timeout", "connection"])
def test_import_failures(client, ana, app, mocked_http, failure):
    add_failure(mocked_http, "GET", LC_URL, "lets-connect-profile", failure)
    response = client.post("/profile/lets-connect/import")
    assert response.status_code == 302
    assert "could not be reached" in html_text(client.get("/profile/edit"))
    with app.app_context():
        assert db.session.scalar(sa.select(Profile.lets_connect_imported_at).where(Profile.user_id == ana.id)) is None


def test_withdraw_forgets_the_registration(client, ana, app, mocked_http):
    assert "Withdraw my registration" not in html_text(client.get("/profile/lets-connect"))
    add_recorded(mocked_http, "letsconnect-endpoint", "confirmed")
    client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    assert "Withdraw my registration" in html_text(client.get("/profile/lets-connect"))
    response = client.post("/profile/lets-connect", data={"step": "withdraw"})
    assert response.status_code == 302
    assert registration(app, ana) is None and registered_at(app, ana) is None and confirmation(app, ana) is None
    assert "Sign up to Let" in html_text(client.get("/profile/edit"))


def test_registration_requires_csrf(client, ana, app):
    assert client.post("/profile/lets-connect", data={**VALID, "step": "confirm"}, csrf=False).status_code == 400
    assert registered_at(app, ana) is None
