"""An organization's profile: what its page shows, and the edit its managers make.

An edit arrives as an :class:`OrganizationEdit`, checked by capx.forms.organizations;
:func:`apply_edit` writes it in the caller's transaction. Two managers editing at once are told
apart by ``Organization.version`` (see capx.services.concurrent_edits): the form carries the version
and the :func:`snapshot` of what its editor loaded, which the second one is shown next to what is
stored now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, CAPACITY_KINDS, KNOWN, Language, Organization, OrganizationCapacity,
                         OrganizationDetails, OrganizationDiffTag, OrganizationDocument, OrganizationName,
                         OrganizationProject, OrganizationTerritory, OrganizationType, utcnow)
from capx.services import choices
from capx.services.capacities import CapacityNode, capacity_tree
from capx.services.concurrent_edits import versioned_write
from capx.services.organizations import visible_given
from capx.services.reference_names import language_name
from capx.support.collections import sync_rows

# -- the page --------------------------------------------------------------------------------------


@dataclass
class OrganizationProfile:
    """What the profile page shows (loaded with a fixed number of queries)."""

    org: Organization
    details: OrganizationDetails | None
    capacities: dict[str, list[int]]
    territory_ids: list[int]
    projects: list[OrganizationProject]
    documents: list[OrganizationDocument]
    tags: list[OrganizationDiffTag]
    visible: bool


def _by_kind(rows: Sequence[OrganizationCapacity]) -> dict[str, list[int]]:
    """Capacity ids by kind (every kind present, perhaps empty), in the rows' order."""
    by_kind: dict[str, list[int]] = {kind: [] for kind in CAPACITY_KINDS}
    for row in rows:
        by_kind[row.kind].append(row.capacity_id)
    return by_kind


def load_profile(org: Organization) -> OrganizationProfile:
    """The profile's parts (the organization must come from
    :func:`capx.services.organizations.load_organization`, which loads its managers)."""
    return OrganizationProfile(
        org=org, details=db.session.get(OrganizationDetails, org.id), capacities=_by_kind(org.capacities),
        territory_ids=[t.territory_id for t in org.territories], projects=list(org.projects),
        documents=list(org.documents), tags=list(org.diff_tags), visible=visible_given(len(org.managers)),
    )


def profile_capacities(profile: OrganizationProfile, chain: Sequence[str]) -> dict[str, list[CapacityNode]]:
    """Each kind's capacities (known, available, wanted), named in the language ``chain`` and
    grouped by their area in the directory's order."""
    tree = capacity_tree(chain)

    def area_position(capacity_id: int) -> int:
        root = tree.root_of(capacity_id)
        return root.position if root else 0

    return {kind: tree.pick(sorted(ids, key=area_position)) for kind, ids in profile.capacities.items()}


# -- the edit --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Project:
    """One of the main projects: a name, and optionally a Commons image and a web address."""

    name: str
    image_file: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class OrganizationEdit:
    """A profile as its managers save it: every value checked (capx.forms.organizations), names
    of Commons files normalized, Diff tags as (slug, name)."""

    name_en: str
    names: list[tuple[str, str]] = field(default_factory=list)  # (lang, name), languages other than English
    logo_file: str | None = None
    acronym: str = ""
    type_id: int | None = None
    report_url: str = ""
    #: Capacity ids by kind (known, available, wanted): see :func:`offers_only_known`.
    capacities: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in CAPACITY_KINDS})
    territories: list[int] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    document_files: list[str] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    contact_meta_url: str = ""
    contact_email: str = ""
    contact_website: str = ""


def stored_edit(org: Organization) -> OrganizationEdit:
    """The profile as stored now, in the shape of an edit (the form's initial values, the snapshot)."""
    details = db.session.get(OrganizationDetails, org.id)
    return OrganizationEdit(
        logo_file=org.logo_file, acronym=org.acronym or "", type_id=org.type_id,
        name_en=next((n.name for n in org.names if n.lang == "en"), ""),
        names=sorted((n.lang, n.name) for n in org.names if n.lang != "en"),
        report_url=(details.report_url if details else None) or "",
        capacities=_by_kind(sorted(org.capacities, key=lambda r: r.capacity_id)),
        territories=sorted(t.territory_id for t in org.territories),
        projects=[Project(p.name, p.image_file, p.url) for p in org.projects],
        document_files=[d.file_name for d in org.documents], tags=[(t.slug, t.name) for t in org.diff_tags],
        contact_meta_url=(details.contact_meta_url if details else None) or "",
        contact_email=(details.contact_email if details else None) or "",
        contact_website=(details.contact_website if details else None) or "",
    )


def offers_only_known(capacities: Mapping[str, Sequence[int]]) -> bool:
    """The rule of an organization's capacities: it offers (available) only capacities it knows."""
    return set(capacities.get(AVAILABLE, ())) <= set(capacities.get(KNOWN, ()))


