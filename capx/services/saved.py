"""Saved profiles and organizations: each user's private list.

Nobody but the owner can read a list or learn that they were saved: every function takes the
owner explicitly and only ever answers about that owner's list.
"""

from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from capx.extensions import db
from capx.models import Organization, SavedOrganization, SavedProfile, User
from capx.services.organizations import is_visible_id


def save_profile(owner: User, target_id: int) -> bool:
    """Add a user to ``owner``'s list; False when it cannot be (self, unknown or locked user)."""
    if target_id == owner.id:
        return False
    target = db.session.get(User, target_id)
    if target is None or target.is_locked:
        return False
    if db.session.get(SavedProfile, (owner.id, target_id)) is None:
        db.session.add(SavedProfile(owner_id=owner.id, saved_user_id=target_id))
    return True


def unsave_profile(owner: User, target_id: int) -> None:
    """Remove a user from ``owner``'s list (nothing happens if they were not in it)."""
    db.session.execute(sa.delete(SavedProfile).where(SavedProfile.owner_id == owner.id,
                                                     SavedProfile.saved_user_id == target_id))


def saved_profile_ids(owner: User | None, among: Iterable[int] | None = None) -> set[int]:
    """Which users ``owner`` saved (restricted to ``among`` when given): one query."""
    return _saved_ids(SavedProfile.owner_id, SavedProfile.saved_user_id, owner, among)


def save_organization(owner: User, organization_id: int) -> bool:
    """Add an organization to ``owner``'s list; False when it does not exist or is hidden from
    ``owner`` (no manager: only staff see it), so the answer does not reveal hidden organizations."""
    org = db.session.get(Organization, organization_id)
    if org is None:
        return False
    if not owner.is_staff and not is_visible_id(organization_id):
        return False
    if db.session.get(SavedOrganization, (owner.id, organization_id)) is None:
        db.session.add(SavedOrganization(owner_id=owner.id, organization_id=organization_id))
    return True


def unsave_organization(owner: User, organization_id: int) -> None:
    """Remove an organization from ``owner``'s list."""
    db.session.execute(sa.delete(SavedOrganization).where(SavedOrganization.owner_id == owner.id,
                                                          SavedOrganization.organization_id == organization_id))


def saved_organization_ids(owner: User | None, among: Iterable[int] | None = None) -> set[int]:
    """Which organizations ``owner`` saved (restricted to ``among`` when given): one query."""
    return _saved_ids(SavedOrganization.owner_id, SavedOrganization.organization_id, owner, among)


def _saved_ids(owner_column: InstrumentedAttribute[int], saved_column: InstrumentedAttribute[int],
               owner: User | None, among: Iterable[int] | None) -> set[int]:
    if owner is None:
        return set()
    query = sa.select(saved_column).where(owner_column == owner.id)
    if among is not None:
        ids = list(among)
        if not ids:
            return set()
        query = query.where(saved_column.in_(ids))
    return set(db.session.scalars(query))
