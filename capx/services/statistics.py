"""Figures for the Data Analytics dashboard.

Every figure is an aggregate over the whole database, too slow to compute per request at
100,000 profiles, so :func:`refresh_statistics` computes them all into the ``statistic`` table
(a scheduled job, ``flask capx refresh-statistics``) and the page reads a few dozen rows from it.
When the table is empty or older than ``CAPX_STATISTICS_MAX_AGE`` seconds (a local setup without
jobs) the page refreshes it first.

Counting rules: a "user" is an account that is not locked (with its profile); a user is in a
region when their profile lists the region or any country in it (counted once); organizations
count only while they have a manager; "learners" of a capacity category want a capacity in it,
"sharers" make one available.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Capacity, Language, MessageLog, OrganizationManager, Profile,
                         ProfileCapacity, ProfileLanguage, ProfileTerritory, Statistic, Territory, User, utcnow)

ALL = "all"
CAPACITY_VIEW_KINDS = (ALL, KNOWN, AVAILABLE, WANTED)
TOTAL_METRICS = ("users", "new-users", "messages-sent", "organizations", "capacities")
DEFAULT_MAX_AGE = 3600
NEW_USER_DAYS = 30


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

    def add(metric: str, value: int, region_id: int | None = None, item_id: int | None = None,
            kind: str | None = None) -> None:
        rows.append({"metric": metric, "region_id": region_id, "item_id": item_id, "kind": kind,
                     "value": int(value or 0), "computed_at": now})

    s = db.session
    add("users", s.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_locked.is_(False))))
    add("new-users", s.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.is_locked.is_(False), User.created_at >= now - dt.timedelta(days=NEW_USER_DAYS))))
    add("messages-sent", s.scalar(sa.select(sa.func.count()).select_from(MessageLog).where(MessageLog.status == "sent")))
    add("organizations", s.scalar(sa.select(sa.func.count(sa.distinct(OrganizationManager.organization_id)))))
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

    # Learners and sharers per root category (a user counts once per category).
    parents = dict(s.execute(sa.select(Capacity.id, Capacity.parent_id)).all())

    def root_of(cap_id: int) -> int:
        seen = 0
        while parents.get(cap_id) is not None and seen < 10:
            cap_id, seen = parents[cap_id], seen + 1
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
    """Replace the stored figures with fresh ones in one transaction; returns how many."""
    rows = compute_statistics(now)
    db.session.execute(sa.delete(Statistic))
    if rows:
        db.session.execute(sa.insert(Statistic), rows)
    db.session.commit()
    return len(rows)


def computed_at() -> dt.datetime | None:
    """When the stored figures were computed (None when there are none)."""
    return db.session.scalar(sa.select(Statistic.computed_at).where(Statistic.metric == "users").limit(1))


def ensure_fresh() -> dt.datetime:
    """Refresh the figures when missing or older than the configured age; returns their time."""
    when = computed_at()
    max_age = current_app.config.get("CAPX_STATISTICS_MAX_AGE", DEFAULT_MAX_AGE) if has_app_context() else DEFAULT_MAX_AGE
    if when is None or (utcnow() - when).total_seconds() > max_age:
        refresh_statistics()
        when = computed_at() or utcnow()
    return when


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
    rows = db.session.execute(sa.select(Statistic.metric, Statistic.region_id, Statistic.item_id, Statistic.value)
                              .where(Statistic.metric.in_((*TOTAL_METRICS, "region-users", "region-countries",
                                                           "root-learners", "root-sharers"))))
    for metric, region_id, item_id, value in rows:
        if metric in TOTAL_METRICS:
            out.totals[metric] = value
        elif metric == "region-users":
            out.region_users[region_id] = value
        elif metric == "region-countries":
            out.region_countries[region_id] = value
        elif metric == "root-learners":
            out.root_learners[item_id] = value
        else:
            out.root_sharers[item_id] = value
    for metric in TOTAL_METRICS:
        out.totals.setdefault(metric, 0)
    return out


def language_by_region(language_id: int) -> tuple[dict[int, int], int]:
    """Speakers of a language per region, and worldwide."""
    per_region: dict[int, int] = {}
    world = 0
    for region_id, value in db.session.execute(
            sa.select(Statistic.region_id, Statistic.value)
            .where(Statistic.metric == "language-users", Statistic.item_id == language_id)):
        if region_id is None:
            world = value
        else:
            per_region[region_id] = value
    return per_region, world


def capacity_by_region(capacity_id: int, kind: str) -> tuple[dict[int, int], int]:
    """Users with a capacity (of a kind, or ``all``) per region, and worldwide."""
    per_region: dict[int, int] = {}
    world = 0
    for region_id, value in db.session.execute(
            sa.select(Statistic.region_id, Statistic.value)
            .where(Statistic.metric == "capacity-users", Statistic.item_id == capacity_id, Statistic.kind == kind)):
        if region_id is None:
            world = value
        else:
            per_region[region_id] = value
    return per_region, world


def _region_filter(region_id: int | None) -> Any:
    return Statistic.region_id.is_(None) if region_id is None else Statistic.region_id == region_id


def top_languages(region_id: int | None, limit: int = 5, offset: int = 0) -> list[tuple[int, int]]:
    """(language id, speakers), most spoken first, in a region (None: worldwide)."""
    return list(db.session.execute(
        sa.select(Statistic.item_id, Statistic.value)
        .where(Statistic.metric == "language-users", _region_filter(region_id))
        .order_by(Statistic.value.desc(), Statistic.item_id).limit(limit).offset(offset)).all())


def language_count(region_id: int | None = None) -> int:
    """How many languages have at least one speaker (worldwide by default)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Statistic)
                             .where(Statistic.metric == "language-users", _region_filter(region_id))) or 0


def top_capacities(region_id: int | None, limit: int = 5) -> list[dict[str, int]]:
    """The capacities most users in a region have (any kind), with their known/available/wanted counts."""
    top = list(db.session.execute(
        sa.select(Statistic.item_id, Statistic.value)
        .where(Statistic.metric == "capacity-users", _region_filter(region_id), Statistic.kind == ALL)
        .order_by(Statistic.value.desc(), Statistic.item_id).limit(limit)).all())
    details: dict[tuple[int, str], int] = {}
    if top:
        for item_id, kind, value in db.session.execute(
                sa.select(Statistic.item_id, Statistic.kind, Statistic.value)
                .where(Statistic.metric == "capacity-users", _region_filter(region_id),
                       Statistic.item_id.in_([t[0] for t in top]), Statistic.kind != ALL)):
            details[(item_id, kind)] = value
    return [{"capacity_id": cap_id, ALL: value, **{k: details.get((cap_id, k), 0) for k in (KNOWN, AVAILABLE, WANTED)}}
            for cap_id, value in top]


def top_capacity_id() -> int | None:
    """The capacity most users have (worldwide), the Capacities tab's default."""
    found = top_capacities(None, limit=1)
    return found[0]["capacity_id"] if found else None


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
