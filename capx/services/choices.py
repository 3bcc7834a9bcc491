"""What people pick from in forms and filters, with labels in the interface language.

Each list is small (at most a few hundred rows), so it is loaded with one query and searched in
memory, ignoring case and accents. The type-ahead pickers (with and without JavaScript) and the
JSON suggestions all go through :func:`search`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Organization, OrganizationName
from capx.services.capacities import capacity_tree, fold
from capx.services.reference_data import reference_data
from capx.support import scope

KINDS = ("capacity", "territory", "language", "organization")


@dataclass(frozen=True)
class Choice:
    """One pickable item: its id, its label, and a detail line (e.g. a capacity's path)."""

    value: int
    label: str
    detail: str = ""
    lang: str | None = None  # set when the label is in another language than the page


def _organization_scope_key(chain: Sequence[str]) -> tuple[str, str]:
    """The scope key of the full organization list (by interface language)."""
    return ("organization-choices", chain[0])


def _listed(kind: str, chain: Sequence[str]) -> bool:
    """True when the full list of ``kind`` costs nothing more: capacities, territories and languages
    are in memory, organizations once this unit of work built their list."""
    return kind != "organization" or scope.has(_organization_scope_key(chain))


def capacity_choices(chain: Sequence[str]) -> list[Choice]:
    """Every capacity, in directory order, labelled with its name and its path.

    Built once per tree (a write that changes capacities makes a new tree); shared: do not change it."""
    tree = capacity_tree(chain)
    return tree.derived("choices", lambda: [
        Choice(n.id, n.name, " › ".join(p.name for p in tree.path(n.id)[:-1]),
               n.name_lang if n.name_lang != tree.lang else None) for n in tree.ordered()])


def territory_choices(chain: Sequence[str]) -> list[Choice]:
    """Regions first (each followed by its countries), names in the interface language.

    Built once per reference snapshot and language (shared: callers must not change it)."""
    ref, lang = reference_data(), chain[0]

    def build() -> list[Choice]:
        names = {t: ref.territory_label(t, lang) for t in ref.territories}
        out = []
        for region in sorted((t for t in ref.territories.values() if t.parent_id is None), key=lambda t: names[t.id]):
            region_label = names[region.id]
            out.append(Choice(region.id, region_label))
            out.extend(Choice(c, names[c], region_label)
                       for c in sorted(ref.countries.get(region.id, []), key=lambda c: fold(names[c])))
        return out

    return ref.derived("territory-choices", lang, build)


def language_choices(chain: Sequence[str]) -> list[Choice]:
    """Every language, by its name in the interface language, with its autonym as detail.

    Built once per reference snapshot and language (shared: callers must not change it)."""
    ref, lang = reference_data(), chain[0]

    def build() -> list[Choice]:
        choices = [Choice(x.id, ref.language_label(x.id, lang), x.autonym) for x in ref.languages.values()]
        return sorted(choices, key=lambda c: fold(c.label))

    return ref.derived("language-choices", lang, build)


def _organization_labels(chain: Sequence[str], ids: Iterable[int] | None = None) -> list[Choice]:
    """Organizations (all, or only ``ids``) by name in the interface language, unsorted."""
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


def organization_choices(chain: Sequence[str]) -> list[Choice]:
    """Every organization by its name in the interface language (English fallback), acronym as detail.

    Once per unit of work (organizations change at any time: no process cache)."""
    return scope.remember(_organization_scope_key(chain),
                          lambda: sorted(_organization_labels(chain), key=lambda c: fold(c.label)))


_BUILDERS: dict[str, Callable[[Sequence[str]], list[Choice]]] = {
    "capacity": capacity_choices,
    "territory": territory_choices,
    "language": language_choices,
    "organization": organization_choices,
}


def choices(kind: str, chain: Sequence[str]) -> list[Choice]:
    """All choices of a kind (one of KINDS), labelled for the language chain."""
    return _BUILDERS[kind](chain)


def search(kind: str, query: str, chain: Sequence[str], limit: int = 20) -> list[Choice]:
    """Choices whose label (or detail, e.g. an acronym or autonym) contains the query.

    Capacities are searched by the directory search (names and descriptions, with English
    fallback); the others by label, then detail.
    """
    needle = fold(query.strip())
    if not needle:
        return []
    if kind == "capacity":
        tree = capacity_tree(chain)
        return [Choice(n.id, n.name, " › ".join(p.name for p in tree.path(n.id)[:-1]))
                for n in tree.search(query, limit=limit)]
    items = choices(kind, chain)
    first = [c for c in items if needle in fold(c.label)]
    second = [c for c in items if c not in first and needle in fold(c.detail)]
    return (first + second)[:limit]


#: At most this many organizations are labelled with a query of their own rather than from the full list.
FEW = 20


def labels(kind: str, ids: Iterable[int], chain: Sequence[str]) -> list[Choice]:
    """The choices for the given ids, in the given order (unknown ids are skipped)."""
    ids = list(ids)
    if not ids:
        return []
    if kind == "organization" and len(ids) <= FEW and not _listed(kind, chain):
        # A page naming one or two organizations should not load and name every one.
        by_id = {c.value: c for c in _organization_labels(chain, ids)}
    else:
        by_id = {c.value: c for c in choices(kind, chain)}
    return [by_id[i] for i in ids if i in by_id]


#: Beyond this many ids (a forged form), validate against the full list rather than with a long IN (...).
MANY = 200


def valid_ids(kind: str, ids: Iterable[int], chain: Sequence[str]) -> list[int]:
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
    elif kind == "capacity" or _listed(kind, chain) or len(asked) > MANY:
        known = {c.value for c in choices(kind, chain)}
    else:
        column = OrganizationName.organization_id
        known = set(db.session.scalars(sa.select(column).where(column.in_(asked)).distinct())) if asked else set()
    seen: list[int] = []
    for i in ids:
        if i in known and i not in seen:
            seen.append(i)
    return seen
