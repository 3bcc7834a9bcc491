"""Builders shared by the Explore tests: people and organizations with capacities, territories, languages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable

import sqlalchemy as sa
from flask import Flask

from capx.extensions import db
from capx.models import (Capacity, Language, Organization, OrganizationCapacity, OrganizationManager,
                         OrganizationName, OrganizationTerritory, Profile, ProfileAffiliation, ProfileCapacity,
                         ProfileLanguage, ProfileTerritory, Territory, User)

BASE_TIME = dt.datetime(2026, 1, 1, 12, 0, 0)


def capacity_id(code: str) -> int:
    return db.session.scalar(sa.select(Capacity.id).where(Capacity.code == code))


def territory_id(code: str) -> int:
    return db.session.scalar(sa.select(Territory.id).where(Territory.code == code))


def language_id(code: str) -> int:
    return db.session.scalar(sa.select(Language.id).where(Language.code == code))


def ids(app: Flask, kind: str, *codes: str) -> list[int]:
    """Ids of capacities / territories / languages by code (outside an app context)."""
    lookup = {"capacity": capacity_id, "territory": territory_id, "language": language_id}[kind]
    with app.app_context():
        return [lookup(code) for code in codes]


def person(app: Flask, make_user: Any, name: str, *, known: Iterable[str] = (), available: Iterable[str] = (),
           wanted: Iterable[str] = (), territories: Iterable[str] = (), languages: Iterable[tuple[str, int]] = (),
           affiliations: Iterable[int] = (), minutes: int = 0, locked: bool = False, alt: str | None = None) -> User:
    """A user whose profile has the given capacities (by code) and was updated ``minutes`` after BASE_TIME."""
    user = make_user(name, is_locked=locked)
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))
        profile.updated_at = BASE_TIME + dt.timedelta(minutes=minutes)
        profile.alt_account = alt
        for kind, codes in (("known", known), ("available", available), ("wanted", wanted)):
            for code in codes:
                db.session.add(ProfileCapacity(profile_id=profile.id, capacity_id=capacity_id(code), kind=kind))
        for i, code in enumerate(territories):
            db.session.add(ProfileTerritory(profile_id=profile.id, territory_id=territory_id(code), position=i))
        for i, (code, proficiency) in enumerate(languages):
            db.session.add(ProfileLanguage(profile_id=profile.id, language_id=language_id(code),
                                           proficiency=proficiency, position=i))
        for i, org_id in enumerate(affiliations):
            db.session.add(ProfileAffiliation(profile_id=profile.id, organization_id=org_id, position=i))
        db.session.commit()
    return user


def organization(app: Flask, names: dict[str, str], *, manager: User | None = None, known: Iterable[str] = (),
                 available: Iterable[str] = (), wanted: Iterable[str] = (), territories: Iterable[str] = (),
                 logo: str | None = None, acronym: str | None = None) -> int:
    """An organization with names per language; visible only when given a manager."""
    with app.app_context():
        org = Organization(acronym=acronym, logo_file=logo)
        db.session.add(org)
        db.session.flush()
        for lang, name in names.items():
            db.session.add(OrganizationName(organization_id=org.id, lang=lang, name=name))
        if manager is not None:
            db.session.add(OrganizationManager(organization_id=org.id, user_id=manager.id))
        for kind, codes in (("known", known), ("available", available), ("wanted", wanted)):
            for code in codes:
                db.session.add(OrganizationCapacity(organization_id=org.id, capacity_id=capacity_id(code), kind=kind))
        for code in territories:
            db.session.add(OrganizationTerritory(organization_id=org.id, territory_id=territory_id(code)))
        db.session.commit()
        return org.id


_NAME_RE = re.compile(r'<h3 class="card__title"><a href="[^"]*"(?: lang="[^"]*")?>(?:<bdi>)?([^<]+)')


def card_names(html: str) -> list[str]:
    """The names on the result cards of a page, in order."""
    return [name.strip() for name in _NAME_RE.findall(html)]
