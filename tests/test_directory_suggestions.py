"""Capacity suggestions, the staff moderation queue, and the staff page for thematic categories."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Capacity, CapacitySuggestion, CapacityText, ThematicCategory, ThematicCategoryCapacity
from tests.conftest import html_text
from tests.helpers import capacity_id



def suggest(client, **data):
    form = {"title": "Podcasting", "description": "Making audio shows about Wikimedia", "reason": "Many do it",
            "parent": ""}
    form.update(data)
    return client.post("/capacity/suggest", data=form)


def test_suggest_requires_login(client):
    response = client.get("/capacity/suggest")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_suggestion_form_validates_and_keeps_input(client, app, make_user, login):
    login(client, make_user("Ana Exemplo"))
    assert client.get("/capacity/suggest?title=Podcast").status_code == 200
    assert 'value="Podcast"' in html_text(client.get("/capacity/suggest?title=Podcast"))
    response = suggest(client, title="", description="x" * 1001, reason="kept reason")
    assert response.status_code == 400
    body = html_text(response)
    assert "This field is required." in body
    assert "Use at most 1,000 characters." in body or "Use at most 1000 characters." in body
    assert "kept reason" in body
    response = suggest(client, title="T" * 201)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CapacitySuggestion)) == 0


def test_suggestion_goes_to_the_queue_and_the_suggester_sees_it(client, app, make_user, login):
    ana = make_user("Ana Exemplo")
    login(client, ana)
    comm = capacity_id(app, "communication")
    response = suggest(client, parent=str(comm))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/capacity/suggestions/mine")
    body = html_text(client.get("/capacity/suggestions/mine"))
    assert "Podcasting" in body and "Waiting for review" in body
    with app.app_context():
        row = db.session.scalar(sa.select(CapacitySuggestion))
        assert row.user_id == ana.id and row.suggested_parent_id == comm and row.status == "pending"


def test_queue_is_staff_only(client, make_user, login):
    login(client, make_user("Ana Exemplo"))
    assert client.get("/capacity/suggestions").status_code == 403
    assert client.post("/capacity/suggestions/1/approve", data={}).status_code == 403
    assert client.post("/capacity/suggestions/1/reject", data={}).status_code == 403
    assert client.get("/capacity/themes/edit").status_code == 403


def _suggested_by_ana(client, app, make_user, login):
    """Ana (logged in) suggests Podcasting; a staff member exists. Returns (ana, staff, suggestion id)."""
    ana = make_user("Ana Exemplo")
    staff = make_user("Staff Member", is_staff=True)
    login(client, ana)
    suggest(client)
    with app.app_context():
        return ana, staff, db.session.scalar(sa.select(CapacitySuggestion.id))


@pytest.mark.mutates_reference
def test_staff_approve_creates_the_capacity_under_the_chosen_parent(client, app, make_user, login):
    ana, staff, suggestion_id = _suggested_by_ana(client, app, make_user, login)
    login(client, staff)
    body = html_text(client.get("/capacity/suggestions"))
    assert "Podcasting" in body and "Ana Exemplo" in body
    comm = capacity_id(app, "communication")
    response = client.post(f"/capacity/suggestions/{suggestion_id}/approve", data={
        f"a{suggestion_id}-name": "Podcasting", f"a{suggestion_id}-description": "Audio shows",
        f"a{suggestion_id}-parent": str(comm), f"a{suggestion_id}-note": "Welcome!"})
    assert response.status_code == 302
    new_id = capacity_id(app, "podcasting")
    assert response.headers["Location"].endswith(f"/capacity/{new_id}")
    with app.app_context():
        cap = db.session.get(Capacity, new_id)
        assert cap.parent_id == comm
        text = db.session.get(CapacityText, (new_id, "en"))
        assert text.name == "Podcasting" and text.description == "Audio shows" and text.name_source == "local"
        row = db.session.get(CapacitySuggestion, suggestion_id)
        assert row.status == "approved" and row.capacity_id == new_id and row.decided_by_id == staff.id
    # the new capacity is in the directory
    assert "Podcasting" in html_text(client.get("/capacity?q=podcast"))
    # deciding twice is refused
    response = client.post(f"/capacity/suggestions/{suggestion_id}/reject", data={f"r{suggestion_id}-note": "no"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CapacitySuggestion, suggestion_id).status == "approved"
    login(client, ana)
    body = html_text(client.get("/capacity/suggestions/mine"))
    assert "Approved" in body and "Welcome!" in body and f'href="/capacity/{new_id}"' in body


def test_staff_reject_needs_a_note_and_the_suggester_sees_it(client, app, make_user, login):
    ana, staff, suggestion_id = _suggested_by_ana(client, app, make_user, login)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))
    login(client, staff)
    response = client.post(f"/capacity/suggestions/{suggestion_id}/reject", data={f"r{suggestion_id}-note": ""})
    assert response.status_code == 400
    assert "This field is required." in html_text(response)
    response = client.post(f"/capacity/suggestions/{suggestion_id}/reject",
                           data={f"r{suggestion_id}-note": "Already covered by Media"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Capacity)) == before
    assert "Nothing to review." in html_text(client.get("/capacity/suggestions"))
    login(client, ana)
    body = html_text(client.get("/capacity/suggestions/mine"))
    assert "Not accepted" in body and "Already covered by Media" in body


def test_users_see_only_their_own_suggestions(client, app, make_user, login):
    login(client, make_user("Ana Exemplo"))
    suggest(client, title="Ana's idea")
    login(client, make_user("Bruno Exemplo"))
    body = html_text(client.get("/capacity/suggestions/mine"))
    assert "Ana&#39;s idea" not in body and "Ana's idea" not in body
    assert "You have not suggested any capacity yet." in body


def test_approve_unknown_suggestion_is_404(client, make_user, login):
    login(client, make_user("Staff Member", is_staff=True))
    assert client.post("/capacity/suggestions/999/approve", data={}).status_code == 404


def test_staff_change_a_thematic_category(client, app, make_user, login):
    from capx.services.directory import load_thematic_categories

    with app.app_context():
        load_thematic_categories()
        db.session.commit()
        category = db.session.scalar(sa.select(ThematicCategory).where(ThematicCategory.code == "open-education"))
        category_id = category.id
    login(client, make_user("Staff Member", is_staff=True))
    body = html_text(client.get("/capacity/themes/edit"))
    assert "Open Education" in body
    press = capacity_id(app, "press-release")
    wiki = capacity_id(app, "wikipedia")
    # no-JavaScript picker search step keeps the form and saves nothing
    response = client.post("/capacity/themes/edit", data={
        "category": str(category_id), f"theme_{category_id}__present": "1", f"theme_{category_id}": [str(press)],
        f"theme_{category_id}_q": "wikiped", "picker_search": f"theme_{category_id}"})
    assert response.status_code == 200
    assert "Wikipedia" in html_text(response)
    response = client.post("/capacity/themes/edit", data={
        "category": str(category_id), f"theme_{category_id}__present": "1",
        f"theme_{category_id}": [str(press), str(wiki)]})
    assert response.status_code == 302
    with app.app_context():
        members = db.session.scalars(sa.select(ThematicCategoryCapacity.capacity_id)
                                     .where(ThematicCategoryCapacity.category_id == category_id)
                                     .order_by(ThematicCategoryCapacity.position)).all()
    assert members == [press, wiki]
    body = html_text(client.get("/capacity?view=themes"))
    assert "Press release" in body
    assert client.post("/capacity/themes/edit", data={"category": "999"}).status_code == 400


def test_load_thematic_categories_keeps_staff_changes(app):
    from capx.services.directory import load_thematic_categories

    with app.app_context():
        assert load_thematic_categories() == 3
        db.session.commit()
        category = db.session.scalar(sa.select(ThematicCategory).where(ThematicCategory.code == "knowledge-gaps"))
        db.session.execute(sa.delete(ThematicCategoryCapacity).where(ThematicCategoryCapacity.category_id == category.id))
        db.session.commit()
        assert load_thematic_categories() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ThematicCategoryCapacity)
                                 .where(ThematicCategoryCapacity.category_id == category.id)) == 0
        counts = [len(m) for m in (c.members for c in db.session.scalars(sa.select(ThematicCategory)))]
        assert all(n in (0, 10) for n in counts)


def _landmark_names(body: str) -> list[tuple[str, str]]:
    """(role, accessible name) of every named region and navigation landmark on the page, the
    name taken from aria-label or from the text of the element aria-labelledby points to."""
    from html.parser import HTMLParser

    class Landmarks(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, str, str]] = []  # role, label, labelledby
            self.texts: dict[str, str] = {}
            self.open_ids: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            role = {"section": "region", "nav": "navigation", "aside": "complementary"}.get(tag, a.get("role") or "")
            if role and (a.get("aria-label") or a.get("aria-labelledby")):
                self.found.append((role, a.get("aria-label") or "", a.get("aria-labelledby") or ""))
            if a.get("id"):
                self.texts[a["id"]] = ""
                self.open_ids.append(a["id"])

        def handle_data(self, data: str) -> None:
            for ident in self.open_ids:
                self.texts[ident] += data

        def handle_endtag(self, tag: str) -> None:
            if self.open_ids and tag in ("h2", "h3", "h4", "span", "p"):
                self.open_ids.pop()

    parser = Landmarks()
    parser.feed(body)
    return [(role, label or " ".join(parser.texts.get(i, "").strip() for i in by.split()))
            for role, label, by in parser.found]


def test_queue_regions_have_distinct_names_when_titles_repeat(client, app, make_user, login):
    """Two people suggesting the same title must not give the page two landmarks of one name
    (axe's landmark-unique, issue 19)."""
    for name in ("Ana Exemplo", "Bruno Exemplo"):
        login(client, make_user(name))
        assert suggest(client, title="Podcasting").status_code == 302
    login(client, make_user("Staff member", is_staff=True))
    landmarks = _landmark_names(html_text(client.get("/capacity/suggestions")))
    assert len(landmarks) == len(set(landmarks)), landmarks
