"""One's own data: the export of everything that refers to a person, and the account's deletion.

:data:`COVERAGE` names, for every column that refers to a person (a foreign key to ``user.id``,
a column holding a user name, the Let's Connect database's ``user_id``), the part of the export
that holds it; ``tests/test_profiles_account.py`` walks the schema and fails on a column it does
not name, so a table added later cannot be forgotten. Deleting an account removes the person's
own rows and keeps other people's: their records lose the link and the name ("deleted account").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterator

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Badge, BugReport, CapacitySuggestion, Event, KeptProfileData,
                         MentorshipApplication, MessageLog, OAuthToken, OrganizationManager, PartnerMember,
                         SavedOrganization, SavedProfile, User, UserBadge)
from capx.services import badges as badge_service, lets_connect
from capx.services.accounts import end_sessions
from capx.services.profiles import kept_export, load_profile

#: Every column that refers to a person → the key of the export that holds its rows.
COVERAGE: dict[tuple[str, str], str] = {
    ("user", "username"): "account",
    ("oauth_token", "user_id"): "account",
    ("profile", "user_id"): "profile",
    ("profile", "alt_account"): "profile",
    ("saved_profile", "owner_id"): "saved_profiles",
    ("saved_profile", "saved_user_id"): "saved_by_others",
    ("saved_organization", "owner_id"): "saved_organizations",
    ("message_log", "sender_id"): "messages_sent",
    ("message_log", "recipient_id"): "messages_received",
    ("message_log", "recipient_username"): "messages_received",
    ("organization_manager", "user_id"): "organizations_managed",
    ("partner_member", "user_id"): "partner_memberships",
    ("user_badge", "user_id"): "badges",
    ("event", "created_by_id"): "events_created",
    ("bug_report", "reporter_id"): "bug_reports",
    ("bug_report", "triaged_by_id"): "bug_reports_triaged",
    ("capacity_suggestion", "user_id"): "capacity_suggestions",
    ("capacity_suggestion", "decided_by_id"): "capacity_suggestions_decided",
    ("mentorship_application", "applicant_id"): "mentorship_applications",
    ("lets_connect_registration", "user_id"): "lets_connect_registration",
    ("lets_connect_registration", "username"): "lets_connect_registration",
}

#: A column holding a user name (the schema walk's rule).
USERNAME_COLUMN = re.compile(r"(^|_)username$|^alt_account$")


def person_columns() -> Iterator[sa.Column[Any]]:
    """Every column, in every database CapX keeps, that refers to a person: foreign keys to
    ``user.id``, columns holding a user name, and ``user_id`` in the other databases (they cannot
    have a foreign key to the main one)."""
    for bind, metadata in db.metadatas.items():
        for table in metadata.sorted_tables:
            for column in table.columns:
                if any(fk.column.table.name == "user" for fk in column.foreign_keys) \
                        or USERNAME_COLUMN.search(column.name) or (bind is not None and column.name == "user_id"):
                    yield column


def uncovered_columns() -> list[str]:
    """``table.column`` of each person column the export does not name (should be none)."""
    return [f"{c.table.name}.{c.name}" for c in person_columns() if (c.table.name, c.name) not in COVERAGE]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # encrypted or binary: never exported
    return value


def _rows(model: Any, *conditions: Any) -> list[dict[str, Any]]:
    """The rows of ``model``'s table matching ``conditions``, as plain column values, by id."""
    table = model.__table__
    rows = db.session.execute(sa.select(table).where(*conditions).order_by(*table.primary_key.columns))
    return [{key: _plain(value) for key, value in row.items()} for row in rows.mappings()]


