"""Profiles for visitors who are not logged in (issue 18): each person chooses whether their
profile is public; a public profile (and its share link and QR code) opens without login, any
other name shows a page asking to log in; lists of people are noindex, a public profile is not;
a profile never links to an organization its reader cannot open."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Organization, OrganizationManager, OrganizationName, Profile, ProfileAffiliation
from tests.conftest import html_text

NOINDEX = '<meta name="robots" content="noindex">'


def make_public(app, user, public: bool = True) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id)).is_public = public
        db.session.commit()


@pytest.fixture
def people(app, make_user):
    ana, bruno, carla = make_user("Ana Exemplo"), make_user("Bruno Exemplo"), make_user("Carla Exemplo")
    make_public(app, ana)
    with app.app_context():
        db.session.scalar(sa.select(Profile).where(Profile.user_id == ana.id)).bio = "Ana public bio"
        db.session.scalar(sa.select(Profile).where(Profile.user_id == bruno.id)).bio = "Bruno private bio"
        db.session.commit()
    return {"ana": ana, "bruno": bruno, "carla": carla}


def test_profiles_are_not_public_by_default(app, make_user, client, login):
    dora = make_user("Dora Exemplo")
    with app.app_context():
        assert db.session.scalar(sa.select(Profile.is_public).where(Profile.user_id == dora.id)) is False
        # A row written without the column (as the import and older code do) is not public either.
        db.session.execute(sa.text("UPDATE profile SET bio = 'x' WHERE user_id = :id"), {"id": dora.id})
        db.session.commit()
    login(client, dora)
    page = html_text(client.get("/profile/edit"))
    assert 'name="is_public" value="1" aria-describedby="is_public-help">' in page  # unticked


def test_the_owner_turns_it_on_and_off_on_the_edit_page(app, make_user, client, login):
    dora = make_user("Dora Exemplo")
    login(client, dora)
    assert client.post("/profile/edit", data={"bio": "Hi", "is_public": "1"}).status_code == 302
    assert 'name="is_public" value="1" aria-describedby="is_public-help" checked' in html_text(client.get("/profile/edit"))
    anonymous = app.test_client()
    assert "Hi" in html_text(anonymous.get("/profile/Dora_Exemplo"))
    client.post("/profile/edit", data={"bio": "Hi"})
    with app.app_context():
        assert db.session.scalar(sa.select(Profile.is_public).where(Profile.user_id == dora.id)) is False
    assert "Hi" not in html_text(anonymous.get("/profile/Dora_Exemplo"))


# (url, anonymous, another user, owner): 200 profile, "login" the page asking to log in, or a status.
ACCESS = [
    ("/profile/Ana_Exemplo", "profile", "profile", "profile"),          # public
    ("/profile/Bruno_Exemplo", "login", "profile", "profile"),          # not public
    ("/profile/Nobody_Here", "login", 404, None),                       # no such account: same as not public
    ("/profile/Ana_Exemplo/qr.svg", 200, 200, 200),
    ("/profile/Ana_Exemplo/qr.png", 200, 200, 200),
    ("/profile/Bruno_Exemplo/qr.svg", 404, 200, 200),
    ("/profile/Bruno_Exemplo/qr.png", 404, 200, 200),
    ("/profile/Nobody_Here/qr.svg", 404, 404, None),
]


@pytest.mark.parametrize("url,anonymous,other,owner", ACCESS)
def test_access_table(app, people, login, url, anonymous, other, owner):
    owner_name = "bruno" if "Bruno" in url else "ana"
    clients = {"anonymous": app.test_client(), "other": app.test_client(), "owner": app.test_client()}
    login(clients["other"], people["carla"])
    login(clients["owner"], people[owner_name])
    for who, expected in (("anonymous", anonymous), ("other", other), ("owner", owner)):
        if expected is None:
            continue
        response = clients[who].get(url)
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if expected == "profile":
            assert response.status_code == 200, (who, url)
            assert "bio" in body and "Log in to see this profile" not in body, (who, url)
        elif expected == "login":
            assert response.status_code == 200, (who, url)
            assert "Log in to see this profile" in body and "visible to logged-in Wikimedians" in body
            path = url.split("?")[0]
            assert f'href="/login?next={path}"' in body, (who, url)
            assert "private bio" not in body and NOINDEX in body
        else:
            assert response.status_code == expected, (who, url)


def test_a_public_profile_seen_anonymously(app, people):
    anonymous = app.test_client()
    page = html_text(anonymous.get("/profile/Ana_Exemplo"))
    assert "Ana public bio" in page
    # No contact or save button (they need an account): a login link that comes back here.
    assert 'action="/saved/profile/' not in page and "/message?username=" not in page
    assert 'href="/login?next=/profile/Ana_Exemplo">Log in to contact or save' in page
    # Nothing only the owner sees.
    assert "/profile/edit" not in page and "/profile/export" not in page
    # The QR code and the share link lead to the address that just opened.
    assert 'value="http://capx.test/profile/Ana_Exemplo"' in page
    assert 'src="/profile/Ana_Exemplo/qr.svg"' in page


def test_noindex_on_lists_of_people_not_on_a_public_profile(app, people, client, login):
    anonymous = app.test_client()
    assert NOINDEX not in html_text(anonymous.get("/profile/Ana_Exemplo"))
    assert NOINDEX in html_text(anonymous.get("/profile/Bruno_Exemplo"))
    login(client, people["carla"])
    assert NOINDEX not in html_text(client.get("/profile/Ana_Exemplo"))
    for url in ("/feed", "/feed/saved", "/home", "/message/sent"):
        response = client.get(url)
        assert response.status_code == 200 and NOINDEX in html_text(response), url
    assert html_text(client.get("/home")).count(NOINDEX) == 1


def test_hidden_organizations_are_plain_text_on_a_profile(app, people, client, login, make_user):
    staff = make_user("Staff Exemplo", is_staff=True)
    with app.app_context():
        shown, hidden = Organization(acronym="SH"), Organization(acronym="HI")
        shown.names.append(OrganizationName(lang="en", name="Shown Group"))
        hidden.names.append(OrganizationName(lang="en", name="Hidden Group"))
        db.session.add_all([shown, hidden])
        db.session.flush()
        ids = {"shown": shown.id, "hidden": hidden.id}
        db.session.add(OrganizationManager(organization_id=shown.id, user_id=people["bruno"].id))
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == people["ana"].id))
        db.session.add_all([ProfileAffiliation(profile_id=profile.id, organization_id=shown.id, position=0),
                            ProfileAffiliation(profile_id=profile.id, organization_id=hidden.id, position=1)])
        db.session.commit()
    readers = {"anonymous": app.test_client(), "user": app.test_client(), "staff": app.test_client()}
    login(readers["user"], people["carla"])
    login(readers["staff"], staff)
    for who, reader in readers.items():
        page = html_text(reader.get("/profile/Ana_Exemplo"))
        assert f'<a href="/organization_profile/{ids["shown"]}">Shown Group</a>' in page, who
        assert "Hidden Group" in page, who
        linked = f'<a href="/organization_profile/{ids["hidden"]}">Hidden Group</a>' in page
        assert linked == (who == "staff"), who
        # What a link leads to opens for that reader (after logging in for an anonymous one).
        if who != "anonymous":
            assert reader.get(f"/organization_profile/{ids['shown']}").status_code == 200
