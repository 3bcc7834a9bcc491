"""Issue 17 "done when": a demo person shows a WikiLearn badge from a recorded response, on the
badges page (with the copied picture) and on the profile everyone sees."""

from __future__ import annotations

import re

import sqlalchemy as sa

from capx.devtools.demo import seed_demo
from capx.extensions import db
from capx.models import User
from capx.services.reference import load_reference
from tests.conftest import add_recorded, html_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_demo_person_shows_a_wikilearn_badge(app, client, login, mocked_http):
    with app.app_context():
        load_reference(echo=lambda _l: None)
        db.session.commit()
        seed_demo(3, seed=7, echo=lambda _l: None, managed_organizations=0, showcase=False)
        person = db.session.scalars(sa.select(User).order_by(User.id)).first()
        name = person.username
    # WikiLearn answers for the demo person with the recorded assertions; nobody else has badges.
    add_recorded(mocked_http, "learnwiki-badge-assertions", "two-assertions",
                 url=f"https://learn.wiki/api/badges/v1/assertions/user/{name.replace(' ', '%20')}/")
    mocked_http.add("GET", re.compile(r"https://learn\.wiki/api/badges/.*"), status=404, json={"detail": "Not found."})
    mocked_http.add("GET", "https://letsconn.toolforge.org/user-badges/", json=[])
    mocked_http.add("GET", re.compile(r"https://learn\.wiki/media/.*"), body=PNG, content_type="image/png")
    result = app.test_cli_runner().invoke(args=["capx", "badges"])
    assert result.exit_code == 0, result.output
    assert "wikilearn: 3 people asked, 1 answered in full, 2 kept as they were" in result.output

    login(client, person)
    page = html_text(client.get("/profile/badges"))
    assert "Introduction to Wikimedia Projects" in page and "(WikiLearn)" in page
    image = re.search(r'src="(/badges/\d+/image)"', page).group(1)
    assert client.get(image).data == PNG
    viewer = app.test_client()
    with app.app_context():
        other = db.session.scalars(sa.select(User).order_by(User.id.desc())).first()
    login(viewer, other)
    profile = html_text(viewer.get(f"/profile/{name.replace(' ', '_')}"))
    assert "Introduction to Wikimedia Projects" in profile
