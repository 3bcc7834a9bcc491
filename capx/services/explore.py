"""Explore: finding people and organizations by capacity, exchange, territory, affiliation and language.

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
- Counting is capped (:data:`COUNT_CAP`, or further when a deep page is asked for): the count
  reads at most that many matching rows, so it stays fast however many people match.
- Cards of a page load their capacities, languages and territories with one ``IN`` query per
  relation, never one per card.

Nothing here reads the request: the blueprint parses the query string into filter objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.language import current_language, current_language_chain, msg_text
from capx.models import (
    AVAILABLE,
    CAPACITY_KINDS,
    KNOWN,
    WANTED,
    Organization,
    OrganizationCapacity,
    OrganizationName,
    OrganizationTerritory,
    OrganizationType,
    Profile,
    ProfileAffiliation,
    ProfileCapacity,
    ProfileLanguage,
    ProfileTerritory,
    SavedOrganization,
    SavedProfile,
    User,
)
from capx.models.people import ProfileNameGram, fold_for_search, name_grams
from capx.services.capacities import CapacityNode, CapacityTree, capacity_tree
from capx.support.grouped import POSITION, concat, unpack
from capx.support.media import commons_file_url
from capx.support.pagination import Page, make_page
from capx.support.values import parse_id
from capx.services.organizations import visible
from capx.services.reference_data import LanguageRef, TerritoryRef, reference_data
from capx.services.statistics import filter_value_counts, name_gram_counts

#: Exchange types as users name them (query string values), and the capacity kind each means.
EXCHANGE_KINDS: dict[str, str] = {"learner": WANTED, "sharer": AVAILABLE, "proficient": KNOWN}
EXCHANGES = tuple(EXCHANGE_KINDS)
#: What the display toggles can show on cards, and what they show when nothing is chosen.
SHOW_KINDS = (WANTED, AVAILABLE, KNOWN)
DEFAULT_SHOW = (WANTED, AVAILABLE)
#: Tags on cards, in display order: (tag name, capacity kind).
TAGS = (("learner", WANTED), ("sharer", AVAILABLE), ("proficient", KNOWN))

PER_PAGE = 24
#: Counting stops after this many matches ("more than 100 profiles"), see module docstring.
COUNT_CAP = 100
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
#: Longest name search honoured (longer input is cut).
NAME_MAX = 100
#: At most this many values per repeatable filter (a URL cannot make a query arbitrarily large).
VALUES_MAX = 50


# -- reference lookups (from the in-memory snapshot, no query) -----------------------------------

def territory_label(ref: TerritoryRef, lang: str) -> str:
    """A territory's name in language ``lang`` (regions by message, countries by CLDR)."""
    return reference_data().territory_label(ref.id, lang)


def language_label(ref: LanguageRef, lang: str) -> str:
    """A language's name in language ``lang`` (CLDR), else its English name."""
    return reference_data().language_label(ref.id, lang)


def _resolve(values: Sequence[str], by_id: Mapping[int, Any], by_code: Mapping[str, Any]) -> list[Any]:
    picked: list[Any] = []
    for value in values:
        number = parse_id(value)
        ref = by_id.get(number) if number is not None else by_code.get(value)
        if ref is not None and ref not in picked:
            picked.append(ref)
    return picked


def resolve_territories(values: Sequence[str]) -> tuple[list[TerritoryRef], set[int]]:
    """The chosen territories (by code, or by id as the picker submits) and the ids a filter on them matches.

    A region matches itself and every country in it; a country only itself.
    """
    if not values:
        return [], set()
    ref = reference_data()
    picked = _resolve(values, ref.territories, ref.territory_codes)
    match = {t.id for t in picked}
    for t in picked:
        match.update(ref.countries.get(t.id, ()))
    return picked, match


def resolve_languages(values: Sequence[str]) -> list[LanguageRef]:
    """The chosen languages (by code, or by id as the picker submits), in order."""
    if not values:
        return []
    ref = reference_data()
    return _resolve(values, ref.languages, ref.language_codes)


