"""Profile pages: own and others', sharing (link, QR), save toggle, access and locked accounts."""

from __future__ import annotations

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (Capacity, Language, Profile, ProfileCapacity, ProfileLanguage, SavedProfile)
from tests.conftest import html_text, statements_run
from tests.orgs_helpers import make_org


def _profile(app, user):
    with app.app_context():
        return db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))


def test_login_required(client):
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # Someone's profile that is not public: a page asking to log in (tests/test_profiles_public.py).
    page = client.get("/profile/Ana_Exemplo")
    assert page.status_code == 200 and 'href="/login?next=/profile/Ana_Exemplo"' in page.get_data(as_text=True)


def test_own_profile_shows_hints_and_actions(client, make_user, login):
    ana = make_user("Ana Exemplo")
    login(client, ana)
    page = html_text(client.get("/profile"))
    assert "<bdi>Ana Exemplo</bdi>" in page
    assert "Write a few words about yourself." in page
    assert "Wiki birthday:" in page
    assert 'href="/profile/edit"' in page
    assert "/profile/Ana_Exemplo/qr.svg" in page
    assert "http://capx.test/profile/Ana_Exemplo" in page  # the link is visible as text
    assert "Let&#39;s talk" not in page and "Let's talk" not in page


def test_other_profile_hides_empty_sections_and_offers_save_and_talk(client, make_user, login):
    ana, bruno = make_user("Ana Exemplo"), make_user("Bruno Exemplo")
    login(client, bruno)
    page = html_text(client.get("/profile/Ana_Exemplo"))
    assert "<bdi>Ana Exemplo</bdi>" in page
    assert "Write a few words about yourself." not in page
    assert "Mini bio" not in page
    assert 'href="/message?username=Ana%20Exemplo"' in page
    assert f'/saved/profile/{ana.id}' in page
    assert 'aria-pressed="false"' in page


def test_save_toggle_from_profile(client, make_user, login, app):
    ana, bruno = make_user("Ana Exemplo"), make_user("Bruno Exemplo")
    login(client, bruno)
    response = client.post(f"/saved/profile/{ana.id}", data={"action": "save", "next": "/profile/Ana_Exemplo"})
    assert response.headers["Location"] == "/profile/Ana_Exemplo"
    page = html_text(client.get("/profile/Ana_Exemplo"))
    assert 'aria-pressed="true"' in page
    with app.app_context():
        assert db.session.get(SavedProfile, (bruno.id, ana.id)) is not None


def test_unknown_and_locked_profiles_are_404(client, make_user, login):
    viewer = make_user("Viewer")
    make_user("Locked Example", is_locked=True)
    login(client, viewer)
    assert client.get("/profile/Nobody_Here").status_code == 404
    assert client.get("/profile/Locked_Example").status_code == 404
    assert client.get("/profile/Locked_Example/qr.svg").status_code == 404


def test_spaces_as_underscores_and_lowercase_first_letter(client, make_user, login):
    make_user("Ana Exemplo")
    login(client, make_user("Viewer"))
    assert client.get("/profile/Ana_Exemplo").status_code == 200
    assert client.get("/profile/ana_Exemplo").status_code == 200


def test_profile_content_bio_language_capacities(client, make_user, login, app):
    ana = make_user("Ana Exemplo")
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == ana.id))
        pt = db.session.scalar(sa.select(Language).where(Language.code == "pt"))
        cap = db.session.scalar(sa.select(Capacity).where(Capacity.code == "communication"))
        profile.bio = "Linha um\nLinha dois"
        profile.bio_language_id = pt.id
        db.session.add(ProfileCapacity(profile_id=profile.id, capacity_id=cap.id, kind="known"))
        db.session.add(ProfileLanguage(profile_id=profile.id, language_id=pt.id, proficiency=6))
        db.session.commit()
    login(client, make_user("Viewer"))
    page = html_text(client.get("/profile/Ana_Exemplo"))
    assert 'lang="pt"' in page and "Linha um\nLinha dois" in page
    assert "Known capacities" in page and "Available capacities" not in page
    assert "Native" in page


def test_managed_organizations_listed_on_own_profile(client, make_user, login, app):
    ana = make_user("Ana Exemplo")
    org_id = make_org(app, "Wikimedia Example", managers=(ana,), acronym="WMX")
    login(client, ana)
    page = html_text(client.get("/profile"))
    assert "Wikimedia Example" in page and f'href="/organization_profile/{org_id}"' in page


def test_qr_codes_lead_to_the_profile(client, make_user, login):
    make_user("Ana Exemplo")
    login(client, make_user("Viewer"))
    svg = client.get("/profile/Ana_Exemplo/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    png = client.get("/profile/Ana_Exemplo/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert "attachment" in png.headers["Content-Disposition"]
    # Decode what the code says: segno can tell us the encoded data by re-encoding and comparing.
    import io

    import segno
    expected = io.BytesIO()
    segno.make("http://capx.test/profile/Ana_Exemplo", error="m").save(expected, kind="png", scale=10, border=2)
    assert png.data == expected.getvalue()


def test_profile_page_query_count_is_bounded(client, make_user, login, app):
    ana = make_user("Ana Exemplo")
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == ana.id))
        caps = db.session.scalars(sa.select(Capacity).limit(40)).all()
        langs = db.session.scalars(sa.select(Language).limit(20)).all()
        for c in caps:
            db.session.add(ProfileCapacity(profile_id=profile.id, capacity_id=c.id, kind="known"))
        for i, lang in enumerate(langs):
            db.session.add(ProfileLanguage(profile_id=profile.id, language_id=lang.id, position=i))
        db.session.commit()
    login(client, make_user("Viewer"))
    with statements_run(app) as statements:
        assert client.get("/profile/Ana_Exemplo").status_code == 200
    assert len(statements) <= 20


def test_every_page_renders_in_every_interface_language(client, make_user, login):
    from capx.language import available_languages

    make_user("Bruno Exemplo")
    login(client, make_user("Ana Exemplo"))
    with client.application.test_request_context():
        languages = available_languages()
    for lang in languages:
        for path in ("/profile", "/profile/Bruno_Exemplo", "/profile/edit", "/profile/badges", "/profile/lets-connect",
                     "/profile/lets-connect/import", "/profile/delete"):
            response = client.get(f"{path}?uselang={lang}")
            assert response.status_code == 200, (lang, path)
    page = html_text(client.get("/profile/edit?uselang=pt-br"))
    assert "Salvar perfil" in page and "Minibiografia" in page
