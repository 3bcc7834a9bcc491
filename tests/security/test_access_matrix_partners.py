"""The access matrix of the staff and partner pages of issue 18, with the roles they add: a member
of partner P, a member of another partner P2, a manager of P, staff, a user and an anonymous visitor.

P is a visible partner with badge B; P2 a visible partner with badge B2; H a hidden partner (no
manager) whose member is the member of P too, so members reach their partner's badges even while
it is hidden; O a visible organization that is not a partner. Expected answers as in
test_access_matrix.py: ``LOGIN`` (302 to the login page), ``REDIRECT`` (the action happened),
or a status code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from capx.extensions import db
from capx.models import PARTNER, Badge, PartnerMember
from tests.helpers import LOGIN, REDIRECT, assert_answer, matrix_cells
from tests.orgs_helpers import make_org

ACTORS = ("anon", "user", "member", "other_member", "manager", "staff")


@dataclass
class World:
    ids: dict[str, int]
    users: dict[str, Any]


@pytest.fixture()
def world(app: Any, make_user: Callable[..., Any]) -> World:
    users = {"user": make_user("Plain User"), "member": make_user("Member P"), "other_member": make_user("Member P2"),
             "manager": make_user("Manager P"), "staff": make_user("Staff Member", is_staff=True)}
    p = make_org(app, "Partner P", managers=(users["manager"],), is_partner=True)
    p2 = make_org(app, "Partner P2", managers=(make_user("Manager P2"),), is_partner=True)
    h = make_org(app, "Hidden Partner", is_partner=True)
    o = make_org(app, "Not a partner", managers=(users["manager"],))
    with app.app_context():
        db.session.add_all([PartnerMember(organization_id=p, user_id=users["member"].id),
                            PartnerMember(organization_id=h, user_id=users["member"].id),
                            PartnerMember(organization_id=p2, user_id=users["other_member"].id)])
        b, b2, bh = (Badge(kind=PARTNER, organization_id=org, name=f"Badge {org}") for org in (p, p2, h))
        db.session.add_all([b, b2, bh])
        db.session.commit()
        ids = {"p": p, "p2": p2, "h": h, "o": o, "b": b.id, "b2": b2.id, "bh": bh.id}
    return World(ids, users)


def _data(kind: str) -> dict[str, Any]:
    return {"": {}, "badge": {"name": "A badge"}, "save": {"action": "save", "name": "Renamed"},
            "assign": {"action": "assign", "usernames": "Plain User"}, "unassign": {"action": "unassign"},
            "delete": {"action": "delete"}, "mark": {"action": "mark"},
            "member": {"action": "add", "username": "Plain User"}}[kind]


# (method, url, data kind, expected for anon, user, member, other_member, manager, staff)
MATRIX: list[tuple[str, str, str, tuple[Any, ...]]] = [
    # The organization profile is public; the partner's badge link shows for its members.
    ("GET", "/organization_profile/{p}", "", (200, 200, 200, 200, 200, 200)),
    ("GET", "/organization_profile/{h}", "", (404, 404, 404, 404, 404, 200)),
    # Partner settings: staff only.
    ("GET", "/organization_profile/{p}/partner", "", (LOGIN, 403, 403, 403, 403, 200)),
    ("POST", "/organization_profile/{o}/partner", "mark", (LOGIN, 403, 403, 403, 403, REDIRECT)),
    ("POST", "/organization_profile/{p}/partner", "member", (LOGIN, 403, 403, 403, 403, REDIRECT)),
    ("GET", "/organization_profile/999999/partner", "", (LOGIN, 403, 403, 403, 403, 404)),
    # The partner's badges: its members and staff; others 403 (or 404 where it is hidden).
    ("GET", "/organization_profile/{p}/badges", "", (LOGIN, 403, 200, 403, 403, 200)),
    ("POST", "/organization_profile/{p}/badges", "badge", (LOGIN, 403, REDIRECT, 403, 403, REDIRECT)),
    ("POST", "/organization_profile/{p}/badges", "", (LOGIN, 403, 422, 403, 403, 422)),
    ("GET", "/organization_profile/{h}/badges", "", (LOGIN, 404, 200, 404, 404, 200)),
    ("GET", "/organization_profile/{o}/badges", "", (LOGIN, 404, 404, 404, 404, 404)),
    ("GET", "/organization_profile/{p}/badges/{b}", "", (LOGIN, 403, 200, 403, 403, 200)),
    ("POST", "/organization_profile/{p}/badges/{b}", "save", (LOGIN, 403, REDIRECT, 403, 403, REDIRECT)),
    ("POST", "/organization_profile/{p}/badges/{b}", "assign", (LOGIN, 403, REDIRECT, 403, 403, REDIRECT)),
    ("POST", "/organization_profile/{p}/badges/{b}", "unassign", (LOGIN, 403, REDIRECT, 403, 403, REDIRECT)),
    ("POST", "/organization_profile/{p}/badges/{b}", "delete", (LOGIN, 403, REDIRECT, 403, 403, REDIRECT)),
    ("POST", "/organization_profile/{p}/badges/{b}", "", (LOGIN, 403, 400, 403, 403, 400)),
    # Another partner's badge through this partner's address: not found, whoever asks.
    ("GET", "/organization_profile/{p}/badges/{b2}", "", (LOGIN, 403, 404, 403, 403, 404)),
    ("POST", "/organization_profile/{p}/badges/{b2}", "delete", (LOGIN, 403, 404, 403, 403, 404)),
    ("GET", "/organization_profile/{p2}/badges/{b2}", "", (LOGIN, 403, 403, 200, 403, 200)),
    ("GET", "/organization_profile/{p}/badges/999999", "", (LOGIN, 403, 404, 403, 403, 404)),
    # Staff tools (issue 18): no partner role reaches them.
    ("GET", "/organizations/staff/new", "", (LOGIN, 403, 403, 403, 403, 200)),
    ("GET", "/organization_profile/{p}/base", "", (LOGIN, 403, 403, 403, 403, 200)),
    ("GET", "/organization_profile/{p}/merge", "", (LOGIN, 403, 403, 403, 403, 200)),
    ("GET", "/staff/people", "", (LOGIN, 403, 403, 403, 403, 200)),
    ("GET", "/staff/people.csv", "", (LOGIN, 403, 403, 403, 403, 200)),
]

CELLS = matrix_cells(MATRIX, ACTORS)


@pytest.mark.parametrize("method, url, kind, actor, expected", CELLS)
def test_partner_access_matrix(client: Any, login: Any, world: World, method: str, url: str, kind: str, actor: str,
                               expected: Any) -> None:
    if actor != "anon":
        login(client, world.users[actor])
    path = url.format(**world.ids)
    response = client.get(path) if method == "GET" else client.post(path, data=_data(kind))
    assert_answer(response, expected)


@pytest.mark.parametrize("actor, sees", [("anon", False), ("user", False), ("member", True), ("other_member", False),
                                         ("manager", False), ("staff", True)])
def test_badge_link_on_the_profile(client: Any, login: Any, world: World, actor: str, sees: bool) -> None:
    if actor != "anon":
        login(client, world.users[actor])
    page = client.get(f"/organization_profile/{world.ids['p']}").get_data(as_text=True)
    assert (f"/organization_profile/{world.ids['p']}/badges" in page) is sees
