"""Second-pass fixes on the directory and profile pages: links everywhere a capacity or an
organization is named, right-to-left details, and what the User Guide puts at the top of the edit page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (Organization, OrganizationCapacity, OrganizationManager, OrganizationName,
                         Profile)
from tests.conftest import html_text
from tests.helpers import capacity_id, on_metabase



def test_organizations_with_the_capacity_link_to_their_profiles(client, app, make_user, login):
    press = capacity_id(app, "press-release")
    manager = make_user("Carla Exemplo")
    with app.app_context():
        org = Organization(acronym="WMEX")
        db.session.add(org)
        db.session.flush()
        db.session.add_all([OrganizationName(organization_id=org.id, lang="en", name="Wikimedia Exemplo"),
                            OrganizationManager(organization_id=org.id, user_id=manager.id),
                            OrganizationCapacity(organization_id=org.id, capacity_id=press, kind="known")])
        db.session.commit()
        org_id = org.id
    body = html_text(client.get(f"/capacity/{press}"))
    assert f'<a href="/organization_profile/{org_id}"><bdi>Wikimedia Exemplo</bdi></a>' in body
    login(client, manager)
    assert client.get(f"/organization_profile/{org_id}").status_code == 200


def test_root_icons_sit_on_a_band_of_the_root_colour(client, app):
    body = html_text(client.get("/capacity"))
    heads = re.findall(r'<div class="directory-card__head">\s*<img class="directory-card__icon"', body)
    assert len(heads) == 7
    press = capacity_id(app, "press-release")
    body = html_text(client.get(f"/capacity/{press}"))
    assert '<span class="directory-capacity__icon"><img src="/static/img/capacity/communication.svg"' in body
    css = html_text(client.get("/static/css/directory.css"))
    assert "filter: brightness(0) invert(1)" in css and "background-color: var(--capacity-color" in css


def test_every_step_of_a_search_hit_path_links_to_its_capacity(client, app):
    body = html_text(client.get("/capacity?q=budgeting"))
    for code in ("organisational-skills", "finance", "budgeting"):
        assert f'href="/capacity/{capacity_id(app, code)}"' in body, code


def test_translation_rows_link_the_capacity_name(client, app, make_user, login):
    login(client, make_user("Ana Exemplo"))
    body = html_text(client.get("/translation?q=budgeting"))
    assert f'<a href="/capacity/{capacity_id(app, "budgeting")}" lang="en">Budgeting</a>' in body


def test_profile_link_is_left_to_right_and_an_undeclared_bio_finds_its_direction(client, app, make_user, login):
    ana = make_user("Ana Exemplo")
    with app.app_context():
        db.session.scalar(sa.select(Profile).where(Profile.user_id == ana.id)).bio = "مرحبا"
        db.session.commit()
    login(client, make_user("Bruno Exemplo"))
    body = html_text(client.get("/profile/Ana_Exemplo?uselang=ar"))
    assert 'id="profile-link" class="cdx-text-input" type="text" readonly dir="ltr"' in body
    assert '<p class="profile__bio" dir="auto">مرحبا</p>' in body


def test_edit_page_offers_badges_and_delete_at_the_top(client, make_user, login):
    login(client, make_user("Ana Exemplo"))
    body = html_text(client.get("/profile/edit"))
    first_save = body.index('name="save"')
    assert -1 < body.index('href="/profile/badges"') < first_save
    assert -1 < body.index('href="/profile/delete"') < first_save
    assert "Edit your badges" in body
    assert "Editar seus emblemas" in html_text(client.get("/profile/edit?uselang=pt-br"))


def test_edit_page_carries_what_the_scripts_need(client, make_user, login):
    """The proficiency template (for languages added with the type-ahead) and the counter text."""
    login(client, make_user("Ana Exemplo"))
    body = html_text(client.get("/profile/edit"))
    assert '<fieldset class="field-group" id="proficiency-fields" hidden>' in body
    template = body[body.index('<template id="proficiency-template"'):body.index("</template>")]
    assert 'data-label="Proficiency in $1"' in template
    assert template.count("<option") == 7 and '<option value="3" selected>Advanced</option>' in template
    assert 'data-count="left" data-template="$1 of 2,000 characters left"' in body


@pytest.mark.mutates_reference
def test_translation_page_carries_the_edited_marker_and_names_the_language(client, app, make_user, login):
    on_metabase(app, "budgeting")
    login(client, make_user("Ana Exemplo"))
    body = html_text(client.get("/translation?lang=pt-br&q=budgeting"))
    assert 'src="/static/js/translation.js"' in body
    assert 'data-edited-label="Edited"' in body
    assert 'data-label="Capacities with unsaved changes: $1" hidden' in body
    assert "Name in Portuguese (Brazil)" in body or "Name in Brazilian Portuguese" in body


def test_search_forms_keep_a_uselang_language(client, make_user, login):
    body = html_text(client.get("/capacity?uselang=pt-br"))
    assert '<input type="hidden" name="uselang" value="pt-br">' in body
    assert 'name="uselang"' not in html_text(client.get("/capacity")).split('role="search"')[1].split("</form>")[0]
    login(client, make_user("Ana Exemplo"))
    assert '<input type="hidden" name="uselang" value="ar">' in html_text(client.get("/translation?uselang=ar"))
