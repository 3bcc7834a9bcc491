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

#: The two lists' tables (``owner_id`` and the saved item's id).
SavedModel = type[SavedProfile] | type[SavedOrganization]


def save_profile(owner: User, target_id: int) -> bool:
    """Add a user to ``owner``'s list; False when it cannot be (self, unknown or locked user)."""
    if target_id == owner.id:
        return False
    target = db.session.get(User, target_id)
    if target is None or target.is_locked:
        return False
    _add_once(SavedProfile(owner_id=owner.id, saved_user_id=target_id), (owner.id, target_id))
    return True


def unsave_profile(owner: User, target_id: int) -> None:
    """Remove a user from ``owner``'s list (nothing happens if they were not in it)."""
    _delete(SavedProfile, SavedProfile.saved_user_id, owner, target_id)


def saved_profile_ids(owner: User | None, among: Iterable[int] | None = None) -> set[int]:
    """Which users ``owner`` saved (restricted to ``among`` when given): one query."""
    return _saved_ids(SavedProfile, SavedProfile.saved_user_id, owner, among)


def save_organization(owner: User, organization_id: int) -> bool:
    """Add an organization to ``owner``'s list; False when it does not exist or is hidden from
    ``owner`` (no manager: only staff see it), so the answer does not reveal hidden organizations."""
    org = db.session.get(Organization, organization_id)
    if org is None:
        return False
    if not owner.is_staff and not is_visible_id(organization_id):
        return False
    _add_once(SavedOrganization(owner_id=owner.id, organization_id=organization_id), (owner.id, organization_id))
    return True


def unsave_organization(owner: User, organization_id: int) -> None:
    """Remove an organization from ``owner``'s list."""
    _delete(SavedOrganization, SavedOrganization.organization_id, owner, organization_id)


def saved_organization_ids(owner: User | None, among: Iterable[int] | None = None) -> set[int]:
    """Which organizations ``owner`` saved (restricted to ``among`` when given): one query."""
    return _saved_ids(SavedOrganization, SavedOrganization.organization_id, owner, among)


def _add_once(row: SavedProfile | SavedOrganization, key: tuple[int, int]) -> None:
    """Add the row to the owner's list unless it holds it already (``key``: owner id, saved id)."""
    if db.session.get(type(row), key) is None:
        db.session.add(row)


def _delete(model: SavedModel, saved_column: InstrumentedAttribute[int], owner: User, saved_id: int) -> None:
    db.session.execute(sa.delete(model).where(model.owner_id == owner.id, saved_column == saved_id))


def _saved_ids(model: SavedModel, saved_column: InstrumentedAttribute[int], owner: User | None,
               among: Iterable[int] | None) -> set[int]:
    if owner is None:
        return set()
    query = sa.select(saved_column).where(model.owner_id == owner.id)
    if among is not None:
        ids = list(among)
        if not ids:
            return set()
        query = query.where(saved_column.in_(ids))
    return set(db.session.scalars(query))
