"""What the landing page and the logged-in home show.

The home suggests people, organizations, capacities and events that match the viewer's profile.
Every row is computed by one aggregate query (matches counted with GROUP BY over the indexed
capacity and language tables), ranked by the number of matches; ties are broken by a per-day
pseudo-random permutation of candidate ids, computed in SQL from a seed of (day, viewer): the
order is stable all day for one viewer, differs between viewers, and changes the next day.
When the viewer's capacities or languages are so common that ranking every holder would read
more than a few thousand rows, a person row ranks today's slice of the candidates instead
(:func:`todays_slice`). The cards' details are then loaded for the few ids shown in one query
(their matching capacities or languages as id lists), never one query per candidate.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, Sequence

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Capacity, Event, EventCapacity, Organization,
                         OrganizationCapacity, OrganizationName, Profile, ProfileCapacity,
                         ProfileLanguage, ProfileTerritory, SavedOrganization, SavedProfile, Statistic, User, utcnow)
from capx.support.grouped import POSITION, concat, unpack
from capx.services.organizations import visible, visible_organization_ids_subquery
from capx.services.reference_data import reference_data
from capx.services.statistics import filter_value_counts
from capx.support.timed_cache import TimedCache


@dataclass(frozen=True)
class LandingFigures:
    people: int
    organizations: int
    capacities: int


def landing_figures() -> LandingFigures:
    """Counts for the landing page: people (not locked), managed organizations, capacities."""
    people = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_locked.is_(False)))
    organizations = db.session.scalar(sa.select(sa.func.count()).select_from(Organization).where(visible()))
    capacities = db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))
    return LandingFigures(people or 0, organizations or 0, capacities or 0)


@dataclass(frozen=True)
class ViewerProfile:
    """What the home needs of the viewer's own profile, and whom it never suggests: one query."""

    profile_id: int | None
    kinds: dict[str, set[int]]
    language_ids: frozenset[int] = frozenset()
    has_territory: bool = False
    #: Profiles never suggested: the viewer's own, the ones they saved, locked accounts.
    excluded: frozenset[int] = frozenset()


def _no_kinds() -> dict[str, set[int]]:
    return {KNOWN: set(), AVAILABLE: set(), WANTED: set()}


def viewer_profile(user: User) -> ViewerProfile:
    """The viewer's profile id, capacity ids by kind, language ids, whether a territory is set, and
    the profiles never suggested to them, as the rows of one UNION ALL: three queries before, and
    on the 100,000-profile home each query's statement building and round trip cost more Python
    time than its SQL (cProfile, 2026-12-06: 0.9 ms of 43 for the excluded ids alone).

    Resolving the excluded profiles first and over-fetching by their number keeps the ranking
    queries free of NOT IN subqueries, which MariaDB runs as a dependent subquery per candidate row.
    """
    own = sa.select(Profile.id).where(Profile.user_id == user.id).scalar_subquery()
    territory = (sa.select(sa.literal(1)).where(ProfileTerritory.profile_id == Profile.id).limit(1)
                 .scalar_subquery())
    rows = db.session.execute(sa.union_all(
        sa.select(sa.literal("profile"), Profile.id, sa.case((territory.is_not(None), "territory"), else_=""))
        .where(Profile.user_id == user.id),
        sa.select(sa.literal("capacity"), ProfileCapacity.capacity_id, sa.type_coerce(ProfileCapacity.kind, sa.String))
        .where(ProfileCapacity.profile_id == own),
        sa.select(sa.literal("language"), ProfileLanguage.language_id, sa.literal(""))
        .where(ProfileLanguage.profile_id == own),
        sa.select(sa.literal("excluded"), Profile.id, sa.literal(""))
        .join(SavedProfile, SavedProfile.saved_user_id == Profile.user_id).where(SavedProfile.owner_id == user.id),
        # "= true" (not "IS true") so MariaDB uses the is_locked index.
        sa.select(sa.literal("excluded"), Profile.id, sa.literal(""))
        .join(User, User.id == Profile.user_id).where(User.is_locked == sa.true()))).all()
    profile_id: int | None = None
    has_territory = False
    kinds = _no_kinds()
    languages: set[int] = set()
    excluded: set[int] = set()
    for what, item_id, kind in rows:
        if what == "capacity":
            kinds[kind].add(int(item_id))
        elif what == "language":
            languages.add(int(item_id))
        elif what == "excluded":
            excluded.add(int(item_id))
        else:
            profile_id, has_territory = int(item_id), kind == "territory"
    if profile_id is None:
        return ViewerProfile(None, _no_kinds())
    return ViewerProfile(profile_id, kinds, frozenset(languages), has_territory, frozenset(excluded | {profile_id}))


