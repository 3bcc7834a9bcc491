"""Explore's searches and the saved lists: a page of people or organizations with a capped count.

Counting is capped (:data:`~capx.services.explore.planner.COUNT_CAP`, or further when a deep page
is asked for): the count reads at most that many matching rows, so it stays fast however many
people match. Only ever the owner's own saved lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Organization, OrganizationName, OrganizationType, Profile, SavedOrganization, SavedProfile, User
from capx.services.capacities import capacity_tree
from capx.services.explore.cards import OrganizationCard, organization_cards, profile_cards
from capx.services.explore.filters import OrganizationFilters, ProfileFilters
from capx.services.explore.planner import (COUNT_CAP, capped_count, not_locked, organization_conditions,
                                           profile_conditions, visible_organization_condition)
from capx.support.pagination import Page, make_page

PER_PAGE = 24
#: The organization list counts exactly up to this many ("more than 10,000" beyond): organizations
#: are few, so counting them costs little, unlike counting people (:data:`COUNT_CAP`).
ORGANIZATION_COUNT_CAP = 10_000


@dataclass
class Results:
    """One page of results: the items, the page, the (capped) count and whether it was capped."""

    items: list[Any]
    page: Page
    count: int
    capped: bool


def _count_and_page(base: sa.Select[Any], number: int, per_page: int,
                    count_cap: int = COUNT_CAP) -> tuple[int, bool, Page]:
    # Count far enough to know the asked page exists and to link a few pages past it.
    cap = max(count_cap, number * per_page + 4 * per_page)
    count = capped_count(base, cap)
    capped = count > cap
    count = min(count, cap)
    return count, capped, make_page(number, per_page, count)


def search_profiles(filters: ProfileFilters, viewer: User | None, chain: Sequence[str],
                    per_page: int = PER_PAGE) -> Results:
    """A page of Explore results, newest update first, with a capped count.

    One query reads the ids of the first matches in order, up to the count's cap (at most a few
    thousand integers): their number is the count and the page is a slice of them, so the
    filters are evaluated once. Then one query reads the page's cards. The number of queries is
    the same whatever the page size or data size.
    """
    tree = capacity_tree(chain)
    cap = max(COUNT_CAP, filters.page * per_page + 4 * per_page)
    conditions, walk = profile_conditions(filters, tree, wanted=cap + 1)
    unlocked, join_user = not_locked()
    query = sa.select(Profile.id)
    if join_user:
        query = query.join(User, User.id == Profile.user_id)
    query = query.where(*unlocked, *conditions).order_by(Profile.updated_at.desc(), Profile.id.desc()).limit(cap + 1)
    if walk:
        # MariaDB's cost model prefers a full scan and a sort for deep pages; the date index,
        # walked newest first, stops as soon as enough rows matched.
        query = query.with_hint(Profile, "FORCE INDEX (ix_profile_walk)", "mysql")
    ids = list(db.session.scalars(query))
    capped = len(ids) > cap
    count = min(len(ids), cap)
    page = make_page(filters.page, per_page, count)
    page_ids = ids[page.offset:page.offset + per_page]
    return Results(profile_cards(page_ids, tree, viewer), page, count, capped)


# -- saved lists ---------------------------------------------------------------------------------

def saved_profiles(owner: User, number: int, chain: Sequence[str], per_page: int = PER_PAGE) -> Results:
    """A page of the profiles ``owner`` saved (most recently saved first); locked users are left out.

    Only ever about ``owner``'s own list: nobody can read another person's list.
    """
    tree = capacity_tree(chain)
    conditions = [SavedProfile.owner_id == owner.id, User.is_locked.is_not(True)]
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(SavedProfile)
        .join(User, User.id == SavedProfile.saved_user_id)
        .join(Profile, Profile.user_id == User.id)
        .where(*conditions)) or 0
    page = make_page(number, per_page, count)
    page_ids: list[int] = []
    if count:
        page_ids = list(db.session.scalars(
            sa.select(Profile.id)
            .select_from(SavedProfile)
            .join(User, User.id == SavedProfile.saved_user_id)
            .join(Profile, Profile.user_id == User.id)
            .where(*conditions)
            .order_by(SavedProfile.created_at.desc(), SavedProfile.saved_user_id.desc())
            .limit(per_page).offset(page.offset)))
    cards = profile_cards(page_ids, tree, None)
    for card in cards:
        card.saved = True
    return Results(cards, page, count, False)


# -- organizations -------------------------------------------------------------------------------

def _organization_rows_query(conditions: list[Any]) -> sa.Select[int, str | None, str | None, str]:
    english = sa.orm.aliased(OrganizationName)
    return (sa.select(Organization.id, Organization.acronym, Organization.logo_file,
                      OrganizationType.code.label("type_code"))
            .outerjoin(OrganizationType, OrganizationType.id == Organization.type_id)
            .outerjoin(english, sa.and_(english.organization_id == Organization.id, english.lang == "en"))
            .where(*conditions)
            .order_by(english.name, Organization.id))


def search_organizations(filters: OrganizationFilters, viewer: User | None, chain: Sequence[str],
                         per_page: int = PER_PAGE) -> Results:
    """A page of the public organization list (alphabetical by English name), with its exact count up
    to :data:`ORGANIZATION_COUNT_CAP`."""
    tree = capacity_tree(chain)
    conditions = organization_conditions(filters, tree)
    count, capped, page = _count_and_page(sa.select(Organization.id).where(*conditions), filters.page, per_page,
                                          ORGANIZATION_COUNT_CAP)
    rows: list[Any] = []
    if count:
        rows = list(db.session.execute(_organization_rows_query(conditions).limit(per_page).offset(page.offset)))
    return Results(organization_cards(rows, tree, viewer), page, count, capped)


#: A saved-organizations list longer than this is cut (nobody follows hundreds of organizations).
SAVED_ORGANIZATIONS_MAX = 500


def saved_organizations(owner: User, chain: Sequence[str]) -> list[OrganizationCard]:
    """The (visible) organizations ``owner`` saved, alphabetical; only ever ``owner``'s own list."""
    conditions = [visible_organization_condition(),
                  Organization.id.in_(sa.select(SavedOrganization.organization_id)
                                      .where(SavedOrganization.owner_id == owner.id))]
    rows = list(db.session.execute(_organization_rows_query(conditions).limit(SAVED_ORGANIZATIONS_MAX)))
    cards = organization_cards(rows, capacity_tree(chain), None)
    for card in cards:
        card.saved = True
    return cards
