"""Explore's filters: what Explore and the organization list were asked for, as typed values.

:mod:`capx.forms.explore` reads them from a query string (unknown or malformed values dropped);
the filters give back their canonical query string (:meth:`ProfileFilters.params`), the chips
shown above the results and the links that remove one of them. Territories, languages and
organizations are resolved here from the reference snapshot (no query) or by one small query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import AVAILABLE, KNOWN, WANTED, OrganizationName
from capx.services.capacities import CapacityTree
from capx.services.reference_data import LanguageRef, TerritoryRef, reference_data
from capx.support.values import parse_id
from capx.translations import LazyMessage, lazy_msg

#: Exchange types as users name them (query string values), and the capacity kind each means.
EXCHANGE_KINDS: dict[str, str] = {"learner": WANTED, "sharer": AVAILABLE, "proficient": KNOWN}
EXCHANGES = tuple(EXCHANGE_KINDS)
#: What the display toggles can show on cards, and what they show when nothing is chosen.
SHOW_KINDS = (WANTED, AVAILABLE, KNOWN)
DEFAULT_SHOW = (WANTED, AVAILABLE)
#: Longest name search honoured (longer input is cut).
NAME_MAX = 100
#: At most this many values per repeatable filter (a URL cannot make a query arbitrarily large).
VALUES_MAX = 50
#: What each exchange type is called (chips, the filter's checkboxes).
EXCHANGE_LABELS = {"learner": lazy_msg("explore-exchange-learner"), "sharer": lazy_msg("explore-exchange-sharer"),
                   "proficient": lazy_msg("explore-exchange-proficient")}
#: What each display toggle is called.
SHOW_LABELS = {WANTED: lazy_msg("explore-show-wanted"), AVAILABLE: lazy_msg("explore-show-available"),
               KNOWN: lazy_msg("explore-show-known")}


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


def resolve_organizations(ids: Sequence[int], chain: Sequence[str]) -> list[tuple[int, str, str]]:
    """(id, name in the first language of ``chain`` that has one, its language) of existing organizations. One query."""
    if not ids:
        return []
    names: dict[int, dict[str, str]] = {}
    for org_id, lang, name in db.session.execute(
            sa.select(OrganizationName.organization_id, OrganizationName.lang, OrganizationName.name)
            .where(OrganizationName.organization_id.in_(ids))):
        names.setdefault(org_id, {})[lang] = name
    out = []
    for org_id in ids:
        if org_id in names:
            lang = best_lang(names[org_id], chain)
            out.append((org_id, names[org_id][lang], lang))
    return out


def best_lang(by_lang: Mapping[str, str], chain: Sequence[str]) -> str:
    """The first language of ``chain`` (then English, then any) in which ``by_lang`` has a text."""
    return next((code for code in (*chain, "en") if by_lang.get(code)), None) or next(iter(by_lang))


# -- filters -------------------------------------------------------------------------------------

@dataclass
class Chip:
    """An active filter as shown above the results: its label and the query key/value it removes."""

    key: str
    value: str
    label: str | LazyMessage
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
        copied: dict[str, Any] = {f: (list(v) if isinstance(v, list) else set(v) if isinstance(v, set) else v)
                  for f, v in self.__dict__.items()}
        copied.update(changes)
        return type(self)(**copied)

    def _shared_params(self) -> list[tuple[str, str]]:
        """The query string of the filters both lists have, in their fixed order."""
        out: list[tuple[str, str]] = []
        if self.name:
            out.append(("name", self.name))
        out += [("capacity", str(c)) for c in self.capacities]
        out += [("exchange", e) for e in self.exchange]
        out += [("territory", t.code) for t in self.territories]
        return out

    def _shared_chips(self, tree: CapacityTree) -> list[Chip]:
        """Chips for the filters both lists have: name, capacities, exchange types, territories."""
        chips: list[Chip] = []
        if self.name:
            chips.append(Chip("name", self.name, lazy_msg("explore-chip-name", self.name)))
        for capacity_id in self.capacities:
            node = tree.get(capacity_id)
            if node is not None:
                chips.append(Chip("capacity", str(capacity_id), node.name,
                                  node.name_lang if node.name_lang != tree.lang else None))
        chips += [Chip("exchange", e, EXCHANGE_LABELS[e]) for e in self.exchange]
        chips += [Chip("territory", t.code, territory_label(t, tree.lang)) for t in self.territories]
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
        out = self._shared_params()
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
        """The active filters, each removable on its own (labelled in the tree's language)."""
        lang = tree.lang
        chips = self._shared_chips(tree)
        chips += [Chip("affiliation", str(a[0]), a[1], a[2] if a[2] != lang else None) for a in self.affiliations]
        chips += [Chip("language", lg.code, language_label(lg, lang)) for lg in self.languages]
        if self.include_incomplete:
            chips.append(Chip("include_incomplete", "1", lazy_msg("explore-filter-include-incomplete")))
        return chips


@dataclass
class OrganizationFilters(_Filters):
    """What the organization list was asked for."""

    @property
    def active(self) -> bool:
        return bool(self.name or self.capacities or self.exchange or self.territories)

    def params(self) -> list[tuple[str, str]]:
        out = self._shared_params()
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
