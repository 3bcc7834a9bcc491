"""Editing a profile: every field, every limit at and one past its boundary, the no-JavaScript
picker steps, the alternative account check and the Wikidata lookup (recorded responses)."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from capx.extensions import db
from capx.models import (Avatar, Capacity, Language, Organization, OrganizationName, Profile, Territory,
                         WikimediaProject)
from tests.conftest import add_recorded, html_text, recorded, statements_run
from tests.helpers import capacity_id

META_API = "https://meta.wikimedia.org/w/api.php"
WDQS = "https://query.wikidata.org/sparql"


def post_pairs(client, url, pairs):
    """POST repeated fields (a list of pairs) with the CSRF token."""
    return client.post(url, data=MultiDict(list(pairs) + [("csrf_token", client.csrf_token())]), csrf=False)


def ids(app, model, n, where=None):
    with app.app_context():
        query = sa.select(model.id).order_by(model.id)
        if where is not None:
            query = query.where(where)
        return list(db.session.scalars(query.limit(n)))



def make_orgs(app, n):
    with app.app_context():
        out = []
        for i in range(n):
            org = Organization(acronym=f"EX{i}")
            org.names.append(OrganizationName(lang="en", name=f"Example Group {i}"))
            db.session.add(org)
            db.session.flush()
            out.append(org.id)
        db.session.commit()
        return out


def profile_of(app, user):
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))
        return {
            "bio": profile.bio, "avatar_id": profile.avatar_id, "alt_account": profile.alt_account,
            "caps": sorted((pc.kind, pc.capacity_id) for pc in profile.capacities),
            "languages": [(pl.language_id, pl.proficiency) for pl in profile.languages],
            "territories": [t.territory_id for t in profile.territories],
            "affiliations": [a.organization_id for a in profile.affiliations],
            "projects": [p.project_id for p in profile.projects],
            "wikidata": (profile.wikidata_qid, profile.wikidata_photo, profile.wikidata_checked_at),
            "bio_language_id": profile.bio_language_id,
            "lc_imported": profile.lets_connect_imported_at,
        }


def test_edit_page_has_every_field_and_two_save_buttons(client, ana):
    page = html_text(client.get("/profile/edit"))
    assert page.count('name="save"') == 2 and page.count('href="/profile"') >= 2
    for name in ("avatar", "show_wikidata_photo", "bio", "bio_language", "capacity_known", "capacity_available",
                 "capacity_wanted", "import_known", "language", "alt_account", "affiliation", "territory",
                 "show_wikidata_item", "project"):
        assert f'name="{name}' in page, name
    assert page.count('type="radio" name="avatar"') == 22  # the 21 avatars and "none"
    assert "Let&#39;s Connect integration" in page or "Let's Connect integration" in page


def test_save_every_field_and_see_it_on_the_profile(client, ana, app):
    known, wanted = capacity_id(app, "communication"), capacity_id(app, "finance")
    pt = ids(app, Language, 1, Language.code == "pt")[0]
    en = ids(app, Language, 1, Language.code == "en")[0]
    bra = ids(app, Territory, 1, Territory.code == "BRA")[0]
    avatar = ids(app, Avatar, 2)[1]
    project = ids(app, WikimediaProject, 1, WikimediaProject.code == "commonswiki")[0]
    org = make_orgs(app, 1)[0]
    data = [("bio", "Editora\r\nde São Paulo"), ("bio_language", str(pt)), ("avatar", str(avatar)),
            ("capacity_known", str(known)), ("capacity_available", str(known)), ("capacity_wanted", str(wanted)),
            ("language", str(pt)), ("proficiency_%d" % pt, "6"), ("language", str(en)),
            ("territory", str(bra)), ("affiliation", str(org)), ("project", str(project)), ("save", "1")]
    response = post_pairs(client, "/profile/edit", data)
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    stored = profile_of(app, ana)
    assert stored["bio"] == "Editora\nde São Paulo"
    assert stored["bio_language_id"] == pt and stored["avatar_id"] == avatar
    assert stored["caps"] == sorted([("known", known), ("available", known), ("wanted", wanted)])
    assert stored["languages"] == [(pt, 6), (en, 3)]  # default proficiency: advanced
    assert stored["territories"] == [bra] and stored["affiliations"] == [org] and stored["projects"] == [project]
    page = html_text(client.get("/profile"))
    assert "Your profile was saved." in page
    assert "Editora\nde São Paulo" in page and 'lang="pt"' in page
    # The organization has no manager yet (hidden): named as plain text (tests/test_profiles_public.py).
    assert "<li class=\"chip\">Example Group 0</li>" in page and f'/organization_profile/{org}' not in page
    assert "Wikimedia Commons" in page and "Advanced" in page and "Native" in page
    assert "Special:FilePath/CapX_-_Avatar_-_1.svg" in page


@pytest.mark.parametrize("length, ok", [(2000, True), (2001, False)])
def test_bio_limit(client, ana, app, length, ok):
    response = client.post("/profile/edit", data={"bio": "é" * length, "save": "1"})
    if ok:
        assert response.status_code == 302
        assert len(profile_of(app, ana)["bio"]) == 2000
    else:
        assert response.status_code == 422
        page = html_text(response)
        assert "Use at most 2,000 characters (you wrote 2,001)." in page
        assert "é" * 2001 in page  # the input is kept
        assert profile_of(app, ana)["bio"] is None


@pytest.mark.parametrize("field, model, limit", [("language", Language, 20), ("territory", Territory, 10)])
@pytest.mark.parametrize("extra", [0, 1])
def test_list_limits(client, ana, app, field, model, limit, extra):
    chosen = ids(app, model, limit + extra)
    response = post_pairs(client, "/profile/edit", [(field, str(i)) for i in chosen] + [("save", "1")])
    key = {"language": "languages", "territory": "territories"}[field]
    if extra:
        assert response.status_code == 422
        assert f"Choose at most {limit} (you chose {limit + 1})." in html_text(response)
        assert profile_of(app, ana)[key] == []
    else:
        assert response.status_code == 302
        stored = profile_of(app, ana)[key]
        assert len(stored) == limit


@pytest.mark.parametrize("extra", [0, 1])
def test_affiliation_limit(client, ana, app, extra):
    orgs = make_orgs(app, 10 + extra)
    response = post_pairs(client, "/profile/edit", [("affiliation", str(i)) for i in orgs] + [("save", "1")])
    if extra:
        assert response.status_code == 422
        assert "Choose at most 10 (you chose 11)." in html_text(response)
    else:
        assert response.status_code == 302
        assert profile_of(app, ana)["affiliations"] == orgs


def test_available_must_be_known_and_the_error_names_them(client, ana, app):
    communication, finance = capacity_id(app, "communication"), capacity_id(app, "finance")
    response = post_pairs(client, "/profile/edit", [("capacity_known", str(communication)),
                                                  ("capacity_available", str(communication)),
                                                  ("capacity_available", str(finance)), ("save", "1")])
    assert response.status_code == 422
    page = html_text(response)
    assert "This capacity is available but not known: Finance." in page
    assert profile_of(app, ana)["caps"] == []


def test_import_known_capacities_fills_available_without_saving(client, ana, app):
    communication, finance = capacity_id(app, "communication"), capacity_id(app, "finance")
    response = post_pairs(client, "/profile/edit", [("capacity_known", str(communication)),
                                                  ("capacity_known", str(finance)), ("capacity_known__present", "1"),
                                                  ("capacity_available__present", "1"), ("import_known", "1")])
    assert response.status_code == 200
    page = html_text(response)
    section = page.split('id="picker-capacity_available"')[1].split("</fieldset>")[0]
    assert f'name="capacity_available" value="{communication}" checked' in section
    assert f'name="capacity_available" value="{finance}" checked' in section
    assert profile_of(app, ana)["caps"] == []


def test_picker_search_step_without_javascript(client, ana, app):
    response = client.post("/profile/edit", data={"bio": "kept text", "capacity_known__present": "1",
                                                  "capacity_known_q": "communic", "picker_search": "capacity_known"})
    assert response.status_code == 200
    page = html_text(response)
    assert "kept text" in page
    communication = capacity_id(app, "communication")
    assert f'name="capacity_known" value="{communication}">' in page  # a candidate to tick
    assert profile_of(app, ana)["bio"] is None
    # Ticking the candidate and saving stores it.
    client.post("/profile/edit", data={"capacity_known": str(communication), "save": "1"})
    assert profile_of(app, ana)["caps"] == [("known", communication)]


def test_enter_in_a_search_box_searches_and_enter_elsewhere_saves(client, ana, app):
    """Without JavaScript, Enter presses the form's hidden first button (picker_search=_enter)."""
    response = client.post("/profile/edit", data={"bio": "kept text", "capacity_known__present": "1",
                                                  "capacity_known_q": "communic", "capacity_wanted__present": "1",
                                                  "capacity_wanted_q": "", "picker_search": "_enter"})
    assert response.status_code == 200
    communication = capacity_id(app, "communication")
    assert f'name="capacity_known" value="{communication}">' in html_text(response)  # the box that had text
    assert profile_of(app, ana)["bio"] is None  # not saved
    response = client.post("/profile/edit", data={"bio": "saved by Enter", "capacity_known__present": "1",
                                                  "capacity_known_q": "", "picker_search": "_enter"})
    assert response.status_code == 302
    assert profile_of(app, ana)["bio"] == "saved by Enter"


