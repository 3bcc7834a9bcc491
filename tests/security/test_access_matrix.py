"""Who may do what to whose data: one table of (route, action) x (anonymous, user A, user B,
organization manager, staff) with the answer each must get.

The world every cell runs in (built fresh per test, so destructive actions cannot leak into
other cells):

* user A owns a bug report, a message log row and a mentorship application, and is saved by B;
* organization O is managed by M ("manager"), organization O2 by someone else, organization H has no
  manager (hidden: only staff see it, and nobody else may learn it exists);
* events E (of O), E2 (of O2), EH (of H); mentorship programs P (of O) and P2 (of O2);
* S is staff.

Expected answers: ``LOGIN`` is a 302 to the login page (with ``next``); ``REDIRECT`` is any other
302 (the action happened); numbers are status codes. 403 where the object is public but not
yours, 404 where even its existence is private (someone else's bug report, hidden organizations
and their events).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (BugReport, Event, EventCourseImage, MentorshipApplication, MessageLog, Organization,
                         OrganizationManager, SavedOrganization, SavedProfile, User)
from tests.conftest import html_text
from tests.explore_helpers import card_names
from tests.helpers import LOGIN, REDIRECT, assert_answer, matrix_cells
from tests.mentorship_helpers import make_key_pair, make_program
from tests.orgs_helpers import make_event, make_org

ACTORS = ("anon", "a", "b", "manager", "staff")
RECIPIENT = "Recipient Only A Knows"


@functools.cache
def _public_pem() -> str:
    """One key pair for the whole module (RSA key generation is slow)."""
    return make_key_pair()[1]


@dataclass
class World:
    ids: dict[str, int]
    users: dict[str, Any]
    public_pem: str


@pytest.fixture()
def world(app: Any, make_user: Callable[..., Any]) -> World:
    a, b = make_user("User A"), make_user("User B")
    manager, other_manager = make_user("Org Manager"), make_user("Other Manager")
    staff = make_user("Staff Member", is_staff=True)
    o = make_org(app, "Visible Org", managers=(manager,))
    o2 = make_org(app, "Other Org", managers=(other_manager,))
    h = make_org(app, "Hidden Org")
    e, e2, eh = make_event(app, o, "Event O"), make_event(app, o2, "Event O2"), make_event(app, h, "Event H")
    public_pem = _public_pem()
    with app.app_context():
        p = make_program(o, public_pem, name="Program O")
        p2 = make_program(o2, public_pem, name="Program O2")
        from capx.models import MentorshipQuestion

        question = db.session.scalar(sa.select(MentorshipQuestion.id).where(MentorshipQuestion.program_id == p)
                                     .order_by(MentorshipQuestion.id))
        report = BugReport(reporter_id=a.id, title="A's private report", description="Only A and staff.",
                           type="error", status="new")
        db.session.add(report)
        db.session.add(MessageLog(sender_id=a.id, recipient_username=RECIPIENT, method="email", status="sent"))
        db.session.add(MentorshipApplication(program_id=p, applicant_id=a.id, role="mentee",
                                             key_fingerprint="f" * 64, wrapped_key=b"k", nonce=b"n",
                                             ciphertext=b"c"))
        db.session.add(SavedProfile(owner_id=b.id, saved_user_id=a.id))
        for event_id in (e, eh):  # a copied course picture (served by CapX to whoever may see the event)
            db.session.add(EventCourseImage(event_id=event_id, source_url="https://learn.wiki/asset-v1:x.png",
                                            content_type="image/png", data=b"\x89PNG\r\n\x1a\n"))
        db.session.commit()
        ids = {"a": a.id, "b": b.id, "o": o, "o2": o2, "h": h, "e": e, "e2": e2, "eh": eh, "p": p, "p2": p2,
               "q": question, "r": report.id}
    return World(ids, {"a": a, "b": b, "manager": manager, "staff": staff}, public_pem)


def _data(kind: str, world: World) -> dict[str, Any]:
    return {
        "": {},
        "save": {"action": "save", "next": "/home"},
        "unsave": {"action": "unsave", "next": "/home"},
        "triage": {"status": "done", "reply": "Thanks"},
        "key": {"public_key": world.public_pem},
        "managers": {"action": "add", "username": "User B"},
        "featured": {},
        "move": {"direction": "down"},
        "mark": {"action": "mark"},
    }[kind]


# (method, url, form data kind, expected for anon, a, b, manager, staff)
MATRIX: list[tuple[str, str, str, tuple[Any, ...]]] = [
    # Profiles: every editing route acts on the logged-in user only (no id in the URL to swap).
    ("GET", "/profile", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/profile/edit", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/profile/export", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/profile/badges", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/profile/delete", "", (LOGIN, 200, 200, 200, 200)),
    # Anonymous: the page asking to log in (User_A's profile is not public; tests/test_profiles_public.py).
    ("GET", "/profile/User_A", "", (200, 200, 200, 200, 200)),
    # Saved lists: saving oneself or a hidden organization is refused like an unknown id. Every
    # action is on the logged-in user's own list (the rows are checked below); a list has no
    # address of its own, so nobody can ask for someone else's.
    ("GET", "/feed/saved", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/feed/saved?user={b}&owner_id={b}&user_id={b}", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/feed/saved/{b}", "", (404, 404, 404, 404, 404)),
    ("GET", "/feed", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/organization_list", "", (200, 200, 200, 200, 200)),
    ("POST", "/saved/profile/{a}", "save", (LOGIN, 404, REDIRECT, REDIRECT, REDIRECT)),
    ("POST", "/saved/profile/{a}", "unsave", (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    ("POST", "/saved/profile/{b}", "save", (LOGIN, REDIRECT, 404, REDIRECT, REDIRECT)),
    ("POST", "/saved/profile/{a}", "", (LOGIN, 400, 400, 400, 400)),
    ("POST", "/saved/profile/999999", "save", (LOGIN, 404, 404, 404, 404)),
    ("POST", "/saved/organization/{o}", "save", (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    ("POST", "/saved/organization/{o}", "unsave", (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    ("POST", "/saved/organization/{h}", "save", (LOGIN, 404, 404, 404, REDIRECT)),
    ("POST", "/saved/organization/999999", "save", (LOGIN, 404, 404, 404, 404)),
    # Organizations.
    ("GET", "/organization_profile/{o}", "", (200, 200, 200, 200, 200)),
    ("GET", "/organization_profile/{h}", "", (404, 404, 404, 404, 200)),
    ("GET", "/organization_profile/999999", "", (404, 404, 404, 404, 404)),
    ("GET", "/organization_profile/{o}/edit", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/organization_profile/{o2}/edit", "", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/organization_profile/{h}/edit", "", (LOGIN, 404, 404, 404, 200)),
    ("POST", "/organization_profile/{o}/edit", "", (LOGIN, 403, 403, 409, 409)),
    ("POST", "/organization_profile/{h}/edit", "", (LOGIN, 404, 404, 404, 409)),
    ("GET", "/organization_profile/999999/edit", "", (LOGIN, 404, 404, 404, 404)),
    ("GET", "/organization_profile/{o}/managers", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/organization_profile/{o}/managers", "managers", (LOGIN, 403, 403, 403, REDIRECT)),
    ("GET", "/organizations/staff", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/organization_profile/{o}/delete", "", (LOGIN, 403, 403, 403, REDIRECT)),
    ("POST", "/organization_profile/{h}/delete", "", (LOGIN, 403, 403, 403, REDIRECT)),
    # Staff tools for organizations (issue 18): create, base fields, merge, the merge's report.
    ("GET", "/organizations/staff/new", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/organizations/staff/new", "", (LOGIN, 403, 403, 403, 422)),
    ("GET", "/organization_profile/{o}/base", "", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/organization_profile/{h}/base", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/organization_profile/{o}/base", "", (LOGIN, 403, 403, 403, 422)),
    ("GET", "/organization_profile/999999/base", "", (LOGIN, 403, 403, 403, 404)),
    ("GET", "/organization_profile/{o}/merge", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/organization_profile/{o}/merge", "", (LOGIN, 403, 403, 403, 422)),
    ("GET", "/organizations/staff/merged/999999", "", (LOGIN, 403, 403, 403, 404)),
    # Partners (the partner member's column: tests/security/test_access_matrix_partners.py).
    ("GET", "/organization_profile/{o}/partner", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/organization_profile/{o}/partner", "mark", (LOGIN, 403, 403, 403, REDIRECT)),
    ("GET", "/organization_profile/{o}/badges", "", (LOGIN, 404, 404, 404, 404)),
    ("GET", "/organization_profile/{o}/badges/999999", "", (LOGIN, 404, 404, 404, 404)),
    # Events.
    ("GET", "/events/{e}", "", (200, 200, 200, 200, 200)),
    ("GET", "/events/{eh}", "", (404, 404, 404, 404, 200)),
    ("GET", "/events/{eh}.ics", "", (404, 404, 404, 404, 200)),
    ("GET", "/events/{e}/course-image", "", (200, 200, 200, 200, 200)),
    ("GET", "/events/{eh}/course-image", "", (404, 404, 404, 404, 200)),
    ("GET", "/organization_profile/{o}/events/new", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/organization_profile/{o2}/events/new", "", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/organization_profile/{h}/events/new", "", (LOGIN, 404, 404, 404, 200)),
    ("POST", "/organization_profile/{o}/events/new", "", (LOGIN, 403, 403, 400, 400)),
    # Fill in from a link (nothing saved): an empty link is refused with 422 for those who may.
    ("POST", "/organization_profile/{o}/events/fill", "", (LOGIN, 403, 403, 422, 422)),
    ("POST", "/organization_profile/{h}/events/fill", "", (LOGIN, 404, 404, 404, 422)),
    ("GET", "/organization_profile/{o}/events", "", (LOGIN, 403, 403, 200, 200)),
    ("POST", "/organization_profile/{o}/events", "featured", (LOGIN, 403, 403, REDIRECT, REDIRECT)),
    ("GET", "/organization_profile/{h}/events", "", (LOGIN, 404, 404, 404, 200)),
    ("GET", "/events/{e}/edit", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/events/{e2}/edit", "", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/events/{eh}/edit", "", (LOGIN, 404, 404, 404, 200)),
    ("POST", "/events/{e}/edit", "", (LOGIN, 403, 403, 409, 409)),
    ("POST", "/events/{e}/delete", "", (LOGIN, 403, 403, REDIRECT, REDIRECT)),
    ("POST", "/events/{e2}/delete", "", (LOGIN, 403, 403, 403, REDIRECT)),
    ("POST", "/events/{eh}/delete", "", (LOGIN, 404, 404, 404, REDIRECT)),
    # Bug reports: private to the reporter and staff (404: others do not learn it exists).
    ("GET", "/report_bug/{r}", "", (LOGIN, 200, 404, 404, 200)),
    ("GET", "/report_bug/999999", "", (LOGIN, 404, 404, 404, 404)),
    ("GET", "/report_bug/submissions", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/report_bug/triage", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/report_bug/{r}/triage", "triage", (LOGIN, 403, 403, 403, REDIRECT)),
    # Message logs (the content check is below).
    ("GET", "/message/sent", "", (LOGIN, 200, 200, 200, 200)),
    # Mentorship programs: managers of the program's organization and staff.
    ("GET", "/mentorship", "", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/mentorship/manage", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/mentorship/manage/new", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/mentorship/manage/{p}", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/mentorship/manage/{p2}", "", (LOGIN, 403, 403, 403, 200)),
    ("POST", "/mentorship/manage/{p}", "", (LOGIN, 403, 403, 400, 400)),
    ("GET", "/mentorship/manage/999999", "", (LOGIN, 404, 404, 404, 404)),
    ("POST", "/mentorship/manage/{p}/key", "key", (LOGIN, 403, 403, REDIRECT, REDIRECT)),
    ("POST", "/mentorship/manage/{p2}/key", "key", (LOGIN, 403, 403, 403, REDIRECT)),
    ("GET", "/mentorship/manage/{p}/applications.json", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/mentorship/manage/{p2}/applications.json", "", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/mentorship/manage/{p}/questions/new", "", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/mentorship/manage/{p}/questions/{q}", "", (LOGIN, 403, 403, 200, 200)),
    ("POST", "/mentorship/manage/{p}/questions/{q}/move", "move", (LOGIN, 403, 403, REDIRECT, REDIRECT)),
    ("POST", "/mentorship/manage/{p}/questions/{q}/delete", "", (LOGIN, 403, 403, REDIRECT, REDIRECT)),
    ("GET", "/mentorship/{p}/apply/mentee", "", (LOGIN, 200, 200, 200, 200)),
    # Staff-only areas of other features.
    ("GET", "/capacity/suggestions", "", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/capacity/themes/edit", "", (LOGIN, 403, 403, 403, 200)),
]

CELLS = matrix_cells(MATRIX, ACTORS)


def act_as(client: Any, login: Any, world: World, actor: str) -> None:
    if actor != "anon":
        login(client, world.users[actor])


@pytest.mark.parametrize("method, url, kind, actor, expected", CELLS)
def test_access_matrix(app: Any, client: Any, login: Any, world: World, mocked_http: Any,
                       method: str, url: str, kind: str, actor: str, expected: Any) -> None:
    act_as(client, login, world, actor)
    path = url.format(**world.ids)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=_data(kind, world))
    assert_answer(response, expected)


def test_matrix_covers_every_owned_object_route(app: Any) -> None:
    """A new route with an owned object in its URL must get a row in the matrix."""
    covered = {url.split("?")[0] for _m, url, _k, _e in MATRIX}
    patterns = {rule.rule for rule in app.url_map.iter_rules()
                if any(part in rule.rule for part in ("organization_id", "event_id", "report_id", "program_id"))}

    def shape(url: str) -> str:
        import re

        return re.sub(r"\{\w+\}|999999|<[^>]+>|(?<=/apply/)\w+", "<>", url)

    missing = {p for p in patterns if shape(p) not in {shape(u) for u in covered}}
    assert not missing, f"routes missing from the access matrix: {sorted(missing)}"


# -- content: what each actor sees of other people's data -------------------------------------------

@pytest.mark.parametrize("actor, sees", [("a", True), ("b", False), ("manager", False), ("staff", False)])
def test_sent_tab_shows_only_own_messages(client: Any, login: Any, world: World, actor: str, sees: bool) -> None:
    act_as(client, login, world, actor)
    page = html_text(client.get("/message/sent"))
    assert (RECIPIENT in page) is sees


@pytest.mark.parametrize("actor, sees", [("a", True), ("b", False), ("manager", False), ("staff", False)])
def test_my_applications_are_only_own(client: Any, login: Any, world: World, actor: str, sees: bool) -> None:
    act_as(client, login, world, actor)
    page = html_text(client.get("/mentorship"))
    section = page.split('id="my-applications"', 1)[1]
    assert ("Program O" in section.split("</section>", 1)[0]) is sees


@pytest.mark.parametrize("actor, sees", [("a", True), ("b", False), ("manager", False), ("staff", True)])
def test_bug_report_lists(client: Any, login: Any, world: World, actor: str, sees: bool) -> None:
    act_as(client, login, world, actor)
    page = html_text(client.get("/report_bug/triage" if actor == "staff" else "/report_bug/submissions"))
    assert ("A&#39;s private report" in page or "A's private report" in page) is sees


@pytest.mark.parametrize("actor", ["a", "b", "manager", "staff"])
def test_nobody_learns_who_saved_them(client: Any, login: Any, world: World, actor: str) -> None:
    """B saved A: no page shows A (or anyone but B) that B saved them; B's own lists do."""
    act_as(client, login, world, actor)
    pages = [client.get(u) for u in ("/profile", "/profile/User_A", "/profile/User_B", "/home")]
    export = client.get("/profile/export").get_json()
    for response in pages:
        text = html_text(response)
        assert "saved you" not in text.lower()
    if actor == "a":
        assert "User B" not in repr(export)
    if actor == "b":
        assert "User A" in repr(export)  # one's own list is one's own data


