"""Partners: staff mark an organization and name its members; members manage the partner's badges
and give them by user name; people see them; the badges job leaves them alone."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import EARNED, PARTNER, Badge, MentorshipProgram, Organization, PartnerMember, UserBadge
from capx.services import badges as badges_service
from capx.services.mentorship import can_manage as can_manage_program
from capx.services.mentorship import managed_organization_ids
from tests.conftest import html_text
from tests.mentorship_helpers import make_key_pair, make_program
from tests.orgs_helpers import make_org

XSS = '<script>alert("x")</script>'


@pytest.fixture()
def world(app: Any, make_user: Any) -> dict[str, Any]:
    people = {"staff": make_user("Staff Person", is_staff=True), "member": make_user("Partner Member"),
              "manager": make_user("Org Manager"), "ana": make_user("Ana Exemplo"), "bo": make_user("Bo Exemplo"),
              "other_member": make_user("Other Member")}
    partner = make_org(app, "Partner Org", managers=(people["manager"],), is_partner=True)
    other = make_org(app, "Other Partner", managers=(people["manager"],), is_partner=True)
    with app.app_context():
        db.session.add(PartnerMember(organization_id=partner, user_id=people["member"].id))
        db.session.add(PartnerMember(organization_id=other, user_id=people["other_member"].id))
        other_badge = Badge(kind=PARTNER, organization_id=other, name="Other's badge")
        db.session.add(other_badge)
        db.session.commit()
        return {**people, "partner": partner, "other": other, "other_badge": other_badge.id}


def _badge_id(app: Any, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Badge.id).where(Badge.name == name))


def test_staff_mark_partners_and_name_members(app: Any, client: Any, login: Any, world: dict, make_user: Any) -> None:
    org = make_org(app, "Plain Org", managers=(world["manager"],))
    login(client, world["staff"])
    assert client.post(f"/organization_profile/{org}/partner", data={"action": "mark"}).status_code == 302
    response = client.post(f"/organization_profile/{org}/partner", data={"action": "add", "username": "ana_Exemplo"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Organization, org).is_partner
        assert db.session.get(PartnerMember, (org, world["ana"].id)) is not None
        # Members run the partner's mentorship programs (capx.services.mentorship honours PartnerMember).
        assert org in managed_organization_ids(world["ana"])
    response = client.post(f"/organization_profile/{org}/partner", data={"action": "add", "username": "Nobody Here"})
    assert response.status_code == 422 and 'value="Nobody Here"' in response.get_data(as_text=True)
    assert client.post(f"/organization_profile/{org}/partner",
                       data={"action": "remove", "user_id": str(world["ana"].id)}).status_code == 302
    assert client.post(f"/organization_profile/{org}/partner", data={"action": "unmark"}).status_code == 302
    assert client.post(f"/organization_profile/{org}/partner", data={"action": "bogus"}).status_code == 400
    with app.app_context():
        assert not db.session.get(Organization, org).is_partner
        assert db.session.get(PartnerMember, (org, world["ana"].id)) is None


def test_done_when_a_member_creates_a_badge_and_gives_it_to_two_people(app: Any, client: Any, login: Any,
                                                                        world: dict) -> None:
    partner = world["partner"]
    login(client, world["member"])
    profile = client.get(f"/organization_profile/{partner}").get_data(as_text=True)
    assert f"/organization_profile/{partner}/badges" in profile
    response = client.post(f"/organization_profile/{partner}/badges", data={
        "name": "Mentor of the year", "description": "Given to our best mentors.",
        "image": "https://commons.wikimedia.org/wiki/File:Star_badge.svg"})
    assert response.status_code == 302
    badge_id = _badge_id(app, "Mentor of the year")
    with app.app_context():
        badge = db.session.get(Badge, badge_id)
        assert badge.kind == PARTNER and badge.organization_id == partner and badge.image == "Star_badge.svg"
    url = f"/organization_profile/{partner}/badges/{badge_id}"
    assert client.post(url, data={"action": "assign", "usernames": "Ana Exemplo,\nbo_Exemplo\n\n"}).status_code == 302
    page = html_text(client.get(url))
    assert "Ana Exemplo" in page and "Bo Exemplo" in page

    # They see it on their badges page and on their profile; the badges job leaves it.
    with app.app_context():
        for _ in badges_service.recompute_all():
            db.session.commit()
        assert db.session.get(UserBadge, (world["ana"].id, badge_id)).progress == EARNED
    login(client, world["ana"])
    assert "Mentor of the year" in html_text(client.get("/profile/badges"))
    assert "Mentor of the year" in html_text(client.get("/profile/Ana_Exemplo"))
    assert "Star_badge.svg" in client.get("/profile/badges").get_data(as_text=True)


def test_unknown_usernames_are_reported_and_the_input_kept(app: Any, client: Any, login: Any, world: dict) -> None:
    partner = world["partner"]
    login(client, world["member"])
    client.post(f"/organization_profile/{partner}/badges", data={"name": "B"})
    url = f"/organization_profile/{partner}/badges/{_badge_id(app, 'B')}"
    response = client.post(url, data={"action": "assign", "usernames": "Ana Exemplo, Ghost Person"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ghost Person" in html_text(response) and "Ana Exemplo, Ghost Person</textarea>" in page
    for bad in ("", "a|b", "x" * 300, ", ".join(f"P{i}" for i in range(101))):
        assert client.post(url, data={"action": "assign", "usernames": bad}).status_code == 422
    response = client.post(url, data={"action": "assign", "usernames": XSS})
    assert response.status_code == 422 and "<script>alert" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserBadge)) == 0


@pytest.mark.parametrize("data, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Ok", "description": "d" * 2001}, "description"),
    ({"name": "Ok", "image": "https://evil.example/x.png"}, "image"),
    ({"name": "Ok", "image": "not a file"}, "image"),
])
def test_bad_badges_are_refused_and_kept(app: Any, client: Any, login: Any, world: dict, data: dict,
                                         field: str) -> None:
    login(client, world["member"])
    response = client.post(f"/organization_profile/{world['partner']}/badges", data=data)
    assert response.status_code == 422 and f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)
                                 .where(Badge.organization_id == world["partner"])) == 0


def test_xss_badge_name_is_text(app: Any, client: Any, login: Any, world: dict) -> None:
    login(client, world["member"])
    assert client.post(f"/organization_profile/{world['partner']}/badges", data={"name": XSS}).status_code == 302
    page = client.get(f"/organization_profile/{world['partner']}/badges").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_edit_unassign_and_delete(app: Any, client: Any, login: Any, world: dict) -> None:
    partner = world["partner"]
    login(client, world["member"])
    client.post(f"/organization_profile/{partner}/badges", data={"name": "Old name"})
    badge_id = _badge_id(app, "Old name")
    url = f"/organization_profile/{partner}/badges/{badge_id}"
    assert client.post(url, data={"action": "save", "name": "New name", "description": "D"}).status_code == 302
    client.post(url, data={"action": "assign", "usernames": "Ana Exemplo, Bo Exemplo"})
    assert client.post(url, data={"action": "unassign", "user_id": [str(world["ana"].id)]}).status_code == 302
    with app.app_context():
        assert db.session.get(Badge, badge_id).name == "New name"
        assert {r.user_id for r in db.session.scalars(sa.select(UserBadge))} == {world["bo"].id}
    assert client.post(url, data={"action": "delete"}).status_code == 302
    with app.app_context():
        assert db.session.get(Badge, badge_id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserBadge)) == 0


def test_another_partners_badge_is_not_found(app: Any, client: Any, login: Any, world: dict) -> None:
    login(client, world["member"])
    url = f"/organization_profile/{world['partner']}/badges/{world['other_badge']}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"action": "delete"}).status_code == 404
    assert client.get(f"/organization_profile/{world['other']}/badges").status_code == 403
    with app.app_context():
        assert db.session.get(Badge, world["other_badge"]) is not None


def test_an_unmarked_partner_loses_its_members_powers(app: Any, client: Any, login: Any, world: dict) -> None:
    with app.app_context():
        db.session.get(Organization, world["partner"]).is_partner = False
        db.session.commit()
        assert world["partner"] not in managed_organization_ids(world["member"])
    login(client, world["member"])
    assert client.get(f"/organization_profile/{world['partner']}/badges").status_code == 404


def test_partner_forms_need_csrf(app: Any, client: Any, login: Any, world: dict) -> None:
    login(client, world["staff"])
    partner = world["partner"]
    assert client.post(f"/organization_profile/{partner}/partner", data={"action": "mark"}, csrf=False).status_code == 400
    assert client.post(f"/organization_profile/{partner}/badges", data={"name": "X"}, csrf=False).status_code == 400
    assert client.post(f"/organization_profile/{partner}/badges/{world['other_badge']}", data={"action": "delete"},
                       csrf=False).status_code == 400


def test_members_manage_programs(app: Any, world: dict) -> None:
    with app.app_context():
        program_id = make_program(world["partner"], make_key_pair()[1], name="Partner program")
        program = db.session.get(MentorshipProgram, program_id)
        assert can_manage_program(world["member"], program)
        assert not can_manage_program(world["other_member"], program)
