"""Saved profiles (/feed/saved): a private list, with view and remove, reachable only by its owner."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import SavedOrganization, SavedProfile, User
from tests.conftest import html_text
from tests.explore_helpers import card_names, organization, person


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    response = client.get("/feed/saved")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_save_two_people_from_explore_and_find_them(app: Any, client: Any, make_user: Any, login: Any) -> None:
    """The issue's "done when": filter, save two people, find them in /feed/saved."""
    owner = make_user("Owner")
    login(client, owner)
    ana = person(app, make_user, "Ana Souza", available=["press-release"], territories=["BRA"],
                 languages=[("pt", 6)], minutes=2)
    dayo = person(app, make_user, "Dayo Okafor", available=["social-media"], territories=["ARG"],
                  languages=[("pt", 3)], minutes=1)
    person(app, make_user, "Carla Weber", available=["press-release"], territories=["DEU"], languages=[("pt", 3)])
    url = "/feed?exchange=sharer&territory=LAC&language=pt"
    assert card_names(html_text(client.get(url))) == ["Ana Souza", "Dayo Okafor"]
    for target in (ana, dayo):
        assert client.post(f"/saved/profile/{target.id}", data={"action": "save", "next": url}).status_code == 302
    html = html_text(client.get("/feed/saved"))
    assert sorted(card_names(html)) == ["Ana Souza", "Dayo Okafor"]
    assert "View profile" in html and "Remove" in html


def test_remove_takes_a_profile_off_the_list(app: Any, client: Any, make_user: Any, login: Any) -> None:
    owner = make_user("Owner")
    ana = person(app, make_user, "Ana Souza", known=["press-release"])
    login(client, owner)
    client.post(f"/saved/profile/{ana.id}", data={"action": "save"})
    html = html_text(client.get("/feed/saved"))
    assert f'action="/saved/profile/{ana.id}"' in html and 'value="unsave"' in html
    response = client.post(f"/saved/profile/{ana.id}", data={"action": "unsave", "next": "/feed/saved"})
    assert response.headers["Location"] == "/feed/saved"
    assert card_names(html_text(client.get("/feed/saved"))) == []
    assert "You have not saved any profiles yet." in html_text(client.get("/feed/saved"))


def test_nobody_else_can_read_a_list(app: Any, client: Any, make_user: Any, login: Any) -> None:
    owner = make_user("Owner")
    other = make_user("Other")
    ana = person(app, make_user, "Ana Souza", known=["press-release"])
    with app.app_context():
        db.session.add(SavedProfile(owner_id=owner.id, saved_user_id=ana.id))
        db.session.commit()
    login(client, other)
    for url in ("/feed/saved", f"/feed/saved?user={owner.id}", f"/feed/saved?owner_id={owner.id}"):
        assert card_names(html_text(client.get(url))) == []
    # There is no address for someone else's list.
    assert client.get(f"/feed/saved/{owner.id}").status_code == 404
    assert client.get("/feed/saved/Owner").status_code == 404
    # The saved person learns nothing either: their Explore card and the list show no trace.
    login(client, ana)
    assert "Owner" not in html_text(client.get("/feed/saved"))
    assert 'aria-pressed="true"' not in html_text(client.get("/feed?include_incomplete=1"))


def test_locked_people_leave_the_list(app: Any, client: Any, make_user: Any, login: Any) -> None:
    owner = make_user("Owner")
    ana = person(app, make_user, "Ana Souza", known=["press-release"])
    login(client, owner)
    client.post(f"/saved/profile/{ana.id}", data={"action": "save"})
    with app.app_context():
        db.session.get(User, ana.id).is_locked = True
        db.session.commit()
    assert card_names(html_text(client.get("/feed/saved"))) == []


def test_saved_organizations_are_listed_unless_hidden(app: Any, client: Any, make_user: Any, login: Any) -> None:
    owner = make_user("Owner")
    manager = make_user("Manager")
    visible = organization(app, {"en": "Wiki Movement Brazil"}, manager=manager)
    hidden = organization(app, {"en": "Ghost Group"})
    with app.app_context():
        db.session.add_all([SavedOrganization(owner_id=owner.id, organization_id=visible),
                            SavedOrganization(owner_id=owner.id, organization_id=hidden)])
        db.session.commit()
    login(client, owner)
    html = html_text(client.get("/feed/saved"))
    assert card_names(html) == ["Wiki Movement Brazil"]
    assert f'action="/saved/organization/{visible}"' in html
    client.post(f"/saved/organization/{visible}", data={"action": "unsave", "next": "/feed/saved"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedOrganization)
                                 .where(SavedOrganization.organization_id == visible)) == 0


def _three_saved_two_per_page(app: Any, client: Any, make_user: Any, login: Any, monkeypatch: Any) -> None:
    """Log in as an owner who saved three profiles, with two cards a page."""
    monkeypatch.setitem(app.config, "CAPX_EXPLORE_PER_PAGE", 2)
    owner = make_user("Owner")
    people = [person(app, make_user, f"Person {i}") for i in range(3)]
    login(client, owner)
    for p in people:
        client.post(f"/saved/profile/{p.id}", data={"action": "save"})


def test_saved_list_paginates(app: Any, client: Any, make_user: Any, login: Any, monkeypatch: Any) -> None:
    _three_saved_two_per_page(app, client, make_user, login, monkeypatch)
    first = html_text(client.get("/feed/saved"))
    assert len(card_names(first)) == 2 and 'href="/feed/saved?page=2"' in first
    assert len(card_names(html_text(client.get("/feed/saved?page=2")))) == 1


def test_saved_list_pages_keep_the_interface_language(app: Any, client: Any, make_user: Any, login: Any,
                                                      monkeypatch: Any) -> None:
    """Regression: the page links of /feed/saved dropped ``?uselang=`` (Explore's links keep it)."""
    _three_saved_two_per_page(app, client, make_user, login, monkeypatch)
    first = html_text(client.get("/feed/saved?uselang=ar"))
    assert 'href="/feed/saved?page=2&amp;uselang=ar"' in first
    second = html_text(client.get("/feed/saved?page=2&uselang=ar"))
    assert 'href="/feed/saved?uselang=ar"' in second and 'dir="rtl"' in second
    # Without it, the links stay as they were.
    assert 'href="/feed/saved?page=2"' in html_text(client.get("/feed/saved"))
