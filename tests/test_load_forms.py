"""The load test's form handling (scripts/load/htmlforms.py): what it submits is what a browser submits.

The load test logs in through the development login and saves profiles by parsing the pages;
these tests check that the parsed submissions are accepted (CSRF token included) and that a
profile save changes only the bio, pickers and all.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import MultiDict

from capx.extensions import db
from capx.models import (Capacity, Event, Organization, OrganizationManager, OrganizationName, Profile,
                         ProfileAffiliation, Territory, User)
from capx.devtools.demo import DEMO_CENTRAL_BASE, seed_demo
from tests.conftest import html_text


def load_module(name: str) -> ModuleType:
    """A module of scripts/load/ (not a package: the load test runs them as scripts)."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "load" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"capx_load_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


htmlforms = load_module("htmlforms")


def test_submission_follows_browser_rules() -> None:
    page = """<form action="/x" method="post">
      <input type="hidden" name="csrf_token" value="t">
      <input type="checkbox" name="a" value="1" checked><input type="checkbox" name="a" value="2">
      <input type="radio" name="r" value=""><input type="radio" name="r" value="5" checked>
      <select name="s"><option value="">none</option><option value="7" selected>seven</option></select>
      <select name="f"><option>first</option><option>second</option></select>
      <textarea name="t">
line</textarea>
      <input type="search" name="q" value="">
      <button type="submit" name="save" value="1">Save</button>
      <button type="submit" name="picker_search" value="a">Search</button>
    </form><form action="/other"><input name="z" value="no"></form>"""
    form = htmlforms.find_form(page, "/x")
    assert form.submission(("save", "1")) == [
        ("csrf_token", "t"), ("a", "1"), ("r", "5"), ("s", "7"), ("f", "first"), ("t", "line"), ("q", ""),
        ("save", "1")]
    assert form.set([("t", "a"), ("q", "")], "t", "b") == [("q", ""), ("t", "b")]
    assert htmlforms.find_form(page, "/missing") is None


def _state(user_id: int) -> dict[str, Any]:
    from capx.forms.profiles import initial as _initial
    from capx.services import profiles as service

    profile = service.load_profile(db.session.get(User, user_id))
    state = _initial(profile)
    state["projects"] = sorted(state["projects"])  # the form lists projects in catalogue order
    return state


def test_dev_login_and_profile_save_as_the_load_test_does(app: Flask, client: Any) -> None:
    with app.app_context():
        seed_demo(30, showcase=False, echo=lambda _text: None)
        # A demo profile with something in every picker (organizations are not reference data:
        # other tests may have emptied them, so the affiliation is added here).
        user = next(u for u in db.session.scalars(sa.select(User).where(User.central_id <= DEMO_CENTRAL_BASE))
                    if u.profile.capacities and len(u.profile.languages) > 1 and u.profile.territories)
        org = Organization(acronym="WMLT", names=[OrganizationName(lang="en", name="Wikimedia Load Test")])
        db.session.add(org)
        db.session.flush()
        db.session.add(ProfileAffiliation(profile_id=user.profile.id, organization_id=org.id, position=9))
        db.session.commit()
        user_id, username = user.id, user.username
        before = _state(user_id)

    login_form = htmlforms.find_form(html_text(client.get("/login")), "/login/dev")
    data = login_form.set(login_form.submission(), "username", username)
    assert client.post("/login/dev", data=MultiDict(data), csrf=False).status_code == 302

    edit_form = htmlforms.find_form(html_text(client.get("/profile/edit")), "/profile/edit")
    data = edit_form.set(edit_form.submission(("save", "1")), "bio", "Saved by the load test")
    names = {name for name, _ in data}
    assert {"csrf_token", "capacity_known", "language", "territory", "affiliation", "project"} <= names
    response = client.post("/profile/edit", data=MultiDict(data), csrf=False)
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile")

    with app.app_context():
        after = _state(user_id)
        assert db.session.scalar(sa.select(Profile.bio).where(Profile.user_id == user_id)) == "Saved by the load test"
    before["bio"] = after["bio"]
    assert after == before


def test_every_page_of_the_mix_answers_200_without_redirect(app: Flask, client: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue's links are real and canonical (a redirect would count as a failure under load)."""
    import random

    monkeypatch.setitem(app.config, "CAPX_EXPLORE_PER_PAGE", 5)  # Explore pages 2 to 5 exist with 40 profiles

    pages = load_module("pages")
    with app.app_context():
        seed_demo(40, echo=lambda _text: None)
        demo = db.session.scalars(sa.select(User).where(User.central_id <= DEMO_CENTRAL_BASE)).all()
        visible = sorted(set(db.session.scalars(sa.select(OrganizationManager.organization_id))))
        assert visible, "the showcase gives organizations managers"
        if visible[0] not in {a.organization_id for a in demo[0].profile.affiliations}:
            db.session.add(ProfileAffiliation(profile_id=demo[0].profile.id, organization_id=visible[0], position=9))
            db.session.commit()
        fixtures = {
            "profile_users": [u.url_name for u in demo], "name_queries": ["silva", "Ana Silva"],
            "capacities": sorted(db.session.scalars(sa.select(Capacity.id))), "regions": ["LAC", "SSA"],
            "territories": ["LAC", db.session.scalar(sa.select(Territory.code).where(Territory.iso2 == "BR"))],
            "languages": ["en", "pt-br"],
            "affiliations": visible[:3],
            "organizations": visible,
            "events": sorted(db.session.scalars(sa.select(Event.id).where(Event.organization_id.in_(visible)))),
        }
        username = demo[0].username
    login_form = htmlforms.find_form(html_text(client.get("/login")), "/login/dev")
    client.post("/login/dev", data=MultiDict(login_form.set(login_form.submission(), "username", username)), csrf=False)
    rng = random.Random(5)
    for page in pages.PAGES:
        for _ in range(3):
            path, params = page.build(rng, fixtures)
            response = client.get(path, query_string=params)
            assert response.status_code == 200, (page.name, path, params, response.headers.get("Location"))
