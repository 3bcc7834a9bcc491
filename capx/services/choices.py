"""What people pick from in forms and filters, with labels in the interface language.

Each list is small (at most a few hundred rows), so it is loaded with one query and searched in
memory, ignoring case and accents. The type-ahead pickers (with and without JavaScript) and the
JSON suggestions all go through :func:`search`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from flask import g, has_request_context

from capx.extensions import db
from capx.language import current_language_chain
from capx.models import Organization, OrganizationName
from capx.services.capacities import capacity_tree, fold
from capx.services.reference_data import reference_data

KINDS = ("capacity", "territory", "language", "organization")


@dataclass(frozen=True)
class Choice:
    """One pickable item: its id, its label, and a detail line (e.g. a capacity's path)."""

    value: int
    label: str
    detail: str = ""
    lang: str | None = None  # set when the label is in another language than the page


def _cached(key: str, build: Callable[[], list[Choice]]) -> list[Choice]:
    if not has_request_context():
        return build()
    cache = g.setdefault("choices_cache", {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


def _organization_cache_key() -> str:
    """The request cache key of the full organization list (by interface language)."""
    return f"organization:{current_language_chain()[0]}"


def _listed(kind: str) -> bool:
    """True when the full list of ``kind`` costs nothing more: capacities, territories and languages
    are in memory, organizations once this request built their list."""
    return (kind != "organization" or not has_request_context()
            or _organization_cache_key() in g.get("choices_cache", {}))


def capacity_choices() -> list[Choice]:
    """Every capacity, in directory order, labelled with its name and its path.

    Built once per request and tree (a request that changes capacities gets a new tree)."""
    tree = capacity_tree()
    cache = g.setdefault("choices_cache", {}) if has_request_context() else {}
    hit = cache.get("capacity")
    if hit is None or hit[0] is not tree:
        hit = cache["capacity"] = (tree, [
            Choice(n.id, n.name, " › ".join(p.name for p in tree.path(n.id)[:-1]),
                   n.name_lang if n.name_lang != tree.lang else None) for n in tree.ordered()])
    return hit[1]


def territory_choices() -> list[Choice]:
    """Regions first (each followed by its countries), names in the interface language.

    Built once per reference snapshot and language (shared: callers must not change it)."""
    ref = reference_data()

    def build() -> list[Choice]:
        names = {t: ref.territory_label(t) for t in ref.territories}
        out = []
        for region in sorted((t for t in ref.territories.values() if t.parent_id is None), key=lambda t: names[t.id]):
            region_label = names[region.id]
            out.append(Choice(region.id, region_label))
            out.extend(Choice(c, names[c], region_label)
                       for c in sorted(ref.countries.get(region.id, []), key=lambda c: fold(names[c])))
        return out

    return ref.derived("territory-choices", build)


def language_choices() -> list[Choice]:
    """Every language, by its name in the interface language, with its autonym as detail.

    Built once per reference snapshot and language (shared: callers must not change it)."""
    ref = reference_data()

    def build() -> list[Choice]:
        choices = [Choice(x.id, ref.language_label(x.id), x.autonym) for x in ref.languages.values()]
        return sorted(choices, key=lambda c: fold(c.label))

    return ref.derived("language-choices", build)


def _organization_labels(ids: Iterable[int] | None = None) -> list[Choice]:
    """Organizations (all, or only ``ids``) by name in the interface language, unsorted."""
    chain = current_language_chain()
    names_query = sa.select(OrganizationName.organization_id, OrganizationName.lang, OrganizationName.name)
    acronyms_query = sa.select(Organization.id, Organization.acronym)
    if ids is not None:
        wanted = list(ids)
        names_query = names_query.where(OrganizationName.organization_id.in_(wanted))
        acronyms_query = acronyms_query.where(Organization.id.in_(wanted))
    names: dict[int, dict[str, str]] = {}
    for org_id, lang, name in db.session.execute(names_query):
        names.setdefault(org_id, {})[lang] = name
    acronyms = dict(db.session.execute(acronyms_query).all())
    out = []
    for org_id, by_lang in names.items():
        label = next((by_lang[c] for c in chain if by_lang.get(c)), None) or next(iter(by_lang.values()))
        out.append(Choice(org_id, label, acronyms.get(org_id) or ""))
    return out


def organization_choices() -> list[Choice]:
    """Every organization by its name in the interface language (English fallback), acronym as detail."""
    return _cached(_organization_cache_key(), lambda: sorted(_organization_labels(), key=lambda c: fold(c.label)))


_BUILDERS: dict[str, Callable[[], list[Choice]]] = {
    "capacity": capacity_choices,
    "territory": territory_choices,
    "language": language_choices,
    "organization": organization_choices,
}


def choices(kind: str) -> list[Choice]:
    """All choices of a kind (one of KINDS)."""
    return _BUILDERS[kind]()


def search(kind: str, query: str, limit: int = 20) -> list[Choice]:
    """Choices whose label (or detail, e.g. an acronym or autonym) contains the query.

    Capacities are searched by the directory search (names and descriptions, with English
    fallback); the others by label, then detail.
    """
    needle = fold(query.strip())
    if not needle:
        return []
    if kind == "capacity":
        tree = capacity_tree()
        return [Choice(n.id, n.name, " › ".join(p.name for p in tree.path(n.id)[:-1]))
                for n in tree.search(query, limit=limit)]
    items = choices(kind)
    first = [c for c in items if needle in fold(c.label)]
    second = [c for c in items if c not in first and needle in fold(c.detail)]
    return (first + second)[:limit]


#: At most this many organizations are labelled with a query of their own rather than from the full list.
FEW = 20


def labels(kind: str, ids: Iterable[int]) -> list[Choice]:
    """The choices for the given ids, in the given order (unknown ids are skipped)."""
    ids = list(ids)
    if not ids:
        return []
    if kind == "organization" and len(ids) <= FEW and not _listed(kind):
        # A page naming one or two organizations should not load and name every one.
        by_id = {c.value: c for c in _organization_labels(ids)}
    else:
        by_id = {c.value: c for c in choices(kind)}
    return [by_id[i] for i in ids if i in by_id]


#: Beyond this many ids (a forged form), validate against the full list rather than with a long IN (...).
MANY = 200


def valid_ids(kind: str, ids: Iterable[int]) -> list[int]:
    """The ids that exist, in order, without repeats (territories and languages from the reference
    snapshot; organizations, those with a name, in the database unless this request has the list)."""
    ids = list(ids)
    if not ids:
        return []
    asked = {i for i in ids if 0 < i < 2**31}  # what an INT id column can hold
    known: Any
    if kind == "territory":
        known = reference_data().territories
    elif kind == "language":
        known = reference_data().languages
    elif kind == "capacity" or _listed(kind) or len(asked) > MANY:
        known = {c.value for c in choices(kind)}
    else:
        column = OrganizationName.organization_id
        known = set(db.session.scalars(sa.select(column).where(column.in_(asked)).distinct())) if asked else set()
    seen: list[int] = []
    for i in ids:
        if i in known and i not in seen:
            seen.append(i)
    return seen
