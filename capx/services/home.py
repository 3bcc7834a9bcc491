"""What the landing page and the logged-in home show."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Capacity, Organization, OrganizationManager, ProfileCapacity, User


@dataclass(frozen=True)
class LandingFigures:
    people: int
    organizations: int
    capacities: int


def landing_figures() -> LandingFigures:
    """Counts for the landing page: people (not locked), managed organizations, capacities."""
    people = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_locked.is_(False)))
    organizations = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(OrganizationManager.organization_id)))
        .join(Organization, Organization.id == OrganizationManager.organization_id))
    capacities = db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))
    return LandingFigures(people or 0, organizations or 0, capacities or 0)


def profile_gaps(user: User) -> list[str]:
    """What the user's profile still lacks, as keys: territory, languages, known capacities."""
    profile = user.profile
    if profile is None:
        return ["territory", "languages", "known-capacities"]
    gaps = []
    if not profile.territories:
        gaps.append("territory")
    if not profile.languages:
        gaps.append("languages")
    has_known = db.session.scalar(
        sa.select(sa.func.count()).select_from(ProfileCapacity)
        .where(ProfileCapacity.profile_id == profile.id, ProfileCapacity.kind == "known"))
    if not has_known:
        gaps.append("known-capacities")
    return gaps

