"""Badges: rules, progress page, display choice, the daily job, idempotence and hand grants."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (
    Capacity,
    MessageLog,
    Organization,
    OrganizationManager,
    OrganizationName,
    Profile,
    ProfileCapacity,
    User,
    UserBadge,
    utcnow,
)
from capx.services import badges
from tests.conftest import html_text


def badge_rows(app, user):
    with app.app_context():
        return {b.badge: (b.progress, b.earned_at is not None, b.granted_by_hand, b.displayed)
                for b in db.session.scalars(sa.select(UserBadge).where(UserBadge.user_id == user.id))}


def add_available(app, user, n):
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))
        for cap in db.session.scalars(sa.select(Capacity).order_by(Capacity.id).limit(n)):
            db.session.add(ProfileCapacity(profile_id=profile.id, capacity_id=cap.id, kind="known"))
            db.session.add(ProfileCapacity(profile_id=profile.id, capacity_id=cap.id, kind="available"))
        db.session.commit()


def send_messages(app, user, n, status="sent"):
    with app.app_context():
        for _ in range(n):
            db.session.add(MessageLog(sender_id=user.id, recipient_username="Somebody", method="email", status=status))
        db.session.commit()


def test_thresholds_at_and_below(app, make_user):
    four, five = make_user("Four"), make_user("Five")
    add_available(app, four, 4)
    add_available(app, five, 5)
    send_messages(app, four, 9)
    send_messages(app, four, 3, status="failed")
    send_messages(app, five, 10)
    with app.app_context():
        badges.recompute([four.id, five.id])
        db.session.commit()
    assert badge_rows(app, four)["capacity-sharer"][:2] == (4, False)
    assert badge_rows(app, five)["capacity-sharer"][:2] == (5, True)
    assert badge_rows(app, four)["messenger"][:2] == (9, False)  # failed messages do not count
    assert badge_rows(app, five)["messenger"][:2] == (10, True)


def test_account_age_manager_and_lets_connect(app, make_user):
    now = utcnow()
    old = make_user("Old", registered_at=now.replace(year=now.year - 5) - dt.timedelta(days=1))
    young = make_user("Young", registered_at=now.replace(year=now.year - 5) + dt.timedelta(days=2))
    with app.app_context():
        org = Organization(acronym="EX")
        org.names.append(OrganizationName(lang="en", name="Example"))
        db.session.add(org)
        db.session.flush()
        db.session.add(OrganizationManager(organization_id=org.id, user_id=old.id))
        db.session.scalar(sa.select(Profile).where(Profile.user_id == young.id)).lets_connect_registered_at = now
        db.session.commit()
        badges.recompute([old.id, young.id], now)
        db.session.commit()
    assert badge_rows(app, old)["wikimedia-veteran"][:2] == (5, True)
    assert badge_rows(app, young)["wikimedia-veteran"][:2] == (4, False)
    assert badge_rows(app, old)["organization-manager"][1] is True
    assert "organization-manager" not in badge_rows(app, young)
    assert badge_rows(app, young)["lets-connect-member"][1] is True


def test_recompute_is_idempotent_and_never_resets_hand_grants(app, make_user):
    user = make_user("Ana Exemplo")
    with app.app_context():
        badges.grant(db.session.get(User, user.id), "messenger")
        db.session.commit()
        assert badges.recompute([user.id]) == 0
        db.session.commit()
        first = badge_rows(app, user)
        badges.recompute([user.id])
        db.session.commit()
    assert badge_rows(app, user) == first
    assert first["messenger"] == (0, True, True, True)


def test_earned_badges_are_not_taken_back(app, make_user):
    user = make_user("Ana Exemplo")
    add_available(app, user, 5)
    with app.app_context():
        badges.recompute([user.id])
        db.session.execute(sa.delete(ProfileCapacity))
        badges.recompute([user.id])
        db.session.commit()
    assert badge_rows(app, user)["capacity-sharer"][:2] == (0, True)


def test_daily_job_command(app, make_user):
    users = [make_user(f"User {i}") for i in range(3)]
    add_available(app, users[0], 5)
    result = app.test_cli_runner().invoke(args=["capx", "badges"])
    assert result.exit_code == 0 and "3 users checked, 1 badges earned" in result.output
    result = app.test_cli_runner().invoke(args=["capx", "badges"])
    assert "0 badges earned" in result.output
    result = app.test_cli_runner().invoke(args=["capx", "grant-badge", "User_1", "messenger"])
    assert result.exit_code == 0
    assert badge_rows(app, users[1])["messenger"][1:3] == (True, True)
    assert app.test_cli_runner().invoke(args=["capx", "grant-badge", "User 1", "nope"]).exit_code != 0


def test_measure_uses_a_fixed_number_of_queries(app, make_user):
    users = [make_user(f"User {i}") for i in range(12)]
    for u in users:
        add_available(app, u, 2)
    counter = {"n": 0}

    def count(*_a, **_k):
        counter["n"] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            badges.measure([u.id for u in users])
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert counter["n"] <= 10


def test_badges_page_states_and_display_choice(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    add_available(app, user, 5)
    send_messages(app, user, 2)
    app.test_cli_runner().invoke(args=["capx", "badges"])
    login(client, user)
    page = html_text(client.get("/profile/badges"))
    assert "Earned" in page and "In progress" in page and "Locked" in page  # words, not colours
    assert "2 of 10" in page
    assert 'name="display" value="capacity-sharer" checked' in page
    assert "Capacity sharer" in html_text(client.get("/profile"))
    response = client.post("/profile/badges", data={"display": []})
    assert response.status_code == 302
    assert "Capacity sharer" not in html_text(client.get("/profile"))
    client.post("/profile/badges", data={"display": ["capacity-sharer", "messenger", "bogus"]})
    rows = badge_rows(app, user)
    assert rows["capacity-sharer"][3] is True
    assert "Capacity sharer" in html_text(client.get("/profile"))


def test_badges_recomputed_when_the_profile_is_saved(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    login(client, user)
    with app.app_context():
        cap_ids = list(db.session.scalars(sa.select(Capacity.id).order_by(Capacity.id).limit(5)))
    from werkzeug.datastructures import MultiDict
    pairs = [("capacity_known", str(c)) for c in cap_ids] + [("capacity_available", str(c)) for c in cap_ids]
    client.post("/profile/edit", data=MultiDict(pairs + [("save", "1"), ("csrf_token", client.csrf_token())]),
                csrf=False)
    assert badge_rows(app, user)["capacity-sharer"][:2] == (5, True)


def test_badges_page_is_read_only_and_shows_live_progress(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    add_available(app, user, 5)
    login(client, user)
    page = html_text(client.get("/profile/badges"))
    assert 'name="display" value="capacity-sharer" checked' in page  # reached, shown as earned
    assert badge_rows(app, user) == {}  # but a GET wrote nothing
    client.post("/profile/badges", data={"display": ["capacity-sharer"]})
    assert badge_rows(app, user)["capacity-sharer"][1:] == (True, False, True)


def test_profile_pages_write_nothing_when_the_profile_row_is_missing(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    with app.app_context():
        db.session.execute(sa.delete(Profile).where(Profile.user_id == user.id))
        db.session.commit()
    login(client, user)
    for path in ("/profile", "/profile/edit", "/profile/badges"):
        assert client.get(path).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id)) is None
    assert client.post("/profile/edit", data={"bio": "Hello", "save": "1"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Profile.bio).where(Profile.user_id == user.id)) == "Hello"
