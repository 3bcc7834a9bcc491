"""Export and deletion of one's data: everything about the user is exported, and deletion leaves
no row about them in any table that references users or profiles (found by introspection)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (Badge, BugReport, Capacity, CapacitySuggestion, Event, Language, LetsConnectRegistration,
                         MentorshipApplication, MentorshipProgram, MessageLog, OAuthToken, Organization,
                         OrganizationManager, OrganizationName, PartnerMember, Profile, ProfileAffiliation,
                         ProfileCapacity, ProfileLanguage, ProfileProject, ProfileTerritory, SavedOrganization,
                         SavedProfile, Territory, User, UserBadge, WikimediaProject, utcnow)
from capx.services import personal_data
from capx.services.importer.ids import referencing_columns
from tests.conftest import html_text


def badge_id(code: str) -> int:
    """The id of one of CapX's own badges (inside an app context)."""
    return db.session.scalar(sa.select(Badge.id).where(Badge.code == code))


def fill_everything(app, user, other):
    """Give ``user`` a row in every table about users, with ``other`` on the other side."""
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))
        other_profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == other.id))
        cap = db.session.scalar(sa.select(Capacity).limit(1))
        lang = db.session.scalar(sa.select(Language).where(Language.code == "pt"))
        terr = db.session.scalar(sa.select(Territory).where(Territory.code == "BRA"))
        proj = db.session.scalar(sa.select(WikimediaProject).limit(1))
        org = Organization(acronym="EX")
        org.names.append(OrganizationName(lang="en", name="Example Group"))
        db.session.add(org)
        db.session.flush()
        profile.bio = "My bio"
        profile.alt_account = "Ana Alt"
        profile.lets_connect_registered_at = utcnow()
        db.session.add_all([
            ProfileCapacity(profile_id=profile.id, capacity_id=cap.id, kind="known"),
            ProfileLanguage(profile_id=profile.id, language_id=lang.id, proficiency=6),
            ProfileTerritory(profile_id=profile.id, territory_id=terr.id),
            ProfileAffiliation(profile_id=profile.id, organization_id=org.id),
            ProfileProject(profile_id=profile.id, project_id=proj.id),
            SavedProfile(owner_id=user.id, saved_user_id=other.id),
            SavedProfile(owner_id=other.id, saved_user_id=user.id),
            SavedOrganization(owner_id=user.id, organization_id=org.id),
            MessageLog(sender_id=user.id, recipient_username=other.username, recipient_id=other.id, method="email",
                       status="sent"),
            MessageLog(sender_id=other.id, recipient_username=user.username, recipient_id=user.id, method="talk",
                       status="sent"),
            MessageLog(sender_id=other.id, recipient_username=user.username, recipient_id=None, method="talk",
                       status="failed"),
            OAuthToken(user_id=user.id, provider="meta", token_encrypted=b"secret"),
            UserBadge(user_id=user.id, badge_id=badge_id("messenger"), progress=100, granted_by_hand=True,
                      issued_at=utcnow()),
            OrganizationManager(organization_id=org.id, user_id=user.id),
            LetsConnectRegistration(user_id=user.id, username=user.username, email="ana@example.org",
                                    role="board-member", topics="education"),
            # The other user's own rows, which must survive.
            ProfileCapacity(profile_id=other_profile.id, capacity_id=cap.id, kind="wanted"),
            LetsConnectRegistration(user_id=other.id, username=other.username, email="bruno@example.org",
                                    role="paid-staff"),
        ])
        db.session.add(Event(organization_id=org.id, title="Edit-a-thon", url="https://example.org",
                             start_at=utcnow(), end_at=utcnow(), format="online", created_by_id=user.id))
        program = MentorshipProgram(organization_id=org.id, name="Mentors", format="online",
                                    registration_start=utcnow().date(), registration_end=utcnow().date())
        db.session.add(program)
        db.session.flush()
        db.session.add_all([
            PartnerMember(organization_id=org.id, user_id=user.id),
            BugReport(reporter_id=user.id, title="Broken button", description="It does nothing", type="error"),
            # The other user's report, triaged by the user (staff): it stays theirs.
            BugReport(reporter_id=other.id, title="Slow page", description="Slow", type="error", status="done",
                      triaged_by_id=user.id),
            CapacitySuggestion(user_id=user.id, title="Mapping rivers", description="Rivers on maps"),
            CapacitySuggestion(user_id=other.id, title="Tea tasting", description="Tea", status="rejected",
                               decided_by_id=user.id, decided_at=utcnow()),
            MentorshipApplication(program_id=program.id, applicant_id=user.id, role="mentee", key_fingerprint="f" * 64,
                                  wrapped_key=b"k", nonce=b"n", ciphertext=b"c"),
        ])
        db.session.commit()


