"""Territories and languages named in a language: regions by message, countries and languages by CLDR."""

from __future__ import annotations

from typing import Protocol

from capx.translations import babel_locale, message_text


class NamedTerritory(Protocol):
    """What naming a territory needs (a Territory row or a reference snapshot's TerritoryRef)."""

    @property
    def code(self) -> str: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def iso2(self) -> str | None: ...
    @property
    def name(self) -> str: ...


class NamedLanguage(Protocol):
    """What naming a language needs (a Language row or a reference snapshot's LanguageRef)."""

    @property
    def code(self) -> str: ...
    @property
    def english_name(self) -> str: ...


#: Region names are messages; their keys, spelled out so that they can be found.
REGION_MESSAGES = {"CEECA": "region-ceeca", "ESEAP": "region-eseap", "LAC": "region-lac", "MENA": "region-mena",
                   "NA": "region-na", "NWE": "region-nwe", "SA": "region-sa", "SSA": "region-ssa"}


def territory_name(territory: NamedTerritory, lang: str) -> str:
    """A territory's name in language ``lang``: regions by message, countries by CLDR."""
    if territory.parent_id is None:
        key = REGION_MESSAGES.get(territory.code)
        return message_text(key, lang) if key else territory.name
    return babel_locale(lang).territories.get(territory.iso2 or "", territory.name)


def language_name(language: NamedLanguage, lang: str) -> str:
    """A language's name in the interface language (CLDR), else its English name."""
    own = babel_locale(language.code)
    if own.language != language.code.split("-")[0]:
        return language.english_name  # Babel knows nothing of this code (it fell back)
    return own.get_display_name(babel_locale(lang)) or language.english_name
