"""Figures for the Data Analytics dashboard.

Every figure is an aggregate over the whole database, too slow to compute per request at
100,000 profiles, so :func:`refresh_statistics` computes them all into the ``statistic`` table
(a scheduled job, ``flask capx refresh-statistics``) and the page reads a few dozen rows from it.
A GET never writes: when nothing is stored yet (a fresh local setup) the page computes the
figures for itself without storing them (:class:`MemoryFigures`).

Counting rules: a "user" is an account that is not locked (with its profile); a user is in a
region when their profile lists the region or any country in it (counted once); organizations
count only while they have a manager; "learners" of a capacity category want a capacity in it,
"sharers" make one available.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Capacity, Language, MessageLog, NameGramCount, Profile,
                         ProfileAffiliation, ProfileCapacity, ProfileLanguage, ProfileNameGram, ProfileTerritory,
                         Statistic, Territory, User, utcnow)
from capx.services.organizations import visible_organization_ids_subquery
from capx.services.reference_names import language_name
from capx.support import scope
from capx.support.timed_cache import TimedCache

ALL = "all"
CAPACITY_VIEW_KINDS = (ALL, KNOWN, AVAILABLE, WANTED)
TOTAL_METRICS = ("users", "new-users", "messages-sent", "organizations", "capacities")
NEW_USER_DAYS = 30

log = logging.getLogger(__name__)


def _active_profiles() -> sa.Subquery:
    return (sa.select(Profile.id.label("profile_id")).join(User, User.id == Profile.user_id)
            .where(User.is_locked.is_(False)).subquery("active"))


def _profile_regions() -> sa.Subquery:
    """(profile, region) pairs, once each: a country counts for its region."""
    region = sa.func.coalesce(Territory.parent_id, Territory.id)
    return (sa.select(ProfileTerritory.profile_id, region.label("region_id"))
            .join(Territory, Territory.id == ProfileTerritory.territory_id).distinct().subquery("pr"))


def compute_statistics(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every figure, as rows for the ``statistic`` table (aggregate queries only)."""
    now = now or utcnow()
    rows: list[dict[str, Any]] = []

    def add(metric: str, value: int | None, region_id: int | None = None, item_id: int | None = None,
            kind: str | None = None) -> None:
        rows.append({"metric": metric, "region_id": region_id, "item_id": item_id, "kind": kind,
                     "value": int(value or 0), "computed_at": now})

    s = db.session
    add("users", s.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_locked.is_(False))))
    add("new-users", s.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.is_locked.is_(False), User.created_at >= now - dt.timedelta(days=NEW_USER_DAYS))))
    add("messages-sent", s.scalar(sa.select(sa.func.count()).select_from(MessageLog).where(MessageLog.status == "sent")))
    # The same rule as every list: an organization counts while it has a manager.
    add("organizations", s.scalar(sa.select(sa.func.count()).select_from(visible_organization_ids_subquery().subquery())))
    add("capacities", s.scalar(sa.select(sa.func.count()).select_from(Capacity)))

    regions = s.execute(sa.select(Territory.id, Territory.parent_id)).all()
    for region_id in (t.id for t in regions if t.parent_id is None):
        add("region-countries", sum(1 for t in regions if t.parent_id == region_id), region_id)

    active = _active_profiles()
    pr = _profile_regions()
    for region_id, n in s.execute(sa.select(pr.c.region_id, sa.func.count())
                                  .join(active, active.c.profile_id == pr.c.profile_id).group_by(pr.c.region_id)):
        add("region-users", n, region_id)

    # Languages: worldwide and per region.
    pl = ProfileLanguage
    for lang_id, n in s.execute(sa.select(pl.language_id, sa.func.count())
                                .join(active, active.c.profile_id == pl.profile_id).group_by(pl.language_id)):
        add("language-users", n, None, lang_id)
    for region_id, lang_id, n in s.execute(
            sa.select(pr.c.region_id, pl.language_id, sa.func.count())
            .join(pr, pr.c.profile_id == pl.profile_id).join(active, active.c.profile_id == pl.profile_id)
            .group_by(pr.c.region_id, pl.language_id)):
        add("language-users", n, region_id, lang_id)

    # Capacities: each kind, and "all" (a user with the capacity in any kind, counted once).
    pc = ProfileCapacity
    for cap_id, kind, n in s.execute(sa.select(pc.capacity_id, pc.kind, sa.func.count())
                                     .join(active, active.c.profile_id == pc.profile_id)
                                     .group_by(pc.capacity_id, pc.kind)):
        add("capacity-users", n, None, cap_id, kind)
    for cap_id, n in s.execute(sa.select(pc.capacity_id, sa.func.count(sa.distinct(pc.profile_id)))
                               .join(active, active.c.profile_id == pc.profile_id).group_by(pc.capacity_id)):
        add("capacity-users", n, None, cap_id, ALL)
    for region_id, cap_id, kind, n in s.execute(
            sa.select(pr.c.region_id, pc.capacity_id, pc.kind, sa.func.count())
            .join(pr, pr.c.profile_id == pc.profile_id).join(active, active.c.profile_id == pc.profile_id)
            .group_by(pr.c.region_id, pc.capacity_id, pc.kind)):
        add("capacity-users", n, region_id, cap_id, kind)
    for region_id, cap_id, n in s.execute(
            sa.select(pr.c.region_id, pc.capacity_id, sa.func.count(sa.distinct(pc.profile_id)))
            .join(pr, pr.c.profile_id == pc.profile_id).join(active, active.c.profile_id == pc.profile_id)
            .group_by(pr.c.region_id, pc.capacity_id)):
        add("capacity-users", n, region_id, cap_id, ALL)

    # Profiles with a capacity (any kind, and of each kind), unlocked: Explore's list without a
    # filter. Beyond twice its count cap it says "more than ..." without counting (search_profiles).
    add("profiles-with-capacity", s.scalar(sa.select(sa.func.count(sa.distinct(pc.profile_id)))
                                           .join(active, active.c.profile_id == pc.profile_id)), None, None, ALL)
    for kind, n in s.execute(sa.select(pc.kind, sa.func.count(sa.distinct(pc.profile_id)))
                             .join(active, active.c.profile_id == pc.profile_id).group_by(pc.kind)):
        add("profiles-with-capacity", n, None, None, kind)
    add("profile-max-id", s.scalar(sa.select(sa.func.max(Profile.id))))
    # Link rows per territory and per affiliation, all profiles: Explore estimates from them how
    # many rows a filter reads (with capacity-users and language-users; see filter_value_counts).
    for territory_id, n in s.execute(sa.select(ProfileTerritory.territory_id, sa.func.count())
                                     .group_by(ProfileTerritory.territory_id)):
        add("territory-links", n, None, territory_id)
    for organization_id, n in s.execute(sa.select(ProfileAffiliation.organization_id, sa.func.count())
                                        .group_by(ProfileAffiliation.organization_id)):
        add("affiliation-links", n, None, organization_id)

    # Learners and sharers per root category (a user counts once per category).
    parents: dict[int, int | None] = dict(s.execute(sa.select(Capacity.id, Capacity.parent_id)).all())

    def root_of(cap_id: int) -> int:
        seen = 0
        while seen < 10:
            parent = parents.get(cap_id)
            if parent is None:
                break
            cap_id, seen = parent, seen + 1
        return cap_id

    roots = {cap_id: root_of(cap_id) for cap_id in parents}
    if roots:
        root = sa.case(roots, value=pc.capacity_id)
        for metric, kind in (("root-learners", WANTED), ("root-sharers", AVAILABLE)):
            for root_id, n in s.execute(sa.select(root, sa.func.count(sa.distinct(pc.profile_id)))
                                        .join(active, active.c.profile_id == pc.profile_id)
                                        .where(pc.kind == kind).group_by(root)):
                add(metric, n, None, root_id)
    return rows


