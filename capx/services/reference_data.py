"""The small reference tables every card names things from, kept in memory.

Territories (8 regions and their countries), languages and avatars are a few hundred rows that
change only when ``flask capx load-reference`` runs. Cards, filters and suggestions name dozens of
them per page, so instead of joining them into every query (or loading them per request), each
process keeps one snapshot, used while the "reference" stamp (:mod:`capx.services.stamps`) is
the one it was built under. Labels in a language are computed once per snapshot and language.
Without a stamp in the database (a fresh or test database) the snapshot is rebuilt per request.
Snapshots are shared between requests and threads: callers must not change them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, TypeVar
import sqlalchemy as sa
from flask import g, has_request_context

from capx.extensions import db
from capx.language import current_language
from capx.models import Avatar, Language, Territory
from capx.services import stamps
from capx.services.reference import language_name, territory_name


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

    def derived(self, what: str, build: Callable[[], T]) -> T:
        """``build()`` once per snapshot and interface language (e.g. the sorted territory choices)."""
        key = (what, current_language())
        if key not in self._derived:
            # Two threads may build the same value at once; both results are equal.
            self._derived[key] = build()
        return self._derived[key]  # type: ignore[no-any-return]

    def _labels_in(self, what: str) -> dict[int, str]:
        # Filled on demand: a page names a few dozen of the 250 territories and 400 languages.
        return self._labels.setdefault((what, current_language()), {})

    def territory_label(self, territory_id: int) -> str:
        """A territory's name in the interface language (regions by message, countries by CLDR)."""
        labels = self._labels_in("territory")
        label = labels.get(territory_id)
        if label is None:
            ref = self.territories.get(territory_id)
            label = labels[territory_id] = territory_name(ref, current_language()) if ref else ""  # type: ignore[arg-type]
        return label

    def language_label(self, language_id: int) -> str:
        """A language's name in the interface language (CLDR), else its English name."""
        labels = self._labels_in("language")
        label = labels.get(language_id)
        if label is None:
            ref = self.languages.get(language_id)
            label = labels[language_id] = _language_name(ref.code, ref.english_name, current_language()) if ref else ""
        return label


@lru_cache(maxsize=4096)
def _language_name(code: str, english_name: str, lang: str) -> str:
    # CLDR display names are fixed data, and Babel is slow-ish: remembered even without a stamp.
    return language_name(LanguageRef(0, code, english_name, "ltr"), lang)  # type: ignore[arg-type]


def load_reference_data() -> ReferenceData:
    """A new snapshot from the database (three small queries)."""
    territories = {row.id: TerritoryRef(*row) for row in db.session.execute(
        sa.select(Territory.id, Territory.code, Territory.parent_id, Territory.iso2, Territory.name))}
    languages = {row.id: LanguageRef(*row) for row in db.session.execute(
        sa.select(Language.id, Language.code, Language.english_name, Language.direction, Language.autonym))}
    avatars = {row.id: row.file_name for row in db.session.execute(sa.select(Avatar.id, Avatar.file_name))}
    return ReferenceData(territories, languages, avatars)


_lock = threading.Lock()
_cached: dict[str, tuple[str, ReferenceData]] = {}


def _cached_reference_data() -> ReferenceData:
    stamp = stamps.stamp(stamps.REFERENCE)
    if stamp is None:
        return load_reference_data()
    key = str(db.engine.url)
    with _lock:
        hit = _cached.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    data = load_reference_data()
    with _lock:
        _cached[key] = (stamp, data)
    return data


def reference_data() -> ReferenceData:
    """The current snapshot: once per request, from the process cache while the stamp is unchanged."""
    if not has_request_context():
        return _cached_reference_data()
    data = g.get("_reference_data")
    if data is None:
        data = g._reference_data = _cached_reference_data()
    return data


def forget_reference_data() -> None:
    """Empty this process's cache and the request's snapshot (for tests and tools)."""
    with _lock:
        _cached.clear()
    if has_request_context():
        g.pop("_reference_data", None)
