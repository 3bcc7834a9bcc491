"""Profiles: finding them, showing them, saving an edit, exporting and deleting an account.

Every function takes the user it acts for explicitly; ownership checks stay in the views.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from capx.clients.wikidata import WikidataClient, WikidataError
from capx.extensions import db
from capx.support.collections import sync_rows
from capx.support.usernames import normalize_username
from capx.translations import lazy_msg
from capx.models import (CAPACITY_KINDS, Avatar, KeptProfileData, Language, Organization, OrganizationManager,
                         Profile, ProfileAffiliation, ProfileCapacity, ProfileLanguage, ProfileProject,
                         ProfileTerritory, User, WikimediaProject, utcnow)
from capx.services import badges as badge_service, lets_connect
from capx.services.accounts import ensure_profile

log = logging.getLogger(__name__)

BIO_MAX = 2000
MAX_LANGUAGES = 20
MAX_TERRITORIES = 10
MAX_AFFILIATIONS = 10
#: A Wikidata lookup is trusted this long before it is asked again.
WIKIDATA_CACHE = dt.timedelta(days=1)


def find_user(url_name: str) -> User | None:
    """The (not locked) user with this name as written in URLs (underscores for spaces)."""
    name = normalize_username(url_name)
    if not name:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == name))
    if user is None or user.is_locked:
        return None
    return user


def may_view(viewer: User | None, user: User) -> bool:
    """The rule: a logged-in Wikimedian sees every profile (of an account that is not locked:
    :func:`find_user`); a visitor who is not logged in only the profiles their owners made public
    (one query, only for such a visitor)."""
    if viewer is not None:
        return True
    return bool(db.session.scalar(sa.select(Profile.is_public).where(Profile.user_id == user.id)))


def load_profile(user: User, create: bool = False) -> Profile:
    """The user's profile with every list on it loaded in one query per relation.

    Every user has a profile (made at login); should one be missing, pages get an empty unsaved
    one and only ``create=True`` (a POST) stores it.
    """
    profile = db.session.scalar(
        sa.select(Profile).where(Profile.user_id == user.id).options(
            selectinload(Profile.capacities),
            selectinload(Profile.languages).selectinload(ProfileLanguage.language),
            selectinload(Profile.territories).selectinload(ProfileTerritory.territory),
            selectinload(Profile.affiliations).selectinload(ProfileAffiliation.organization)
            .selectinload(Organization.names),
            selectinload(Profile.projects).selectinload(ProfileProject.project),
            selectinload(Profile.avatar), selectinload(Profile.bio_language)))
    if profile is None:
        if not create:
            return Profile(user_id=user.id, show_wikidata_photo=False, show_wikidata_item=False, is_public=False)
        profile = ensure_profile(user)
    return profile


def capacity_ids(profile: Profile, kind: str) -> list[int]:
    """The profile's capacities of one kind (known, available or wanted), in id order."""
    return sorted(pc.capacity_id for pc in profile.capacities if pc.kind == kind)


def managed_organizations(user: User) -> list[Organization]:
    """Organizations the user manages (with their names loaded)."""
    return list(db.session.scalars(
        sa.select(Organization).join(OrganizationManager, OrganizationManager.organization_id == Organization.id)
        .where(OrganizationManager.user_id == user.id).options(selectinload(Organization.names))
        .order_by(Organization.id)))


def avatars() -> list[Avatar]:
    """The avatars to choose from, in order."""
    return list(db.session.scalars(sa.select(Avatar).order_by(Avatar.position)))


def projects() -> list[WikimediaProject]:
    """Every Wikimedia project, by name."""
    return list(db.session.scalars(sa.select(WikimediaProject).order_by(WikimediaProject.name)))


def languages_by_id(ids: list[int]) -> dict[int, Language]:
    if not ids:
        return {}
    return {lang.id: lang for lang in db.session.scalars(sa.select(Language).where(Language.id.in_(ids)))}


def alt_account_owner(name: str, user: User) -> User | None:
    """Another CapX user whose account this name is (None when it is nobody else's)."""
    return db.session.scalar(sa.select(User).where(User.username == name, User.id != user.id))


# -- saving an edit ------------------------------------------------------------------------------

@dataclass
class ProfileInput:
    """A validated edit of a profile (ids already checked against the reference data)."""

    bio: str | None
    bio_language_id: int | None
    avatar_id: int | None
    show_wikidata_photo: bool
    show_wikidata_item: bool
    alt_account: str | None
    capacities: dict[str, list[int]]
    languages: list[tuple[int, int]]  # (language id, proficiency)
    territories: list[int]
    affiliations: list[int]
    projects: list[int]
    lets_connect_imported: bool = False
    is_public: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _set_language(row: ProfileLanguage, item: tuple[int, int], position: int) -> None:
    row.proficiency, row.position = item[1], position


def _set_position(row: Any, _value: int, position: int) -> None:
    row.position = position


def _same(value: int) -> int:
    return value