@pytest.mark.parametrize("actor", ["a", "b", "manager", "staff"])
def test_a_saved_list_is_shown_to_its_owner_only(client: Any, login: Any, world: World, actor: str) -> None:
    """B saved A: only B's /feed/saved lists A, whatever the query string names; A's list does not
    show who saved them."""
    act_as(client, login, world, actor)
    b = world.ids["b"]
    for url in ("/feed/saved", f"/feed/saved?user={b}&owner_id={b}&user_id={b}&owner=User_B"):
        names = card_names(html_text(client.get(url)))
        assert names == (["User A"] if actor == "b" else []), (url, names)


@pytest.mark.parametrize("actor", ["a", "b", "manager", "staff"])
def test_save_toggles_show_the_viewers_own_list(client: Any, login: Any, world: World, actor: str) -> None:
    """A save toggle is pressed only for what the viewer saved: A's card and profile page do not
    tell anyone but B that B saved A (and tell A nothing)."""
    act_as(client, login, world, actor)
    for url in ("/feed?include_incomplete=1", "/profile/User_A", "/profile/User_B"):
        text = html_text(client.get(url))
        pressed = re.findall(r'action="/saved/profile/(\d+)"(?:(?!</form>).)*aria-pressed="true"', text, re.S)
        assert pressed == ([str(world.ids["a"])] if actor == "b" and "User_B" not in url else []), (url, pressed)