def test_language_search_step_then_proficiency_select_defaults_to_advanced(client, ana, app):
    pt = ids(app, Language, 1, Language.code == "pt")[0]
    page = html_text(client.post("/profile/edit", data={"language": str(pt), "language__present": "1",
                                                        "language_q": "Fren", "picker_search": "language"}))
    assert f'id="proficiency_{pt}"' in page
    select = page.split(f'id="proficiency_{pt}"')[1].split("</select>")[0]
    assert 'value="3" selected' in select


def test_invalid_values_are_refused_or_dropped(client, ana, app):
    response = client.post("/profile/edit", data={"avatar": "999999", "bio_language": "999999",
                                                  "capacity_known": "999999", "project": "999999", "save": "1"})
    assert response.status_code == 422
    assert html_text(response).count("Choose one of the options offered.") == 2
    client.post("/profile/edit", data={"capacity_known": ["999999", "abc"], "project": "999999", "save": "1"})
    stored = profile_of(app, ana)
    assert stored["caps"] == [] and stored["projects"] == []


def test_post_without_csrf_is_refused(client, ana, app):
    response = client.post("/profile/edit", data={"bio": "x", "save": "1"}, csrf=False)
    assert response.status_code == 400
    assert profile_of(app, ana)["bio"] is None


def test_edit_requires_login(client):
    assert client.get("/profile/edit").status_code == 302
    assert client.post("/profile/edit", data={"bio": "x"}).status_code == 302