def resolve_organizations(ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """(id, name in the interface language or English, its language) of existing organizations. One query."""
    if not ids:
        return []
    names: dict[int, dict[str, str]] = {}
    for org_id, lang, name in db.session.execute(
            sa.select(OrganizationName.organization_id, OrganizationName.lang, OrganizationName.name)
            .where(OrganizationName.organization_id.in_(ids))):
        names.setdefault(org_id, {})[lang] = name
    chain = current_language_chain()
    out = []
    for org_id in ids:
        if org_id in names:
            lang = _best_lang(names[org_id], chain)
            out.append((org_id, names[org_id][lang], lang))
    return out


def _best_lang(by_lang: Mapping[str, str], chain: Sequence[str]) -> str:
    return next((code for code in (*chain, "en") if by_lang.get(code)), None) or next(iter(by_lang))


# -- filters -------------------------------------------------------------------------------------

def _values(args: Mapping[str, Any], key: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    raw = getlist(key) if getlist else ([args[key]] if key in args else [])
    out: list[str] = []
    for value in raw:
        value = (value or "").strip()
        if value and value not in out:
            out.append(value)
    return out[:VALUES_MAX]


def _ints(values: Iterable[str]) -> list[int]:
    out: list[int] = []
    for value in values:
        try:
            number = int(value)
        except ValueError:
            continue
        if 0 < number < 2**31 and number not in out:
            out.append(number)
    return out


def _page_number(args: Mapping[str, Any]) -> int:
    try:
        return max(1, min(int(args.get("page", "1")), 1_000_000))
    except (TypeError, ValueError):
        return 1


@dataclass
class Chip:
    """An active filter as shown above the results: its label and the query key/value it removes."""

    key: str
    value: str
    label: str
    lang: str | None = None


@dataclass
class _Filters:
    """Filters shared by Explore and the organization list (validated: unknown values are dropped)."""

    name: str = ""
    capacities: list[int] = field(default_factory=list)
    exchange: list[str] = field(default_factory=list)
    territories: list[TerritoryRef] = field(default_factory=list)
    page: int = 1
    #: Territory ids a territory filter matches (regions expanded to their countries).
    territory_match: set[int] = field(default_factory=set)

    def _copy(self, **changes: Any) -> Any:
        copied = {f: (list(v) if isinstance(v, list) else set(v) if isinstance(v, set) else v)
                  for f, v in self.__dict__.items()}
        copied.update(changes)
        return type(self)(**copied)

    def _shared_chips(self, tree: CapacityTree) -> list[Chip]:
        """Chips for the filters both lists have: name, capacities, exchange types, territories."""
        chips: list[Chip] = []
        if self.name:
            chips.append(Chip("name", self.name, msg_text("explore-chip-name", self.name)))
        for capacity_id in self.capacities:
            node = tree.get(capacity_id)
            if node is not None:
                chips.append(Chip("capacity", str(capacity_id), node.name,
                                  node.name_lang if node.name_lang != tree.lang else None))
        chips += [Chip("exchange", e, msg_text(f"explore-exchange-{e}")) for e in self.exchange]
        chips += [Chip("territory", t.code, territory_label(t, current_language())) for t in self.territories]
        return chips

    def _without(self, key: str, value: str | None) -> Any:
        other = self._copy(page=1)
        if key == "name":
            other.name = ""
        elif key == "include_incomplete":
            other.include_incomplete = False
        elif key == "territory":
            other.territories = [t for t in other.territories if t.code != value]
            other.territory_match = set()  # not needed for links
        elif key == "language":
            other.languages = [lang for lang in other.languages if lang.code != value]
        elif key == "capacity":
            other.capacities = [c for c in other.capacities if str(c) != value]
        elif key == "affiliation":
            other.affiliations = [a for a in other.affiliations if str(a[0]) != value]
        elif key == "exchange":
            other.exchange = [e for e in other.exchange if e != value]
        return other


@dataclass
class ProfileFilters(_Filters):
    """What Explore was asked for."""

    affiliations: list[tuple[int, str, str]] = field(default_factory=list)  # (id, label, label lang)
    languages: list[LanguageRef] = field(default_factory=list)
    include_incomplete: bool = False
    show: list[str] = field(default_factory=lambda: list(DEFAULT_SHOW))

    @property
    def active(self) -> bool:
        """True when any filter narrows the results (display toggles and page are not filters)."""
        return bool(self.name or self.capacities or self.exchange or self.territories or self.affiliations
                    or self.languages or self.include_incomplete)

    def params(self) -> list[tuple[str, str]]:
        """The canonical query string, in a fixed order (a result page is a link)."""
        out: list[tuple[str, str]] = []
        if self.name:
            out.append(("name", self.name))
        out += [("capacity", str(c)) for c in self.capacities]
        out += [("exchange", e) for e in self.exchange]
        out += [("territory", t.code) for t in self.territories]
        out += [("affiliation", str(a[0])) for a in self.affiliations]
        out += [("language", lang.code) for lang in self.languages]
        if self.include_incomplete:
            out.append(("include_incomplete", "1"))
        if tuple(self.show) != DEFAULT_SHOW:
            out += [("show", s) for s in self.show]
        if self.page > 1:
            out.append(("page", str(self.page)))
        return out

    def without(self, key: str, value: str | None = None) -> ProfileFilters:
        """These filters without one value (a chip's "remove" link), back on page 1."""
        return self._without(key, value)

    def at_page(self, number: int) -> ProfileFilters:
        return self._copy(page=number)

    def cleared(self) -> ProfileFilters:
        """No filters, keeping the display toggles ("Clear all")."""
        return ProfileFilters(show=list(self.show))

    def chips(self, tree: CapacityTree) -> list[Chip]:
        """The active filters, each removable on its own."""
        lang = current_language()
        chips = self._shared_chips(tree)
        chips += [Chip("affiliation", str(a[0]), a[1], a[2] if a[2] != lang else None) for a in self.affiliations]
        chips += [Chip("language", lg.code, language_label(lg, current_language())) for lg in self.languages]
        if self.include_incomplete:
            chips.append(Chip("include_incomplete", "1", msg_text("explore-filter-include-incomplete")))
        return chips


@dataclass
class OrganizationFilters(_Filters):
    """What the organization list was asked for."""

    @property
    def active(self) -> bool:
        return bool(self.name or self.capacities or self.exchange or self.territories)

    def params(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.name:
            out.append(("name", self.name))
        out += [("capacity", str(c)) for c in self.capacities]
        out += [("exchange", e) for e in self.exchange]
        out += [("territory", t.code) for t in self.territories]
        if self.page > 1:
            out.append(("page", str(self.page)))
        return out

    def without(self, key: str, value: str | None = None) -> OrganizationFilters:
        return self._without(key, value)

    def at_page(self, number: int) -> OrganizationFilters:
        return self._copy(page=number)

    def cleared(self) -> OrganizationFilters:
        return OrganizationFilters()

    def chips(self, tree: CapacityTree) -> list[Chip]:
        """The active filters, each removable on its own."""
        return self._shared_chips(tree)


def _common(args: Mapping[str, Any], tree: CapacityTree) -> dict[str, Any]:
    territories, match = resolve_territories(_values(args, "territory"))
    return {
        "name": (args.get("name") or "").strip()[:NAME_MAX],
        # ?capacityId=N: links of the previous platform (the directory's "find people" links).
        "capacities": [c for c in _ints(_values(args, "capacity") + _values(args, "capacityId")) if c in tree.nodes],
        "exchange": [e for e in EXCHANGES if e in _values(args, "exchange")],
        "territories": territories,
        "territory_match": match,
        "page": _page_number(args),
    }


def parse_profile_filters(args: Mapping[str, Any], tree: CapacityTree | None = None) -> ProfileFilters:
    """Explore's filters from a query string; unknown or malformed values are dropped.

    Territories and languages are canonically codes, but ids are accepted (the pickers submit
    ids); a territory, language or affiliation filter costs one small query each.
    """
    tree = tree or capacity_tree(current_language_chain())
    return ProfileFilters(
        **_common(args, tree),
        affiliations=resolve_organizations(_ints(_values(args, "affiliation"))),
        languages=resolve_languages(_values(args, "language")),
        include_incomplete=(args.get("include_incomplete") or "") in ("1", "on", "true", "y"),
        show=[s for s in SHOW_KINDS if s in _values(args, "show")] or list(DEFAULT_SHOW),
    )


def parse_organization_filters(args: Mapping[str, Any], tree: CapacityTree | None = None) -> OrganizationFilters:
    """The organization list's filters from a query string (same rules as Explore's)."""
    return OrganizationFilters(**_common(args, tree or capacity_tree(current_language_chain())))


# -- queries -------------------------------------------------------------------------------------

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


def profile_conditions(filters: ProfileFilters, tree: CapacityTree,
                       wanted: int = COUNT_CAP + 1) -> tuple[list[Any], bool]:
    """WHERE conditions on ``profile`` for the filters (see the module docstring for shapes; locked
    accounts are left out by :func:`not_locked`).

    The value filter :func:`choose_driver` picks becomes ``profile.id IN (SELECT profile_id FROM
    <link> WHERE ... AND <probes>)``: it drives the query from its index, and every other filter
    is probed inside that subquery against the link row's own profile_id, so only profiles that
    pass them all reach the profile table. Without a driver, the query walks the date index
    newest first and probes each profile until ``wanted`` matched. Probes run most selective
    first. Returns the conditions and whether the query should walk the date index.
    """
    conditions: list[Any] = []
    # (link table's profile_id column, conditions): correlated below with whatever drives the query.
    probes: list[tuple[Any, list[Any]]] = []
    driver: tuple[Any, list[Any]] | None = None
    links = _link_filters(filters, tree)
    named = _name_filter(filters.name) if filters.name else None
    if named is not None:
        links.append(named)
    if links:
        estimates, profiles = _estimates(links)
        name_alone = named is not None and len(links) == 1
        chosen = choose_driver(estimates, profiles, wanted, NAME_WALK_COST if name_alone else WALK_COST,
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
            probes.append((ProfileCapacity.profile_id, [ProfileCapacity.kind.in_(_kinds(filters.exchange))]))
        elif not filters.include_incomplete:
            probes.append((ProfileCapacity.profile_id, []))
    outer: list[Any] = []
    if driver is not None:
        column, where = driver
        inner = [_probe(other == column, *probe) for other, probe in probes]
        conditions.append(Profile.id.in_(sa.select(column).where(*where, *inner)))
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
    return conditions, driver is None


def not_locked() -> tuple[list[Any], bool]:
    """Conditions on ``profile`` that leave locked accounts out, and whether they need ``user`` joined.

    Locked accounts are rare (global locks of spam or compromised accounts): listing their user
    ids (one range of the ``is_locked`` index) spares the ids query a lookup in ``user`` for every
    candidate, which was half its time at 100,000 profiles. Past :data:`LOCKED_LIST_MAX` of them
    the query joins ``user`` instead.
    """
    locked = db.session.scalars(sa.select(User.id).where(User.is_locked == sa.true())
                                .limit(LOCKED_LIST_MAX + 1)).all()
    if len(locked) > LOCKED_LIST_MAX:
        # "IS NOT TRUE" rather than "= 0": SQLite without statistics would otherwise drive the
        # whole query from the index on is_locked and sort every profile.
        return [User.is_locked.is_not(True)], True
    return ([Profile.user_id.not_in(locked)] if locked else []), False


def capped_count(query: sa.Select[Any], cap: int) -> int:
    """How many rows ``query`` returns, reading at most ``cap + 1`` of them."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.limit(cap + 1).subquery())) or 0


@dataclass
class Results:
    """One page of results: the items, the page, the (capped) count and whether it was capped."""

    items: list[Any]
    page: Page
    count: int
    capped: bool


def _count_and_page(base: sa.Select[Any], number: int, per_page: int) -> tuple[int, bool, Page]:
    # Count far enough to know the asked page exists and to link a few pages past it.
    cap = max(COUNT_CAP, number * per_page + 4 * per_page)
    count = capped_count(base, cap)
    capped = count > cap
    count = min(count, cap)
    return count, capped, make_page(number, per_page, count)


def _empty_capacities() -> dict[str, list[CapacityNode]]:
    return {kind: [] for kind in CAPACITY_KINDS}


@dataclass
class ProfileCard:
    """What an Explore (or saved) card shows about one person."""

    user_id: int
    username: str
    image_url: str | None
    capacities: dict[str, list[CapacityNode]] = field(default_factory=_empty_capacities)
    languages: list[tuple[str, str, str]] = field(default_factory=list)  # (label, code, direction)
    territories: list[str] = field(default_factory=list)
    saved: bool = False
    href: str = ""  # the profile's address, set by the blueprint (profiles are another area's pages)

    @property
    def url_name(self) -> str:
        return self.username.replace(" ", "_")

    @property
    def tags(self) -> list[str]:
        return [tag for tag, kind in TAGS if self.capacities[kind]]


def _image(file_name: str | None) -> str | None:
    return commons_file_url(file_name, width=128) if file_name else None


def _sort_capacities(groups: Iterable[dict[str, list[CapacityNode]]], tree: CapacityTree) -> None:
    order = tree.order
    for group in groups:
        for nodes in group.values():
            nodes.sort(key=lambda n: order.get(n.id, 0))


#: Capacity kinds packed into a card's capacity list (code * POSITION + capacity id).
_KIND_CODES = {kind: code for code, kind in enumerate(CAPACITY_KINDS)}


def _card_query(viewer: User | None) -> sa.Select[Any]:
    """Everything a person's card shows, one row per profile: the relations as packed id lists
    (named from the capacity tree and the reference snapshot), and the viewer's saved mark."""
    saved: Any = sa.false()
    if viewer is not None:
        saved = sa.exists().where(SavedProfile.owner_id == viewer.id, SavedProfile.saved_user_id == Profile.user_id)
    return (sa.select(Profile.id, Profile.user_id, User.username, Profile.avatar_id, Profile.show_wikidata_photo,
                      Profile.wikidata_photo,
                      concat(sa.case(_KIND_CODES, value=ProfileCapacity.kind) * POSITION + ProfileCapacity.capacity_id,
                             ProfileCapacity.profile_id == Profile.id).label("capacities"),
                      concat(ProfileLanguage.position * POSITION + ProfileLanguage.language_id,
                              ProfileLanguage.profile_id == Profile.id).label("languages"),
                      concat(ProfileTerritory.position * POSITION + ProfileTerritory.territory_id,
                              ProfileTerritory.profile_id == Profile.id).label("territories"),
                      saved.label("saved"))
            .join(User, User.id == Profile.user_id))


def profile_cards(profile_ids: Sequence[int], tree: CapacityTree, viewer: User | None) -> list[ProfileCard]:
    """The cards of these profiles, in this order (ids without a profile are skipped): one query.

    ``viewer`` set: each card says whether the viewer saved that person."""
    if not profile_ids:
        return []
    ref = reference_data()
    order = tree.order
    cards: dict[int, ProfileCard] = {}
    for row in db.session.execute(_card_query(viewer).where(Profile.id.in_(list(profile_ids)))):
        photo = row.wikidata_photo if row.show_wikidata_photo else None
        card = ProfileCard(row.user_id, row.username, _image(photo or ref.avatars.get(row.avatar_id or 0)),
                           saved=bool(row.saved))
        for packed in unpack(row.capacities):
            node = tree.get(packed % POSITION)
            if node is not None:
                card.capacities[CAPACITY_KINDS[packed // POSITION]].append(node)
        for nodes in card.capacities.values():
            nodes.sort(key=lambda n: order.get(n.id, 0))
        for packed in unpack(row.languages):
            language = ref.languages.get(packed % POSITION)
            if language is not None:
                card.languages.append((ref.language_label(language.id, tree.lang), language.code, language.direction))
        card.territories = [ref.territory_label(packed % POSITION, tree.lang) for packed in unpack(row.territories)
                            if packed % POSITION in ref.territories]
        cards[row.id] = card
    return [cards[i] for i in profile_ids if i in cards]


def search_profiles(filters: ProfileFilters, viewer: User | None, per_page: int = PER_PAGE) -> Results:
    """A page of Explore results, newest update first, with a capped count.

    One query reads the ids of the first matches in order, up to the count's cap (at most a few
    thousand integers): their number is the count and the page is a slice of them, so the
    filters are evaluated once. Then one query reads the page's cards. The number of queries is
    the same whatever the page size or data size.
    """
    tree = capacity_tree(current_language_chain())
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

def saved_profiles(owner: User, number: int, per_page: int = PER_PAGE) -> Results:
    """A page of the profiles ``owner`` saved (most recently saved first); locked users are left out.

    Only ever about ``owner``'s own list: nobody can read another person's list.
    """
    tree = capacity_tree(current_language_chain())
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


@dataclass
class OrganizationCard:
    """What an organization card shows."""

    id: int
    name: str
    name_lang: str
    acronym: str | None
    type_code: str | None
    logo_url: str | None
    capacities: dict[str, list[CapacityNode]] = field(default_factory=_empty_capacities)
    territories: list[str] = field(default_factory=list)
    saved: bool = False
    href: str = ""  # the organization profile's address, set by the blueprint

    @property
    def tags(self) -> list[str]:
        return [tag for tag, kind in TAGS if self.capacities[kind]]


def organization_cards(rows: Sequence[Any], tree: CapacityTree, viewer: User | None) -> list[OrganizationCard]:
    """Cards for rows of (id, acronym, logo_file, type_code): names, capacities, territories, one query each."""
    if not rows:
        return []
    chain = current_language_chain()
    ids = [row.id for row in rows]
    names: dict[int, dict[str, str]] = {}
    for org_id, name_lang, name in db.session.execute(
            sa.select(OrganizationName.organization_id, OrganizationName.lang, OrganizationName.name)
            .where(OrganizationName.organization_id.in_(ids))):
        names.setdefault(org_id, {})[name_lang] = name
    cards: dict[int, OrganizationCard] = {}
    for row in rows:
        by_lang = names.get(row.id) or {"en": row.acronym or ""}
        name_lang = _best_lang(by_lang, chain)
        cards[row.id] = OrganizationCard(row.id, by_lang[name_lang], name_lang, row.acronym, row.type_code,
                                         _image(row.logo_file))
    for org_id, capacity_id, kind in db.session.execute(
            sa.select(OrganizationCapacity.organization_id, OrganizationCapacity.capacity_id, OrganizationCapacity.kind)
            .where(OrganizationCapacity.organization_id.in_(ids))):
        node = tree.get(capacity_id)
        if node is not None:
            cards[org_id].capacities[kind].append(node)
    _sort_capacities((c.capacities for c in cards.values()), tree)
    ref = reference_data()
    for org_id, territory_id in db.session.execute(
            sa.select(OrganizationTerritory.organization_id, OrganizationTerritory.territory_id)
            .where(OrganizationTerritory.organization_id.in_(ids))
            .order_by(OrganizationTerritory.organization_id, OrganizationTerritory.territory_id)):
        if territory_id in ref.territories:
            cards[org_id].territories.append(ref.territory_label(territory_id, tree.lang))
    if viewer is not None:
        saved = set(db.session.scalars(sa.select(SavedOrganization.organization_id).where(
            SavedOrganization.owner_id == viewer.id, SavedOrganization.organization_id.in_(ids))))
        for card in cards.values():
            card.saved = card.id in saved
    return [cards[i] for i in ids]


def _organization_rows_query(conditions: list[Any]) -> sa.Select[Any]:
    english = sa.orm.aliased(OrganizationName)
    return (sa.select(Organization.id, Organization.acronym, Organization.logo_file,
                      OrganizationType.code.label("type_code"))
            .outerjoin(OrganizationType, OrganizationType.id == Organization.type_id)
            .outerjoin(english, sa.and_(english.organization_id == Organization.id, english.lang == "en"))
            .where(*conditions)
            .order_by(english.name, Organization.id))


def search_organizations(filters: OrganizationFilters, viewer: User | None, per_page: int = PER_PAGE) -> Results:
    """A page of the public organization list (alphabetical by English name), with a capped count."""
    tree = capacity_tree(current_language_chain())
    conditions = organization_conditions(filters, tree)
    count, capped, page = _count_and_page(sa.select(Organization.id).where(*conditions), filters.page, per_page)
    rows: list[Any] = []
    if count:
        rows = list(db.session.execute(_organization_rows_query(conditions).limit(per_page).offset(page.offset)))
    return Results(organization_cards(rows, tree, viewer), page, count, capped)


#: A saved-organizations list longer than this is cut (nobody follows hundreds of organizations).
SAVED_ORGANIZATIONS_MAX = 500


def saved_organizations(owner: User) -> list[OrganizationCard]:
    """The (visible) organizations ``owner`` saved, alphabetical; only ever ``owner``'s own list."""
    conditions = [visible_organization_condition(),
                  Organization.id.in_(sa.select(SavedOrganization.organization_id)
                                      .where(SavedOrganization.owner_id == owner.id))]
    rows = list(db.session.execute(_organization_rows_query(conditions).limit(SAVED_ORGANIZATIONS_MAX)))
    cards = organization_cards(rows, capacity_tree(current_language_chain()), None)
    for card in cards:
        card.saved = True
    return cards