def save_profile(profile: Profile, data: ProfileInput) -> None:
    """Write the whole edit (the caller commits: one transaction)."""
    profile.bio = data.bio or None
    profile.bio_language_id = data.bio_language_id if data.bio else None
    profile.avatar_id = data.avatar_id
    profile.show_wikidata_photo = data.show_wikidata_photo
    profile.show_wikidata_item = data.show_wikidata_item
    profile.alt_account = data.alt_account or None
    profile.is_public = data.is_public
    sync_rows(profile.capacities, [(cid, kind) for kind in CAPACITY_KINDS for cid in data.capacities.get(kind, [])],
              row_key=lambda row: (row.capacity_id, row.kind), value_key=lambda key: key,
              build=lambda key, _i: ProfileCapacity(capacity_id=key[0], kind=key[1]))
    sync_rows(profile.languages, data.languages, row_key=lambda row: row.language_id, value_key=lambda item: item[0],
              build=lambda item, i: ProfileLanguage(language_id=item[0], proficiency=item[1], position=i),
              update=_set_language)
    sync_rows(profile.territories, data.territories, row_key=lambda row: row.territory_id, value_key=_same,
              build=lambda tid, i: ProfileTerritory(territory_id=tid, position=i), update=_set_position)
    sync_rows(profile.affiliations, data.affiliations, row_key=lambda row: row.organization_id, value_key=_same,
              build=lambda oid, i: ProfileAffiliation(organization_id=oid, position=i), update=_set_position)
    sync_rows(profile.projects, data.projects, row_key=lambda row: row.project_id, value_key=_same,
              build=lambda pid, i: ProfileProject(project_id=pid, position=i), update=_set_position)
    if data.lets_connect_imported and profile.lets_connect_imported_at is None:
        profile.lets_connect_imported_at = utcnow()
    profile.updated_at = utcnow()


def save_edit(user: User, profile: Profile, data: ProfileInput, wikidata: WikidataClient) -> bool:
    """Save one's own profile edit: the profile, its Wikidata lookup when a Wikidata field is
    shown, and the badges the edit may earn. Flushes; the caller commits. Returns False when
    Wikidata failed (the edit is saved all the same)."""
    save_profile(profile, data)
    wikidata_ok = True
    if profile.show_wikidata_photo or profile.show_wikidata_item:
        wikidata_ok = refresh_wikidata(profile, user.username, wikidata)
    db.session.flush()
    badge_service.recompute_user(user)
    return wikidata_ok


def show_badges(user: User, badge_ids: list[int]) -> None:
    """Store the badges the page showed as earned, then show exactly ``badge_ids`` of them on the
    profile. Flushes; the caller commits."""
    badge_service.recompute_user(user)
    db.session.flush()
    badge_service.set_displayed(user, badge_ids)


def register_lets_connect(user: User, confirmation: str) -> None:
    """Let's Connect confirmed the registration: keep the date and the confirmation, and the badge
    it may earn. Flushes; the caller commits."""
    lets_connect.record_registration(user, confirmation)
    db.session.flush()
    badge_service.recompute_user(user)


def refresh_wikidata(profile: Profile, username: str, client: WikidataClient, force: bool = False) -> bool:
    """Look up the user's Wikidata item and photo unless a recent answer is cached.

    Returns False when Wikidata failed (the cached values stay as they were).
    """
    if not force and profile.wikidata_checked_at and utcnow() - profile.wikidata_checked_at < WIKIDATA_CACHE:
        return True
    try:
        person = client.person_for_username(username)
    except WikidataError as exc:
        log.info("Wikidata lookup for %s failed: %s", username, exc.code)
        return False
    profile.wikidata_qid = person.qid if person else None
    profile.wikidata_photo = person.image if person else None
    profile.wikidata_checked_at = utcnow()
    return True


def kept_export(kept: KeptProfileData | None) -> dict[str, Any] | None:
    """What the previous platform's profile had that CapX does not show (None when nothing)."""
    if kept is None:
        return None
    return {"display_name": kept.display_name, "pronoun": kept.pronoun, "team": kept.team,
            "contact": kept.contact or [], "social": kept.social or [], "territories": kept.territories or [],
            "lets_connect_confirmations": kept.lets_connect or []}


#: The pronouns the previous platform offered, as the kept fields show them.
PRONOUN_LABELS = {"he-him": lazy_msg("profile-kept-pronoun-he-him"), "she-her": lazy_msg("profile-kept-pronoun-she-her"),
                  "they-them": lazy_msg("profile-kept-pronoun-they-them"),
                  "not-specified": lazy_msg("profile-kept-pronoun-not-specified"),
                  "other": lazy_msg("profile-kept-pronoun-other")}


def kept_profile_data(profile: Profile) -> KeptProfileData | None:
    """The owner's kept fields from the previous platform, if any (for the edit page)."""
    return db.session.get(KeptProfileData, profile.id) if profile.id else None