# -- alternative account --------------------------------------------------------------------------

def _list_users(mocked_http, body=None, **kwargs):
    sample = recorded("meta-list-users-emailable", "users-normalized-name")
    if body is None:
        body = sample["response"]["body"]
    mocked_http.add("GET", META_API, json=body, **kwargs)


def test_alt_account_that_exists_is_saved_with_its_canonical_name(client, make_user, login, app, mocked_http):
    bruno = make_user("Bruno Exemplo")
    login(client, bruno)
    _list_users(mocked_http)
    response = client.post("/profile/edit", data={"alt_account": "ana_Exemplo", "save": "1"})
    assert response.status_code == 302
    assert profile_of(app, bruno)["alt_account"] == "Ana Exemplo"
    call = mocked_http.calls[0].request
    assert "list=users" in call.url and "ususers=Ana+Exemplo" in call.url
    # Saving again without a change does not ask Meta-Wiki again.
    client.post("/profile/edit", data={"alt_account": "Ana Exemplo", "save": "1"})
    assert len(mocked_http.calls) == 1
    page = html_text(client.get("/profile"))
    assert "Special:CentralAuth/Ana_Exemplo" in page


def test_alt_account_missing_on_meta(client, ana, app, mocked_http):
    _list_users(mocked_http, {"batchcomplete": True, "query": {"users": [
        {"name": "Nonexistent Example User 4821", "missing": True}]}})
    response = client.post("/profile/edit", data={"alt_account": "Nonexistent Example User 4821", "save": "1"})
    assert response.status_code == 422
    assert "There is no account named &#34;Nonexistent Example User 4821&#34; on Meta-Wiki." in html_text(response) \
        or "There is no account named &quot;Nonexistent Example User 4821&quot; on Meta-Wiki." in html_text(response)
    assert profile_of(app, ana)["alt_account"] is None


def test_alt_account_invalid_name_on_meta(client, ana, mocked_http):
    _list_users(mocked_http, {"batchcomplete": True, "query": {"users": [{"name": "1.2.3.4", "invalid": True}]}})
    assert client.post("/profile/edit", data={"alt_account": "1.2.3.4", "save": "1"}).status_code == 422


def test_alt_account_of_another_capx_user_or_self_is_refused(client, ana, make_user, mocked_http):
    make_user("Bruno Exemplo")
    response = client.post("/profile/edit", data={"alt_account": "Bruno_Exemplo", "save": "1"})
    assert response.status_code == 422
    assert "is another Capacity Exchange user" in html_text(response)
    response = client.post("/profile/edit", data={"alt_account": "Ana Exemplo", "save": "1"})
    assert "This is the account you are logged in with." in html_text(response)
    response = client.post("/profile/edit", data={"alt_account": "Bad<name>", "save": "1"})
    assert response.status_code == 422
    assert not mocked_http.calls


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("failure", ["timeout", "http-503", "api-error"])
def test_alt_account_when_meta_fails(client, ana, app, mocked_http, failure):
    if failure == "timeout":
        mocked_http.add("GET", META_API, body=requests.exceptions.ConnectTimeout("slow"))
    elif failure == "http-503":
        mocked_http.add("GET", META_API, body="down", status=503)
    else:
        mocked_http.add("GET", META_API, json={"errors": [{"code": "readonly", "text": "read-only"}]})
    response = client.post("/profile/edit", data={"alt_account": "Ana Exemplo 2", "bio": "kept", "save": "1"})
    assert response.status_code == 422
    page = html_text(response)
    assert "Meta-Wiki could not be asked" in page and "kept" in page


