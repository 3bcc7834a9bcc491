"""Issue 7, "done when", walked through the pages as a user does: a match found on /home, the
profile's Let's talk link, the Write tab filled in from it, the confirmation step, sending by
email or on the talk page (recorded Meta-Wiki answers), the Sent tab, then a bug report filed
and its status followed after the team's triage."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import AVAILABLE, WANTED, BugReport, Capacity, MessageLog, Profile, ProfileCapacity, User
from capx.services import home
from capx.services.accounts import store_token
from tests.conftest import add_recorded, html_text
from tests.test_messages import RECIPIENT, SENDER, add_available, posts

TOKEN = ("a1b2c3d4e5f60718293a4b5c6d7e8f90", "0123456789abcdef0123456789abcdef01234567")


def _with_capacity(app, user, capacity_id, kind):
    with app.app_context():
        profile_id = db.session.scalar(sa.select(Profile.id).where(Profile.user_id == user.id))
        db.session.add(ProfileCapacity(profile_id=profile_id, capacity_id=capacity_id, kind=kind))
        db.session.commit()


@pytest.mark.parametrize("method, sample", [("email", ("meta-emailuser", "success")),
                                            ("talk", ("meta-edit-newsection", "success-existing-page"))])
def test_match_message_sent_log_and_followed_report(app, client, login, make_user, mocked_http, method, sample):
    home.forget_popular()
    with app.app_context():
        capacity_id = db.session.scalar(sa.select(Capacity.id).where(Capacity.parent_id.is_not(None))
                                        .order_by(Capacity.id))
    bruno, ana = make_user(SENDER), make_user(RECIPIENT)
    with app.app_context():
        store_token(db.session.get(User, bruno.id), "meta", TOKEN)  # what the Meta-Wiki login stores
        db.session.commit()
    _with_capacity(app, bruno, capacity_id, AVAILABLE)  # Bruno offers it ...
    _with_capacity(app, ana, capacity_id, WANTED)       # ... and Ana wants to learn it
    login(client, bruno)

    # 1. The match on /home: Ana in "People who want what you offer", with View and Save.
    page = html_text(client.get("/home"))
    row = page.split('id="want-what-you-offer-heading"', 1)[1].split("</section>", 1)[0]
    assert "<bdi>Ana Exemplo</bdi>" in row
    profile_url = re.search(r'<a class="cdx-button cdx-button--small" href="([^"]+)">View', row).group(1)
    assert "Save<span class=\"visually-hidden\">: Ana Exemplo</span>" in row

    # 2. Her profile's Let's talk link opens the Write tab with her name filled in.
    profile = html_text(client.get(profile_url))
    talk_url = re.search(r'href="(/message\?username=[^"]+)"', profile).group(1)
    write = html_text(client.get(talk_url.replace("&amp;", "&")))
    assert 'value="Ana Exemplo"' in write
    assert "Sending a message needs a login" not in write  # this session has a Meta-Wiki token

    # 3. Review: the confirmation step says what will happen and that it cannot be undone.
    form = {"recipient": RECIPIENT, "method": method, "subject": "Budgeting", "text": "Hello Ana, let us talk."}
    add_available(mocked_http, times=2)  # checked at review and again right before sending
    confirm = html_text(client.post("/message", data=form))
    assert "Confirm your message" in confirm and "This cannot be undone." in confirm
    assert ("sent by email to" if method == "email" else "new section on the talk page") in confirm
    assert posts(mocked_http) == []  # nothing sent yet

    # 4. Confirm and send: one POST to Meta-Wiki, as Bruno, then the Sent tab.
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, *sample, match_params=False)
    response = client.post("/message/send", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/message/sent")
    [sent] = posts(mocked_http)
    assert sent["action"] == (["emailuser"] if method == "email" else ["edit"])
    sent_tab = html_text(client.get("/message/sent"))
    assert "To <bdi>Ana Exemplo</bdi>" in sent_tab
    assert ("Your email was sent." if method == "email" else "Your message was published on the talk page.") in sent_tab
    with app.app_context():
        [log] = db.session.scalars(sa.select(MessageLog)).all()
        assert (log.recipient_id, log.method, log.status) == (ana.id, method, "sent")

    # 5. A bug report, then its status as the team changes it.
    response = client.post("/report_bug", data={"title": "The map stays grey", "description": "On Android.",
                                                 "type": "error"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/report_bug/submissions")
    submissions = html_text(client.get("/report_bug/submissions"))
    assert "The map stays grey" in submissions and "report-status--new" in submissions
    with app.app_context():
        report_id = db.session.scalar(sa.select(BugReport.id))
    login(client, make_user("Team Member", is_staff=True))
    client.post(f"/report_bug/{report_id}/triage", data={"status": "in-progress", "reply": "We can see it too."})
    login(client, bruno)
    followed = html_text(client.get("/report_bug/submissions"))
    assert "In progress" in followed and "We can see it too." in followed
    assert client.get(f"/report_bug/{report_id}").status_code == 200