def refresh_statistics(now: dt.datetime | None = None) -> int:
    """Replace the stored figures with fresh ones; returns how many. Flushes: the caller (the
    ``refresh-statistics`` job) commits, so the old figures stay until the new ones are all there."""
    rows = compute_statistics(now)
    db.session.execute(sa.delete(Statistic))
    if rows:
        db.session.execute(sa.insert(Statistic), rows)
    db.session.execute(sa.delete(NameGramCount))
    db.session.execute(sa.insert(NameGramCount).from_select(
        ["gram", "profiles"], sa.select(ProfileNameGram.gram, sa.func.count()).group_by(ProfileNameGram.gram)))
    db.session.flush()
    forget_figures()
    forget_filter_value_counts()  # this process reads the new ones at once (the others within minutes)
    return len(rows)


# -- counts per filter value, for Explore's query plans ---------------------------------------------

@dataclass(frozen=True)
class FilterValueCounts:
    """How many link rows each filter value has, as of the last statistics refresh.

    Explore compares them to choose which filter drives its query (``choose_driver``); being a
    few minutes old changes no answer, only possibly the plan. Capacities and languages count the
    rows of unlocked profiles (the dashboard's own figures), territories and affiliations all rows.
    """

    profiles: int
    max_profile_id: int
    capacities: dict[tuple[int, str], int]  # (capacity id, kind)
    languages: dict[int, int]
    territories: dict[int, int]
    affiliations: dict[int, int]
    #: Unlocked profiles with a capacity: of any kind ("all"), and of each kind.
    with_capacity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredCounts:
    """The stored figures a request reads without a query: the dashboard's totals and, once the
    job has counted them, the counts per filter value (None before)."""

    totals: dict[str, int]
    filters: FilterValueCounts | None


