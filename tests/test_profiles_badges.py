"""Badges: rules, progress page, display choice, the daily job, idempotence and hand grants."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (Badge, Capacity, MessageLog, Organization, OrganizationManager, OrganizationName, Profile,
                         ProfileCapacity, User, UserBadge, utcnow)
from capx.services import badges
from tests.conftest import html_text, statements_run


def badge_rows(app, user):
    """code -> (progress 0-100, earned, granted by hand, shown)."""
    with app.app_context():
        return {code: (b.progress, b.earned, b.granted_by_hand, b.shown)
                for b, code in db.session.execute(sa.select(UserBadge, Badge.code).join(Badge)
                                                  .where(UserBadge.user_id == user.id))}


def badge_id(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Badge.id).where(Badge.code == code))


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
    assert badge_rows(app, four)["capacity-sharer"][:2] == (80, False)  # 4 of 5
    assert badge_rows(app, five)["capacity-sharer"][:2] == (100, True)
    assert badge_rows(app, four)["messenger"][:2] == (90, False)  # failed messages do not count
    assert badge_rows(app, five)["messenger"][:2] == (100, True)


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
    assert badge_rows(app, old)["wikimedia-veteran"][:2] == (100, True)
    assert badge_rows(app, young)["wikimedia-veteran"][:2] == (80, False)  # 4 of 5 years
    assert badge_rows(app, old)["organization-manager"][1] is True
    assert "organization-manager" not in badge_rows(app, young)
    assert badge_rows(app, young)["lets-connect-member"][1] is True


def test_recompute_is_idempotent_and_never_resets_hand_grants(app, make_user):
    user = make_user("Ana Exemplo")
    with app.app_context():
        badges.grant(db.session.get(User, user.id), badges.find_badge("messenger"))
        db.session.commit()
        assert badges.recompute([user.id]) == 0
        db.session.commit()
        first = badge_rows(app, user)
        badges.recompute([user.id])
        db.session.commit()
    assert badge_rows(app, user) == first
    assert first["messenger"] == (100, True, True, True)


def test_earned_badges_are_not_taken_back(app, make_user):
    user = make_user("Ana Exemplo")
    add_available(app, user, 5)
    with app.app_context():
        badges.recompute([user.id])
        db.session.execute(sa.delete(ProfileCapacity))
        badges.recompute([user.id])
        db.session.commit()
    assert badge_rows(app, user)["capacity-sharer"][:2] == (100, True)


def test_daily_job_command(app, make_user):
    users = [make_user(f"User {i}") for i in range(3)]
    add_available(app, users[0], 5)
    result = app.test_cli_runner().invoke(args=["capx", "badges", "--local-only"])
    assert result.exit_code == 0 and "3 users checked, 1 badges earned" in result.output
    result = app.test_cli_runner().invoke(args=["capx", "badges", "--local-only"])
    assert "0 badges earned" in result.output
    result = app.test_cli_runner().invoke(args=["capx", "grant-badge", "User_1", "messenger"])
    assert result.exit_code == 0
    assert badge_rows(app, users[1])["messenger"][1:3] == (True, True)
    assert app.test_cli_runner().invoke(args=["capx", "grant-badge", "User 1", "nope"]).exit_code != 0


def test_measure_uses_a_fixed_number_of_queries(app, make_user):
    users = [make_user(f"User {i}") for i in range(12)]
    for u in users:
        add_available(app, u, 2)
    with app.app_context(), statements_run(app) as statements:
        badges.measure([u.id for u in users])
    assert len(statements) <= 10


def test_badges_page_states_and_display_choice(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    add_available(app, user, 5)
    send_messages(app, user, 2)
    app.test_cli_runner().invoke(args=["capx", "badges", "--local-only"])
    login(client, user)
    page = html_text(client.get("/profile/badges"))
    assert "Earned" in page and "In progress" in page and "Locked" in page  # words, not colours
    assert "2 of 10" in page
    sharer, messenger = badge_id(app, "capacity-sharer"), badge_id(app, "messenger")
    assert f'name="display" value="{sharer}" checked' in page
    assert "Capacity sharer" in html_text(client.get("/profile"))
    response = client.post("/profile/badges", data={"display": []})
    assert response.status_code == 302
    assert "Capacity sharer" not in html_text(client.get("/profile"))
    client.post("/profile/badges", data={"display": [str(sharer), str(messenger), "bogus"]})
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
    assert badge_rows(app, user)["capacity-sharer"][:2] == (100, True)


def test_badges_page_is_read_only_and_shows_live_progress(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    add_available(app, user, 5)
    login(client, user)
    page = html_text(client.get("/profile/badges"))
    sharer = badge_id(app, "capacity-sharer")
    assert f'name="display" value="{sharer}" checked' in page  # reached, shown as earned
    assert badge_rows(app, user) == {}  # but a GET wrote nothing
    client.post("/profile/badges", data={"display": [str(sharer)]})
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


# -- the shared badge model: rules from the previous platform, external and partner badges ------

def add_badge(app, **values):
    with app.app_context():
        badge = Badge(**values)
        db.session.add(badge)
        db.session.commit()
        return badge.id


def test_measures_of_the_previous_platform_rules(app, make_user):
    now = utcnow()
    ana = make_user("Ana Exemplo", created_at=now - dt.timedelta(days=400))
    bruno = make_user("Bruno Exemplo", created_at=now - dt.timedelta(days=10))
    received = add_badge(app, kind="internal", code="messages-received-3", name="Popular", rule="messages-received",
                         threshold=3, position=10)
    recent = add_badge(app, kind="internal", code="profile-updated-days-30", name="Recently active",
                       rule="profile-updated-days", threshold=30, position=11)
    year = add_badge(app, kind="internal", code="account-age-days-365", name="One year", rule="account-age-days",
                     threshold=365, position=12)
    with app.app_context():
        for _ in range(3):
            db.session.add(MessageLog(sender_id=bruno.id, recipient_username="Ana Exemplo", recipient_id=ana.id,
                                      method="email", status="sent"))
        db.session.add(MessageLog(sender_id=ana.id, recipient_username="Bruno Exemplo", recipient_id=bruno.id,
                                  method="email", status="failed"))
        db.session.scalar(sa.select(Profile).where(Profile.user_id == ana.id)).updated_at = now - dt.timedelta(days=31)
        db.session.scalar(sa.select(Profile).where(Profile.user_id == bruno.id)).updated_at = now - dt.timedelta(days=2)
        db.session.commit()
        badges.recompute([ana.id, bruno.id], now)
        db.session.commit()
        rows = {(b.user_id, b.badge_id): b.progress for b in db.session.scalars(sa.select(UserBadge))}
    assert rows[(ana.id, received)] == 100 and (bruno.id, received) not in rows  # failed ones do not count
    assert rows[(bruno.id, recent)] == 100 and (ana.id, recent) not in rows  # updated 31 days ago
    assert rows[(ana.id, year)] == 100 and rows[(bruno.id, year)] == 10 * 100 // 365


def test_external_and_partner_badges_show_only_when_held(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    held = add_badge(app, kind="external", source="wikilearn", name="Wikidata Basics",
                     description="A WikiLearn course.", image="https://badgr.example.org/wikidata.png")
    not_held = add_badge(app, kind="external", source="letsconnect", name="Let's Connect Sharer")
    with app.app_context():
        db.session.add(UserBadge(user_id=user.id, badge_id=held, progress=100, shown=True,
                                 assertion_url="https://api.badgr.io/public/assertions/abc",
                                 issued_at=utcnow()))
        db.session.commit()
    login(client, user)
    page = html_text(client.get("/profile/badges"))
    assert "Wikidata Basics" in page and "A WikiLearn course." in page
    assert "Let&#39;s Connect Sharer" not in page and f'value="{not_held}"' not in page
    assert 'href="https://api.badgr.io/public/assertions/abc"' in page
    assert "badgr.example.org" not in page  # only Commons images may load (CSP)
    assert f'name="display" value="{held}" checked' in page
    assert "Wikidata Basics" in html_text(client.get("/profile"))
    client.post("/profile/badges", data={"display": []})
    assert "Wikidata Basics" not in html_text(client.get("/profile"))


def test_rules_never_touch_external_badges_and_commons_images_show(client, make_user, login, app):
    user = make_user("Ana Exemplo")
    external = add_badge(app, kind="external", source="letsconnect", name="Learner")
    imported = add_badge(app, kind="internal", code="profile-sections-5", name="First steps", rule="profile-sections",
                         threshold=5, position=20,
                         image="https://commons.wikimedia.org/wiki/Special:Redirect/file/CapX_-_Badge_-_1.svg")
    with app.app_context():
        db.session.add(UserBadge(user_id=user.id, badge_id=external, progress=40, shown=True))
        db.session.commit()
        badges.recompute([user.id])
        db.session.commit()
        assert db.session.get(UserBadge, (user.id, external)).progress == 40
    login(client, user)
    page = html_text(client.get("/profile/badges"))
    assert "First steps" in page and "Special:FilePath/CapX_-_Badge_-_1.svg?width=128" in page
    assert f'value="{imported}"' not in page  # not earned: nothing to show


def test_grant_badge_by_id(app, make_user):
    user = make_user("Ana Exemplo")
    partner_badge = add_badge(app, kind="partner", name="Mentor")
    result = app.test_cli_runner().invoke(args=["capx", "grant-badge", "Ana Exemplo", str(partner_badge)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = db.session.get(UserBadge, (user.id, partner_badge))
        assert row.earned and row.granted_by_hand


def test_every_built_in_badge_has_its_messages() -> None:
    assert set(badges.BUILT_IN_MESSAGES) == badges.BUILT_IN_CODES
    assert all(rule in badges.MEASURES for rule in (str(b["rule"]) for b in badges.built_in_badges()))