def count_rows(column: sa.Column, value) -> int:
    """How many rows of ``column``'s table hold ``value`` there, in whichever database it lives."""
    key = next(k for k, metadata in db.metadatas.items() if metadata is column.table.metadata)
    return db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == value),
                             bind_arguments={"bind": db.engines[key]})


def test_every_foreign_key_to_user_says_what_happens_on_delete(app):
    with app.app_context():
        columns = referencing_columns("user")
        assert len(columns) >= 9
        for column in columns:
            fk = next(iter(column.foreign_keys))
            assert fk.ondelete in ("CASCADE", "SET NULL"), f"{column.table.name}.{column.name}"
        for column in referencing_columns("profile"):
            assert next(iter(column.foreign_keys)).ondelete == "CASCADE", column.table.name


def test_delete_removes_every_row_about_the_user(client, make_user, login, app):
    ana, bruno = make_user("Ana Exemplo"), make_user("Bruno Exemplo")
    fill_everything(app, ana, bruno)
    with app.app_context():
        ana_profile_id = db.session.scalar(sa.select(Profile.id).where(Profile.user_id == ana.id))
    login(client, ana)
    page = html_text(client.get("/profile/delete"))
    assert "bug reports" in page and "mentorship applications" in page and "Connect registration" in page
    # Without ticking the confirmation nothing happens.
    assert client.post("/profile/delete", data={}).status_code == 422
    response = client.post("/profile/delete", data={"confirm": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        for column in referencing_columns("user"):
            left = db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == ana.id))
            assert left == 0, f"{column.table.name}.{column.name} still has rows about the user"
        for column in referencing_columns("profile"):
            left = db.session.scalar(sa.select(sa.func.count()).select_from(column.table)
                                     .where(column == ana_profile_id))
            assert left == 0, f"{column.table.name}.{column.name} still has rows about the profile"
        # The stored name is erased from every column holding a user name.
        for column in personal_data.person_columns():
            if personal_data.USERNAME_COLUMN.search(column.name):
                left = count_rows(column, "Ana Exemplo")
                assert left == 0, f"{column.table.name}.{column.name} still holds the user's name"
        assert db.session.get(User, ana.id) is None
        assert db.session.scalar(sa.select(LetsConnectRegistration).where(
            LetsConnectRegistration.user_id == ana.id)) is None
        # The user's own rows went.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BugReport)
                                 .where(BugReport.title == "Broken button")) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MentorshipApplication)) == 0
        # Other people's data stays.
        assert db.session.get(User, bruno.id) is not None
        assert db.session.scalar(sa.select(LetsConnectRegistration).where(
            LetsConnectRegistration.user_id == bruno.id)) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileCapacity)) == 1
        assert db.session.scalar(sa.select(Event.created_by_id)) is None
        # Bruno's history keeps its rows: the messages he sent to Ana (also to her name before she
        # had an account), his triaged report, his decided suggestion.
        sent = db.session.execute(sa.select(MessageLog.recipient_id, MessageLog.recipient_username)
                                  .where(MessageLog.sender_id == bruno.id)).all()
        assert sorted(sent, key=repr) == [(None, None), (None, None)]
        report = db.session.scalar(sa.select(BugReport).where(BugReport.title == "Slow page"))
        assert report is not None and report.triaged_by_id is None and report.status == "done"
        suggestion = db.session.scalar(sa.select(CapacitySuggestion).where(CapacitySuggestion.title == "Tea tasting"))
        assert suggestion is not None and suggestion.decided_by_id is None
    # Logged out: the session no longer works.
    assert client.get("/profile").status_code == 302
    assert "/login" in client.get("/profile").headers["Location"]


