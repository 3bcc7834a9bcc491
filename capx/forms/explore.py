"""Explore's and the organization list's filter form: a query string read into the filters.

Filters live in the query string (a GET form that works without JavaScript, and shareable links).
Nothing is refused: unknown or malformed values are dropped, repeated ones kept once, at most
:data:`~capx.services.explore.filters.VALUES_MAX` per filter; the service's filter objects then
give the canonical link the blueprint redirects to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from capx.services.capacities import CapacityTree
from capx.services.explore.filters import (DEFAULT_SHOW, EXCHANGES, NAME_MAX, SHOW_KINDS, VALUES_MAX,
                                           OrganizationFilters, ProfileFilters, resolve_languages,
                                           resolve_organizations, resolve_territories)


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


def read_profile_filters(args: Mapping[str, Any], tree: CapacityTree) -> ProfileFilters:
    """Explore's filters from a query string; unknown or malformed values are dropped.

    Territories and languages are canonically codes, but ids are accepted (the pickers submit
    ids); a territory, language or affiliation filter costs one small query each. Organization
    names are given in the tree's languages.
    """
    return ProfileFilters(
        **_common(args, tree),
        affiliations=resolve_organizations(_ints(_values(args, "affiliation")), tree.lang_chain),
        languages=resolve_languages(_values(args, "language")),
        include_incomplete=(args.get("include_incomplete") or "") in ("1", "on", "true", "y"),
        show=[s for s in SHOW_KINDS if s in _values(args, "show")] or list(DEFAULT_SHOW),
    )


def read_organization_filters(args: Mapping[str, Any], tree: CapacityTree) -> OrganizationFilters:
    """The organization list's filters from a query string (same rules as Explore's)."""
    return OrganizationFilters(**_common(args, tree))
