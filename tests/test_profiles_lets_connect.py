"""Let's Connect: registration only in its own database, the confirmation step, "Clean and go
back", and the profile import (recorded responses, errors and timeouts) that never saves."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (
    Capacity,
    LetsConnectRegistration,
    Organization,
    OrganizationName,
    Profile,
)
from tests.conftest import add_recorded, html_text

LC_URL = "https://letsconnect.toolforge.org/api/profile"

VALID = {"full_name": "Ana Exemplo da Silva", "email": "ana@example.org", "role": "volunteer-organiser",
         "topics": ["education", "diversity"], "gender": "woman", "age_range": "25-34"}


@pytest.fixture()
def ana(make_user, login, client):
    user = make_user("Ana Exemplo")
    login(client, user)
    return user


def registration(app, user):
    with app.app_context():
        return db.session.scalar(sa.select(LetsConnectRegistration).where(LetsConnectRegistration.user_id == user.id))


def registered_at(app, user):
    with app.app_context():
        return db.session.scalar(sa.select(Profile.lets_connect_registered_at).where(Profile.user_id == user.id))


def test_form_offers_the_guide_options(client, ana):
    page = html_text(client.get("/profile/lets-connect"))
    for role in ("paid-staff", "volunteer-staff", "volunteer-organiser", "executive-director", "board-member",
                 "individual-volunteer"):
        assert f'value="{role}"' in page
    assert page.count('name="topics"') == 9 and 'name="topic_other"' in page
    assert "Clean and go back" in page
    assert "Sign up to Let" in html_text(client.get("/profile/edit"))


def test_review_then_confirm_stores_only_in_the_lets_connect_database(client, ana, app):
    response = client.post("/profile/lets-connect", data={**VALID, "step": "review"})
    assert response.status_code == 200
    page = html_text(response)
    assert "only the Let&#39;s Connect team can read" in page or "only the Let's Connect team can read" in page
    assert registration(app, ana) is None  # nothing stored before the confirmation
    response = client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    assert response.status_code == 302 and response.headers["Location"] == "/profile/edit"
    row = registration(app, ana)
    assert row.email == "ana@example.org" and row.role == "volunteer-organiser"
    assert row.topic_list == ["education", "diversity"] and row.age_range == "25-34"
    assert registered_at(app, ana) is not None
    # The main database holds no copy of the personal data.
    with app.app_context():
        main_engine = db.engine
        with main_engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            assert "lets_connect_registration" not in tables
            for table in tables:
                for row_data in conn.execute(sa.text(f'SELECT * FROM "{table}"' if main_engine.dialect.name == "sqlite"
                                                     else f"SELECT * FROM `{table}`")):
                    assert "ana@example.org" not in [str(v) for v in row_data]
    assert "Update my registration data" in html_text(client.get("/profile/edit"))


def test_update_overwrites(client, ana, app):
    client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    client.post("/profile/lets-connect", data={"email": "new@example.org", "role": "board-member", "step": "confirm"})
    row = registration(app, ana)
    assert row.email == "new@example.org" and row.full_name is None and row.topics is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetsConnectRegistration)) == 1


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
    assert registration(app, ana) is None


@pytest.mark.parametrize("changes", [
    {"topics": ["education"], "topic_other": "Poetry"},
    {"full_name": "x" * 200},
    {"email": "a" * 242 + "@example.org"},
    {"gender": "self-described", "gender_other": "y" * 100},
])
def test_limits_at_the_boundary_are_accepted(client, ana, app, changes):
    response = client.post("/profile/lets-connect", data={**VALID, **changes, "step": "confirm"})
    assert response.status_code == 302
    assert registration(app, ana) is not None


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
    if failure == "timeout":
        mocked_http.add("GET", LC_URL, body=requests.exceptions.ReadTimeout("slow"))
    elif failure == "connection":
        mocked_http.add("GET", LC_URL, body=requests.exceptions.ConnectionError("refused"))
    else:
        add_recorded(mocked_http, "lets-connect-profile", failure)
    response = client.post("/profile/lets-connect/import")
    assert response.status_code == 302
    assert "could not be reached" in html_text(client.get("/profile/edit"))
    with app.app_context():
        assert db.session.scalar(sa.select(Profile.lets_connect_imported_at).where(Profile.user_id == ana.id)) is None


def test_withdraw_erases_the_registration(client, ana, app):
    assert "Withdraw my registration" not in html_text(client.get("/profile/lets-connect"))
    client.post("/profile/lets-connect", data={**VALID, "step": "confirm"})
    assert "Withdraw my registration" in html_text(client.get("/profile/lets-connect"))
    response = client.post("/profile/lets-connect", data={"step": "withdraw"})
    assert response.status_code == 302
    assert registration(app, ana) is None and registered_at(app, ana) is None
    assert "Sign up to Let" in html_text(client.get("/profile/edit"))


def test_registration_requires_csrf(client, ana, app):
    assert client.post("/profile/lets-connect", data={**VALID, "step": "confirm"}, csrf=False).status_code == 400
    assert registration(app, ana) is None
