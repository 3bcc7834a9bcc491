"""Issue 4, "Done when", step by step through the pages a person uses (request level).

A newcomer finds "Press release" by typing "press" in the Portuguese interface, reads its
description, adds it to Known and sees it on the profile; a translator translates a capacity name
that then appears in that language across the site.
"""

from __future__ import annotations

import re

import pytest

from capx.extensions import db
from capx.models import (Capacity, CapacityText, Organization, OrganizationCapacity, OrganizationManager,
                         OrganizationName, User)
from tests.conftest import html_text
from tests.helpers import on_metabase
from tests.test_translation import mock_bot_login, mock_tokens, mock_write, posts

DESCRIPTION = "Official statement distributed to the press to announce something newsworthy."


@pytest.fixture()
def press(app) -> int:
    """Press release as after a Metabase sync: a QID and an English description (none in Portuguese)."""
    cap_id = on_metabase(app, "press-release")
    with app.app_context():
        text = db.session.get(CapacityText, (cap_id, "en"))
        text.description = DESCRIPTION
        text.description_source = "metabase"
        db.session.commit()
        return cap_id


def dev_login(client, name: str) -> None:
    response = client.post("/login/dev", data={"username": name, "next": "/profile"})
    assert response.status_code == 302, html_text(response)


def section(body: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by ``heading_id``."""
    match = re.search(r'<section[^>]*aria-labelledby="%s".*?</section>' % re.escape(heading_id), body, re.S)
    assert match, heading_id
    return match.group(0)


@pytest.mark.mutates_reference
def test_newcomer_finds_press_release_in_portuguese_and_adds_it_to_known(client, app, press):
    dev_login(client, "Nova Pessoa")
    response = client.post("/language", data={"uselang": "pt-br", "next": "/capacity"})
    assert response.status_code == 302

    # typing "press" in the Portuguese interface finds it (English name as fallback), with its path
    body = html_text(client.get("/capacity?q=press"))
    assert '<html lang="pt-br"' in body
    assert "1 capacidade corresponde a “press”" in body
    assert f'href="/capacity/{press}" lang="en">Press release</a>' in body
    assert "Communication" in body  # the path root › capacity

    # reading its description: shown, marked as English, and said to be a fallback
    body = html_text(client.get(f"/capacity/{press}"))
    assert DESCRIPTION in body
    assert re.search(r'<p class="directory-capacity__description" lang="en">', body)
    assert "Mostrada em outro idioma (en)" in body
    # not available in Portuguese yet: the call to action leads to its translation
    assert "Tradução necessária" in body
    assert f'href="/translation?lang=pt-br&amp;capacity={press}"' in body
    assert "Adicionar às conhecidas" in body

    # adding it to Known
    response = client.post(f"/capacity/{press}/add", data={"kind": "known", "next": f"/capacity/{press}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/capacity/{press}")
    body = html_text(client.get(f"/capacity/{press}"))
    assert "Adicionada às conhecidas" in body and ">Adicionar às conhecidas<" not in body

    # and seeing it on the profile, under Known, linking back to the directory
    known = section(html_text(client.get("/profile")), "caps-known-heading")
    assert "Capacidades conhecidas" in known
    assert f'href="/capacity/{press}"' in known and "Press release" in known


@pytest.mark.mutates_reference
def test_translated_name_appears_across_the_site(client, app, make_user, login, press, bot, mocked_http):
    # someone knows it, an organization lists it, a thematic category holds it
    holder = make_user("Carla Exemplo")
    login(client, holder)
    client.post(f"/capacity/{press}/add", data={"kind": "known"})
    with app.app_context():
        manager = db.session.get(User, holder.id)
        org = Organization(acronym="WMXX")
        db.session.add(org)
        db.session.flush()
        db.session.add(OrganizationName(organization_id=org.id, lang="en", name="Wikimedia Exemplo"))
        db.session.add(OrganizationManager(organization_id=org.id, user_id=manager.id))
        db.session.add(OrganizationCapacity(organization_id=org.id, capacity_id=press, kind="available"))
        db.session.commit()
        org_id = org.id

    # a translator saves the Portuguese name (written to Metabase by the bot)
    translator = make_user("Tradutora Exemplo")
    login(client, translator)
    mock_bot_login(mocked_http)
    mock_tokens(mocked_http)
    mock_write(mocked_http, "wbsetlabel", "wbsetlabel-success")
    mock_write(mocked_http, "wbsetdescription", "wbsetdescription-success")
    page = html_text(client.get(f"/translation?lang=pt-br&capacity={press}"))
    assert "Press release" in page
    response = client.post("/translation", data={
        "capacity_id": press, "lang": "pt-br", "name": "Comunicado de imprensa",
        "description": "Declaração oficial distribuída à imprensa."})
    assert response.status_code == 302, html_text(response)
    assert posts(mocked_http, "wbsetlabel")[0]["value"] == "Comunicado de imprensa"

    name = "Comunicado de imprensa"
    pt = {"Accept-Language": "pt-BR"}
    pages = {
        "cards": "/capacity?uselang=pt-br",
        "tree": "/capacity?view=tree&uselang=pt-br",
        "search": "/capacity?q=comunicado&uselang=pt-br",
        "capacity page": f"/capacity/{press}?uselang=pt-br",
        "parent page": f"/capacity/{db_parent(app, press)}?uselang=pt-br",
        "holder's profile": "/profile/Carla_Exemplo?uselang=pt-br",
        "organization": f"/organization_profile/{org_id}?uselang=pt-br",
        "translation page": "/translation?lang=pt-br&filter=translated&uselang=pt-br",
    }
    for where, url in pages.items():
        body = html_text(client.get(url, headers=pt))
        assert name in body, where
        assert f'lang="en">{name}' not in body, where  # marked as the page's language, not English
    # the capacity page no longer asks for a translation, and shows the Portuguese description
    body = html_text(client.get(f"/capacity/{press}?uselang=pt-br"))
    assert "directory-translation-needed" not in body
    assert "Declaração oficial distribuída à imprensa." in body
    # the type-ahead picker offers it under its Portuguese name
    hits = client.get("/api/suggest/capacity?q=comunicado&uselang=pt-br").get_json()
    assert [h["label"] for h in hits] == [name]
    # the holder sees it on the edit page in Portuguese too
    login(client, holder)
    body = html_text(client.get("/profile/edit?uselang=pt-br"))
    assert name in body
    # English pages keep the English name
    body = html_text(client.get(f"/capacity/{press}?uselang=en"))
    assert "Press release" in body and name not in body


def db_parent(app, capacity_id: int) -> int:
    with app.app_context():
        return db.session.get(Capacity, capacity_id).parent_id