#: Read at most this often per process; the job refreshes the figures every 10 minutes.
FILTER_COUNTS_TTL_SECONDS = 600
_stored_counts = TimedCache[StoredCounts | None](FILTER_COUNTS_TTL_SECONDS)


def _read_stored_counts() -> StoredCounts | None:
    totals = {"profile-max-id": 0, **{metric: 0 for metric in TOTAL_METRICS}}
    by_value: dict[str, dict[Any, int]] = {"capacity-users": {}, "language-users": {}, "territory-links": {},
                                           "affiliation-links": {}, "profiles-with-capacity": {}}
    found = False
    for metric, item_id, kind, value in db.session.execute(
            sa.select(Statistic.metric, Statistic.item_id, Statistic.kind, Statistic.value)
            .where(Statistic.region_id.is_(None), Statistic.metric.in_((*totals, *by_value)))):
        found = True
        if metric in totals:
            totals[metric] = int(value)
        else:
            by_value[metric][(int(item_id or 0), kind) if metric == "capacity-users"
                             else kind if metric == "profiles-with-capacity" else int(item_id or 0)] = int(value)
    if not found:
        return None  # never refreshed
    filters = None
    if totals["profile-max-id"]:  # else none counted yet (or by a version that did not count these)
        filters = FilterValueCounts(totals["users"], totals["profile-max-id"], by_value["capacity-users"],
                                    by_value["language-users"], by_value["territory-links"],
                                    by_value["affiliation-links"], by_value["profiles-with-capacity"])
    return StoredCounts({metric: totals[metric] for metric in TOTAL_METRICS}, filters)


def stored_counts() -> StoredCounts | None:
    """The stored totals and counts per filter value (cached per process: one query per process
    every :data:`FILTER_COUNTS_TTL_SECONDS`), or None before the statistics job's first run."""
    return _stored_counts.get(_read_stored_counts)


def name_gram_counts(grams: list[str]) -> dict[str, int]:
    """How many profiles had each of these name grams at the last refresh (absent: none then).
    One primary-key query; only meaningful once :func:`filter_value_counts` is not None."""
    return {gram: int(n) for gram, n in db.session.execute(
        sa.select(NameGramCount.gram, NameGramCount.profiles).where(NameGramCount.gram.in_(grams)))}


def filter_value_counts() -> FilterValueCounts | None:
    """The stored counts per filter value (cached per process), or None before the job's first run."""
    stored = stored_counts()
    return stored.filters if stored is not None else None


def forget_filter_value_counts() -> None:
    """Drop the cached counts (tests that build their own data)."""
    _stored_counts.reset()


# -- where the figures come from ------------------------------------------------------------------

ANY: Any = object()


@dataclass(frozen=True)
class Figure:
    metric: str
    region_id: int | None
    item_id: int | None
    kind: str | None
    value: int


