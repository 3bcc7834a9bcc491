"""Let's Connect: the registration (sent to Let's Connect, which keeps it) and the profile import.

A registration is sent to Let's Connect by the blueprint (``capx.clients.lets_connect``); once
Let's Connect confirmed it, CapX keeps only what it needs: when the person registered
(``Profile.lets_connect_registered_at``, which earns the "Let's Connect member" badge) and
Let's Connect's confirmation (``Profile.lets_connect_confirmation``, to quote when asking the
Let's Connect team about it). Registrations stored by earlier versions in the separate
``lets_connect`` database are erased when the person registers again, withdraws or deletes the
account; they are still part of the data export until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import sqlalchemy as sa

from capx.clients.lets_connect import LetsConnectProfile, Registration
from capx.extensions import db
from capx.models import (AVAILABLE, DEFAULT_PROFICIENCY, KNOWN, PROFICIENCY_LEVELS, WANTED, Capacity, Language,
                         LetsConnectRegistration, Organization, OrganizationName, Territory, User, WikimediaProject,
                         utcnow)
from capx.services.accounts import ensure_profile


@dataclass
class RegistrationInput:
    """A validated registration form (codes of the form's options)."""

    full_name: str | None
    email: str
    role: str
    topics: list[str]
    topic_other: str | None
    gender: str | None
    gender_other: str | None
    age_range: str | None


def remote_registration(data: RegistrationInput) -> Registration:
    """The form's answers as Let's Connect's registration claims: ``area`` is the chosen topics
    (codes, then the text of "Other"), ``gender`` the code or the person's own words."""
    area = [*data.topics, *([data.topic_other] if data.topic_other else [])]
    gender = data.gender_other if data.gender == "self-described" and data.gender_other else data.gender
    return Registration(full_name=data.full_name or None, email=data.email, role=data.role,
                        area=", ".join(area) or None, gender=gender or None, age=data.age_range or None)


def get_registration(user: User) -> LetsConnectRegistration | None:
    """A registration an earlier version stored locally (in the Let's Connect database), or None."""
    return db.session.scalar(sa.select(LetsConnectRegistration).where(LetsConnectRegistration.user_id == user.id))


def is_registered(user: User) -> bool:
    """Whether the person registered for Let's Connect (confirmed, or stored by an earlier version)."""
    return ensure_profile(user).lets_connect_registered_at is not None or get_registration(user) is not None


def record_registration(user: User, confirmation: str) -> None:
    """Let's Connect confirmed the registration: keep the date (the first one) and its confirmation,
    and erase any copy an earlier version kept. The caller commits."""
    erase_registration(user)
    profile = ensure_profile(user)
    if profile.lets_connect_registered_at is None:
        profile.lets_connect_registered_at = utcnow()
    profile.lets_connect_confirmation = confirmation


def erase_registration(user: User) -> None:
    """Delete a registration an earlier version stored in the Let's Connect database (caller commits)."""
    db.session.execute(sa.delete(LetsConnectRegistration).where(LetsConnectRegistration.user_id == user.id))


def withdraw(user: User) -> None:
    """Leave the program on CapX: forget the date, the confirmation and any local copy (caller
    commits). Let's Connect keeps what it received until its team is asked to erase it."""
    erase_registration(user)
    profile = ensure_profile(user)
    profile.lets_connect_registered_at = None
    profile.lets_connect_confirmation = None


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
        _match(values, caps, out.capacities[kind], out.unmatched, fold=str.lower)
    langs = dict(db.session.execute(sa.select(Language.code, Language.id)).all())
    for item in remote.languages:
        lid = langs.get(item.code)
        if lid is None:
            out.unmatched.append(item.code)
        elif lid not in [i for i, _ in out.languages]:
            out.languages.append((lid, _proficiency(item.proficiency)))
    territories = {code.upper(): tid for tid, code in db.session.execute(sa.select(Territory.id, Territory.code))}
    _match(remote.territories, territories, out.territories, out.unmatched, fold=str.upper)
    orgs: dict[str, int] = {}
    for oid, acronym in db.session.execute(sa.select(Organization.id, Organization.acronym)):
        if acronym:
            orgs[acronym.lower()] = oid
    for oid, name in db.session.execute(sa.select(OrganizationName.organization_id, OrganizationName.name)):
        orgs.setdefault(name.lower(), oid)
    _match(remote.affiliations, orgs, out.affiliations, out.unmatched, fold=str.lower)
    projects = dict(db.session.execute(sa.select(WikimediaProject.code, WikimediaProject.id)).all())
    _match(remote.projects, projects, out.projects, out.unmatched)
    return out


def _match(values: Iterable[str], ids: Mapping[str, int], matched: list[int], unmatched: list[str],
           fold: Callable[[str], str] | None = None) -> None:
    """Append to ``matched`` the id of each value (looked up as ``fold(value)`` when given), once
    each; a value without one goes to ``unmatched`` as it came."""
    for value in values:
        found = ids.get(fold(value) if fold else value)
        if found is None:
            unmatched.append(value)
        elif found not in matched:
            matched.append(found)
