"""Editing an organization profile: who may, every validator at its boundary, one transaction,
and two managers editing at once (the version column)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (Organization, OrganizationCapacity, OrganizationDetails, OrganizationDiffTag,
                         OrganizationDocument, OrganizationProject, OrganizationType, Territory)
from tests.conftest import html_text, statements_run
from tests.orgs_helpers import capacity_ids, make_org


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "1", "loaded": "{}", "logo": "", "name_en": "Wikimedia Exemplo", "acronym": "WMEX",
        "type_id": "", "report_url": "", "diff_tags": "", "contact_meta_url": "", "contact_email": "",
        "contact_website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture()
def setup(app: Any, make_user: Any) -> dict[str, Any]:
    manager = make_user("Manager One")
    other_manager = make_user("Manager Two")
    staff = make_user("Staff Person", is_staff=True)
    other = make_user("Someone Else")
    org_id = make_org(app, managers=(manager, other_manager), acronym="WMEX")
    return {"manager": manager, "manager2": other_manager, "staff": staff, "other": other, "org": org_id}


def edit_url(org_id: int) -> str:
    return f"/organization_profile/{org_id}/edit"


def current_version(app: Any, org_id: int) -> int:
    with app.app_context():
        return db.session.get(Organization, org_id).version


# -- access matrix -------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client: Any, setup: dict) -> None:
    response = client.get(edit_url(setup["org"]))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(edit_url(setup["org"]), data=form())
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who,status", [("manager", 200), ("staff", 200), ("other", 403)])
def test_get_access(client: Any, login: Any, setup: dict, who: str, status: int) -> None:
    login(client, setup[who])
    assert client.get(edit_url(setup["org"])).status_code == status


@pytest.mark.parametrize("who,status", [("manager", 302), ("staff", 302), ("other", 403)])
def test_post_access(app: Any, client: Any, login: Any, setup: dict, who: str, status: int) -> None:
    login(client, setup[who])
    response = client.post(edit_url(setup["org"]), data=form(acronym="NEW"))
    assert response.status_code == status
    with app.app_context():
        acronym = db.session.get(Organization, setup["org"]).acronym
    assert acronym == ("NEW" if status == 302 else "WMEX")


def test_manager_of_another_organization_gets_403(app: Any, client: Any, login: Any, setup: dict) -> None:
    other_org = make_org(app, name="Other org", managers=(setup["other"],))
    login(client, setup["other"])
    assert client.get(edit_url(setup["org"])).status_code == 403
    assert client.get(edit_url(other_org)).status_code == 200


def test_unknown_organization_404(client: Any, login: Any, setup: dict) -> None:
    login(client, setup["staff"])
    assert client.get(edit_url(999999)).status_code == 404


def test_post_without_csrf_is_refused(app: Any, client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    response = client.post(edit_url(setup["org"]), data=form(acronym="NEW"), csrf=False)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Organization, setup["org"]).acronym == "WMEX"


def test_edit_button_only_for_managers_and_staff(client: Any, login: Any, setup: dict) -> None:
    for who, shown in (("manager", True), ("staff", True), ("other", False)):
        login(client, setup[who])
        page = html_text(client.get(f"/organization_profile/{setup['org']}"))
        assert (edit_url(setup["org"]) in page) is shown, who


# -- a full save ---------------------------------------------------------------------------------

def test_full_save_in_one_go(app: Any, client: Any, login: Any, setup: dict) -> None:
    caps = capacity_ids(app)
    with app.app_context():
        type_id = db.session.scalar(sa.select(OrganizationType.id).limit(1))
        bra = db.session.scalar(sa.select(Territory.id).where(Territory.code == "BRA"))
    login(client, setup["manager"])
    data = form(
        logo="https://commons.wikimedia.org/wiki/File:Wikimedia_Brasil_logo.svg", type_id=str(type_id),
        **{"name_lang-0": "pt-br", "name_text-0": "Wikimédia Exemplo", "name_lang-1": "ar", "name_text-1": "ويكيميديا"},
        report_url="https://meta.wikimedia.org/wiki/Wikimedia_Exemplo/Reports",
        capacity_known=[str(caps[0]), str(caps[1])], capacity_available=[str(caps[1])],
        capacity_wanted=[str(caps[-1])], territory=[str(bra)],
        **{"project_name-0": "Wiki Loves Monuments", "project_image-0": "File:WLM logo.svg",
           "project_url-0": "https://www.wikilovesmonuments.org/",
           "document-0": "https://commons.wikimedia.org/wiki/Special:FilePath/Report_2024.pdf"},
        diff_tags="Capacity Exchange, Wikimedia Brasil",
        contact_meta_url="https://meta.wikimedia.org/wiki/User:Exemplo", contact_email="team@example.org",
        contact_website="https://example.org",
    )
    response = client.post(edit_url(setup["org"]), data=data)
    assert response.status_code == 302, html_text(response)
    with app.app_context():
        org = db.session.get(Organization, setup["org"])
        assert org.logo_file == "Wikimedia_Brasil_logo.svg"
        assert org.type_id == type_id
        assert {n.lang: n.name for n in org.names} == {"en": "Wikimedia Exemplo", "pt-br": "Wikimédia Exemplo",
                                                        "ar": "ويكيميديا"}
        kinds = {(c.capacity_id, c.kind) for c in org.capacities}
        assert kinds == {(caps[0], "known"), (caps[1], "known"), (caps[1], "available"), (caps[-1], "wanted")}
        assert [t.territory_id for t in org.territories] == [bra]
        details = db.session.get(OrganizationDetails, org.id)
        assert details.report_url.endswith("/Reports") and details.contact_email == "team@example.org"
        project = db.session.scalar(sa.select(OrganizationProject))
        assert (project.name, project.image_file) == ("Wiki Loves Monuments", "WLM_logo.svg")
        assert db.session.scalar(sa.select(OrganizationDocument.file_name)) == "Report_2024.pdf"
        assert sorted(db.session.scalars(sa.select(OrganizationDiffTag.slug))) == ["capacity-exchange", "wikimedia-brasil"]
        assert org.version == 2
    page = html_text(client.get(f"/organization_profile/{setup['org']}"))
    assert "Special:FilePath/Wikimedia_Brasil_logo.svg?width=" in page
    assert "Wiki Loves Monuments" in page and "team@example.org" in page and "View document" in page
    # the names are shown in the interface language, English otherwise
    client.set_cookie("uselang", "pt-br", domain="capx.test")
    pt = html_text(client.get(f"/organization_profile/{setup['org']}?uselang=pt-br"))
    assert "Wikimédia Exemplo" in pt


def test_a_save_touches_only_the_list_rows_that_changed(app: Any, client: Any, login: Any, setup: dict) -> None:
    """Projects, documents and Diff tags are kept in place when unchanged, updated or added or removed
    one by one otherwise (never all deleted and written again)."""
    login(client, setup["manager"])
    lists = {"project_name-0": "Wiki Loves Monuments", "project_name-1": "Wiki Loves Earth", "document-0": "Report.pdf",
             "diff_tags": "Capacity Exchange, Wikimedia Brasil"}
    assert client.post(edit_url(setup["org"]), data=form(**lists)).status_code == 302
    with statements_run(app) as statements:
        assert client.post(edit_url(setup["org"]), data=form(version="2", **lists)).status_code == 302
    touched = [s for s in statements if re.match(r"(INSERT INTO|DELETE FROM|UPDATE) organization_(project|document|diff_tag)", s)]
    assert touched == []
    changed = {**lists, "project_name-1": "Wiki Loves Folklore", "diff_tags": "Wikimedia Brasil, Diff"}
    with statements_run(app) as statements:
        assert client.post(edit_url(setup["org"]), data=form(version="3", **changed)).status_code == 302
    touched = sorted(s.split(" (")[0].split(" SET")[0].split(" WHERE")[0] for s in statements
                     if re.match(r"(INSERT INTO|DELETE FROM|UPDATE) organization_(project|document|diff_tag)", s))
    assert touched == ["DELETE FROM organization_diff_tag", "INSERT INTO organization_diff_tag",
                       "UPDATE organization_diff_tag", "UPDATE organization_project"]
    with app.app_context():
        org = db.session.get(Organization, setup["org"])
        assert [p.name for p in org.projects] == ["Wiki Loves Monuments", "Wiki Loves Folklore"]
        assert [(t.position, t.slug) for t in org.diff_tags] == [(1, "wikimedia-brasil"), (2, "diff")]


def test_clearing_every_field_is_allowed_but_english_name_stays(app: Any, client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    client.post(edit_url(setup["org"]), data=form(contact_email="a@example.org", diff_tags="x",
                                                   **{"name_lang-0": "fr", "name_text-0": "Exemple"}))
    version = current_version(app, setup["org"])
    response = client.post(edit_url(setup["org"]), data=form(version=str(version), acronym=""))
    assert response.status_code == 302
    with app.app_context():
        org = db.session.get(Organization, setup["org"])
        assert org.acronym is None and [n.lang for n in org.names] == ["en"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationDiffTag)) == 0
        assert db.session.get(OrganizationDetails, org.id).contact_email is None
    response = client.post(edit_url(setup["org"]), data=form(version=str(version + 1), name_en=""))
    assert response.status_code == 400
    assert "The English name is required." in html_text(response)


# -- validators at their boundaries --------------------------------------------------------------

def error_for(client: Any, org_id: int, **fields: Any) -> str:
    response = client.post(edit_url(org_id), data=form(**fields))
    assert response.status_code == 400, response.status_code
    return html_text(response)


@pytest.mark.parametrize("value,ok", [
    ("https://commons.wikimedia.org/wiki/File:Logo.svg", True),
    ("https://commons.wikimedia.org/wiki/Special:FilePath/Logo.svg", True),
    ("https://commons.wikimedia.org/wiki/Special:Redirect/file/Logo.svg", True),
    ("File:Logo.png", True),
    ("https://example.org/logo.svg", False),
    ("https://commons.wikimedia.org/wiki/Main_Page", False),
    ("not a file", False),
])
def test_logo_must_be_a_commons_file(client: Any, login: Any, setup: dict, value: str, ok: bool) -> None:
    login(client, setup["manager"])
    response = client.post(edit_url(setup["org"]), data=form(logo=value))
    assert response.status_code == (302 if ok else 400)
    if not ok:
        page = html_text(response)
        assert "Give a link to a file on Wikimedia Commons." in page
        assert f'value="{value}"' in page  # input kept


@pytest.mark.parametrize("value,ok", [
    ("https://meta.wikimedia.org/wiki/Wikimedia_Brasil/Reports", True),
    ("https://meta.m.wikimedia.org/wiki/X", True),
    ("https://meta.wikimedia.org/w/index.php?title=X&oldid=1", True),
    ("https://meta.wikimedia.org/wiki/", False),
    ("https://en.wikipedia.org/wiki/Report", False),
    ("https://meta.wikimedia.org.evil.example/wiki/X", False),
    ("ftp://meta.wikimedia.org/wiki/X", False),
    ("meta.wikimedia.org/wiki/X", False),
])
def test_report_and_meta_contact_must_be_meta_wiki(client: Any, login: Any, setup: dict, value: str, ok: bool) -> None:
    login(client, setup["manager"])
    for field in ("report_url", "contact_meta_url"):
        version = str(current_version(client.application, setup["org"]))
        response = client.post(edit_url(setup["org"]), data=form(version=version, **{field: value}))
        assert response.status_code == (302 if ok else 400), field
        if not ok:
            assert "Give a link to a page on Meta-Wiki" in html_text(response)


EMAIL_ERROR = "Enter a valid email address."
WEBSITE_ERROR = "Enter a web address starting with https://"


@pytest.mark.parametrize("field,value,error", [
    ("contact_email", "team@example.org", None), ("contact_email", "a.b+c@sub.example.co", None),
    ("contact_email", "team@example", EMAIL_ERROR), ("contact_email", "team example@example.org", EMAIL_ERROR),
    ("contact_email", "@example.org", EMAIL_ERROR),
    ("contact_email", "x" * 242 + "@example.org", None), ("contact_email", "x" * 243 + "@example.org", EMAIL_ERROR),
    ("contact_website", "https://example.org", None), ("contact_website", "https://example.org/path?x=1", None),
    ("contact_website", "http://example.org", WEBSITE_ERROR), ("contact_website", "https://localhost", WEBSITE_ERROR),
    ("contact_website", "javascript:alert(1)", WEBSITE_ERROR),
    ("contact_website", "https://" + "a" * 480 + ".org", None),
    ("contact_website", "https://" + "a" * 500 + ".org", WEBSITE_ERROR),
    # Diff tags are names, not links (the error is not checked: several rules give it).
    ("diff_tags", "Capacity Exchange", None), ("diff_tags", "capacity-exchange, wiki loves earth", None),
    ("diff_tags", "https://diff.wikimedia.org/tag/capacity-exchange/", ""), ("diff_tags", "tag/capacity", ""),
    ("diff_tags", "!!!", ""), ("diff_tags", ", ".join(f"tag {i}" for i in range(10)), None),
    ("diff_tags", ", ".join(f"tag {i}" for i in range(11)), ""), ("diff_tags", "x" * 100, None),
    ("diff_tags", "x" * 101, ""),
])
def test_contact_and_diff_tag_fields(client: Any, login: Any, setup: dict, field: str, value: str,
                                     error: str | None) -> None:
    """A valid value saves (302); an invalid one is refused (400) with ``error`` shown."""
    login(client, setup["manager"])
    response = client.post(edit_url(setup["org"]), data=form(**{field: value}))
    assert response.status_code == (302 if error is None else 400), value
    if error:
        assert error in html_text(response)


def test_name_lengths_and_languages(client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    assert client.post(edit_url(setup["org"]), data=form(name_en="N" * 255)).status_code == 302
    page = error_for(client, setup["org"], version="2", name_en="N" * 256)
    assert "At most 255 characters." in page
    page = error_for(client, setup["org"], version="2", **{"name_lang-0": "xx-not-a-language", "name_text-0": "Nom"})
    assert "Choose a language from the list." in page
    page = error_for(client, setup["org"], version="2", **{"name_lang-0": "en", "name_text-0": "Again"})
    assert "This language already has a name." in page
    page = error_for(client, setup["org"], version="2", **{"name_lang-0": "fr", "name_text-0": "A",
                                                           "name_lang-1": "fr", "name_text-1": "B"})
    assert "This language already has a name." in page
    page = error_for(client, setup["org"], version="2", **{"name_lang-0": "fr", "name_text-0": ""})
    assert "Give the name in this language, or clear the row." in page
    assert client.post(edit_url(setup["org"]), data=form(version="2", acronym="A" * 40)).status_code == 302
    assert "At most 40 characters." in error_for(client, setup["org"], version="3", acronym="A" * 41)


def test_invalid_type(client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    assert "Choose one of the options." in error_for(client, setup["org"], type_id="99999")


def test_available_must_be_known(app: Any, client: Any, login: Any, setup: dict) -> None:
    caps = capacity_ids(app)
    login(client, setup["manager"])
    page = error_for(client, setup["org"], capacity_known=[str(caps[0])], capacity_available=[str(caps[1])])
    assert "Available capacities must also be known capacities." in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationCapacity)) == 0


def test_projects_and_documents_limits(app: Any, client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    four = {f"project_name-{i}": f"P{i}" for i in range(4)}
    assert client.post(edit_url(setup["org"]), data=form(**four)).status_code == 302
    five = {f"project_name-{i}": f"P{i}" for i in range(5)}
    assert "At most 4." in error_for(client, setup["org"], version="2", **five)
    assert "Give the project&#39;s name." in error_for(client, setup["org"], version="2",
                                                       **{"project_url-0": "https://example.org"})
    assert "Enter a web address" in error_for(client, setup["org"], version="2",
                                              **{"project_name-0": "P", "project_url-0": "example.org"})
    assert "Give a link to a file on Wikimedia Commons." in error_for(
        client, setup["org"], version="2", **{"project_name-0": "P", "project_image-0": "https://example.org/a.png"})
    docs = {f"document-{i}": f"File:Doc {i}.pdf" for i in range(4)}
    assert client.post(edit_url(setup["org"]), data=form(version="2", **docs, **four)).status_code == 302
    docs5 = {f"document-{i}": f"File:Doc {i}.pdf" for i in range(5)}
    assert "At most 4." in error_for(client, setup["org"], version="3", **docs5)
    assert "Give a link to a file" in error_for(client, setup["org"], version="3", **{"document-0": "https://x.org/a"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationProject)) == 4
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationDocument)) == 4


def test_errors_keep_every_input(client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    page = error_for(client, setup["org"], contact_email="bad", acronym="KEEP",
                     **{"project_name-0": "Kept project", "name_lang-0": "fr", "name_text-0": "Nom gardé"})
    assert 'value="KEEP"' in page and 'value="Kept project"' in page and 'value="Nom gardé"' in page
    assert 'value="bad"' in page


def test_picker_search_without_javascript_does_not_save(app: Any, client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    response = client.post(edit_url(setup["org"]), data=form(acronym="CHANGED", picker_search="territory",
                                                              territory_q="Bra"))
    assert response.status_code == 200
    page = html_text(response)
    assert "Brazil" in page and 'value="CHANGED"' in page
    with app.app_context():
        assert db.session.get(Organization, setup["org"]).acronym == "WMEX"


# -- two managers at once ------------------------------------------------------------------------

def loaded_form(client: Any, org_id: int) -> dict[str, str]:
    page = html_text(client.get(edit_url(org_id)))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    loaded = re.search(r'name="loaded" value="([^"]*)"', page).group(1)
    import html as html_lib

    return {"version": version, "loaded": html_lib.unescape(loaded)}


def test_second_save_is_detected_and_shows_changes(app: Any, client: Any, login: Any, setup: dict) -> None:
    first = client.application.test_client()  # a second browser (a CapxClient too)
    login(first, setup["manager"])
    login(client, setup["manager2"])
    mine = loaded_form(client, setup["org"])
    theirs = loaded_form(first, setup["org"])
    assert mine["version"] == theirs["version"] == "1"
    # Manager One saves first: new acronym and an email.
    response = first.post(edit_url(setup["org"]), data=form(**theirs, acronym="FIRST", contact_email="one@example.org"))
    assert response.status_code == 302
    # Manager Two saves what they loaded: detected, nothing overwritten, their input kept.
    response = client.post(edit_url(setup["org"]), data=form(**mine, acronym="SECOND", contact_website="https://two.org"))
    assert response.status_code == 409
    page = html_text(response)
    assert "Someone else saved this while you were editing" in page
    assert "FIRST" in page and "one@example.org" in page  # what changed, as stored now
    assert 'value="SECOND"' in page and 'value="https://two.org"' in page  # their input kept
    with app.app_context():
        org = db.session.get(Organization, setup["org"])
        assert org.acronym == "FIRST" and org.version == 2
    # The form now carries the stored version: saving again is a deliberate overwrite.
    assert 'name="version" value="2"' in page
    retry = loaded_form_from(page)
    response = client.post(edit_url(setup["org"]), data=form(**retry, acronym="SECOND"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Organization, setup["org"]).acronym == "SECOND"


def loaded_form_from(page: str) -> dict[str, str]:
    import html as html_lib

    return {"version": re.search(r'name="version" value="(\d+)"', page).group(1),
            "loaded": html_lib.unescape(re.search(r'name="loaded" value="([^"]*)"', page).group(1))}


def test_stale_write_race_is_caught(app: Any, client: Any, login: Any, setup: dict, monkeypatch: Any) -> None:
    """Another save landing between the version check and the commit is caught by the version column."""
    from capx.services import organization_profiles

    login(client, setup["manager"])
    real_apply = organization_profiles.apply_edit

    def racing_apply(org: Organization, edit: Any) -> None:
        # a concurrent writer bumps the version in the database behind this session's back
        db.session.execute(sa.update(Organization.__table__).where(Organization.__table__.c.id == org.id)
                           .values(version=Organization.__table__.c.version + 1, acronym="RACER"))
        real_apply(org, edit)

    monkeypatch.setattr("capx.blueprints.organizations.profiles.apply_edit", racing_apply)
    response = client.post(edit_url(setup["org"]), data=form(acronym="LOSER"))
    assert response.status_code == 409
    assert 'value="LOSER"' in html_text(response)


def test_hidden_fields_present(client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    page = html_text(client.get(edit_url(setup["org"])))
    assert 'name="version" value="1"' in page and 'name="csrf_token"' in page


def test_add_translation_rows_without_javascript(app: Any, client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    response = client.post(edit_url(setup["org"]), data=form(add_name_rows="1", **{
        "name_lang-0": "fr", "name_text-0": "Exemple", "name_lang-1": "es", "name_text-1": "Ejemplo"}))
    assert response.status_code == 200
    page = html_text(response)
    assert 'value="Exemple"' in page and 'value="Ejemplo"' in page
    assert 'name="name_text-3"' in page  # two new empty rows after the two typed ones
    with app.app_context():
        assert [n.lang for n in db.session.get(Organization, setup["org"]).names] == ["en"]


def test_error_messages_escape_user_input(client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    page = error_for(client, setup["org"], diff_tags="a/<script>alert(1)</script>")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_import_known_capacities_like_the_profile_editor(app: Any, client: Any, login: Any, setup: dict) -> None:
    """"Import known capacities" copies the known ones into the available ones and shows the form
    again (nothing saved; the rest of the input kept); Save then stores them."""
    caps = capacity_ids(app)
    login(client, setup["manager"])
    version = str(current_version(app, setup["org"]))
    data = form(version=version, acronym="TYPED", capacity_known=[str(caps[0]), str(caps[1])],
                capacity_available=[str(caps[1])], capacity_available__present="1", import_known="1")
    response = client.post(edit_url(setup["org"]), data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="TYPED"' in page
    for cap in caps[:2]:
        assert f'name="capacity_available" value="{cap}"' in page
    with app.app_context():
        org = db.session.get(Organization, setup["org"])
        assert org.acronym == "WMEX" and not org.capacities
    saved = client.post(edit_url(setup["org"]), data=form(
        version=version, capacity_known=[str(caps[0]), str(caps[1])], capacity_available=[str(caps[0]), str(caps[1])]))
    assert saved.status_code == 302
    with app.app_context():
        kinds = {(c.capacity_id, c.kind) for c in db.session.get(Organization, setup["org"]).capacities}
        assert {(caps[0], "available"), (caps[1], "available")} <= kinds
