"""Organizations: who may see them (the visibility rule) and who manages them.

Visibility: an organization is visible only while it has a manager; without one it is hidden
from lists, search, suggestions, statistics, and its events and programs with it (staff can still
reach its page). That rule is written once, below, in its forms: :func:`visible_given` (the rule
itself), :func:`visible` (as SQL, for any organization id column or value),
:func:`visible_organization_ids_subquery`, :func:`visible_organizations_query`, :func:`is_visible_id`
and :func:`is_visible`; :func:`may_see` says who sees a hidden one (staff). Nothing else in the code
base writes it again.

Managers: an organization's managers and staff edit its profile and its events (:func:`can_manage`);
staff name the managers. The profile itself (its page, its edit) is
:mod:`capx.services.organization_profiles`.
"""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from capx.extensions import db
from capx.models import Organization, OrganizationManager, OrganizationName, PartnerMember, User
from capx.services import badges
from capx.support.usernames import normalize_username

# -- visibility (the rule, once) ------------------------------------------------------------------


def visible_given(managers: int) -> bool:
    """The rule: an organization with this many managers is visible (shown in lists, search,
    suggestions, statistics, with its events and programs) only while it has at least one."""
    return managers > 0


def visible(organization_id: Any = Organization.id) -> sa.ColumnElement[bool]:
    """The rule as SQL for an organization id (by default ``organization.id``; also a foreign key
    column such as ``Event.organization_id``, or a value): it has at least one manager."""
    return sa.exists().where(OrganizationManager.organization_id == organization_id)


def visible_organizations_query() -> sa.Select[Organization]:
    """``SELECT organization`` restricted to visible organizations."""
    return sa.select(Organization).where(visible())


def visible_organization_ids_subquery() -> sa.Select[int]:
    """The ids of visible organizations, for ``<column>.in_(...)`` filters (one row per id)."""
    return sa.select(OrganizationManager.organization_id).distinct()


def is_visible_id(organization_id: int) -> bool:
    """Whether the organization with this id is visible (one query)."""
    return db.session.scalar(sa.select(visible(organization_id))) or False


def is_visible(org: Organization) -> bool:
    """Whether the organization is visible (one query)."""
    return is_visible_id(org.id)


def visible_among(organization_ids: Sequence[int]) -> set[int]:
    """Which of these organizations are visible (one query, none for no ids)."""
    if not organization_ids:
        return set()
    return set(db.session.scalars(sa.select(Organization.id).where(
        Organization.id.in_(list(organization_ids)), visible())))


def may_see(viewer: User | None, organization_id: int, visible_now: bool | None = None) -> bool:
    """Whether ``viewer`` may see the organization (its page, its events) or even learn that it
    exists: anyone while it is visible, only staff while it is hidden. ``visible_now``, when the
    caller already knows it, saves the query (staff never need one)."""
    if viewer is not None and viewer.is_staff:
        return True
    return is_visible_id(organization_id) if visible_now is None else visible_now


def visible_organization_options(chain: Sequence[str]) -> list[tuple[int, str]]:
    """(id, name) of every visible organization, named in the language ``chain``, sorted by name
    (the organization filter of the calendar: two queries)."""
    names = tuple(chain)
    orgs = db.session.scalars(visible_organizations_query().options(selectinload(Organization.names))).all()
    return sorted(((o.id, o.name_in(names)) for o in orgs), key=lambda pair: pair[1].casefold())


# -- managers --------------------------------------------------------------------------------------

def managed_by(user: User | None) -> list[Organization]:
    """The organizations ``user`` manages, with their names loaded (for "My profiles")."""
    if user is None:
        return []
    query = (sa.select(Organization).join(OrganizationManager, OrganizationManager.organization_id == Organization.id)
             .where(OrganizationManager.user_id == user.id).options(selectinload(Organization.names))
             .order_by(Organization.id))
    return list(db.session.scalars(query))


