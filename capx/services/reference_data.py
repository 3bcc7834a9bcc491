"""The small reference tables every card names things from, kept in memory.

Territories (8 regions and their countries), languages and avatars are a few hundred rows that
change only when ``flask capx load-reference`` runs. Cards, filters and suggestions name dozens of
them per page, so instead of joining them into every query (or loading them per request), each
process keeps one snapshot, used while the "reference" stamp (:mod:`capx.support.stamps`) is
the one it was built under. Labels in a language are computed once per snapshot and language; the
caller names the language (nothing here reads the request). Without a stamp in the database (a
fresh or test database) the snapshot is rebuilt per unit of work (:mod:`capx.support.scope`).
Snapshots are shared between requests and threads: callers must not change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, TypeVar

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Avatar, Language, Territory
from capx.services.reference_names import language_name, territory_name
from capx.support import caches, scope, stamps
from capx.support.caches import StampedCache


T = TypeVar("T")


@dataclass(frozen=True)
class TerritoryRef:
    """The attributes of a territory that naming it needs (duck-types Territory for territory_name)."""

    id: int
    code: str
    parent_id: int | None
    iso2: str | None
    name: str


@dataclass(frozen=True)
class LanguageRef:
    """The attributes of a language that naming it needs (duck-types Language for language_name)."""

    id: int
    code: str
    english_name: str
    direction: str
    autonym: str = ""


@dataclass
class ReferenceData:
    """One snapshot of territories, languages and avatars, with labels per interface language."""

    territories: dict[int, TerritoryRef]
    languages: dict[int, LanguageRef]
    avatars: dict[int, str]  # avatar id -> Commons file name
    territory_codes: dict[str, TerritoryRef] = field(init=False)
    language_codes: dict[str, LanguageRef] = field(init=False)
    countries: dict[int, list[int]] = field(init=False)  # region id -> its countries' ids
    _labels: dict[tuple[str, str], dict[int, str]] = field(init=False, default_factory=dict)
    _derived: dict[tuple[str, str], Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.territory_codes = {t.code: t for t in self.territories.values()}
        self.language_codes = {lang.code: lang for lang in self.languages.values()}
        self.countries = {}
        for t in self.territories.values():
            if t.parent_id is not None:
                self.countries.setdefault(t.parent_id, []).append(t.id)

    def derived(self, what: str, lang: str, build: Callable[[], T]) -> T:
        """``build()`` once per snapshot and interface language (e.g. the sorted territory choices)."""
        key = (what, lang)
        if key not in self._derived:
            # Two threads may build the same value at once; both results are equal.
            self._derived[key] = build()
        return self._derived[key]

    def _labels_in(self, what: str, lang: str) -> dict[int, str]:
        # Filled on demand: a page names a few dozen of the 250 territories and 400 languages.
        return self._labels.setdefault((what, lang), {})

    def territory_label(self, territory_id: int, lang: str) -> str:
        """A territory's name in language ``lang`` (regions by message, countries by CLDR)."""
        labels = self._labels_in("territory", lang)
        label = labels.get(territory_id)
        if label is None:
            ref = self.territories.get(territory_id)
            label = labels[territory_id] = territory_name(ref, lang) if ref else ""
        return label

    def language_label(self, language_id: int, lang: str) -> str:
        """A language's name in language ``lang`` (CLDR), else its English name."""
        labels = self._labels_in("language", lang)
        label = labels.get(language_id)
        if label is None:
            ref = self.languages.get(language_id)
            label = labels[language_id] = _language_name(ref.code, ref.english_name, lang) if ref else ""
        return label


@lru_cache(maxsize=4096)
def _language_name(code: str, english_name: str, lang: str) -> str:
    # CLDR display names are fixed data, and Babel is slow-ish: remembered even without a stamp.
    return language_name(LanguageRef(0, code, english_name, "ltr"), lang)


def load_reference_data() -> ReferenceData:
    """A new snapshot from the database (three small queries)."""
    territories = {row.id: TerritoryRef(*row) for row in db.session.execute(
        sa.select(Territory.id, Territory.code, Territory.parent_id, Territory.iso2, Territory.name))}
    languages = {row.id: LanguageRef(*row) for row in db.session.execute(
        sa.select(Language.id, Language.code, Language.english_name, Language.direction, Language.autonym))}
    avatars = {row.id: row.file_name for row in db.session.execute(sa.select(Avatar.id, Avatar.file_name))}
    return ReferenceData(territories, languages, avatars)


caches.register_reset("language names", _language_name.cache_clear)
_snapshots: StampedCache[str, ReferenceData] = StampedCache(max_keys=16)
_SCOPE_KEY = "reference-data"


def _cached_reference_data() -> ReferenceData:
    return _snapshots.get(str(db.engine.url), stamps.stamp(stamps.REFERENCE), load_reference_data)


def reference_data() -> ReferenceData:
    """The current snapshot: once per unit of work, from the process cache while the stamp is unchanged."""
    return scope.remember(_SCOPE_KEY, _cached_reference_data)


def forget_reference_data() -> None:
    """Empty this process's cache and this unit of work's snapshot (for tests and tools)."""
    _snapshots.reset()
    scope.forget(lambda key: key == _SCOPE_KEY)
