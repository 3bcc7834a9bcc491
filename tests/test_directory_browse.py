"""Capacity Directory: the three views, search, capacity pages, add to known/wanted, colours."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (Capacity, CapacityText, Organization, OrganizationCapacity, OrganizationManager,
                         OrganizationName,
                         ProfileCapacity, User)
from tests.conftest import html_text, statements_run
from tests.helpers import capacity_id



def count_queries(app, func):
    with statements_run(app) as statements:
        result = func()
    return result, len(statements)


def test_cards_view_shows_the_seven_roots_with_children(client):
    response = client.get("/capacity")
    assert response.status_code == 200
    body = html_text(response)
    assert body.count('class="card directory-card') == 7
    assert "Organisational Skills" in body and "Press release" in body and "Budgeting" in body
    assert 'data-root="communication"' in body
    assert "<details" in body
    assert 'href="/capacity/colors.css"' in body
    # tabs are plain links, the current one marked
    assert re.search(r'<a class="tabs__tab" href="/capacity\?view=cards" aria-current="page"', body)


def test_tree_view_nests_every_capacity(client, app):
    body = html_text(client.get("/capacity?view=tree"))
    assert "data-tree" in body
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))
    assert body.count('class="directory-tree__item"') == total
    assert f'href="/capacity/{capacity_id(app, "press-release")}"' in body


def test_themes_view_lists_categories_from_the_database(client, app):
    from capx.services.directory import load_thematic_categories

    with app.app_context():
        load_thematic_categories()
        db.session.commit()
    body = html_text(client.get("/capacity?view=themes"))
    for name in ("Linguistic Equity", "Knowledge Gaps", "Open Education"):
        assert name in body
    assert "Wiktionary" in body and "Digitization" in body
    # in Portuguese the shipped categories are translated messages
    body = html_text(client.get("/capacity?view=themes&uselang=pt-br"))
    assert "Equidade Linguística" in body


def test_unknown_view_falls_back_to_cards(client):
    body = html_text(client.get("/capacity?view=nope"))
    assert 'class="card directory-card' in body


def test_search_in_portuguese_falls_back_to_english_names(client, app):
    body = html_text(client.get("/capacity?q=press&uselang=pt-br"))
    assert "Press release" in body
    # the hit shows its path: root › capacity, and links to the capacity page
    assert "Communication" in body
    assert f'href="/capacity/{capacity_id(app, "press-release")}"' in body
    assert 'lang="en"' in body  # the English fallback is marked as such


@pytest.mark.mutates_reference
def test_search_ignores_case_and_accents_in_the_interface_language(client, app):
    comm = capacity_id(app, "communication")
    with app.app_context():
        db.session.add(CapacityText(capacity_id=comm, lang="pt-br", name="Comunicação",
                                    description="Troca de informações", name_source="metabase"))
        db.session.commit()
    body = html_text(client.get("/capacity?q=COMUNICACAO&uselang=pt-br"))
    assert "Comunicação" in body
    body = html_text(client.get("/capacity?q=informacoes&uselang=pt-br"))
    assert "Comunicação" in body  # description match
    body = html_text(client.get("/capacity?q=zzzznothing"))
    assert "0 capacities match" in body


def test_search_matches_descriptions_and_caps_query_length(client):
    response = client.get("/capacity?q=" + "a" * 500)
    assert response.status_code == 200


def test_directory_uses_a_fixed_number_of_queries(client, app):
    for view in ("cards", "tree", "themes"):
        _, before = count_queries(app, lambda view=view: client.get(f"/capacity?view={view}"))
        assert before <= 6, view
    _, search = count_queries(app, lambda: client.get("/capacity?q=press"))
    assert search <= 6


@pytest.mark.mutates_reference
def test_directory_query_count_does_not_grow_with_the_tree(client, app):
    _, before = count_queries(app, lambda: client.get("/capacity?view=tree"))
    with app.app_context():
        root = db.session.scalar(sa.select(Capacity).where(Capacity.code == "communication"))
        for i in range(40):
            cap = Capacity(code=f"extra-{i}", parent_id=root.id, position=100 + i)
            db.session.add(cap)
            db.session.flush()
            db.session.add(CapacityText(capacity_id=cap.id, lang="en", name=f"Extra {i}"))
        db.session.commit()
    response, after = count_queries(app, lambda: client.get("/capacity?view=tree"))
    assert "Extra 39" in html_text(response)
    assert after == before


def test_capacity_page_shows_path_ids_counts_and_explore_links(client, app, make_user):
    press = capacity_id(app, "press-release")
    response = client.get(f"/capacity/{press}")
    assert response.status_code == 200
    body = html_text(response)
    assert "Press release" in body
    assert f'href="/capacity/{capacity_id(app, "communication")}"' in body
    assert f"/feed?capacity={press}&amp;exchange=sharer" in body
    assert f"/feed?capacity={press}&amp;exchange=learner" in body
    assert "0 people know it" in body
    assert "Log in to add" in body


def test_capacity_page_404(client):
    assert client.get("/capacity/999999").status_code == 404


def test_counts_use_aggregates_and_skip_locked_accounts(client, app, make_user):
    press = capacity_id(app, "press-release")
    users = [make_user(f"Person {i}") for i in range(3)]
    locked = make_user("Locked person", is_locked=True)
    with app.app_context():
        for user in users + [locked]:
            profile_id = db.session.get(User, user.id).profile.id
            db.session.add(ProfileCapacity(profile_id=profile_id, capacity_id=press, kind="known"))
        first = db.session.get(User, users[0].id).profile.id
        db.session.add(ProfileCapacity(profile_id=first, capacity_id=press, kind="available"))
        db.session.add(ProfileCapacity(profile_id=first, capacity_id=press, kind="wanted"))
        db.session.commit()
    response, queries = count_queries(app, lambda: client.get(f"/capacity/{press}"))
    body = html_text(response)
    assert "3 people know it" in body
    assert "One person offers it" in body
    assert "One person wants it" in body
    assert queries <= 8


def test_capacity_page_lists_organizations_with_a_manager_only(client, app, make_user):
    press = capacity_id(app, "press-release")
    manager = make_user("Org manager")
    with app.app_context():
        managed, unmanaged = Organization(acronym="WMXX"), Organization(acronym="WMYY")
        managed.names = [OrganizationName(lang="en", name="Wikimedia Example Managed")]
        unmanaged.names = [OrganizationName(lang="en", name="Wikimedia Example Orphan")]
        db.session.add_all([managed, unmanaged])
        db.session.flush()
        managed_name, unmanaged_name = "Wikimedia Example Managed", "Wikimedia Example Orphan"
        db.session.add(OrganizationCapacity(organization_id=managed.id, capacity_id=press, kind="known"))
        db.session.add(OrganizationCapacity(organization_id=unmanaged.id, capacity_id=press, kind="known"))
        db.session.add(OrganizationManager(organization_id=managed.id, user_id=manager.id))
        db.session.commit()
    body = html_text(client.get(f"/capacity/{press}"))
    assert managed_name in body
    assert unmanaged_name not in body


def test_add_to_known_and_wanted(client, app, make_user, login):
    press = capacity_id(app, "press-release")
    user = make_user("Ana Exemplo")
    login(client, user)
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Add to Known" in body and "Add to Wanted" in body
    response = client.post(f"/capacity/{press}/add", data={"kind": "known", "next": f"/capacity/{press}"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/capacity/{press}")
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Added to Known" in body and "Added to your Known capacities." in body
    assert "Add to Wanted" in body
    client.post(f"/capacity/{press}/add", data={"kind": "wanted"})
    # adding twice is harmless
    client.post(f"/capacity/{press}/add", data={"kind": "known"})
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Already in your Known capacities." in body
    assert "Added to Wanted" in body
    with app.app_context():
        profile_id = db.session.get(User, user.id).profile.id
        kinds = sorted(db.session.scalars(sa.select(ProfileCapacity.kind)
                                          .where(ProfileCapacity.profile_id == profile_id)))
    assert kinds == ["known", "wanted"]


def test_add_requires_login_csrf_and_a_valid_kind(client, app, make_user, login):
    press = capacity_id(app, "press-release")
    response = client.post(f"/capacity/{press}/add", data={"kind": "known"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    user = make_user("Bruno Exemplo")
    login(client, user)
    assert client.post(f"/capacity/{press}/add", data={"kind": "known"}, csrf=False).status_code == 400
    assert client.post(f"/capacity/{press}/add", data={"kind": "available"}).status_code == 400
    assert client.post("/capacity/999999/add", data={"kind": "known"}).status_code == 404
    # an off-site next is ignored
    response = client.post(f"/capacity/{press}/add", data={"kind": "known", "next": "//evil.example"})
    assert response.headers["Location"].endswith(f"/capacity/{press}")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileCapacity)) == 1


def test_translation_needed_call_to_action(client, app):
    press = capacity_id(app, "press-release")
    body = html_text(client.get(f"/capacity/{press}?uselang=pt-br"))
    assert "Tradução necessária" in body
    assert f"/translation?lang=pt-br&amp;capacity={press}" in body
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Translation needed" not in body


@pytest.mark.mutates_reference
def test_description_fallback_and_source_are_said(client, app):
    press = capacity_id(app, "press-release")
    with app.app_context():
        text = db.session.get(CapacityText, (press, "en"))
        text.description, text.description_source = "An official statement for the media", "wikidata"
        db.session.commit()
    body = html_text(client.get(f"/capacity/{press}?uselang=pt-br"))
    assert "An official statement for the media" in body
    assert "Descrição do Wikidata." in body
    assert "Mostrada em outro idioma (en)" in body


def test_colors_stylesheet_comes_from_the_capacity_table(client):
    response = client.get("/capacity/colors.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert '[data-root="communication"] { --capacity-color: #6a60b0; }' in css
    assert css.count("--capacity-color") == 7


def test_pages_have_no_inline_styles_or_scripts(client, app):
    press = capacity_id(app, "press-release")
    for url in ("/capacity", "/capacity?view=tree", "/capacity?view=themes", f"/capacity/{press}"):
        body = html_text(client.get(url))
        assert "style=" not in body and "<style" not in body
        assert not re.search(r"<script(?![^>]*\bsrc=)", body)


def _kinds_of(app, user_id):
    with app.app_context():
        profile = db.session.get(User, user_id).profile
        if profile is None:
            return []
        return sorted(db.session.scalars(sa.select(ProfileCapacity.kind).where(ProfileCapacity.profile_id == profile.id)))


def test_add_as_known_only_or_as_known_and_available(client, app, make_user, login):
    """Issue 18: the capacity page offers "known" and "known and available"; each adds what it says,
    without JavaScript (a POST with CSRF, back to the page)."""
    press = capacity_id(app, "press-release")
    user = make_user("Carla Exemplo")
    login(client, user)
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Add to Known" in body and "Add to Known and Available" in body and "Add to Wanted" in body
    response = client.post(f"/capacity/{press}/add", data={"kind": "known", "next": f"/capacity/{press}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/capacity/{press}")
    assert _kinds_of(app, user.id) == ["known"]
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Added to Known" in body and ">Add to Known<" not in body and "Add to Known and Available" in body
    client.post(f"/capacity/{press}/add", data={"kind": "known-available", "next": f"/capacity/{press}"})
    assert _kinds_of(app, user.id) == ["available", "known"]
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Added to your Known and Available capacities." in body
    assert "Added to Available" in body and "Add to Known and Available" not in body
    client.post(f"/capacity/{press}/add", data={"kind": "known-available"})
    assert "Already in your Known and Available capacities." in html_text(client.get(f"/capacity/{press}"))
    assert _kinds_of(app, user.id) == ["available", "known"]


@pytest.mark.parametrize("kind", ["available", "known,available", "KNOWN", "", "known-available-wanted"])
def test_add_refuses_a_wrong_choice(client, app, make_user, login, kind):
    press = capacity_id(app, "press-release")
    user = make_user("Dora Exemplo")
    login(client, user)
    assert client.post(f"/capacity/{press}/add", data={"kind": kind}).status_code == 400
    assert client.post(f"/capacity/{press}/add", data={"kind": "known-available"}, csrf=False).status_code == 400
    assert _kinds_of(app, user.id) == []