def profile_gaps(me: ViewerProfile) -> list[str]:
    """What the user's profile still lacks, as keys: territory, languages, known capacities."""
    gaps = []
    if not me.has_territory:
        gaps.append("territory")
    if not me.language_ids:
        gaps.append("languages")
    if not me.kinds[KNOWN]:
        gaps.append("known-capacities")
    return gaps


# -- suggestions ---------------------------------------------------------------------------------

#: Cards per row.
ROW_SIZE = 12
#: A prime above any id we will see; the tie-break is (id * mult + add) mod this, a permutation.
_TIE_MODULUS = 2_147_483_647
#: A person row ranks about this many link rows at most (see todays_slice).
RANKED_ROWS_MAX = 2500
#: Popular capacities change slowly: counted at most this often per process.
POPULAR_TTL_SECONDS = 600


@functools.lru_cache(maxsize=1024)
def tie_seed(viewer_id: int, day: dt.date) -> tuple[int, int]:
    """The (multiplier, offset) of the day's permutation for this viewer."""
    digest = hashlib.sha256(f"{day.isoformat()}:{viewer_id}".encode()).digest()
    mult = int.from_bytes(digest[:4], "big") % (_TIE_MODULUS - 1) + 1
    add = int.from_bytes(digest[4:8], "big") % _TIE_MODULUS
    return mult, add


def tie_key(viewer_id: int, candidate_id: int, day: dt.date) -> int:
    """The tie-break rank of a candidate (lower first), as the SQL expression computes it."""
    mult, add = tie_seed(viewer_id, day)
    return (candidate_id * mult + add) % _TIE_MODULUS


def _tie(column: Any, viewer_id: int, day: dt.date) -> Any:
    mult, add = tie_seed(viewer_id, day)
    return (column * mult + add) % _TIE_MODULUS


@dataclass
class PersonCard:
    user_id: int
    username: str
    matches: int
    capacity_ids: list[int] = field(default_factory=list)
    language_ids: list[int] = field(default_factory=list)

    @property
    def url_name(self) -> str:
        return self.username.replace(" ", "_")


@dataclass
class OrganizationCard:
    id: int
    name: str
    matches: int
    wants_ids: list[int] = field(default_factory=list)   # they want what you offer
    offers_ids: list[int] = field(default_factory=list)  # they offer what you want


@dataclass
class CapacityCard:
    id: int
    holders: int


@dataclass
class EventCard:
    id: int
    title: str
    start_at: dt.datetime
    format: str
    matches: int
    capacity_ids: list[int] = field(default_factory=list)


@dataclass
class Suggestions:
    """Everything the home shows under the welcome."""

    offer_ids: set[int]
    want_ids: set[int]
    language_ids: set[int]
    want_what_you_offer: list[PersonCard]
    offer_what_you_want: list[PersonCard]
    speak_your_languages: list[PersonCard]
    organizations: list[OrganizationCard]
    capacities: list[CapacityCard]
    events: list[EventCard]
    language_names: dict[int, str] = field(default_factory=dict)

    def match_counts(self) -> set[int]:
        """Every distinct number of matches shown (to format each label once)."""
        cards: list[Any] = [*self.want_what_you_offer, *self.offer_what_you_want, *self.speak_your_languages,
                            *self.organizations, *self.events]
        return {card.matches for card in cards}


