"""Let's Connect: the registration (kept only in its own database) and the profile import.

The registration's personal data lives in the ``lets_connect`` bind; the main database only
records when the user registered (``Profile.lets_connect_registered_at``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from capx.clients.lets_connect import LetsConnectProfile
from capx.extensions import db
from capx.models import (
    AVAILABLE,
    DEFAULT_PROFICIENCY,
    KNOWN,
    PROFICIENCY_LEVELS,
    WANTED,
    Capacity,
    Language,
    LetsConnectRegistration,
    Organization,
    OrganizationName,
    Territory,
    User,
    WikimediaProject,
    utcnow,
)
from capx.services.accounts import ensure_profile


@dataclass
class RegistrationInput:
    """A validated registration form."""

    full_name: str | None
    email: str
    role: str
    topics: list[str]
    topic_other: str | None
    gender: str | None
    gender_other: str | None
    age_range: str | None


def get_registration(user: User) -> LetsConnectRegistration | None:
    """The user's registration (from the Let's Connect database), or None."""
    return db.session.scalar(sa.select(LetsConnectRegistration).where(LetsConnectRegistration.user_id == user.id))


def save_registration(user: User, data: RegistrationInput) -> LetsConnectRegistration:
    """Create or overwrite the registration; the main database records only the date. Caller commits."""
    row = get_registration(user)
    if row is None:
        row = LetsConnectRegistration(user_id=user.id, username=user.username)
        db.session.add(row)
    row.username = user.username
    row.full_name = data.full_name or None
    row.email = data.email
    row.role = data.role
    row.topics = ",".join(data.topics) or None
    row.topic_other = data.topic_other or None
    row.gender = data.gender or None
    row.gender_other = (data.gender_other or None) if data.gender == "self-described" else None
    row.age_range = data.age_range or None
    row.updated_at = utcnow()
    profile = ensure_profile(user)
    if profile.lets_connect_registered_at is None:
        profile.lets_connect_registered_at = utcnow()
    return row


def erase_registration(user: User) -> None:
    """Delete the user's registration from the Let's Connect database (caller commits)."""
    db.session.execute(sa.delete(LetsConnectRegistration).where(LetsConnectRegistration.user_id == user.id))


def withdraw(user: User) -> None:
    """Leave the program: erase the registration and the date the main database kept (caller commits)."""
    erase_registration(user)
    ensure_profile(user).lets_connect_registered_at = None


def registration_export(row: LetsConnectRegistration | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"full_name": row.full_name, "email": row.email, "role": row.role, "topics": row.topic_list,
            "topic_other": row.topic_other, "gender": row.gender, "gender_other": row.gender_other,
            "age_range": row.age_range, "created_at": row.created_at.isoformat() + "Z",
            "updated_at": row.updated_at.isoformat() + "Z"}


# -- profile import ------------------------------------------------------------------------------

@dataclass
class ImportedProfile:
    """A Let's Connect profile mapped onto CapX ids (what could not be matched is listed)."""

    bio: str | None = None
    capacities: dict[str, list[int]] = field(default_factory=lambda: {KNOWN: [], AVAILABLE: [], WANTED: []})
    languages: list[tuple[int, int]] = field(default_factory=list)
    territories: list[int] = field(default_factory=list)
    affiliations: list[int] = field(default_factory=list)
    projects: list[int] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def _proficiency(value: str | None) -> int:
    if value is None:
        return DEFAULT_PROFICIENCY
    value = value.strip().lower()
    if value.isdigit() and 0 <= int(value) < len(PROFICIENCY_LEVELS):
        return int(value)
    return PROFICIENCY_LEVELS.index(value) if value in PROFICIENCY_LEVELS else DEFAULT_PROFICIENCY


def map_profile(remote: LetsConnectProfile) -> ImportedProfile:
    """Match the remote codes to capacities, languages, territories, organizations and projects.

    A fixed number of queries (one per kind of reference data), whatever the profile holds.
    """
    out = ImportedProfile(bio=remote.bio)
    caps: dict[str, int] = {}
    for cid, code, qid in db.session.execute(sa.select(Capacity.id, Capacity.code, Capacity.metabase_qid)):
        caps[code.lower()] = cid
        if qid:
            caps[qid.lower()] = cid
    for kind, values in ((KNOWN, remote.skills_known), (AVAILABLE, remote.skills_available),
                         (WANTED, remote.skills_wanted)):
        for value in values:
            cid = caps.get(value.lower())
            if cid is None:
                out.unmatched.append(value)
            elif cid not in out.capacities[kind]:
                out.capacities[kind].append(cid)
    langs = dict(db.session.execute(sa.select(Language.code, Language.id)).all())
    for item in remote.languages:
        lid = langs.get(item.code)
        if lid is None:
            out.unmatched.append(item.code)
        elif lid not in [i for i, _ in out.languages]:
            out.languages.append((lid, _proficiency(item.proficiency)))
    territories = {code.upper(): tid for tid, code in db.session.execute(sa.select(Territory.id, Territory.code))}
    for value in remote.territories:
        tid = territories.get(value.upper())
        if tid is None:
            out.unmatched.append(value)
        elif tid not in out.territories:
            out.territories.append(tid)
    orgs: dict[str, int] = {}
    for oid, acronym in db.session.execute(sa.select(Organization.id, Organization.acronym)):
        if acronym:
            orgs[acronym.lower()] = oid
    for oid, name in db.session.execute(sa.select(OrganizationName.organization_id, OrganizationName.name)):
        orgs.setdefault(name.lower(), oid)
    for value in remote.affiliations:
        oid = orgs.get(value.lower())
        if oid is None:
            out.unmatched.append(value)
        elif oid not in out.affiliations:
            out.affiliations.append(oid)
    projects = dict(db.session.execute(sa.select(WikimediaProject.code, WikimediaProject.id)).all())
    for value in remote.projects:
        pid = projects.get(value)
        if pid is None:
            out.unmatched.append(value)
        elif pid not in out.projects:
            out.projects.append(pid)
    return out