def export_user(user: User) -> dict[str, Any]:
    """Everything stored that refers to the user, as JSON-ready data (codes and names, not only ids).

    Other people's rows that refer to the user (decisions they took as staff, their saved lists)
    are exported only as far as they are about the user: the user's decisions, a count of savers.
    """
    profile = load_profile(user)
    capacities = {kind: [pc.capacity.code for pc in profile.capacities if pc.kind == kind]
                  for kind in (KNOWN, AVAILABLE, WANTED)}
    saved_people = db.session.scalars(
        sa.select(User.username).join(SavedProfile, SavedProfile.saved_user_id == User.id)
        .where(SavedProfile.owner_id == user.id).order_by(User.username)).all()
    saved_by = db.session.scalar(sa.select(sa.func.count()).select_from(SavedProfile)
                                 .where(SavedProfile.saved_user_id == user.id))
    saved_orgs = db.session.scalars(
        sa.select(SavedOrganization.organization_id).where(SavedOrganization.owner_id == user.id)).all()
    sent = db.session.scalars(sa.select(MessageLog).where(MessageLog.sender_id == user.id)
                              .order_by(MessageLog.created_at, MessageLog.id)).all()
    # Messages sent to this name before the account existed carry no recipient_id.
    received = db.session.scalars(sa.select(MessageLog).where(sa.or_(
        MessageLog.recipient_id == user.id,
        sa.and_(MessageLog.recipient_id.is_(None), MessageLog.recipient_username == user.username)))
        .order_by(MessageLog.created_at, MessageLog.id)).all()
    managed = db.session.scalars(sa.select(OrganizationManager.organization_id)
                                 .where(OrganizationManager.user_id == user.id)).all()
    partners = db.session.scalars(sa.select(PartnerMember.organization_id)
                                  .where(PartnerMember.user_id == user.id)).all()
    tokens = db.session.scalars(sa.select(OAuthToken.provider).where(OAuthToken.user_id == user.id)).all()
    badges = db.session.execute(sa.select(UserBadge, Badge).join(Badge, Badge.id == UserBadge.badge_id)
                                .where(UserBadge.user_id == user.id).order_by(UserBadge.badge_id)).all()
    kept = db.session.get(KeptProfileData, profile.id) if profile.id else None
    registration = lets_connect.get_registration(user)

    def message(row: MessageLog) -> dict[str, Any]:
        return {"to": row.recipient_username, "method": row.method, "status": row.status,
                "error_code": row.error_code, "talk_page_url": row.talk_page_url, "at": _iso(row.created_at)}

    return {
        "account": {
            "username": user.username, "central_id": user.central_id,
            "wiki_registered_at": _iso(user.registered_at), "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at), "interface_language": user.interface_language,
            "is_staff": user.is_staff, "oauth_tokens_stored_for": sorted(tokens),
        },
        "profile": {
            "bio": profile.bio,
            "bio_language": profile.bio_language.code if profile.bio_language else None,
            "avatar": profile.avatar.file_name if profile.avatar else None,
            "show_wikidata_photo": profile.show_wikidata_photo,
            "show_wikidata_item": profile.show_wikidata_item,
            "wikidata_item": profile.wikidata_qid, "wikidata_photo": profile.wikidata_photo,
            "wikidata_checked_at": _iso(profile.wikidata_checked_at),
            "alternative_account": profile.alt_account,
            "capacities": capacities,
            "languages": [{"code": pl.language.code, "proficiency": badge_service.proficiency_name(pl.proficiency)}
                          for pl in profile.languages],
            "territories": [pt.territory.code for pt in profile.territories],
            "affiliations": [{"id": pa.organization_id, "name": pa.organization.name_in(["en"])}
                             for pa in profile.affiliations],
            "projects": [pp.project.code for pp in profile.projects],
            "lets_connect_registered_at": _iso(profile.lets_connect_registered_at),
            "lets_connect_confirmation": profile.lets_connect_confirmation,
            "lets_connect_imported_at": _iso(profile.lets_connect_imported_at),
            "updated_at": _iso(profile.updated_at),
        },
        "organizations_managed": sorted(managed),
        "partner_memberships": sorted(partners),
        "saved_profiles": list(saved_people),
        "saved_by_others": saved_by or 0,
        "saved_organizations": sorted(saved_orgs),
        "messages_sent": [message(m) for m in sent],
        "messages_received": [message(m) for m in received],
        "badges": [{"badge_id": badge.id, "code": badge.code, "name": badge.name, "kind": badge.kind,
                    "source": badge.source, "description": badge.description if badge.kind != "internal" else None,
                    "progress": row.progress, "earned": row.earned, "issued_at": _iso(row.issued_at),
                    "assertion_url": row.assertion_url, "granted_by_hand": row.granted_by_hand, "shown": row.shown}
                   for row, badge in badges],
        "events_created": _rows(Event, Event.created_by_id == user.id),
        "bug_reports": _rows(BugReport, BugReport.reporter_id == user.id),
        "bug_reports_triaged": _rows(BugReport, BugReport.triaged_by_id == user.id),
        "capacity_suggestions": _rows(CapacitySuggestion, CapacitySuggestion.user_id == user.id),
        "capacity_suggestions_decided": _rows(CapacitySuggestion, CapacitySuggestion.decided_by_id == user.id),
        # The answers are encrypted for the program's managers: what was applied to, as what, when.
        "mentorship_applications": _rows(MentorshipApplication, MentorshipApplication.applicant_id == user.id),
        "kept_from_previous_platform": kept_export(kept),
        "lets_connect_registration": lets_connect.registration_export(registration),
    }


def delete_account(user: User) -> None:
    """Erase the user and everything that is theirs, then void their sessions (flushes; the
    caller commits: one transaction).

    The person's own rows go by ON DELETE CASCADE (profile and its lists, their saved lists, the
    messages they sent, tokens, badges, manager and partner roles, bug reports, suggestions,
    applications). Other people's records stay: the link goes by SET NULL (events created,
    decisions taken as staff, messages others sent to the person) and the person's name is erased
    from them here (shown as "deleted account"). The Let's Connect record is erased in its own
    database first: if that fails, nothing is deleted.
    """
    lets_connect.erase_registration(user)
    end_sessions(user)
    db.session.flush()
    user_id = user.id
    # Messages others sent to the person, also to the name before the account existed.
    db.session.execute(sa.update(MessageLog).where(sa.or_(
        MessageLog.recipient_id == user_id,
        sa.and_(MessageLog.recipient_id.is_(None), MessageLog.recipient_username == user.username)))
        .values(recipient_id=None, recipient_username=None))
    db.session.expunge(user)
    db.session.execute(sa.delete(User).where(User.id == user_id))