def todays_slice(column: Any, viewer_id: int, day: dt.date, rows: int, max_profile_id: int) -> Any | None:
    """Candidates of today's slice of profile ids, when ranking all would read more than
    :data:`RANKED_ROWS_MAX` link rows (``rows``, from the statistics); else None (rank everyone).

    The slice is a run of consecutive ids, wrapping around, that holds about RANKED_ROWS_MAX of the
    rows: counting matches within it is exact (every row of a candidate in it is read), its start
    moves every day and differs between viewers, and profiles newer than the last statistics
    refresh are always in it. Ranking reads every matching row, about a microsecond each, so a row
    of popular capacities at 100,000 profiles (13,000 rows) took 15 ms and would take ten times that
    at a million; the slice keeps each row's cost the same at any size.
    """
    if rows <= RANKED_ROWS_MAX or max_profile_id <= 0:
        return None
    width = max(1, max_profile_id * RANKED_ROWS_MAX // rows)
    low = 1 + tie_seed(viewer_id, day)[0] % max_profile_id
    high = low + width  # exclusive
    if high <= max_profile_id + 1:
        return sa.or_(column.between(low, high - 1), column > max_profile_id)
    return sa.or_(column >= low, column < high - max_profile_id)


def _ranked_profiles(viewer: User, excluded: set[int], source_profile: Any, where: Any,
                     day: dt.date, rows: int | None) -> list[tuple[int, int]]:
    """(profile id, matches) of the best candidates: one GROUP BY query.

    The best ``ROW_SIZE`` that are not excluded are among the first ``ROW_SIZE + len(excluded)``
    of the unfiltered ranking, so that many are fetched and the excluded ones dropped here.
    Nothing else is read here: collecting the matching ids in this pass (GROUP_CONCAT) doubled its
    time, where the cards' query reads them for the few profiles shown. ``rows``: how many link
    rows match (from the statistics, None if unknown), to rank only :func:`todays_slice` of them.
    """
    matches = sa.func.count().label("matches")
    counts = filter_value_counts()
    in_slice = None
    if rows is not None and counts is not None:
        in_slice = todays_slice(source_profile, viewer.id, day, rows, counts.max_profile_id)
    if in_slice is not None:
        where = sa.and_(where, in_slice)
    query = (sa.select(source_profile, matches).where(where)
             .group_by(source_profile)
             .order_by(matches.desc(), _tie(source_profile, viewer.id, day))
             .limit(ROW_SIZE + len(excluded))
             # MariaDB otherwise groups the ~10,000 matching link rows (at 100,000 profiles) in a
             # temporary table, one insert-or-update each; sorting them by profile first and
             # counting in one pass takes half the time for the same answer.
             .prefix_with("SQL_BIG_RESULT", dialect="mysql"))
    ranked = [(int(pid), int(n)) for pid, n in db.session.execute(query) if int(pid) not in excluded]
    return ranked[:ROW_SIZE]


def _people_by_capacity(viewer: User, excluded: set[int], kind: str, capacity_ids: set[int],
                        day: dt.date) -> list[tuple[int, int]]:
    if not capacity_ids:
        return []
    counts = filter_value_counts()  # cached per process: no query
    rows = sum(counts.capacities.get((c, kind), 0) for c in capacity_ids) if counts is not None else None
    return _ranked_profiles(viewer, excluded, ProfileCapacity.profile_id,
                            sa.and_(ProfileCapacity.kind == kind, ProfileCapacity.capacity_id.in_(sorted(capacity_ids))),
                            day, rows)


def _people_by_language(viewer: User, excluded: set[int], language_ids: set[int], day: dt.date) -> list[tuple[int, int]]:
    if not language_ids:
        return []
    counts = filter_value_counts()
    rows = sum(counts.languages.get(lang, 0) for lang in language_ids) if counts is not None else None
    return _ranked_profiles(viewer, excluded, ProfileLanguage.profile_id,
                            ProfileLanguage.language_id.in_(sorted(language_ids)), day, rows)


def _person_cards(ranked: dict[str, list[tuple[int, int]]], kind_of_row: dict[str, tuple[str, set[int]]],
                  language_ids: set[int]) -> dict[str, list[PersonCard]]:
    """Cards for every ranked profile of every row, in one query: the user, and what matched (the
    capacities of the row's kind among ``kind_of_row``'s ids, or the languages among
    ``language_ids`` for the other rows), read as id lists of each profile's own row."""
    profile_ids = sorted({pid for rows in ranked.values() for pid, _ in rows})
    if not profile_ids:
        return {row: [] for row in ranked}
    columns = [concat(sa.case((sa.and_(ProfileCapacity.kind == kind, ProfileCapacity.capacity_id.in_(sorted(ids or {0}))),
                               ProfileCapacity.capacity_id)),
                      ProfileCapacity.profile_id == Profile.id).label(row)
               for row, (kind, ids) in kind_of_row.items()]
    columns.append(concat(sa.case((ProfileLanguage.language_id.in_(sorted(language_ids or {0})),
                                   ProfileLanguage.position * POSITION + ProfileLanguage.language_id)),
                          ProfileLanguage.profile_id == Profile.id).label("languages"))
    found = {row.id: row for row in db.session.execute(
        sa.select(Profile.id, User.id.label("user_id"), User.username, *columns)
        .join(User, User.id == Profile.user_id).where(Profile.id.in_(profile_ids)))}
    out: dict[str, list[PersonCard]] = {}
    for row_name, rows in ranked.items():
        cards = []
        for pid, matches in rows:
            row = found.get(pid)
            if row is None:
                continue
            card = PersonCard(row.user_id, row.username, matches)
            if row_name in kind_of_row:
                card.capacity_ids = unpack(getattr(row, row_name))
            else:
                card.language_ids = [packed % POSITION for packed in unpack(row.languages)]  # profile's order
            cards.append(card)
        out[row_name] = cards
    return out


def _organizations(viewer: User, offer_ids: set[int], want_ids: set[int], day: dt.date,
                   chain: Sequence[str]) -> list[OrganizationCard]:
    """Organizations with a manager that want what you offer or offer what you want (two queries:
    the ranking, with the matching capacities of each, then the names)."""
    conditions = []
    if offer_ids:
        conditions.append(sa.and_(OrganizationCapacity.kind == WANTED, OrganizationCapacity.capacity_id.in_(sorted(offer_ids))))
    if want_ids:
        conditions.append(sa.and_(OrganizationCapacity.kind == AVAILABLE, OrganizationCapacity.capacity_id.in_(sorted(want_ids))))
    if not conditions:
        return []
    matches = sa.func.count().label("matches")
    managed = visible_organization_ids_subquery().scalar_subquery()
    saved = sa.select(SavedOrganization.organization_id).where(SavedOrganization.owner_id == viewer.id).scalar_subquery()
    org = OrganizationCapacity.organization_id

    def of_kind(kind: str) -> Any:
        return sa.func.group_concat(sa.case((OrganizationCapacity.kind == kind, OrganizationCapacity.capacity_id)))

    ranked = [(int(o), int(n), unpack(wants), unpack(offers)) for o, n, wants, offers in db.session.execute(
        sa.select(org, matches, of_kind(WANTED), of_kind(AVAILABLE))
        .where(sa.or_(*conditions), org.in_(managed), org.not_in(saved))
        .group_by(org).order_by(matches.desc(), _tie(org, viewer.id, day)).limit(ROW_SIZE))]
    if not ranked:
        return []
    names: dict[int, dict[str, str]] = {}
    acronyms: dict[int, str | None] = {}
    for oid, acronym, lang, name in db.session.execute(
            sa.select(Organization.id, Organization.acronym, OrganizationName.lang, OrganizationName.name)
            .outerjoin(OrganizationName, OrganizationName.organization_id == Organization.id)
            .where(Organization.id.in_([o for o, *_ in ranked]))):
        acronyms[oid] = acronym
        if lang is not None:
            names.setdefault(oid, {})[lang] = name
    cards = []
    for oid, n, wants, offers in ranked:
        by_lang = names.get(oid, {})
        label = next((by_lang[c] for c in chain if by_lang.get(c)), None) or next(iter(by_lang.values()), None) \
            or acronyms.get(oid) or str(oid)
        cards.append(OrganizationCard(oid, label, n, wants, offers))
    return cards


_popular = TimedCache[list[tuple[int, int]]](POPULAR_TTL_SECONDS)


def _count_popular() -> list[tuple[int, int]]:
    # The dashboard's statistics job already counts them (unlocked profiles only): reading its
    # rows is one index range, where counting live reads every "known" link row (about 4 seconds
    # at a million profiles). Counted live only before the job's first run.
    rows = [(int(c or 0), int(n)) for c, n in db.session.execute(
        sa.select(Statistic.item_id, Statistic.value)
        .where(Statistic.metric == "capacity-users", Statistic.region_id.is_(None), Statistic.kind == KNOWN,
               Statistic.item_id.is_not(None))
        .order_by(Statistic.value.desc(), Statistic.item_id).limit(200))]
    if not rows:
        holders = sa.func.count().label("holders")
        rows = [(int(c), int(n)) for c, n in db.session.execute(
            sa.select(ProfileCapacity.capacity_id, holders).where(ProfileCapacity.kind == KNOWN)
            .group_by(ProfileCapacity.capacity_id).order_by(holders.desc(), ProfileCapacity.capacity_id).limit(200))]
    return rows


def popular_capacities(limit: int = 60) -> list[tuple[int, int]]:
    """(capacity id, number of profiles that know it), most known first; cached per process."""
    return _popular.get(_count_popular)[:limit]


def forget_popular() -> None:
    """Drop the cached popularity (tests that build their own data)."""
    _popular.reset()


def _capacities_to_add(viewer: User, mine: set[int], day: dt.date) -> list[CapacityCard]:
    """Popular capacities the viewer has in no kind, most known first (ties: day order)."""
    popular = [(c, n) for c, n in popular_capacities() if c not in mine]
    popular.sort(key=lambda row: (-row[1], tie_key(viewer.id, row[0], day)))
    return [CapacityCard(c, n) for c, n in popular[:ROW_SIZE]]


def _events(viewer: User, capacity_ids: set[int], now: dt.datetime, day: dt.date) -> list[EventCard]:
    """Events not over yet about the viewer's known or wanted capacities: most matches, then
    soonest (one query, with the matching capacities of each)."""
    if not capacity_ids:
        return []
    matches = sa.func.count().label("matches")
    ranked = db.session.execute(
        sa.select(Event.id, Event.title, Event.start_at, Event.format, matches,
                  sa.func.group_concat(EventCapacity.capacity_id))
        .join(EventCapacity, EventCapacity.event_id == Event.id)
        .where(EventCapacity.capacity_id.in_(sorted(capacity_ids)), Event.end_at >= now)
        .group_by(Event.id, Event.title, Event.start_at, Event.format)
        .order_by(matches.desc(), Event.start_at, _tie(Event.id, viewer.id, day)).limit(ROW_SIZE)).all()
    return [EventCard(eid, title, start, fmt, int(n), unpack(caps)) for eid, title, start, fmt, n, caps in ranked]


def suggestions(viewer: User, chain: Sequence[str], me: ViewerProfile | None = None,
                now: dt.datetime | None = None) -> Suggestions:
    """Every suggestion row for ``viewer`` (a bounded number of queries, whatever the data size),
    names in the first language of ``chain`` that has one."""
    now = now or utcnow()
    day = now.date()
    me = me if me is not None else viewer_profile(viewer)
    profile_id = me.profile_id if me.profile_id is not None else -1
    kinds = me.kinds
    offer_ids, want_ids, known_ids = kinds[AVAILABLE], kinds[WANTED], kinds[KNOWN]
    language_ids = set(me.language_ids)
    excluded = set(me.excluded) | {profile_id}
    ranked = {
        "want_what_you_offer": _people_by_capacity(viewer, excluded, WANTED, offer_ids, day),
        "offer_what_you_want": _people_by_capacity(viewer, excluded, AVAILABLE, want_ids, day),
        "speak_your_languages": _people_by_language(viewer, excluded, language_ids, day),
    }
    cards = _person_cards(ranked, {"want_what_you_offer": (WANTED, offer_ids),
                                   "offer_what_you_want": (AVAILABLE, want_ids)}, language_ids)
    ref = reference_data()
    shown_languages = {lid for card in cards["speak_your_languages"] for lid in card.language_ids}
    return Suggestions(
        offer_ids=offer_ids, want_ids=want_ids, language_ids=language_ids,
        want_what_you_offer=cards["want_what_you_offer"],
        offer_what_you_want=cards["offer_what_you_want"],
        speak_your_languages=cards["speak_your_languages"],
        organizations=_organizations(viewer, offer_ids, want_ids, day, chain),
        capacities=_capacities_to_add(viewer, known_ids | offer_ids | want_ids, day),
        events=_events(viewer, known_ids | want_ids, now, day),
        language_names={lid: ref.language_label(lid, chain[0]) for lid in shown_languages},
    )