# -- Wikidata -------------------------------------------------------------------------------------

def test_wikidata_photo_is_looked_up_cached_and_shown(client, make_user, login, app, mocked_http):
    jimbo = make_user("Jimbo Wales")
    login(client, jimbo)
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", "found-with-image")
    response = client.post("/profile/edit", data={"show_wikidata_photo": "1", "show_wikidata_item": "1",
                                                  "save": "1"})
    assert response.status_code == 302
    qid, photo, checked = profile_of(app, jimbo)["wikidata"]
    assert qid == "Q181" and photo == "Jimmy_Wales_Fundraiser_Appeal.jpg" and checked is not None
    page = html_text(client.get("/profile"))
    assert "Special:FilePath/Jimmy_Wales_Fundraiser_Appeal.jpg" in page
    assert "https://www.wikidata.org/wiki/Q181" in page
    # Cached: a second save does not query again.
    client.post("/profile/edit", data={"show_wikidata_photo": "1", "save": "1"})
    assert len(mocked_http.calls) == 1
    # An avatar wins over the photograph.
    avatar = ids(app, Avatar, 1)[0]
    client.post("/profile/edit", data={"show_wikidata_photo": "1", "avatar": str(avatar), "save": "1"})
    assert "Jimmy_Wales_Fundraiser_Appeal" not in html_text(client.get("/profile"))


def test_wikidata_without_image_or_item(client, make_user, login, app, mocked_http):
    user = make_user("Ana Exemplo")
    login(client, user)
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", "found-without-image")
    client.post("/profile/edit", data={"show_wikidata_photo": "1", "save": "1"})
    assert profile_of(app, user)["wikidata"][:2] == ("Q4115189", None)


def test_wikidata_photo_not_shown_without_consent(client, make_user, login, app, mocked_http):
    jimbo = make_user("Jimbo Wales")
    login(client, jimbo)
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", "found-with-image")
    client.post("/profile/edit", data={"show_wikidata_photo": "1", "save": "1"})
    client.post("/profile/edit", data={"save": "1"})
    assert "Jimmy_Wales_Fundraiser_Appeal" not in html_text(client.get("/profile"))


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("sample", ["error-rate-limited", "timeout", "not-json"])
def test_wikidata_failure_still_saves_the_rest(client, make_user, login, app, mocked_http, sample):
    jimbo = make_user("Jimbo Wales")
    login(client, jimbo)
    if sample == "timeout":
        mocked_http.add("GET", WDQS, body=requests.exceptions.ReadTimeout("slow"))
    elif sample == "not-json":
        mocked_http.add("GET", WDQS, body="<html>oops</html>", content_type="text/html")
    else:
        add_recorded(mocked_http, "wikidata-sparql-p4174-p18", sample)
    response = client.post("/profile/edit", data={"show_wikidata_photo": "1", "bio": "still saved", "save": "1"})
    assert response.status_code == 302
    assert profile_of(app, jimbo)["bio"] == "still saved"
    assert profile_of(app, jimbo)["wikidata"] == (None, None, None)
    assert "Wikidata could not be reached" in html_text(client.get("/profile"))


def test_edit_page_query_count_is_bounded(client, ana, app):
    """The edit page with many chosen items does a fixed number of queries."""
    langs = ids(app, Language, 20)
    caps = ids(app, Capacity, 40)
    terrs = ids(app, Territory, 10)
    orgs = make_orgs(app, 10)
    pairs = ([("language", str(i)) for i in langs] + [("capacity_known", str(i)) for i in caps]
             + [("territory", str(i)) for i in terrs] + [("affiliation", str(i)) for i in orgs] + [("save", "1")])
    assert post_pairs(client, "/profile/edit", pairs).status_code == 302
    with statements_run(app) as edit_statements:
        assert client.get("/profile/edit").status_code == 200
    with statements_run(app) as view_statements:
        assert client.get("/profile").status_code == 200
    assert len(edit_statements) <= 25 and len(view_statements) <= 25
