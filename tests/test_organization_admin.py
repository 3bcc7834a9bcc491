"""Staff tools for organizations: create one, edit its base fields, merge a duplicate into another
(what moves, what the target keeps, the limits, the report, the redirect of the old address)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (MAX_PROJECTS, Badge, Event, MentorshipProgram, Organization, OrganizationDetails,
                         OrganizationManager, OrganizationName, OrganizationProject, OrganizationRedirect,
                         OrganizationType, PartnerMember, Profile, ProfileAffiliation, SavedOrganization, Territory)
from capx.services.events import MAX_FEATURED
from tests.conftest import html_text
from tests.orgs_helpers import make_event, make_org

XSS = '<script>alert("x")</script>'


@pytest.fixture()
def people(make_user: Any) -> dict[str, Any]:
    return {"staff": make_user("Staff Person", is_staff=True), "manager": make_user("Manager One"),
            "other": make_user("Someone Else"), "third": make_user("Third Person")}


@pytest.fixture()
def staff_client(client: Any, login: Any, people: dict) -> Any:
    login(client, people["staff"])
    return client


def _type_id(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(OrganizationType.id).order_by(OrganizationType.id))


def _territory_id(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Territory.id).order_by(Territory.id))


# -- create and edit the base fields ----------------------------------------------------------------

def test_staff_create_an_organization(app: Any, staff_client: Any) -> None:
    parent = make_org(app, "Parent Org")
    type_id, territory = _type_id(app), _territory_id(app)
    response = staff_client.post("/organizations/staff/new", data={
        "name_en": "Wikimedia Nova", "name_lang-0": "pt-br", "name_text-0": "Wikimedia Nova BR", "acronym": "WMN",
        "type_id": str(type_id), "territory": str(territory), "parent_id": str(parent)})
    assert response.status_code == 302 and "/managers" in response.headers["Location"]
    with app.app_context():
        org = db.session.scalar(sa.select(Organization).where(Organization.acronym == "WMN"))
        assert org is not None and org.type_id == type_id and org.parent_id == parent
        assert {(n.lang, n.name) for n in org.names} == {("en", "Wikimedia Nova"), ("pt-br", "Wikimedia Nova BR")}
        assert [t.territory_id for t in org.territories] == [territory]
        new_id = org.id
    # Hidden until it has a manager: staff see it, nobody else does.
    assert staff_client.get(f"/organization_profile/{new_id}").status_code == 200


@pytest.mark.parametrize("data, field", [
    ({"name_en": ""}, "name_en"),
    ({"name_en": "x" * 256}, "name_en"),
    ({"name_en": "Ok", "acronym": "A" * 41}, "acronym"),
    ({"name_en": "Ok", "type_id": "999999"}, "type_id"),
    ({"name_en": "Ok", "type_id": "not a number"}, "type_id"),
    ({"name_en": "Ok", "parent_id": "999999"}, "parent_id"),
    ({"name_en": "Ok", "parent_id": "99999999999999999999999"}, "parent_id"),
    ({"name_en": "Ok", "name_lang-0": "xx-nope", "name_text-0": "Nope"}, "name-0"),
    ({"name_en": "Ok", "name_lang-0": "en", "name_text-0": "Again"}, "name-0"),
])
def test_bad_input_is_refused_and_kept(app: Any, staff_client: Any, data: dict, field: str) -> None:
    before = _count(app)
    response = staff_client.post("/organizations/staff/new", data={**data, "acronym": data.get("acronym", XSS[:40])})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert "<script>alert" not in page
    kept = data.get("acronym", XSS[:40])
    assert f'value="{kept}"' in page or "&lt;script&gt;" in page  # the input is kept (escaped)
    assert _count(app) == before


def _count(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) or 0


def test_xss_in_names_is_stored_as_text(app: Any, staff_client: Any) -> None:
    response = staff_client.post("/organizations/staff/new", data={"name_en": XSS})
    assert response.status_code == 302
    with app.app_context():
        org_id = db.session.scalar(sa.select(OrganizationName.organization_id).where(OrganizationName.name == XSS))
    page = staff_client.get(f"/organization_profile/{org_id}").get_data(as_text=True)
    assert "<script>alert" not in page


def test_staff_edit_base_fields_and_no_cycles(app: Any, staff_client: Any, people: dict) -> None:
    parent = make_org(app, "Parent", managers=(people["manager"],))
    child = make_org(app, "Child", managers=(people["manager"],), parent_id=parent)
    page = staff_client.get(f"/organization_profile/{child}/base")
    assert page.status_code == 200 and 'value="Child"' in page.get_data(as_text=True)
    # The parent cannot become its own child's child.
    response = staff_client.post(f"/organization_profile/{parent}/base", data={"name_en": "Parent",
                                                                                "parent_id": str(child)})
    assert response.status_code == 422 and 'id="parent_id-error"' in response.get_data(as_text=True)
    response = staff_client.post(f"/organization_profile/{parent}/base", data={"name_en": "Parent",
                                                                                "parent_id": str(parent)})
    assert response.status_code == 422
    response = staff_client.post(f"/organization_profile/{child}/base", data={
        "name_en": "Child renamed", "acronym": "CH", "name_lang-0": "ar", "name_text-0": "طفل"})
    assert response.status_code == 302
    with app.app_context():
        org = db.session.get(Organization, child)
        assert org.acronym == "CH" and org.parent_id is None
        assert {n.lang: n.name for n in org.names} == {"en": "Child renamed", "ar": "طفل"}


def test_more_name_rows_without_javascript(app: Any, staff_client: Any) -> None:
    before = _count(app)  # whatever the reference data holds: asking for rows creates nothing
    response = staff_client.post("/organizations/staff/new", data={"name_en": "Typed", "add_name_rows": "1"})
    assert response.status_code == 200 and 'value="Typed"' in response.get_data(as_text=True)
    assert _count(app) == before


def test_base_fields_forms_need_csrf(app: Any, staff_client: Any) -> None:
    org = make_org(app, "Org")
    assert staff_client.post("/organizations/staff/new", data={"name_en": "X"}, csrf=False).status_code == 400
    assert staff_client.post(f"/organization_profile/{org}/base", data={"name_en": "X"}, csrf=False).status_code == 400
    assert staff_client.post(f"/organization_profile/{org}/merge", data={"target_id": "1", "confirm": "1"},
                             csrf=False).status_code == 400


# -- merging --------------------------------------------------------------------------------------

def _profile_id(app: Any, user: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Profile.id).where(Profile.user_id == user.id))


def test_merge_moves_everything_and_reports_what_did_not(app: Any, staff_client: Any, people: dict) -> None:
    manager, other, third = people["manager"], people["other"], people["third"]
    target = make_org(app, "Wikimedia Target", managers=(manager,), acronym="WMT")
    source = make_org(app, "Wikimedia Source", managers=(manager, other), acronym="WMS", is_partner=True)
    child = make_org(app, "Child of Source", managers=(other,), parent_id=source)
    target_events = [make_event(app, target, f"Target event {i}", featured_position=i + 1)
                     for i in range(MAX_FEATURED - 1)]
    source_events = [make_event(app, source, f"Source event {i}", featured_position=i + 1) for i in range(2)]
    plain_event = make_event(app, source, "Source plain event")
    with app.app_context():
        db.session.add_all([
            OrganizationName(organization_id=source, lang="pt-br", name="Fonte"),
            OrganizationName(organization_id=target, lang="ar", name="الهدف"),
            OrganizationDetails(organization_id=source, contact_email="source@example.org",
                                contact_website="https://source.example.org"),
            OrganizationDetails(organization_id=target, contact_email="target@example.org"),
            *[OrganizationProject(organization_id=target, position=i + 1, name=f"T{i}")
              for i in range(MAX_PROJECTS - 1)],
            OrganizationProject(organization_id=source, position=1, name="S0"),
            OrganizationProject(organization_id=source, position=2, name="S1"),
            ProfileAffiliation(profile_id=_profile_id(app, other), organization_id=source),
            ProfileAffiliation(profile_id=_profile_id(app, third), organization_id=source),
            ProfileAffiliation(profile_id=_profile_id(app, third), organization_id=target),
            SavedOrganization(owner_id=other.id, organization_id=source),
            SavedOrganization(owner_id=third.id, organization_id=source),
            SavedOrganization(owner_id=third.id, organization_id=target),
            PartnerMember(organization_id=source, user_id=third.id),
            Badge(kind="partner", name="Source badge", organization_id=source),
        ])
        program = MentorshipProgram(organization_id=source, name="Source program", format="online",
                                    registration_start=__import__("datetime").date(2026, 1, 1),
                                    registration_end=__import__("datetime").date(2026, 12, 31))
        db.session.add(program)
        db.session.commit()
        program_id = program.id

    response = staff_client.post(f"/organization_profile/{source}/merge",
                                 data={"target_id": str(target), "confirm": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/organizations/staff/merged/{source}")
    report = staff_client.get(response.headers["Location"])
    assert report.status_code == 200
    text = html_text(report)
    for expected in ("WMS", "source@example.org", "Source event 1", "S1"):
        assert expected in text, expected

    with app.app_context():
        assert db.session.get(Organization, source) is None
        org = db.session.get(Organization, target)
        assert org.acronym == "WMT" and org.is_partner
        assert {n.lang: n.name for n in org.names} == {"en": "Wikimedia Target", "ar": "الهدف", "pt-br": "Fonte"}
        details = db.session.get(OrganizationDetails, target)
        assert details.contact_email == "target@example.org"
        assert details.contact_website == "https://source.example.org"
        assert [p.name for p in org.projects] == [*(f"T{i}" for i in range(MAX_PROJECTS - 1)), "S0"]
        assert set(db.session.scalars(sa.select(OrganizationManager.user_id)
                                      .where(OrganizationManager.organization_id == target))) == {manager.id, other.id}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileAffiliation)
                                 .where(ProfileAffiliation.organization_id == target)) == 2
        assert set(db.session.scalars(sa.select(SavedOrganization.owner_id)
                                      .where(SavedOrganization.organization_id == target))) == {other.id, third.id}
        assert db.session.get(PartnerMember, (target, third.id)) is not None
        assert db.session.scalar(sa.select(Badge.organization_id).where(Badge.name == "Source badge")) == target
        assert db.session.get(MentorshipProgram, program_id).organization_id == target
        assert db.session.get(Organization, child).parent_id == target
        events = {e.id: e for e in db.session.scalars(sa.select(Event))}
        assert all(e.organization_id == target for e in events.values())
        featured = sorted(e.featured_position for e in events.values() if e.featured_position)
        assert featured == list(range(1, MAX_FEATURED + 1))
        assert events[source_events[0]].featured_position == MAX_FEATURED
        assert events[source_events[1]].featured_position is None
        assert events[plain_event].featured_position is None and len(target_events) == MAX_FEATURED - 1
        assert db.session.get(OrganizationRedirect, source).target_id == target

    # The old address and the pages under it lead to the target.
    old = staff_client.get(f"/organization_profile/{source}")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/organization_profile/{target}")
    sub = staff_client.get(f"/organization_profile/{source}/events?x=1")
    assert sub.status_code == 301 and sub.headers["Location"].endswith(f"/organization_profile/{target}/events?x=1")


def test_merge_chains_keep_old_addresses(app: Any, staff_client: Any, people: dict) -> None:
    a, b, c = (make_org(app, name, managers=(people["manager"],)) for name in ("A", "B", "C"))
    for source, target in ((a, b), (b, c)):
        response = staff_client.post(f"/organization_profile/{source}/merge",
                                     data={"target_id": str(target), "confirm": "1"})
        assert response.status_code == 302
    assert staff_client.get(f"/organization_profile/{a}").headers["Location"].endswith(f"/organization_profile/{c}")


@pytest.mark.parametrize("data, field", [
    ({"confirm": "1"}, "target_id"),
    ({"target_id": "999999", "confirm": "1"}, "target_id"),
    ({"target_id": "SELF", "confirm": "1"}, "target_id"),
    ({"target_id": "OTHER"}, "confirm"),
])
def test_bad_merges_are_refused(app: Any, staff_client: Any, people: dict, data: dict, field: str) -> None:
    source = make_org(app, "Source", managers=(people["manager"],))
    other = make_org(app, "Other", managers=(people["manager"],))
    data = {k: v.replace("SELF", str(source)).replace("OTHER", str(other)) for k, v in data.items()}
    response = staff_client.post(f"/organization_profile/{source}/merge", data=data)
    assert response.status_code == 422 and f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Organization, source) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationRedirect)) == 0


def test_merge_report_needs_staff(app: Any, client: Any, login: Any, people: dict) -> None:
    login(client, people["other"])
    assert client.get("/organizations/staff/merged/1").status_code == 403