def is_manager(user: User | None, org_id: int) -> bool:
    """Whether ``user`` is one of the organization's managers."""
    if user is None:
        return False
    return db.session.get(OrganizationManager, (org_id, user.id)) is not None


def can_manage(user: User | None, org_id: int) -> bool:
    """Managers of the organization and staff may edit it and its events."""
    return user is not None and (user.is_staff or is_manager(user, org_id))


def manager_candidate(username: str) -> User | None:
    """The user named ``username`` (as typed: normalized the way MediaWiki stores names), who can
    be made a manager once they have logged in at least once; None when nobody has that name."""
    name = normalize_username(username)
    if not name:
        return None
    return db.session.scalar(sa.select(User).where(User.username == name))


#: The tables of an organization's people (keyed by organization and user): managers, partner members.
PeopleTable = type[OrganizationManager] | type[PartnerMember]


def add_person(table: PeopleTable, org: Organization, user: User) -> bool:
    """Put ``user`` in the organization's people of ``table`` (flushed); False when they already were."""
    if db.session.get(table, (org.id, user.id)) is not None:
        return False
    db.session.add(table(organization_id=org.id, user_id=user.id))
    db.session.flush()
    return True


def remove_person(table: PeopleTable, org: Organization, user_id: int) -> bool:
    """Take the user out of the organization's people of ``table`` (flushed); False when they were not in it."""
    row = db.session.get(table, (org.id, user_id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def add_manager(org: Organization, user: User) -> bool:
    """Make ``user`` a manager of ``org`` (flushed; it earns them a badge); False when they already were."""
    if not add_person(OrganizationManager, org, user):
        return False
    badges.recompute_user(user)  # the "organization manager" badge
    return True


def remove_manager(org: Organization, user_id: int) -> bool:
    """Remove a manager; False when they were not one."""
    return remove_person(OrganizationManager, org, user_id)


def managers_of(org_id: int) -> list[User]:
    """The organization's managers, by user name."""
    return list(db.session.scalars(sa.select(User).join(OrganizationManager, OrganizationManager.user_id == User.id)
                                   .where(OrganizationManager.organization_id == org_id).order_by(User.username)))


def all_organizations_with_manager_counts() -> list[tuple[Organization, int]]:
    """Every organization (hidden ones included) with its number of managers: two queries."""
    counts: dict[int, int] = {org_id: n for org_id, n in db.session.execute(
        sa.select(OrganizationManager.organization_id, sa.func.count()).group_by(OrganizationManager.organization_id))}
    orgs = db.session.scalars(sa.select(Organization).options(selectinload(Organization.names))
                              .order_by(Organization.id)).all()
    return [(o, counts.get(o.id, 0)) for o in orgs]


# -- finding and erasing ---------------------------------------------------------------------------

def get_organization(org_id: int) -> Organization | None:
    """The organization with this id (nothing loaded with it), or None."""
    return db.session.get(Organization, org_id)


def load_organization(org_id: int) -> Organization | None:
    """An organization with names, capacities, territories, managers and type loaded, or None."""
    return db.session.scalar(sa.select(Organization).where(Organization.id == org_id).options(
        selectinload(Organization.names), selectinload(Organization.capacities),
        selectinload(Organization.territories), selectinload(Organization.managers),
        selectinload(Organization.type)))


def find_organization(ref: str) -> Organization | None:
    """An organization by id, acronym or English name (for the command line)."""
    ref = ref.strip()
    if ref.isdigit():
        return db.session.get(Organization, int(ref))
    org = db.session.scalar(sa.select(Organization).where(sa.func.lower(Organization.acronym) == ref.lower()).limit(2))
    if org is not None:
        return org
    return db.session.scalar(sa.select(Organization).join(OrganizationName)
                             .where(OrganizationName.lang == "en", sa.func.lower(OrganizationName.name) == ref.lower())
                             .limit(1))


def delete_organization(org: Organization) -> None:
    """Erase an organization and everything that belongs to it (events, news tags, managers)."""
    db.session.execute(sa.delete(Organization).where(Organization.id == org.id))
