"""Saved profiles and organizations: private lists, changed only by POST, only by their owner."""

from __future__ import annotations

from typing import Any, Callable

import sqlalchemy as sa
from flask import Flask, render_template_string

from capx.extensions import db
from capx.models import Organization, OrganizationName, SavedOrganization, SavedProfile, User
from capx.services import saved


def org(app: Flask) -> int:
    """A visible organization (it has a manager: hidden ones cannot be saved)."""
    from capx.models import OrganizationManager

    with app.app_context():
        organization = Organization(acronym="WMX", type_id=None)
        manager = User(central_id=777_001, username="Org Manager")
        db.session.add_all([organization, manager])
        db.session.flush()
        db.session.add(OrganizationName(organization_id=organization.id, lang="en", name="Wikimedia Example"))
        db.session.add(OrganizationManager(organization_id=organization.id, user_id=manager.id))
        db.session.commit()
        return organization.id


def saved_rows(app: Flask) -> set[tuple[int, int]]:
    with app.app_context():
        return set(db.session.execute(sa.select(SavedProfile.owner_id, SavedProfile.saved_user_id)).all())


def test_service(app: Flask, make_user: Callable[..., User]) -> None:
    ana, bruno, locked = make_user("Ana"), make_user("Bruno"), make_user("Locked", is_locked=True)
    organization = org(app)
    with app.app_context():
        owner = db.session.get(User, ana.id)
        assert saved.save_profile(owner, bruno.id) is True
        assert saved.save_profile(owner, bruno.id) is True  # twice: still one row
        assert saved.save_profile(owner, ana.id) is False  # not yourself
        assert saved.save_profile(owner, locked.id) is False
        assert saved.save_profile(owner, 987654) is False
        assert saved.save_organization(owner, organization) is True
        assert saved.save_organization(owner, 987654) is False
        db.session.commit()
        assert saved.saved_profile_ids(owner) == {bruno.id}
        assert saved.saved_profile_ids(owner, among=[locked.id]) == set()
        assert saved.saved_profile_ids(owner, among=[]) == set()
        assert saved.saved_profile_ids(None) == set()
        assert saved.saved_organization_ids(owner, among=[organization]) == {organization}
        # Another user's list is separate.
        assert saved.saved_profile_ids(db.session.get(User, bruno.id)) == set()
        saved.unsave_profile(owner, bruno.id)
        saved.unsave_organization(owner, organization)
        db.session.commit()
        assert saved.saved_profile_ids(owner) == set() and saved.saved_organization_ids(owner) == set()


def test_routes(app: Flask, client: Any, make_user: Callable[..., User], login: Any) -> None:
    ana, bruno = make_user("Ana"), make_user("Bruno")
    organization = org(app)
    login(client, ana)
    r = client.post(f"/saved/profile/{bruno.id}", data={"action": "save", "next": "/home"})
    assert r.status_code == 302 and r.headers["Location"] == "/home"
    assert saved_rows(app) == {(ana.id, bruno.id)}
    r = client.post(f"/saved/profile/{bruno.id}", data={"action": "unsave", "next": "//evil.example"})
    assert r.status_code == 302 and r.headers["Location"] == "/feed/saved"
    assert saved_rows(app) == set()
    assert client.post(f"/saved/profile/{ana.id}", data={"action": "save"}).status_code == 404
    assert client.post(f"/saved/profile/{bruno.id}", data={"action": "other"}).status_code == 400
    assert client.post(f"/saved/organization/{organization}", data={"action": "save"}).status_code == 302
    assert client.post("/saved/organization/987654", data={"action": "save"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedOrganization)) == 1


def test_routes_need_login_post_and_csrf(app: Flask, client: Any, make_user: Callable[..., User],
                                         login: Any) -> None:
    ana, bruno = make_user("Ana"), make_user("Bruno")
    r = client.post(f"/saved/profile/{bruno.id}", data={"action": "save"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    login(client, ana)
    assert client.get(f"/saved/profile/{bruno.id}").status_code == 405
    assert client.post(f"/saved/profile/{bruno.id}", data={"action": "save"}, csrf=False).status_code == 400
    assert saved_rows(app) == set()


def test_buttons(app: Flask, make_user: Callable[..., User]) -> None:
    bruno = make_user("Bruno")
    template = '{% from "macros/saved.html" import save_profile_button %}{{ save_profile_button(uid, state) }}'
    with app.test_request_context("/people?x=1"):
        html = render_template_string(template, uid=bruno.id, state=False)
        assert 'name="action" value="save"' in html and 'aria-pressed="false"' in html
        assert 'name="next" value="/people?x=1"' in html and 'name="csrf_token"' in html
        html = render_template_string(template, uid=bruno.id, state=True)
        assert 'value="unsave"' in html and "Saved (remove)" in html
