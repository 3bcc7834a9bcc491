"""The organization profile page, hidden organizations, staff tools for managers, deletion and
the org-manager command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.forms.organizations import CAPACITY_HEADINGS, TYPE_LABELS
from capx.models import (CAPACITY_KINDS, DiffPost, DiffPostTag, Event, Organization, OrganizationDetails,
                         OrganizationDiffTag, OrganizationDocument, OrganizationManager, OrganizationProject,
                         SavedOrganization)
from capx.services import organizations as org_service
from tests.conftest import html_text, statements_run
from tests.orgs_helpers import make_event, make_org


@pytest.fixture()
def people(make_user: Any) -> dict[str, Any]:
    return {"manager": make_user("Manager One"), "staff": make_user("Staff Person", is_staff=True),
            "other": make_user("Someone Else")}


def profile_url(org_id: int) -> str:
    return f"/organization_profile/{org_id}"


# -- the page ------------------------------------------------------------------------------------

def test_visitors_read_the_profile_and_log_in_to_save(app: Any, client: Any, people: dict) -> None:
    """Public, read-only: no save form, no editing or staff links; saving asks for login and
    comes back here."""
    org = make_org(app, "Public Org", managers=(people["manager"],))
    response = client.get(profile_url(org))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Public Org" in page
    assert f"/saved/organization/{org}" not in page and "/edit" not in page and "/managers" not in page
    assert f'/login?next=/organization_profile/{org}"' in page
    login_page = client.get(f"/login?next=/organization_profile/{org}")
    assert f'value="/organization_profile/{org}"' in login_page.get_data(as_text=True)


def test_visitors_do_not_learn_of_hidden_organizations(app: Any, client: Any) -> None:
    org = make_org(app)  # no managers
    assert client.get(profile_url(org)).status_code == 404
    assert client.get(profile_url(999999)).status_code == 404


def test_the_login_link_never_leads_elsewhere(app: Any, client: Any, people: dict) -> None:
    """The login page honours only same-site paths in ``next`` (capx.access.safe_next)."""
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    assert 'value="//evil.example/x"' not in page and 'value="/home"' in page


@pytest.mark.parametrize("who", ["manager", "staff", "other"])
def test_visible_profile_for_every_logged_in_user(app: Any, client: Any, login: Any, people: dict, who: str) -> None:
    org = make_org(app, managers=(people["manager"],))
    login(client, people[who])
    assert client.get(profile_url(org)).status_code == 200


@pytest.mark.parametrize("who,status", [("staff", 200), ("other", 404), ("manager", 404)])
def test_hidden_profile_only_for_staff(app: Any, client: Any, login: Any, people: dict, who: str, status: int) -> None:
    org = make_org(app)  # no managers
    login(client, people[who])
    response = client.get(profile_url(org))
    assert response.status_code == status
    if status == 200:
        assert "it is hidden from lists" in html_text(response)


def test_profile_shows_everything(app: Any, client: Any, login: Any, people: dict) -> None:
    org_id = make_org(app, managers=(people["manager"],), acronym="WMEX", logo_file="Logo_WMEX.svg")
    with app.app_context():
        db.session.add(OrganizationDetails(organization_id=org_id, report_url="https://meta.wikimedia.org/wiki/R",
                                           contact_meta_url="https://meta.wikimedia.org/wiki/Contact",
                                           contact_email="team@example.org", contact_website="https://example.org"))
        db.session.add(OrganizationProject(organization_id=org_id, position=1, name="Project <b>A</b>",
                                           image_file="P.png", url="https://example.org/p"))
        db.session.add(OrganizationDocument(organization_id=org_id, position=1, file_name="Annual_report.pdf"))
        db.session.add(OrganizationDiffTag(organization_id=org_id, slug="wmex", name="WMEX"))
        old = DiffPost(link="https://diff.wikimedia.org/old", title="Older post", published_at=dt.datetime(2024, 1, 1),
                       excerpt="Old excerpt")
        new = DiffPost(link="https://diff.wikimedia.org/new", title="Newer post", published_at=dt.datetime(2025, 1, 1),
                       excerpt="New excerpt")
        other = DiffPost(link="https://diff.wikimedia.org/unrelated", title="Unrelated post",
                         published_at=dt.datetime(2025, 2, 1))
        db.session.add_all([old, new, other])
        db.session.flush()
        db.session.add_all([DiffPostTag(post_id=old.id, slug="wmex"), DiffPostTag(post_id=new.id, slug="wmex"),
                            DiffPostTag(post_id=other.id, slug="other")])
        db.session.commit()
    featured = make_event(app, org_id, title="Featured meetup", featured_position=1)
    make_event(app, org_id, title="Not featured")
    login(client, people["other"])
    page = html_text(client.get(profile_url(org_id)))
    assert "https://commons.wikimedia.org/wiki/Special:FilePath/Logo_WMEX.svg?width=200" in page
    assert "WMEX" in page and "Wikimedia Exemplo" in page
    assert "https://meta.wikimedia.org/wiki/R" in page
    assert "Project &lt;b&gt;A&lt;/b&gt;" in page  # escaped
    assert "https://commons.wikimedia.org/wiki/File:Annual_report.pdf" in page and "View document" in page
    assert page.index("Newer post") < page.index("Older post") and "Unrelated post" not in page
    assert 'href="https://diff.wikimedia.org/tag/wmex/"' in page
    assert f"/events/{featured}" in page and "Not featured" not in page
    assert f"/events?organization={org_id}" in page
    assert "mailto:team@example.org" in page and "https://example.org" in page
    # copy link: the URL as visible text in a field, and a button for capx.js
    assert f'value="http://capx.test/organization_profile/{org_id}"' in page
    assert 'data-copy-target="#org-link"' in page
    # save button from the shared macro
    assert f"/saved/organization/{org_id}" in page and 'aria-pressed="false"' in page
    assert "/edit" not in page.split("org-profile__actions")[1].split("</div>")[0]


def test_save_button_reflects_saved_state(app: Any, client: Any, login: Any, people: dict) -> None:
    org = make_org(app, managers=(people["manager"],))
    with app.app_context():
        db.session.add(SavedOrganization(owner_id=people["other"].id, organization_id=org))
        db.session.commit()
    login(client, people["other"])
    assert 'aria-pressed="true"' in html_text(client.get(profile_url(org)))


def test_profile_query_count_is_bounded(app: Any, client: Any, login: Any, people: dict) -> None:
    org_id = make_org(app, managers=(people["manager"],))
    login(client, people["other"])
    client.get(profile_url(org_id))  # warm caches

    def count_queries() -> int:
        with statements_run(app) as statements:
            assert client.get(profile_url(org_id)).status_code == 200
        return len(statements)

    few = count_queries()
    for i in range(10):
        make_event(app, org_id, title=f"E{i}", featured_position=(i % 4) + 1 if i < 4 else None)
    with app.app_context():
        for i in range(4):
            db.session.add(OrganizationProject(organization_id=org_id, position=i + 1, name=f"P{i}"))
            db.session.add(OrganizationDocument(organization_id=org_id, position=i + 1, file_name=f"D{i}.pdf"))
        db.session.commit()
    assert count_queries() == few


# -- visibility service ----------------------------------------------------------------------------

def test_visibility_helpers(app: Any, people: dict) -> None:
    visible = make_org(app, name="Visible", managers=(people["manager"],))
    hidden = make_org(app, name="Hidden")
    with app.app_context():
        ids = [o.id for o in db.session.scalars(org_service.visible_organizations_query())]
        assert ids == [visible]
        assert list(db.session.scalars(org_service.visible_organization_ids_subquery())) == [visible]
        assert org_service.is_visible(db.session.get(Organization, visible))
        assert not org_service.is_visible(db.session.get(Organization, hidden))
        assert [o.id for o in org_service.managed_by(db.session.get(type(people["manager"]), people["manager"].id))] == [visible]
        assert org_service.managed_by(None) == []
        assert org_service.can_manage(people["staff"], hidden)
        assert not org_service.can_manage(people["other"], visible)


# -- staff: managers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who,status", [("staff", 200), ("manager", 403), ("other", 403)])
def test_managers_page_is_staff_only(app: Any, client: Any, login: Any, people: dict, who: str, status: int) -> None:
    org = make_org(app, managers=(people["manager"],))
    login(client, people[who])
    assert client.get(f"/organization_profile/{org}/managers").status_code == status
    response = client.post(f"/organization_profile/{org}/managers", data={"action": "add", "username": "Someone Else"})
    assert response.status_code == (302 if status == 200 else 403)
    assert client.get("/organizations/staff").status_code == status


def test_staff_add_and_remove_managers(app: Any, client: Any, login: Any, people: dict) -> None:
    org = make_org(app)
    login(client, people["staff"])
    url = f"/organization_profile/{org}/managers"
    staff_page = html_text(client.get("/organizations/staff"))
    assert "hidden" in staff_page
    response = client.post(url, data={"action": "add", "username": "someone_Else"}, follow_redirects=True)
    assert "Manager added." in html_text(response) and "<bdi>Someone Else</bdi>" in html_text(response)
    with app.app_context():
        assert org_service.is_visible(db.session.get(Organization, org))
    response = client.post(url, data={"action": "add", "username": "Nobody Here"})
    assert response.status_code == 400 and "No user with this name" in html_text(response)
    assert 'value="Nobody Here"' in html_text(response)
    response = client.post(url, data={"action": "remove", "user_id": str(people["other"].id)}, follow_redirects=True)
    assert "Manager removed." in html_text(response)
    with app.app_context():
        assert not org_service.is_visible(db.session.get(Organization, org))
    assert client.post(url, data={"action": "explode"}).status_code == 400
    assert client.get("/organization_profile/99999/managers").status_code == 404


def test_new_manager_can_then_edit(app: Any, client: Any, login: Any, people: dict) -> None:
    org = make_org(app)
    login(client, people["other"])
    # Without a manager the organization is hidden: its edit page does not confirm it exists.
    assert client.get(f"/organization_profile/{org}/edit").status_code == 404
    with app.app_context():
        org_service.add_manager(db.session.get(Organization, org), db.session.get(type(people["other"]), people["other"].id))
        db.session.commit()
    assert client.get(f"/organization_profile/{org}/edit").status_code == 200


# -- staff: delete -----------------------------------------------------------------------------------

@pytest.mark.parametrize("who,status", [("staff", 302), ("manager", 403), ("other", 403)])
def test_delete_is_staff_only(app: Any, client: Any, login: Any, people: dict, who: str, status: int) -> None:
    org = make_org(app, managers=(people["manager"],))
    make_event(app, org)
    login(client, people[who])
    assert client.post(f"/organization_profile/{org}/delete").status_code == status
    with app.app_context():
        exists = db.session.get(Organization, org) is not None
        events = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
        managers = db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationManager))
    assert exists is (status != 302)
    if status == 302:
        assert events == 0 and managers == 0


def test_delete_requires_post_and_csrf(app: Any, client: Any, login: Any, people: dict) -> None:
    org = make_org(app, managers=(people["manager"],))
    login(client, people["staff"])
    assert client.get(f"/organization_profile/{org}/delete").status_code == 405
    assert client.post(f"/organization_profile/{org}/delete", csrf=False).status_code == 400
    with app.app_context():
        assert db.session.get(Organization, org) is not None


# -- command line ------------------------------------------------------------------------------------

def test_org_manager_command(app: Any, people: dict) -> None:
    org = make_org(app, acronym="WMEX")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["capx", "org-manager", "add", "WMEX", "Someone_Else"])
    assert result.exit_code == 0, result.output
    assert "Someone Else is now a manager of organization" in result.output
    result = runner.invoke(args=["capx", "org-manager", "add", str(org), "Someone Else"])
    assert "was already a manager" in result.output
    with app.app_context():
        assert org_service.is_visible(db.session.get(Organization, org))
    result = runner.invoke(args=["capx", "org-manager", "remove", "Wikimedia Exemplo", "Someone Else"])
    assert result.exit_code == 0 and "is no longer a manager" in result.output
    result = runner.invoke(args=["capx", "org-manager", "remove", "WMEX", "Someone Else"])
    assert "was not a manager" in result.output
    result = runner.invoke(args=["capx", "org-manager", "add", "NOPE", "Someone Else"])
    assert result.exit_code != 0 and "no organization" in result.output
    result = runner.invoke(args=["capx", "org-manager", "add", "WMEX", "Ghost"])
    assert result.exit_code != 0 and "no user named" in result.output


def test_every_type_and_capacity_kind_has_a_label() -> None:
    """Labels come from Python (no message key is built in a template): one for every reference type."""
    types = json.loads((Path(__file__).parent.parent / "capx" / "data" / "organizations.json")
                       .read_text(encoding="utf-8"))["types"]
    assert sorted(TYPE_LABELS) == sorted(t["code"].lower() for t in types)
    assert list(CAPACITY_HEADINGS) == list(CAPACITY_KINDS)
