"""Explore's query planner: the WHERE conditions for a search, and which filter drives the query.

Query shapes (designed for 100,000+ profiles, see docs/performance-explore.md):

- Every filter on a specific value (capacities, territories, languages, affiliations) becomes
  ``profile.id IN (SELECT profile_id FROM <link table> WHERE <indexed columns>)``: the composite
  indexes of the link tables (``(kind, capacity_id, profile_id)``, ``(territory_id, profile_id)``,
  ``(language_id, proficiency, profile_id)``, ``(organization_id, profile_id)``) answer them from the
  index alone. When it pays (``choose_driver``), the most selective one drives the query and the
  others are probed inside its subquery, against the link row's own profile id.
- Broad conditions ("has at least one capacity", "has a wanted capacity") are ``EXISTS`` probes on the
  link table's primary key, evaluated while walking ``profile.updated_at`` newest first.
- Descendant expansion of capacities and region expansion of territories happen once, in Python,
  before the query (the capacity tree is in memory; territories are one small query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from capx.extensions import db
from capx.models import (CAPACITY_KINDS, Organization, OrganizationCapacity, OrganizationName, OrganizationTerritory,
                         Profile, ProfileAffiliation, ProfileCapacity, ProfileLanguage, ProfileTerritory, User)
from capx.models.people import ProfileNameGram, fold_for_search, name_grams
from capx.services.capacities import CapacityTree
from capx.services.explore.filters import EXCHANGE_KINDS, OrganizationFilters, ProfileFilters
from capx.services.organizations import visible
from capx.services.statistics import filter_value_counts, name_gram_counts

#: Explore counts matches exactly up to this many ("more than 10,000 profiles" beyond), as the
#: organization list does; see :func:`count_query` for how that stays cheap.
COUNT_CAP = 10_000
#: A value filter matching at most this many rows always drives the query from its index.
SELECTIVE = 3000
#: Filters' rows are counted up to this many to choose between driving and walking (choose_driver).
ESTIMATE_CAP = 20_000
#: A walked profile costs about this many driven rows: the walk probes each profile's link rows
#: with a subquery, where driving reads index entries in a row and sorts what passed. Measured on
#: MariaDB (ids query, one capacity): at 100,000 profiles 6,275 rows driven in 22 ms against
#: 2,086 profiles walked in 30 ms; at 1,000,000, 17,680 driven in 50 ms against 6,843 walked in 62.
WALK_COST = 3.5
#: The same for a walk whose only value filter is the name: the name is checked in the walk
#: index's own entry (``search_name``), with no probe, and a driven row costs more (a gram
#: entry, then the profile row for the substring test). Measured with "silva", "costa" and
#: "lena" on MariaDB and SQLite at 100,000 profiles: ~2 µs a walked profile, ~4.6 µs a driven row.
NAME_WALK_COST = 0.45
#: Locked accounts are listed by id up to this many (:func:`not_locked`); beyond, ``user`` is joined.
LOCKED_LIST_MAX = 1000


def _contains(column: Any, text: str) -> Any:
    """Case-insensitive substring match (no index can serve a substring; the walk stays cheap).

    User names have a binary collation on MariaDB (they are case-sensitive identifiers), so the
    comparison switches to the case- and accent-insensitive collation there; SQLite's LIKE
    ignores ASCII case.
    """
    if db.session.get_bind().dialect.name in ("mysql", "mariadb"):
        column = column.collate("utf8mb4_unicode_ci")
    return column.contains(text, autoescape=True)


def _probe(*where: Any) -> Any:
    """"A matching link row exists", written so that it stays a per-row primary-key probe.

    ``(SELECT 1 ... LIMIT 1) IS NOT NULL`` rather than ``EXISTS``: MariaDB turns EXISTS into a
    semi-join and may materialize the whole link table (800,000 rows of profile_capacity) before
    reading a single profile; a scalar subquery is evaluated per row, after the cheap conditions.
    """
    return sa.select(sa.literal(1)).where(*where).limit(1).scalar_subquery().is_not(None)


def _kinds(exchange: Sequence[str]) -> list[str]:
    return [EXCHANGE_KINDS[e] for e in exchange] or list(CAPACITY_KINDS)


class _NotIndexed(FunctionElement[Any]):
    """A column written so that SQLite cannot look it up in an index (``+column``, SQLite's own
    idiom); the bare column elsewhere.

    The exchange probe ("profile P has a capacity of kind K": ``profile_id = P AND kind IN (...)``)
    can use the primary key (profile_id first: about 8 rows a profile) or the filter index (kind
    first: a third of the table). SQLite without ANALYZE statistics picks the kind index: on a
    20,000 profile database (2026-12-06) the first ``/feed?exchange=learner`` took 19 s, its count
    probing 20,000 profiles through 40,000 index rows each; with ``+kind``, 0.2 s. (ANALYZE fixed
    it too but made the home 46 % slower.) MariaDB picks the primary key by itself."""

    inherit_cache = True
    name = "not_indexed"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(_NotIndexed)
def _not_indexed(element: _NotIndexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_NotIndexed, "sqlite")
def _not_indexed_sqlite(element: _NotIndexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def _unindexed(column: Any) -> Any:
    """``column + 0``: the same value, but no index seek on it.

    A probe for one profile seeks the link table's primary key by profile_id and should then
    just check the few rows it finds; seeking (profile_id, territory_id) once per territory of a
    region would cost 50 seeks per profile instead of one.
    """
    return column + 0


@dataclass(frozen=True)
class _LinkFilter:
    """A filter on specific values: the link table's profile_id, its conditions for an index
    range and for a probe (None: never probed, another condition checks it), and how many rows it
    matches: known already (``estimate``), or the keys under which :class:`FilterValueCounts`
    counts them (else counted live)."""

    column: Any
    where: list[Any]
    probe: list[Any] | None
    counted_in: str = ""  # the FilterValueCounts attribute
    keys: list[Any] = field(default_factory=list)
    estimate: int | None = None
    #: About how many profiles pass, when fewer than ``estimate`` rows suggest (a name's words).
    kept: int | None = None


def folded_name(text: str) -> str:
    """A name search text as it is compared with ``Profile.search_name``: folded like the stored
    column (case and accents ignored the same way on every database), whitespace runs made one
    space (so a pasted newline cannot match across the two names)."""
    return fold_for_search(" ".join(text.split()))


def _name_filter(name: str) -> _LinkFilter | None:
    """The name search as a filter on its rarest gram (see ProfileNameGram), or None when the text
    is shorter than a gram. The grams' counts come from the statistics job (one primary-key
    query; a gram it did not see counts as rare), or before its first run from the grams' rows,
    each counted up to :data:`SELECTIVE` (past that: too common to drive, reported as
    ESTIMATE_CAP + 1). Never probed: the substring test on ``search_name`` decides in every shape."""
    folded = folded_name(name)
    grams = sorted(name_grams(folded))
    if not grams:
        return None
    stats = filter_value_counts()
    if stats is not None:
        stored = name_gram_counts(grams)
        counts = [stored.get(gram, 0) for gram in grams]
    else:
        capped = [sa.select(sa.func.count()).select_from(
                      sa.select(ProfileNameGram.profile_id).where(ProfileNameGram.gram == gram)
                      .limit(SELECTIVE + 1).subquery()).scalar_subquery() for gram in grams]
        counts = [n if n <= SELECTIVE else ESTIMATE_CAP + 1 for n in map(int, db.session.execute(sa.select(*capped)).one())]
    rarest = min(range(len(grams)), key=lambda i: counts[i])
    estimate = counts[rarest]
    kept = None
    if stats is not None and stats.profiles > 0:
        # "lena costa": the profiles with both words are far fewer than those with the rarest
        # gram; taken as independent, each word keeps the share of its own rarest gram.
        count_of = dict(zip(grams, counts, strict=True))
        share = 1.0
        for word in folded.split(" "):
            word_grams = name_grams(word)
            if word_grams:
                share *= min(count_of[gram] for gram in word_grams) / stats.profiles
        kept = min(estimate, int(share * stats.profiles))
    return _LinkFilter(ProfileNameGram.profile_id, [ProfileNameGram.gram == grams[rarest]], None,
                       estimate=estimate, kept=kept)


def _link_filters(filters: ProfileFilters, tree: CapacityTree) -> list[_LinkFilter]:
    """The filters on specific values (capacities, territories, languages, affiliations)."""
    out: list[_LinkFilter] = []
    if filters.capacities:
        kind_values = _kinds(filters.exchange)
        kinds = ProfileCapacity.kind.in_(kind_values)
        ids = sorted(tree.descendants(filters.capacities))
        out.append(_LinkFilter(ProfileCapacity.profile_id, [kinds, ProfileCapacity.capacity_id.in_(ids)],
                               [kinds, _unindexed(ProfileCapacity.capacity_id).in_(ids)],
                               "capacities", [(i, k) for i in ids for k in kind_values]))
    if filters.territories:
        ids = sorted(filters.territory_match)
        out.append(_LinkFilter(ProfileTerritory.profile_id, [ProfileTerritory.territory_id.in_(ids)],
                               [_unindexed(ProfileTerritory.territory_id).in_(ids)], "territories", ids))
    if filters.languages:
        ids = sorted(lang.id for lang in filters.languages)
        proficient = ProfileLanguage.proficiency > 0
        out.append(_LinkFilter(ProfileLanguage.profile_id, [ProfileLanguage.language_id.in_(ids), proficient],
                               [_unindexed(ProfileLanguage.language_id).in_(ids), proficient], "languages", ids))
    if filters.affiliations:
        ids = [a[0] for a in filters.affiliations]
        out.append(_LinkFilter(ProfileAffiliation.profile_id, [ProfileAffiliation.organization_id.in_(ids)],
                               [_unindexed(ProfileAffiliation.organization_id).in_(ids)], "affiliations", ids))
    return out


def _estimates(links: list[_LinkFilter]) -> tuple[list[int], int]:
    """How many link rows each filter matches, and about how many profiles there are.

    From the statistics job's counts per value when there are any (cached per process); the
    others, or all before the job's first run, counted from each filter's index up to
    ESTIMATE_CAP + 1, with the highest profile id as the number of profiles (one query). Filters
    that know their estimate already (the name) keep it.
    """
    stored = filter_value_counts()
    if stored is not None:
        return ([link.estimate if link.estimate is not None
                 else sum(getattr(stored, link.counted_in).get(key, 0) for key in link.keys) for link in links],
                stored.profiles)
    live = [i for i, link in enumerate(links) if link.estimate is None]
    counts = [sa.select(sa.func.count()).select_from(
                  sa.select(links[i].column).where(*links[i].where).limit(ESTIMATE_CAP + 1).subquery())
              .scalar_subquery() for i in live]
    *counted, total = db.session.execute(
        sa.select(*counts, sa.select(sa.func.max(Profile.id)).scalar_subquery())).one()
    found = dict(zip(live, counted, strict=True))
    return ([link.estimate if link.estimate is not None else int(found[i]) for i, link in enumerate(links)],
            int(total or 0))


def choose_driver(estimates: Sequence[int], profiles: int, wanted: int, walk_cost: float = WALK_COST,
                  kept: Sequence[int] | None = None) -> int | None:
    """Which value filter drives the query (its position in ``estimates``), or None to walk by date.

    Driving reads every row the most selective filter matches; walking the date index reads about
    ``wanted`` divided by the share of profiles every filter keeps (``kept``, by default the
    estimates; filters taken as independent) before the page is full, and each walked profile
    costs ``walk_cost`` driven rows. With probes to run (:data:`WALK_COST`), a filter of at most
    :data:`SELECTIVE` rows always drives; when even the most selective one matches more than
    :data:`ESTIMATE_CAP` rows, the walk does.
    """
    best = min(range(len(estimates)), key=lambda i: estimates[i])
    if estimates[best] <= SELECTIVE and walk_cost >= WALK_COST:
        return best
    if estimates[best] > ESTIMATE_CAP:
        return None
    walked = float(wanted)
    for passing in (estimates if kept is None else kept):
        walked *= max(profiles, 1) / max(passing, 1)
    return best if estimates[best] < walked * walk_cost else None


@dataclass(frozen=True)
class _Candidates:
    """The value filters of a search (name included) with their estimates, computed once per
    request for both the page's plan and the count's."""

    links: list[_LinkFilter]
    estimates: list[int]
    profiles: int
    named: _LinkFilter | None


def _candidates(filters: ProfileFilters, tree: CapacityTree) -> _Candidates:
    links = _link_filters(filters, tree)
    named = _name_filter(filters.name) if filters.name else None
    if named is not None:
        links.append(named)
    estimates, profiles = _estimates(links) if links else ([], 0)
    return _Candidates(links, estimates, profiles, named)


@dataclass(frozen=True)
class ProfilePlan:
    """The WHERE conditions on ``profile`` for a search, and whether the query walks the date
    index; ``driven``: when a value filter drives, the ids it yields (``SELECT <link>.profile_id
    FROM <link> WHERE ... AND <probes of the other filters>``), else None."""

    conditions: list[Any]
    walk: bool
    driven: sa.Select[Any] | None = None
    #: Whether ``driven`` probes other filters for each of its rows (a count of it repeats them).
    probed: bool = False


def _plan(filters: ProfileFilters, found: _Candidates, wanted: int) -> ProfilePlan:
    conditions: list[Any] = []
    # (link table's profile_id column, conditions): correlated below with whatever drives the query.
    probes: list[tuple[Any, list[Any]]] = []
    driver: tuple[Any, list[Any]] | None = None
    links, estimates, named = found.links, found.estimates, found.named
    if links:
        name_alone = named is not None and len(links) == 1
        chosen = choose_driver(estimates, found.profiles, wanted, NAME_WALK_COST if name_alone else WALK_COST,
                               [e if link.kept is None else link.kept for e, link in zip(estimates, links, strict=True)])
        for i in sorted(range(len(links)), key=lambda i: estimates[i]):
            link = links[i]
            if i == chosen:
                driver = (link.column, link.where)
            elif link.probe is not None:
                probes.append((link.column, link.probe))
    if not filters.capacities:
        # Broad, so probed last: "has a capacity (of the chosen exchange type)".
        if filters.exchange:
            probes.append((ProfileCapacity.profile_id,
                           [_NotIndexed(ProfileCapacity.kind).in_(_kinds(filters.exchange))]))
        elif not filters.include_incomplete:
            probes.append((ProfileCapacity.profile_id, []))
    outer: list[Any] = []
    driven = None
    if driver is not None:
        column, where = driver
        inner = [_probe(other == column, *probe) for other, probe in probes]
        driven = sa.select(column).where(*where, *inner)
        conditions.append(Profile.id.in_(driven))
    else:
        outer = [_probe(column == Profile.id, *probe) for column, probe in probes]
    if filters.name:
        name = Profile.search_name.contains(folded_name(filters.name), autoescape=True)
        if outer:
            # Probe only the profiles whose name matches: databases attach a condition on profile
            # alone (the probes) to the profile table, before the join with user, and would run
            # them for every profile walked, most of which the name then rejects.
            conditions.append(sa.case((name, sa.and_(*outer)), else_=sa.false()))
        else:
            conditions.append(name)
    else:
        conditions += outer
    return ProfilePlan(conditions, driver is None, driven, bool(probes))


class SearchPlans:
    """The plans of one search, from one look at its filters (their estimates, the name's grams):
    :meth:`plan` for the page's ids query and, only when the page needs it, for the count."""

    def __init__(self, filters: ProfileFilters, tree: CapacityTree) -> None:
        self._filters = filters
        self._found = _candidates(filters, tree)

    def plan(self, wanted: int) -> ProfilePlan:
        """The plan of a query that wants the first ``wanted`` matches (the page's, newest first)
        or up to ``wanted`` in any order (a count).

        Query shapes (see the module docstring): the value filter :func:`choose_driver` picks
        becomes ``profile.id IN (SELECT profile_id FROM <link> WHERE ... AND <probes>)``: it
        drives the query from its index, and every other filter is probed inside that subquery
        against the link row's own profile_id, so only profiles that pass them all reach the
        profile table. Without a driver, the query walks the date index newest first and probes
        each profile until enough matched. Probes run most selective first. A count wants far
        more rows than a page, so it drives more often than the page does.
        """
        return _plan(self._filters, self._found, wanted)


def profile_conditions(filters: ProfileFilters, tree: CapacityTree,
                       wanted: int = COUNT_CAP + 1) -> tuple[list[Any], bool]:
    """WHERE conditions on ``profile`` for the filters, for a query that wants the first
    ``wanted`` matches, and whether it should walk the date index (:meth:`SearchPlans.plan`)."""
    plan = SearchPlans(filters, tree).plan(wanted)
    return plan.conditions, plan.walk


@dataclass(frozen=True)
class Unlocked:
    """How a query leaves locked accounts out: ``conditions`` on ``profile``, or (past
    :data:`LOCKED_LIST_MAX` of them) ``join_user`` with a condition on ``user``; the locked
    profiles' ids when listed."""

    conditions: list[Any]
    join_user: bool
    profile_ids: list[int]


def not_locked() -> Unlocked:
    """How to leave locked accounts out (one query).

    Locked accounts are rare (global locks of spam or compromised accounts): listing their
    profiles' ids (one range of the ``is_locked`` index, then the profile's ``user_id`` index)
    spares the ids query a lookup in ``user`` for every candidate, which was half its time at
    100,000 profiles, and lets a count read link rows alone (:func:`count_query`). Past
    :data:`LOCKED_LIST_MAX` of them the query joins ``user`` instead.
    """
    locked = [int(i) for i in db.session.scalars(
        sa.select(Profile.id).join(User, User.id == Profile.user_id).where(User.is_locked == sa.true())
        .limit(LOCKED_LIST_MAX + 1))]
    if len(locked) > LOCKED_LIST_MAX:
        # "IS NOT TRUE" rather than "= 0": SQLite without statistics would otherwise drive the
        # whole query from the index on is_locked and sort every profile.
        return Unlocked([User.is_locked.is_not(True)], True, [])
    return Unlocked([Profile.id.not_in(locked)] if locked else [], False, locked)


def count_query(plan: ProfilePlan, unlocked: Unlocked, named: bool, cap: int) -> Any:
    """``SELECT count(*)`` of the plan's matches, reading at most ``cap + 1`` of them (a scalar
    subquery, to ride along with the page's ids query: no query of its own).

    Counting up to 10,001 matches must not cost a page more than a few percent (issue 16's bound).
    A link row is an index entry (~0.1 µs on SQLite, 2026-12-06 at 100,000 profiles), a profile
    row or a probe a lookup (1.3 to 2.4 µs): so when a value filter drives and nothing needs the
    profile row (no name, locked accounts listed by profile id), the count is of the distinct
    profile ids of the driving subquery alone: one capacity as sharers (1,768 matches) 0.14 ms,
    against 2.4 ms through the profile table. Otherwise it counts profiles under the plan's
    conditions, in whatever order the database finds cheapest (no ORDER BY).
    """
    if plan.driven is not None and not named and not unlocked.join_user:
        column = plan.driven.selected_columns[0]
        ids = plan.driven.where(column.not_in(unlocked.profile_ids)) if unlocked.profile_ids else plan.driven
        counted = ids.distinct().limit(cap + 1).subquery()
    else:
        query = sa.select(Profile.id)
        if unlocked.join_user:
            query = query.join(User, User.id == Profile.user_id)
        counted = query.where(*unlocked.conditions, *plan.conditions).limit(cap + 1).subquery()
    return sa.select(sa.func.count()).select_from(counted).scalar_subquery()


def capped_count(query: sa.Select[Any], cap: int) -> int:
    """How many rows ``query`` returns, reading at most ``cap + 1`` of them."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.limit(cap + 1).subquery())) or 0


# -- the organization list ----------------------------------------------------------------------

def visible_organization_condition() -> Any:
    """Organizations are listed only while they are visible (capx.services.organizations.visible)."""
    return visible()


def organization_conditions(filters: OrganizationFilters, tree: CapacityTree) -> list[Any]:
    """WHERE conditions on ``organization`` for the list's filters."""
    conditions: list[Any] = [visible_organization_condition()]
    kinds = _kinds(filters.exchange)
    if filters.name:
        conditions.append(sa.exists().where(OrganizationName.organization_id == Organization.id,
                                            _contains(OrganizationName.name, filters.name)))
    if filters.capacities:
        conditions.append(Organization.id.in_(
            sa.select(OrganizationCapacity.organization_id)
            .where(OrganizationCapacity.kind.in_(kinds),
                   OrganizationCapacity.capacity_id.in_(sorted(tree.descendants(filters.capacities))))))
    elif filters.exchange:
        conditions.append(sa.exists().where(OrganizationCapacity.organization_id == Organization.id,
                                            OrganizationCapacity.kind.in_(kinds)))
    if filters.territories:
        conditions.append(Organization.id.in_(
            sa.select(OrganizationTerritory.organization_id)
            .where(OrganizationTerritory.territory_id.in_(sorted(filters.territory_match)))))
    return conditions