def test_others_see_deleted_account_instead_of_the_name(client, make_user, login, app):
    ana, bruno = make_user("Ana Exemplo"), make_user("Bruno Exemplo", is_staff=True)
    fill_everything(app, ana, bruno)
    login(client, ana)
    client.post("/profile/delete", data={"confirm": "1"})
    login(client, bruno)
    sent = html_text(client.get("/message/sent"))
    assert sent.count("deleted account") >= 2 and "Ana Exemplo" not in sent
    queue = html_text(client.get("/capacity/suggestions"))
    assert "Tea tasting" in queue and "deleted account" in queue and "Ana Exemplo" not in queue


def test_delete_requires_post_with_csrf(client, make_user, login, app):
    ana = make_user("Ana Exemplo")
    login(client, ana)
    assert client.post("/profile/delete", data={"confirm": "1"}, csrf=False).status_code == 400
    with app.app_context():
        assert db.session.get(User, ana.id) is not None


def test_other_sessions_of_the_deleted_user_are_void(client, make_user, login, app):
    ana = make_user("Ana Exemplo")
    login(client, ana)
    other_device = app.test_client()
    login(other_device, ana)
    client.post("/profile/delete", data={"confirm": "1"})
    assert other_device.get("/profile").status_code == 302


def test_export_contains_everything_stored(client, make_user, login, app):
    ana, bruno = make_user("Ana Exemplo"), make_user("Bruno Exemplo")
    fill_everything(app, ana, bruno)
    login(client, ana)
    response = client.get("/profile/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["username"] == "Ana Exemplo"
    assert data["account"]["oauth_tokens_stored_for"] == ["meta"]
    assert "secret" not in response.get_data(as_text=True)  # the token itself is never exported
    profile = data["profile"]
    assert profile["bio"] == "My bio" and profile["alternative_account"] == "Ana Alt"
    assert len(profile["capacities"]["known"]) == 1
    assert profile["languages"] == [{"code": "pt", "proficiency": "native"}]
    assert profile["territories"] == ["BRA"] and profile["affiliations"][0]["name"] == "Example Group"
    assert len(profile["projects"]) == 1
    assert data["saved_profiles"] == ["Bruno Exemplo"] and len(data["saved_organizations"]) == 1
    # Received: also the one sent to her name before she had an account.
    assert len(data["messages_sent"]) == 1 and len(data["messages_received"]) == 2
    assert data["badges"][0]["code"] == "messenger" and data["badges"][0]["granted_by_hand"] is True
    assert data["badges"][0]["earned"] is True
    assert data["lets_connect_registration"]["email"] == "ana@example.org"
    assert "bruno@example.org" not in response.get_data(as_text=True)
    assert len(data["organizations_managed"]) == 1


def test_export_and_delete_only_ever_act_on_the_logged_in_user(client, make_user, login, app):
    ana, bruno = make_user("Ana Exemplo"), make_user("Bruno Exemplo")
    login(client, bruno)
    data = json.loads(client.get("/profile/export?user_id=%d&username=Ana_Exemplo" % ana.id).data)
    assert data["account"]["username"] == "Bruno Exemplo"
    # There is no route to edit, delete or export another user's data.
    assert client.get("/profile/Ana_Exemplo/edit").status_code == 404
    assert client.post("/profile/Ana_Exemplo/delete", data={"confirm": "1"}).status_code in (404, 405)
    assert client.get("/profile/Ana_Exemplo/export").status_code == 404
    client.post("/profile/edit", data={"bio": "Bruno's bio", "user_id": str(ana.id), "save": "1"})
    with app.app_context():
        assert db.session.scalar(sa.select(Profile.bio).where(Profile.user_id == ana.id)) is None
        assert db.session.scalar(sa.select(Profile.bio).where(Profile.user_id == bruno.id)) == "Bruno's bio"


@pytest.mark.parametrize("path", ["/profile/export", "/profile/delete", "/profile/badges", "/profile/lets-connect",
                                  "/profile/lets-connect/import"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_column_about_a_person_is_covered_by_the_export(app):
    """The schema walk: every foreign key to user.id, every column holding a user name and the
    Let's Connect database's user_id is named in the export's coverage (and nothing stale is)."""
    with app.app_context():
        assert personal_data.uncovered_columns() == []
        found = {(c.table.name, c.name) for c in personal_data.person_columns()}
        assert set(personal_data.COVERAGE) == found
        assert ("lets_connect_registration", "user_id") in found and ("message_log", "recipient_username") in found


def test_export_holds_every_row_that_refers_to_the_user(client, make_user, login, app):
    """For every column about a person that has a row about the user, the export's part for that
    column is not empty; and the rows the issue named are there by content."""
    ana, bruno = make_user("Ana Exemplo"), make_user("Bruno Exemplo")
    fill_everything(app, ana, bruno)
    login(client, ana)
    data = json.loads(client.get("/profile/export").data)
    with app.app_context():
        for column in personal_data.person_columns():
            value = "Ana Exemplo" if personal_data.USERNAME_COLUMN.search(column.name) else ana.id
            count = count_rows(column, value)
            if count and (column.table.name, column.name) != ("profile", "alt_account"):
                key = personal_data.COVERAGE[(column.table.name, column.name)]
                assert data[key], f"{column.table.name}.{column.name}: {key} is empty"
    assert [e["title"] for e in data["events_created"]] == ["Edit-a-thon"]
    assert [r["title"] for r in data["bug_reports"]] == ["Broken button"]
    assert [r["title"] for r in data["bug_reports_triaged"]] == ["Slow page"]
    assert [s["title"] for s in data["capacity_suggestions"]] == ["Mapping rivers"]
    assert [s["title"] for s in data["capacity_suggestions_decided"]] == ["Tea tasting"]
    assert [(a["role"], a["ciphertext"]) for a in data["mentorship_applications"]] == [("mentee", None)]
    assert len(data["partner_memberships"]) == 1 and data["saved_by_others"] == 1
    # Also the message sent to her name before she had an account.
    assert len(data["messages_received"]) == 2


def test_a_table_added_later_must_be_covered(client, make_user, login, app):
    """A table another feature adds later with a foreign key to user.id is found by the schema
    walk until the export covers it; its rows go with the account (ON DELETE CASCADE)."""
    metadata = db.metadatas[None]
    table = sa.Table("zz_feature_report", metadata,
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("author_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE")),
                     sa.Column("author_username", sa.String(100)))
    ana = make_user("Ana Exemplo")
    try:
        with app.app_context():
            assert personal_data.uncovered_columns() == ["zz_feature_report.author_id",
                                                         "zz_feature_report.author_username"]
            table.create(db.engine)
            with db.engine.begin() as conn:
                conn.execute(table.insert().values(author_id=ana.id, author_username="Ana Exemplo"))
        login(client, ana)
        client.post("/profile/delete", data={"confirm": "1"})
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 0
    finally:
        with app.app_context():
            db.session.remove()
            table.drop(db.engine, checkfirst=True)
        metadata.remove(table)
