"""Issue 3, "Done when", step by step through the pages (request level).

A development-login user fills every field, sees it on the profile, shares it by link and QR code,
is saved by another user, registers for Let's Connect (data only in its own database), exports,
and deletes — with nothing left behind.
"""

from __future__ import annotations

import io
import json
import re

import segno
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from capx.extensions import db
from capx.models import Capacity, Language, LetsConnectRegistration, Profile, SavedProfile, Territory, User, WikimediaProject
from capx.services.importer.ids import referencing_columns
from tests.conftest import add_recorded, html_text, recorded
from tests.orgs_helpers import make_org

META_API = "https://meta.wikimedia.org/w/api.php"


def dev_login(client, name: str) -> None:
    response = client.post("/login/dev", data={"username": name, "next": "/profile"})
    assert response.status_code == 302, html_text(response)


def one(app, query):
    with app.app_context():
        return db.session.scalar(query)


def section(body: str, heading_id: str) -> str:
    match = re.search(r'<section[^>]*aria-labelledby="%s".*?</section>' % re.escape(heading_id), body, re.S)
    assert match, heading_id
    return match.group(0)


def test_a_dev_login_user_goes_from_empty_profile_to_deleted_account(app, client, mocked_http):
    # -- log in with the development login; the profile starts empty, with hints --------------------
    dev_login(client, "Jimbo Wales")
    me = one(app, sa.select(User).where(User.username == "Jimbo Wales"))
    page = html_text(client.get("/profile"))
    assert "Write a few words about yourself." in page

    press = one(app, sa.select(Capacity.id).where(Capacity.code == "press-release"))
    wanted = one(app, sa.select(Capacity.id).where(Capacity.code == "storytelling"))
    pt = one(app, sa.select(Language.id).where(Language.code == "pt"))
    en = one(app, sa.select(Language.id).where(Language.code == "en"))
    bra = one(app, sa.select(Territory.id).where(Territory.code == "BRA"))
    commons = one(app, sa.select(WikimediaProject.id).where(WikimediaProject.code == "commonswiki"))
    org_id = make_org(app, "Wikimedia Exemplo", acronym="WMEX")

    # -- the no-JavaScript search step of the picker finds a capacity and keeps what was typed -------
    token = client.csrf_token()
    page = html_text(client.post("/profile/edit", data=MultiDict([
        ("csrf_token", token), ("bio", "Typed before searching"), ("capacity_known_q", "press"),
        ("picker_search", "capacity_known")]), csrf=False))
    assert f'name="capacity_known" value="{press}"' in page and "Typed before searching" in page

    # -- fill every field and save ------------------------------------------------------------------
    mocked_http.add("GET", META_API, json=recorded("meta-list-users-emailable", "users-normalized-name")
                    ["response"]["body"])
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", "found-with-image")
    fields = [
        ("csrf_token", token), ("avatar", ""), ("show_wikidata_photo", "1"), ("show_wikidata_item", "1"),
        ("bio", "Editor from São Paulo.\r\nI write <b>press releases</b>."), ("bio_language", str(pt)),
        ("capacity_known", str(press)), ("capacity_available", str(press)), ("capacity_wanted", str(wanted)),
        ("language", str(pt)), (f"proficiency_{pt}", "6"), ("language", str(en)), (f"proficiency_{en}", "2"),
        ("alt_account", "ana_Exemplo"), ("affiliation", str(org_id)), ("territory", str(bra)),
        ("project", str(commons)), ("save", "1"),
    ]
    response = client.post("/profile/edit", data=MultiDict(fields), csrf=False)
    assert response.status_code == 302 and response.headers["Location"] == "/profile", html_text(response)

    # -- and see every field on the profile ---------------------------------------------------------
    page = html_text(client.get("/profile"))
    assert "Special:FilePath/Jimmy_Wales_Fundraiser_Appeal.jpg" in page           # Wikidata photograph
    assert re.search(r'<p class="profile__bio" lang="pt" dir="ltr">Editor from São Paulo.\n'
                     r'I write &lt;b&gt;press releases&lt;/b&gt;.</p>', page)        # bio: lang, lines, no HTML
    for kind, capacity_id in (("known", press), ("available", press), ("wanted", wanted)):
        assert f'href="/capacity/{capacity_id}"' in section(page, f"caps-{kind}-heading"), kind
    languages = section(page, "languages-heading")
    assert "Portuguese – Native" in languages and "English – Intermediate" in languages
    assert "Special:CentralAuth/Ana_Exemplo" in section(page, "alt-heading")
    # A hidden organization (no manager yet) is named as plain text: its page would answer 404.
    assert "Wikimedia Exemplo" in section(page, "affiliations-heading")
    assert f'href="/organization_profile/{org_id}"' not in section(page, "affiliations-heading")
    assert "Brazil" in section(page, "territories-heading")
    assert "https://www.wikidata.org/wiki/Q181" in section(page, "wikidata-heading")
    assert "Wikimedia Commons" in section(page, "projects-heading")
    assert "<bdi>Jimbo Wales</bdi>" in page

    # -- share by link (visible as text) and QR code (SVG shown, PNG download) -----------------------
    share = "http://capx.test/profile/Jimbo_Wales"
    assert f'value="{share}"' in page and 'src="/profile/Jimbo_Wales/qr.svg"' in page
    svg = client.get("/profile/Jimbo_Wales/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = client.get("/profile/Jimbo_Wales/qr.png")
    expected = io.BytesIO()
    segno.make(share, error="m").save(expected, kind="png", scale=10, border=2)
    assert png.data == expected.getvalue() and "attachment" in png.headers["Content-Disposition"]

    # -- another user follows the link and saves the profile ------------------------------------------
    other = app.test_client()
    dev_login(other, "Bruno Exemplo")
    bruno = one(app, sa.select(User).where(User.username == "Bruno Exemplo"))
    page = html_text(other.get("/profile/Jimbo_Wales"))
    assert 'aria-pressed="false"' in page and "/message?username=Jimbo%20Wales" in page
    response = other.post(f"/saved/profile/{me.id}", data={
        "csrf_token": other.csrf_token(), "action": "save", "next": "/profile/Jimbo_Wales"}, csrf=False)
    assert response.headers["Location"] == "/profile/Jimbo_Wales"
    assert 'aria-pressed="true"' in html_text(other.get("/profile/Jimbo_Wales"))
    # "Let's talk" opens the message form addressed to them
    assert 'value="Jimbo Wales"' in html_text(other.get("/message?username=Jimbo%20Wales"))

    # -- Let's Connect: form, confirmation with the privacy statement, sent to Let's Connect ----------
    assert "Sign up to Let" in html_text(client.get("/profile/edit"))
    registration = {"full_name": "Jimmy Example", "email": "jimbo@example.org", "role": "board-member",
                    "topics": ["education"], "age_range": "35-44"}
    page = html_text(client.post("/profile/lets-connect", data={**registration, "step": "review"}))
    assert "jimbo@example.org" in page and 'value="confirm"' in page
    add_recorded(mocked_http, "letsconnect-endpoint", "confirmed")
    response = client.post("/profile/lets-connect", data={**registration, "step": "confirm"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Profile.lets_connect_confirmation)
                                 .where(Profile.user_id == me.id)) == "LC-2026-000123"
        assert db.session.scalar(sa.select(Profile.lets_connect_registered_at)
                                 .where(Profile.user_id == me.id)) is not None
        with db.engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                quoted = conn.dialect.identifier_preparer.quote(table)
                for values in conn.execute(sa.text(f"SELECT * FROM {quoted}")):
                    assert "jimbo@example.org" not in [str(v) for v in values], table
    assert "Update my registration data" in html_text(client.get("/profile/edit"))

    # -- export: everything stored, in one JSON file ----------------------------------------------------
    export = client.get("/profile/export")
    assert "attachment" in export.headers["Content-Disposition"]
    data = json.loads(export.data)
    assert data["account"]["username"] == "Jimbo Wales"
    assert data["profile"]["capacities"] == {"known": ["press-release"], "available": ["press-release"],
                                             "wanted": ["storytelling"]}
    assert data["profile"]["alternative_account"] == "Ana Exemplo"
    assert data["profile"]["wikidata_item"] == "Q181"
    assert "jimbo@example.org" not in json.dumps(data)  # kept by Let's Connect only
    assert data["profile"]["lets_connect_confirmation"] == "LC-2026-000123"

    # -- delete: confirmation page, then nothing left, logged out -----------------------------------------
    assert "Delete" in html_text(client.get("/profile/delete"))
    response = client.post("/profile/delete", data={"confirm": "1"})
    assert response.status_code == 302
    with app.app_context():
        for column in referencing_columns("user"):
            left = db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == me.id))
            assert left == 0, f"{column.table.name}.{column.name}"
        assert db.session.scalar(sa.select(LetsConnectRegistration)
                                 .where(LetsConnectRegistration.user_id == me.id)) is None
        assert db.session.scalar(sa.select(SavedProfile).where(SavedProfile.owner_id == bruno.id)) is None
        assert db.session.scalar(sa.select(User).where(User.username == "Jimbo Wales")) is None
    assert client.get("/profile").status_code == 302
    assert other.get("/profile/Jimbo_Wales").status_code == 404