def apply_edit(org: Organization, edit: OrganizationEdit) -> None:
    """Write an edit to the organization and flush (its version goes up); raises
    :class:`~capx.services.concurrent_edits.SavedMeanwhile` when someone else saved meanwhile."""
    if not offers_only_known(edit.capacities):
        raise ValueError("an organization offers only capacities it knows")
    with versioned_write():
        org.logo_file = edit.logo_file
        org.acronym = edit.acronym or None
        org.type_id = edit.type_id
        org.updated_at = utcnow()  # always an UPDATE of the row, so the version changes with every save
        names = list({"en": edit.name_en, **dict(edit.names)}.items())
        sync_rows(org.names, names, row_key=lambda row: row.lang, value_key=lambda item: item[0],
                  build=lambda item, _i: OrganizationName(lang=item[0], name=item[1]),
                  update=lambda row, item, _i: setattr(row, "name", item[1]))
        capacities = sorted({(i, kind) for kind, ids in edit.capacities.items() for i in ids})
        sync_rows(org.capacities, capacities, row_key=lambda row: (row.capacity_id, row.kind),
                  value_key=lambda key: key, build=lambda key, _i: OrganizationCapacity(capacity_id=key[0], kind=key[1]))
        sync_rows(org.territories, sorted(set(edit.territories)), row_key=lambda row: row.territory_id,
                  value_key=lambda key: key, build=lambda key, _i: OrganizationTerritory(territory_id=key))
        _write_details(org, edit)
        _write_lists(org, edit)


def _write_details(org: Organization, edit: OrganizationEdit) -> None:
    """The report link and the contacts (one row per organization, made on its first save)."""
    details = db.session.get(OrganizationDetails, org.id)
    if details is None:
        details = OrganizationDetails(organization_id=org.id)
        db.session.add(details)
    details.report_url = edit.report_url or None
    details.contact_meta_url = edit.contact_meta_url or None
    details.contact_email = edit.contact_email or None
    details.contact_website = edit.contact_website or None


def _write_lists(org: Organization, edit: OrganizationEdit) -> None:
    """Projects and documents (rows keyed by their place in the list: a changed one is updated in
    place) and Diff tags (keyed by slug, their place kept in ``position``); unchanged rows stay."""
    def update_project(row: OrganizationProject, item: tuple[int, Project], _index: int) -> None:
        if row.name != item[1].name:
            row.description = None  # another project in this place (descriptions come from the import)
        row.name, row.image_file, row.url = item[1].name, item[1].image_file, item[1].url or None

    def update_tag(row: OrganizationDiffTag, item: tuple[str, str], index: int) -> None:
        row.name, row.position = item[1], index + 1

    sync_rows(org.projects, list(enumerate(edit.projects, start=1)), row_key=lambda row: row.position,
              value_key=lambda item: item[0], update=update_project,
              build=lambda item, _i: OrganizationProject(position=item[0], name=item[1].name,
                                                         image_file=item[1].image_file, url=item[1].url or None))
    sync_rows(org.documents, list(enumerate(edit.document_files, start=1)), row_key=lambda row: row.position,
              value_key=lambda item: item[0], update=lambda row, item, _i: setattr(row, "file_name", item[1]),
              build=lambda item, _i: OrganizationDocument(position=item[0], file_name=item[1]))
    sync_rows(org.diff_tags, edit.tags, row_key=lambda row: row.slug, value_key=lambda item: item[0],
              update=update_tag, build=lambda item, i: OrganizationDiffTag(slug=item[0], name=item[1], position=i + 1))


def snapshot(edit: OrganizationEdit, chain: Sequence[str]) -> dict[str, str]:
    """The comparable, human-readable value of each field (capacities and territories named in the
    language ``chain``): what an editor loaded, and what is stored when someone saved meanwhile."""
    def named(kind: str, ids: list[int]) -> str:
        return ", ".join(c.label for c in choices.labels(kind, sorted(ids), chain))

    type_names = {type_id: name for type_id, name in db.session.execute(
        sa.select(OrganizationType.id, OrganizationType.name))}
    return {
        "logo": edit.logo_file or "", "name_en": edit.name_en,
        "names": "; ".join(f"{lang}: {name}" for lang, name in sorted(edit.names)),
        "acronym": edit.acronym, "type_id": type_names.get(edit.type_id, "") if edit.type_id else "",
        "report_url": edit.report_url,
        **{kind: named("capacity", ids) for kind, ids in edit.capacities.items()},
        "territories": named("territory", edit.territories),
        "projects": "; ".join(" · ".join(x for x in (p.name, p.image_file, p.url) if x) for p in edit.projects),
        "documents": "; ".join(edit.document_files), "diff_tags": ", ".join(name for _slug, name in edit.tags),
        "contact_meta_url": edit.contact_meta_url, "contact_email": edit.contact_email,
        "contact_website": edit.contact_website,
    }


# -- what the form offers --------------------------------------------------------------------------

def organization_types() -> list[OrganizationType]:
    """The organization types (chapter, user group, ...), by code."""
    return list(db.session.scalars(sa.select(OrganizationType).order_by(OrganizationType.code)))


def language_codes() -> set[str]:
    """The language codes people may give names in (the Language table)."""
    return set(db.session.scalars(sa.select(Language.code)))


def name_languages(lang: str) -> list[tuple[str, str]]:
    """(code, "name (code)") of every language other than English a name may be given in, named
    in the interface language ``lang`` and sorted by that name."""
    rows = db.session.scalars(sa.select(Language)).all()
    return sorted(((r.code, f"{language_name(r, lang)} ({r.code})") for r in rows if r.code != "en"),
                  key=lambda pair: pair[1].casefold())
