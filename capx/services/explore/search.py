"""Explore's searches and the saved lists: a page of people or organizations with a capped count.

Counts are exact up to 10,000 (:data:`~capx.services.explore.planner.COUNT_CAP`, or further when a
deep page is asked for) and "more than 10,000" beyond: a count reads at most that many matching
rows, so it stays bounded however many people match. Only ever the owner's own saved lists.
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
from capx.services.explore.filters import EXCHANGE_KINDS, OrganizationFilters, ProfileFilters
from capx.services.explore.planner import (COUNT_CAP, capped_count, count_query, not_locked, organization_conditions,
                                           SearchPlans, visible_organization_condition)
from capx.services.statistics import filter_value_counts
from capx.support import stamps
from capx.support.caches import StampedCache
from capx.support.pagination import Page, make_page

PER_PAGE = 24
#: The organization list counts exactly up to this many ("more than 10,000" beyond), like Explore.
ORGANIZATION_COUNT_CAP = 10_000
#: Explore without a value filter says "more than ..." without counting when the statistics job
#: last counted at least this many times the cap of matching profiles (:func:`_surely_more`).
STORED_MARGIN = 2

#: Counts that walked (:func:`search_profiles`), kept per search while no profile, link row or
#: user changed (the "people" stamp: any such write replaces it, so a kept count is exact), nor
#: the capacity tree or the reference data (:func:`_count_stamp`).
_walked_counts = StampedCache[tuple[str, int, tuple[tuple[str, str], ...]], int](max_keys=512)


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


def _count_stamp() -> str | None:
    """What a kept count depends on beyond the search itself: the people (profiles, their links,
    users), the capacity tree (a filter's descendants) and the reference data (a region's
    countries). Read with the request's other stamps: no query of its own. None (nothing kept)
    while the people stamp was never set; the others' first write sets them, changing the key."""
    people = stamps.stamp(stamps.PEOPLE)
    if people is None:
        return None
    return "|".join([people, stamps.stamp(stamps.CAPACITIES) or "-", stamps.stamp(stamps.REFERENCE) or "-"])


def _surely_more(filters: ProfileFilters, cap: int) -> bool:
    """Whether, with no value filter and no name, the statistics job's last count of profiles with
    a capacity (of the asked kinds) was at least :data:`STORED_MARGIN` times ``cap``: then more
    than ``cap`` match now, unless over half of them lost every capacity, were locked or deleted
    since that run (it runs every 10 minutes). Without a filter, counting 10,001 matches costs
    10,001 probes: 5 ms on SQLite at 100,000 profiles (2026-12-06), half the page."""
    if filters.capacities or filters.territories or filters.languages or filters.affiliations or filters.name:
        return False
    counts = filter_value_counts()
    if counts is None:
        return False
    kinds = [EXCHANGE_KINDS[e] for e in filters.exchange] or ["all"]
    return max(counts.with_capacity.get(kind, 0) for kind in kinds) >= STORED_MARGIN * cap


def search_profiles(filters: ProfileFilters, viewer: User | None, chain: Sequence[str],
                    per_page: int = PER_PAGE) -> Results:
    """A page of Explore results, newest update first, with a count exact up to :data:`COUNT_CAP`.

    One query reads the ids of the page and those before it, in order, and carries the count as a
    scalar subquery (:func:`~capx.services.explore.planner.count_query`, evaluated once), so the
    filters' estimates are read once and the page costs no query for its count. Then one query
    reads the page's cards. The number of queries is the same whatever the page size or data size.
    """
    tree = capacity_tree(chain)
    end = filters.page * per_page
    # Count far enough to know the asked page exists and to link a few pages past it.
    cap = max(COUNT_CAP, end + 4 * per_page)
    plans = SearchPlans(filters, tree)
    plan = plans.plan(end)
    unlocked = not_locked()
    query = sa.select(Profile.id)
    if unlocked.join_user:
        query = query.join(User, User.id == Profile.user_id)
    query = (query.where(*unlocked.conditions, *plan.conditions)
             .order_by(Profile.updated_at.desc(), Profile.id.desc()).limit(end))
    if plan.walk:
        # MariaDB's cost model prefers a full scan and a sort for deep pages; the date index,
        # walked newest first, stops as soon as enough rows matched.
        query = query.with_hint(Profile, "FORCE INDEX (ix_profile_walk)", "mysql")
    surely_more = _surely_more(filters, cap)
    stamp = _count_stamp()
    key = (str(db.engine.url), cap, tuple(filters.at_page(1).params()))
    known = None if surely_more or not plan.walk else _walked_counts.peek(key, stamp)
    if surely_more or known is not None:
        pass
    elif not plan.walk and (plan.probed or filters.name or unlocked.join_user):
        # A driven query reads and sorts every match anyway: counting them there costs little,
        # where a count of its own would read them and run their probes a second time (case c,
        # SQLite, 2026-12-06: ids 2.1 ms, with this window 2.3, with a count of its own 4.0).
        query = query.add_columns(sa.func.count().over())
    elif not plan.walk:
        # Unprobed, the driving subquery is counted from its index alone (count_query): one
        # capacity as sharers, 1,768 matches, 0.14 ms, where the window cost 1 ms more.
        query = query.add_columns(count_query(plan, unlocked, False, cap))
    else:
        # Counting what a walk finds reads up to 10,001 matches one by one: a common name ("silva",
        # 3,813 matches at 100,000 profiles) costs 8-11 ms on SQLite (2026-12-06), as much as the
        # rest of the page. Kept under the "people" stamp, it is counted again only after a write
        # that could change it (and for the next pages of the same search, not at all).
        query = query.add_columns(count_query(plans.plan(cap + 1), unlocked, bool(filters.name), cap))
    rows: list[Any] = list(db.session.execute(query))
    ids = [int(row[0]) for row in rows]
    if surely_more:
        count = cap + 1
    elif known is not None:
        count = known
    else:
        count = int(rows[0][1]) if rows else 0
        if plan.walk:
            _walked_counts.put(key, stamp, count)
    capped = count > cap
    count = min(count, cap)
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