@pytest.mark.parametrize("actor", ["a", "b", "manager", "staff"])
def test_saving_and_removing_change_only_ones_own_rows(app: Any, client: Any, login: Any, world: World,
                                                        actor: str) -> None:
    """Saving and removing act on the logged-in user's rows only; another owner smuggled into the
    form changes nothing of theirs."""
    with app.app_context():
        db.session.add(SavedOrganization(owner_id=world.ids["b"], organization_id=world.ids["o2"]))
        db.session.commit()
    act_as(client, login, world, actor)
    smuggled = {"owner_id": world.ids["b"], "user_id": world.ids["b"], "owner": "User B"}
    for url, action in ((f"/saved/profile/{world.ids['a']}", "unsave"), (f"/saved/organization/{world.ids['o2']}",
                                                                       "unsave"),
                        (f"/saved/organization/{world.ids['o']}", "save")):
        client.post(url, data={"action": action, "next": "/home", **smuggled})
    me = world.users[actor].id
    with app.app_context():
        profiles = set(db.session.execute(sa.select(SavedProfile.owner_id, SavedProfile.saved_user_id)).all())
        organizations = set(db.session.execute(
            sa.select(SavedOrganization.owner_id, SavedOrganization.organization_id)).all())
    if actor == "b":  # B's own rows: A and O2 removed, O added
        assert profiles == set() and organizations == {(me, world.ids["o"])}
    else:  # B's rows untouched; the actor's save went to the actor's own list
        assert profiles == {(world.ids["b"], world.ids["a"])}
        assert organizations == {(world.ids["b"], world.ids["o2"]), (me, world.ids["o"])}