class DatabaseFigures:
    """Figures stored by the last refresh (the normal case: a job keeps them current)."""

    def __init__(self, when: dt.datetime) -> None:
        self.computed_at = when

    @staticmethod
    def _where(query: Any, metrics: tuple[str, ...], region: Any, item: Any, kind: Any,
               items: list[int] | None, not_kind: str | None) -> Any:
        query = query.where(Statistic.metric.in_(metrics))
        if region is not ANY:
            query = query.where(Statistic.region_id.is_(None) if region is None else Statistic.region_id == region)
        if item is not ANY:
            query = query.where(Statistic.item_id.is_(None) if item is None else Statistic.item_id == item)
        if kind is not ANY:
            query = query.where(Statistic.kind.is_(None) if kind is None else Statistic.kind == kind)
        if items is not None:
            query = query.where(Statistic.item_id.in_(items or [-1]))
        if not_kind is not None:
            query = query.where(Statistic.kind != not_kind)
        return query

    def rows(self, *metrics: str, region: Any = ANY, item: Any = ANY, kind: Any = ANY,
             items: list[int] | None = None, not_kind: str | None = None) -> list[Figure]:
        query = sa.select(Statistic.metric, Statistic.region_id, Statistic.item_id, Statistic.kind, Statistic.value)
        return [Figure(*row) for row in db.session.execute(self._where(query, metrics, region, item, kind, items, not_kind))]

    def top(self, metric: str, region: int | None, kind: Any = ANY, limit: int = 5, offset: int = 0) -> list[tuple[int, int]]:
        query = self._where(sa.select(Statistic.item_id, Statistic.value), (metric,), region, ANY, kind, None, None)
        return [(i, v) for i, v in db.session.execute(
            query.order_by(Statistic.value.desc(), Statistic.item_id).limit(limit).offset(offset))]

    def count(self, metric: str, region: int | None) -> int:
        query = self._where(sa.select(sa.func.count()).select_from(Statistic), (metric,), region, ANY, ANY, None, None)
        return db.session.scalar(query) or 0


class MemoryFigures:
    """Figures computed for this request only, when none are stored yet (a fresh local setup).

    A GET never writes, so the page does not store them: ``flask capx refresh-statistics`` does.
    """

    def __init__(self, rows: list[dict[str, Any]], when: dt.datetime) -> None:
        self.figures = [Figure(r["metric"], r["region_id"], r["item_id"], r["kind"], r["value"]) for r in rows]
        self.computed_at = when

    def rows(self, *metrics: str, region: Any = ANY, item: Any = ANY, kind: Any = ANY,
             items: list[int] | None = None, not_kind: str | None = None) -> list[Figure]:
        return [f for f in self.figures if f.metric in metrics
                and (region is ANY or f.region_id == region) and (item is ANY or f.item_id == item)
                and (kind is ANY or f.kind == kind) and (items is None or f.item_id in items)
                and (not_kind is None or f.kind != not_kind)]

    def top(self, metric: str, region: int | None, kind: Any = ANY, limit: int = 5, offset: int = 0) -> list[tuple[int, int]]:
        found = sorted(self.rows(metric, region=region, kind=kind), key=lambda f: (-f.value, f.item_id))
        return [(f.item_id or 0, f.value) for f in found[offset:offset + limit]]

    def count(self, metric: str, region: int | None) -> int:
        return len(self.rows(metric, region=region))


def figures() -> DatabaseFigures | MemoryFigures:
    """The figures to show: the stored ones, or (none stored yet) computed now and not stored.

    Chosen once per scope (a request: :mod:`capx.support.scope`), so one page never mixes the two.
    """
    return scope.remember(_FIGURES_KEY, _choose_figures)


_FIGURES_KEY = "statistics-figures"


def _choose_figures() -> DatabaseFigures | MemoryFigures:
    when = db.session.scalar(sa.select(Statistic.computed_at).where(Statistic.metric == "users").limit(1))
    if when is not None:
        return DatabaseFigures(when)
    log.info("no stored statistics yet: computing them for this request (run flask capx refresh-statistics)")
    now = utcnow()
    return MemoryFigures(compute_statistics(now), now)


def forget_figures() -> None:
    """Drop the figures chosen for this scope (after a refresh in the same scope)."""
    scope.forget(lambda key: key == _FIGURES_KEY)


def computed_at() -> dt.datetime:
    """When the figures shown were computed."""
    return figures().computed_at


# -- reading -------------------------------------------------------------------------------------

@dataclass
class Overview:
    """Totals, per-region figures and the per-category learners/sharers, from one query."""

    totals: dict[str, int] = field(default_factory=dict)
    region_users: dict[int, int] = field(default_factory=dict)
    region_countries: dict[int, int] = field(default_factory=dict)
    root_learners: dict[int, int] = field(default_factory=dict)
    root_sharers: dict[int, int] = field(default_factory=dict)


