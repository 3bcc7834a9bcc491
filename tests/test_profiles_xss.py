"""An XSS corpus through every text field of profiles renders inert (escaped, never markup)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Profile, User
from tests.conftest import html_text

CORPUS = [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    'javascript:alert(1)',
    '<a href="javascript:alert(1)">x</a>',
    '{{ 7*7 }}{% raw %}',
    '</textarea><script>alert(1)</script>',
    '<iframe srcdoc="<script>alert(1)</script>">',
]
DANGEROUS = ("<script>alert", "<img src=x", "<svg/onload", "<iframe", 'href="javascript:')


def assert_inert(page: str) -> None:
    for marker in DANGEROUS:
        assert marker not in page, marker


@pytest.mark.parametrize("payload", CORPUS)
def test_bio_is_inert_on_profile_and_edit(client, make_user, login, payload):
    ana = make_user("Ana Exemplo")
    login(client, ana)
    assert client.post("/profile/edit", data={"bio": payload, "save": "1"}).status_code == 302
    own = html_text(client.get("/profile"))
    assert_inert(own)
    if payload.startswith("{{"):
        assert "{{ 7*7 }}" in own  # shown as typed, never evaluated as a template
    assert_inert(html_text(client.get("/profile/edit")))
    login(client, make_user("Viewer"))
    assert_inert(html_text(client.get("/profile/Ana_Exemplo")))


@pytest.mark.parametrize("payload", CORPUS)
def test_alt_account_and_picker_queries_are_inert(client, make_user, login, payload):
    login(client, make_user("Ana Exemplo"))
    page = html_text(client.post("/profile/edit", data={"alt_account": payload, "save": "1"}))
    assert_inert(page)
    page = html_text(client.post("/profile/edit", data={"territory_q": payload, "picker_search": "territory",
                                                        "bio": payload}))
    assert_inert(page)


@pytest.mark.parametrize("payload", CORPUS)
def test_lets_connect_fields_are_inert(client, make_user, login, payload):
    login(client, make_user("Ana Exemplo"))
    data = {"full_name": payload, "email": "ana@example.org", "role": "board-member", "topic_other": payload,
            "gender": "self-described", "gender_other": payload[:100], "step": "review"}
    assert_inert(html_text(client.post("/profile/lets-connect", data=data)))
    assert_inert(html_text(client.post("/profile/lets-connect", data={**data, "email": payload})))


@pytest.mark.parametrize("payload", CORPUS)
def test_stored_values_from_elsewhere_are_inert(client, make_user, login, app, payload):
    """Names and stored alternative accounts (written by the sync or an old import) are escaped too."""
    user = make_user("Ana Exemplo")
    with app.app_context():
        db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id)).alt_account = payload
        db.session.commit()
    login(client, make_user("Viewer"))
    assert_inert(html_text(client.get("/profile/Ana_Exemplo")))


def test_username_with_markup_is_inert_in_profile_and_qr(client, make_user, login, app):
    make_user('Evil "><b>name')
    login(client, make_user("Viewer"))
    with app.app_context():
        url_name = db.session.scalar(sa.select(User).where(User.username.like("Evil%"))).url_name
    page = html_text(client.get(f"/profile/{url_name}"))
    assert '"><b>name' not in page and "&lt;b&gt;name" in page
    svg = client.get(f"/profile/{url_name}/qr.svg").get_data(as_text=True)
    assert "<b>" not in svg