@pytest.mark.parametrize("actor", ["anon", "a", "staff"])
def test_organization_list_never_shows_hidden_organizations(client: Any, login: Any, world: World,
                                                           actor: str) -> None:
    """H has no manager: not in the public list for anyone, staff included, nor by its name."""
    act_as(client, login, world, actor)
    for url in ("/organization_list", "/organization_list?name=Hidden"):
        text = html_text(client.get(url))
        assert "Hidden Org" not in text, url
    assert card_names(html_text(client.get("/organization_list"))) == ["Other Org", "Visible Org"]


@pytest.mark.parametrize("actor", ["a", "b"])
def test_export_and_delete_act_on_oneself_only(app: Any, client: Any, login: Any, world: World, actor: str) -> None:
    act_as(client, login, world, actor)
    other = "b" if actor == "a" else "a"
    export = client.get("/profile/export").get_json()
    assert world.users[actor].username in repr(export)
    assert client.post("/profile/delete", data={"confirm": "1", "user_id": world.ids[other],
                                                "username": world.users[other].username}).status_code == 302
    with app.app_context():
        assert db.session.get(User, world.ids[actor]) is None
        assert db.session.get(User, world.ids[other]) is not None


def test_profile_edit_ignores_another_users_id(app: Any, client: Any, login: Any, world: World) -> None:
    """Smuggling another user's id into the edit form changes nothing of theirs."""
    from capx.models import Profile

    with app.app_context():
        before = db.session.scalar(sa.select(Profile).where(Profile.user_id == world.ids["a"]))
        before_bio = before.bio
    login(client, world.users["b"])
    client.post("/profile/edit", data={"user_id": world.ids["a"], "profile_id": world.ids["a"], "bio": "Hijacked"})
    with app.app_context():
        after = db.session.scalar(sa.select(Profile).where(Profile.user_id == world.ids["a"]))
        assert after.bio == before_bio


def test_manager_rights_do_not_cross_organizations(app: Any, world: World) -> None:
    """The fixture itself: M manages O only, H has no manager (what the matrix relies on)."""
    with app.app_context():
        rows = set(db.session.execute(sa.select(OrganizationManager.organization_id, OrganizationManager.user_id)).all())
        assert (world.ids["o"], world.users["manager"].id) in rows
        assert not any(org == world.ids["h"] for org, _ in rows)
        assert db.session.get(Organization, world.ids["h"]) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedOrganization)) == 0