def overview() -> Overview:
    """The small figures every dashboard view shows."""
    out = Overview()
    for f in figures().rows(*TOTAL_METRICS, "region-users", "region-countries", "root-learners", "root-sharers"):
        if f.metric in TOTAL_METRICS:
            out.totals[f.metric] = f.value
        elif f.metric == "region-users":
            out.region_users[f.region_id or 0] = f.value
        elif f.metric == "region-countries":
            out.region_countries[f.region_id or 0] = f.value
        elif f.metric == "root-learners":
            out.root_learners[f.item_id or 0] = f.value
        else:
            out.root_sharers[f.item_id or 0] = f.value
    for metric in TOTAL_METRICS:
        out.totals.setdefault(metric, 0)
    return out


def _by_region(found: list[Figure]) -> tuple[dict[int, int], int]:
    per_region = {f.region_id: f.value for f in found if f.region_id is not None}
    world = next((f.value for f in found if f.region_id is None), 0)
    return per_region, world


def language_by_region(language_id: int) -> tuple[dict[int, int], int]:
    """Speakers of a language per region, and worldwide."""
    return _by_region(figures().rows("language-users", item=language_id))


def capacity_by_region(capacity_id: int, kind: str) -> tuple[dict[int, int], int]:
    """Users with a capacity (of a kind, or ``all``) per region, and worldwide."""
    return _by_region(figures().rows("capacity-users", item=capacity_id, kind=kind))


def top_languages(region_id: int | None, limit: int = 5, offset: int = 0) -> list[tuple[int, int]]:
    """(language id, speakers), most spoken first, in a region (None: worldwide)."""
    return figures().top("language-users", region_id, limit=limit, offset=offset)


def language_count(region_id: int | None = None) -> int:
    """How many languages have at least one speaker (worldwide by default)."""
    return figures().count("language-users", region_id)


def top_capacities(region_id: int | None, limit: int = 5) -> list[dict[str, int]]:
    """The capacities most users in a region have (any kind), with their known/available/wanted counts."""
    top = figures().top("capacity-users", region_id, kind=ALL, limit=limit)
    details: dict[tuple[int, str], int] = {}
    if top:
        for f in figures().rows("capacity-users", region=region_id, items=[t[0] for t in top], not_kind=ALL):
            details[(f.item_id or 0, f.kind or ALL)] = f.value
    return [{"capacity_id": cap_id, ALL: value, **{k: details.get((cap_id, k), 0) for k in (KNOWN, AVAILABLE, WANTED)}}
            for cap_id, value in top]


def top_capacity_id() -> int | None:
    """The capacity most users have (worldwide), the Capacities tab's default."""
    found = figures().top("capacity-users", None, kind=ALL, limit=1)
    return found[0][0] if found else None


def density_classes(values: dict[Any, int], steps: int = 4) -> tuple[dict[Any, int], list[tuple[int, int, int]]]:
    """Discrete density classes: 0 for none, else 1..steps by quarters of the highest value.

    Returns the class of each key and the legend: (class, lowest, highest) for every non-empty
    class, the ranges covering 1..max without gaps.
    """
    top = max(values.values(), default=0)
    legend: list[tuple[int, int, int]] = []
    if top <= 0:
        return {k: 0 for k in values}, legend
    bounds = []
    for k in range(1, steps + 1):
        low, high = top * (k - 1) // steps + 1, top * k // steps
        if low <= high:
            bounds.append((k, low, high))
    classes = {}
    for key, value in values.items():
        classes[key] = next((k for k, low, high in bounds if low <= value <= high), 0) if value > 0 else 0
    return classes, bounds


def languages_known() -> dict[int, Language]:
    """Languages by id (for labels in CSV)."""
    return {lang.id: lang for lang in db.session.scalars(sa.select(Language))}


def regions() -> list[Territory]:
    """The regions (territories without a parent), which the map and the tables show."""
    return list(db.session.scalars(sa.select(Territory).where(Territory.parent_id.is_(None))))


def language_labels(ids: set[int], lang: str) -> dict[int, str]:
    """Names of just these languages in language ``lang`` (one query, no full list)."""
    if not ids:
        return {}
    return {row.id: language_name(row, lang)
            for row in db.session.scalars(sa.select(Language).where(Language.id.in_(ids)))}


def stored_totals() -> dict[str, int] | None:
    """The dashboard's totals as the last refresh stored them, or None before the job's first run:
    the home page shows them without ever computing figures for a request. Read with the counts
    per filter value (:func:`stored_counts`, cached per process), so the home spends no query on
    them: the query of their own was a thirteenth on /home, which issue 16's bound did not allow."""
    stored = stored_counts()
    return stored.totals if stored is not None else None
