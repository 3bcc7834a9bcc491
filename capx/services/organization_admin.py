"""Staff tools for organizations: create one, edit its base fields, merge a duplicate into another.

The base fields are what staff own (names per language, acronym, type, territories, parent
organization); the rest of the profile is its managers' (capx.services.organization_profiles).

A merge (:func:`merge_organizations`) moves everything that belongs to the duplicate (the
*source*) to the organization it goes into (the *target*) in the caller's transaction, then erases
the source and records its id in ``organization_redirect`` so its old address leads to the target.
Where both hold a value the target's wins; what the source held that did not move (its value lost
to the target's, or it did not fit within a limit: featured events, projects, documents, Diff
tags) is returned as :class:`MergeNote` rows and kept with the redirect for staff to read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from capx.extensions import db
from capx.models import (MAX_DIFF_TAGS, MAX_DOCUMENTS, MAX_PROJECTS, Badge, Event, MentorshipProgram, Organization,
                         OrganizationCapacity, OrganizationDetails, OrganizationDiffTag, OrganizationDocument,
                         OrganizationManager, OrganizationName, OrganizationProject, OrganizationRedirect,
                         OrganizationTerritory, PartnerMember, ProfileAffiliation, SavedOrganization, User, utcnow)
from capx.services.events import MAX_FEATURED
from capx.support.collections import sync_rows

# -- the base fields -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseFields:
    """An organization's base fields as staff save them (checked by capx.forms.organization_admin)."""

    name_en: str
    names: list[tuple[str, str]] = field(default_factory=list)  # (lang, name), languages other than English
    acronym: str = ""
    type_id: int | None = None
    territories: list[int] = field(default_factory=list)
    parent_id: int | None = None


def base_fields(org: Organization) -> BaseFields:
    """The base fields as stored (the form's initial values)."""
    return BaseFields(
        name_en=next((n.name for n in org.names if n.lang == "en"), ""),
        names=sorted((n.lang, n.name) for n in org.names if n.lang != "en"), acronym=org.acronym or "",
        type_id=org.type_id, territories=sorted(t.territory_id for t in org.territories), parent_id=org.parent_id)


def parent_allowed(org_id: int | None, parent_id: int | None) -> bool:
    """Whether ``parent_id`` may be the parent of the organization ``org_id`` (None: a new one):
    it exists, and it is neither the organization itself nor one of its descendants."""
    if parent_id is None:
        return True
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == org_id:
            return False
        seen.add(current)
        row = db.session.execute(sa.select(Organization.id, Organization.parent_id)
                                 .where(Organization.id == current)).first()
        if row is None:
            return current != parent_id  # an unknown parent is refused; a broken chain above it is not ours
        current = row.parent_id
    return True


def _write_base(org: Organization, fields: BaseFields) -> None:
    org.acronym = fields.acronym or None
    org.type_id = fields.type_id
    org.parent_id = fields.parent_id
    org.updated_at = utcnow()
    names = list({"en": fields.name_en, **dict(fields.names)}.items())
    sync_rows(org.names, names, row_key=lambda row: row.lang, value_key=lambda item: item[0],
              build=lambda item, _i: OrganizationName(lang=item[0], name=item[1]),
              update=lambda row, item, _i: setattr(row, "name", item[1]))
    sync_rows(org.territories, sorted(set(fields.territories)), row_key=lambda row: row.territory_id,
              value_key=lambda key: key, build=lambda key, _i: OrganizationTerritory(territory_id=key))


def create_organization(fields: BaseFields) -> Organization:
    """A new organization with these base fields (flushed, so it has its id). It has no manager
    yet, so it stays hidden until staff name one."""
    if not parent_allowed(None, fields.parent_id):
        raise ValueError("unknown parent organization")
    org = Organization(names=[], territories=[])
    db.session.add(org)
    _write_base(org, fields)
    db.session.flush()
    return org


def apply_base_fields(org: Organization, fields: BaseFields) -> None:
    """Write the base fields of an existing organization (flushed; its version goes up, so a
    manager editing the profile meanwhile is told)."""
    if not parent_allowed(org.id, fields.parent_id):
        raise ValueError("the parent would make a cycle")
    _write_base(org, fields)
    db.session.flush()


# -- merging ---------------------------------------------------------------------------------------

#: What a merge note is about (the page labels each; see capx.forms.organization_admin).
NOTE_KINDS = ("name", "acronym", "type", "logo", "parent", "report_url", "contact_meta_url", "contact_email",
              "contact_website", "project", "document", "diff_tag", "featured_event")


@dataclass(frozen=True)
class MergeNote:
    """Something the source held that the target did not take: ``kind`` (one of NOTE_KINDS) and
    the source's value as text."""

    kind: str
    value: str


@dataclass(frozen=True)
class MergeRecord:
    """A finished merge as kept with its redirect."""

    old_id: int
    target_id: int
    notes: list[MergeNote]


def _scalar_fields(source: Organization, target: Organization, notes: list[MergeNote]) -> None:
    for kind, attr in (("acronym", "acronym"), ("type", "type_id"), ("logo", "logo_file")):
        mine, theirs = getattr(target, attr), getattr(source, attr)
        if mine in (None, "") and theirs not in (None, ""):
            setattr(target, attr, theirs)
        elif theirs not in (None, "") and theirs != mine:
            notes.append(MergeNote(kind, str(source.type.name if kind == "type" and source.type else theirs)))
    # The parent: the source's children become the target's; a merge never makes a cycle.
    source_parent = source.parent_id if source.parent_id != target.id else None
    if target.parent_id == source.id:
        target.parent_id = source_parent
    elif target.parent_id is None and source_parent is not None:
        target.parent_id = source_parent
    elif source_parent is not None and source_parent != target.parent_id:
        notes.append(MergeNote("parent", str(source_parent)))
    if target.parent_id is not None and not parent_allowed(target.id, target.parent_id):
        target.parent_id = None
    target.is_partner = bool(target.is_partner or source.is_partner)
    target.updated_at = utcnow()


def _names(source: Organization, target: Organization, notes: list[MergeNote]) -> None:
    held = {n.lang: n.name for n in target.names}
    for row in sorted(source.names, key=lambda n: n.lang):
        if row.lang not in held:
            target.names.append(OrganizationName(lang=row.lang, name=row.name))
        elif held[row.lang] != row.name:
            notes.append(MergeNote("name", f"{row.lang}: {row.name}"))


def _details(source: Organization, target: Organization, notes: list[MergeNote]) -> None:
    theirs = db.session.get(OrganizationDetails, source.id)
    if theirs is None:
        return
    mine = db.session.get(OrganizationDetails, target.id)
    if mine is None:
        mine = OrganizationDetails(organization_id=target.id)
        db.session.add(mine)
    for attr in ("report_url", "contact_meta_url", "contact_email", "contact_website"):
        value, held = getattr(theirs, attr), getattr(mine, attr)
        if not value:
            continue
        if not held:
            setattr(mine, attr, value)
        elif held != value:
            notes.append(MergeNote(attr, value))


class _Positioned(Protocol):
    @property
    def position(self) -> int: ...


Ordered = TypeVar("Ordered", bound=_Positioned)


def _lists(source: Organization, target: Organization, notes: list[MergeNote]) -> None:
    """Capacities and territories join; projects, documents and Diff tags join up to their limits."""
    held_capacities = {(c.capacity_id, c.kind) for c in target.capacities}
    for row in source.capacities:
        if (row.capacity_id, row.kind) not in held_capacities:
            target.capacities.append(OrganizationCapacity(capacity_id=row.capacity_id, kind=row.kind))
    held_territories = {t.territory_id for t in target.territories}
    for territory in source.territories:
        if territory.territory_id not in held_territories:
            target.territories.append(OrganizationTerritory(territory_id=territory.territory_id))

    _join_ordered(target.projects, source.projects, MAX_PROJECTS, notes, "project", key=lambda p: p.name,
                  copy=lambda p, position: OrganizationProject(position=position, name=p.name, url=p.url,
                                                               image_file=p.image_file, description=p.description))
    _join_ordered(target.documents, source.documents, MAX_DOCUMENTS, notes, "document", key=lambda d: d.file_name,
                  copy=lambda d, position: OrganizationDocument(position=position, file_name=d.file_name))
    _join_ordered(target.diff_tags, source.diff_tags, MAX_DIFF_TAGS, notes, "diff_tag", key=lambda t: t.slug,
                  copy=lambda t, position: OrganizationDiffTag(slug=t.slug, name=t.name, position=position),
                  label=lambda t: t.name)


def _join_ordered(held: list[Ordered], incoming: Sequence[Ordered], limit: int, notes: list[MergeNote], kind: str, *,
                  key: Callable[[Ordered], str], copy: Callable[[Ordered, int], Ordered],
                  label: Callable[[Ordered], str] | None = None) -> None:
    """Append to ``held`` a copy of each incoming row it lacks (by ``key``), numbered after its last
    position, while it holds fewer than ``limit``; a row that did not fit becomes a note of ``kind``
    (named by ``label``, else by its key)."""
    keys = {key(row) for row in held}
    position = max((row.position for row in held), default=0)
    for row in incoming:
        if key(row) in keys:
            continue
        if len(held) >= limit:
            notes.append(MergeNote(kind, (label or key)(row)))
            continue
        position += 1
        held.append(copy(row, position))


def _events(source_id: int, target_id: int, notes: list[MergeNote]) -> None:
    """The source's events move; its featured ones stay featured while the target has room."""
    featured = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.organization_id == target_id, Event.featured_position.is_not(None))) or 0
    for event in db.session.scalars(sa.select(Event).where(Event.organization_id == source_id,
                                                          Event.featured_position.is_not(None))
                                    .order_by(Event.featured_position, Event.id)):
        if featured < MAX_FEATURED:
            featured += 1
            event.featured_position = featured
        else:
            event.featured_position = None
            notes.append(MergeNote("featured_event", event.title))
    db.session.flush()
    db.session.execute(sa.update(Event).where(Event.organization_id == source_id)
                       .values(organization_id=target_id).execution_options(synchronize_session=False))


def _move_links(model: Any, other_column: str, source_id: int, target_id: int) -> None:
    """Rows keyed by (organization, someone): the target keeps its own, the source's others move."""
    other = getattr(model, other_column)
    # MariaDB refuses a subquery on the table being changed: read the target's ids first.
    held_ids = list(db.session.scalars(sa.select(other).where(model.organization_id == target_id)))
    if held_ids:
        db.session.execute(sa.delete(model).where(model.organization_id == source_id, other.in_(held_ids))
                           .execution_options(synchronize_session=False))
    db.session.execute(sa.update(model).where(model.organization_id == source_id)
                       .values(organization_id=target_id).execution_options(synchronize_session=False))


def merge_organizations(source: Organization, target: Organization, staff: User | None) -> MergeRecord:
    """Merge ``source`` (a duplicate) into ``target`` and erase it; flushed, in the caller's
    transaction (commit once, or roll back everything). Both must come from
    :func:`capx.services.organizations.load_organization`."""
    if source.id == target.id:
        raise ValueError("an organization cannot be merged into itself")
    notes: list[MergeNote] = []
    source_id, target_id = source.id, target.id
    _scalar_fields(source, target, notes)
    _names(source, target, notes)
    _details(source, target, notes)
    _lists(source, target, notes)
    db.session.flush()
    _events(source_id, target_id, notes)
    for model, other in ((OrganizationManager, "user_id"), (ProfileAffiliation, "profile_id"),
                         (SavedOrganization, "owner_id"), (PartnerMember, "user_id")):
        _move_links(model, other, source_id, target_id)
    db.session.execute(sa.update(MentorshipProgram).where(MentorshipProgram.organization_id == source_id)
                       .values(organization_id=target_id).execution_options(synchronize_session=False))
    db.session.execute(sa.update(Badge).where(Badge.organization_id == source_id)
                       .values(organization_id=target_id).execution_options(synchronize_session=False))
    db.session.execute(sa.update(Organization).where(Organization.parent_id == source_id, Organization.id != target_id)
                       .values(parent_id=target_id).execution_options(synchronize_session=False))
    db.session.execute(sa.update(OrganizationRedirect).where(OrganizationRedirect.target_id == source_id)
                       .values(target_id=target_id).execution_options(synchronize_session=False))
    db.session.execute(sa.delete(Organization).where(Organization.id == source_id)
                       .execution_options(synchronize_session=False))
    db.session.add(OrganizationRedirect(old_id=source_id, target_id=target_id,
                                        report=json.dumps([[n.kind, n.value] for n in notes], ensure_ascii=False)))
    db.session.flush()
    db.session.expire_all()
    return MergeRecord(source_id, target_id, notes)


def redirect_target(old_id: int) -> int | None:
    """Where the address of a merged organization leads now (None: it was never merged)."""
    return db.session.scalar(sa.select(OrganizationRedirect.target_id).where(OrganizationRedirect.old_id == old_id))


def merge_record(old_id: int) -> MergeRecord | None:
    """A merge as kept with its redirect (what did not move), or None."""
    row = db.session.get(OrganizationRedirect, old_id)
    if row is None:
        return None
    notes = [MergeNote(kind, value) for kind, value in json.loads(row.report or "[]") if kind in NOTE_KINDS]
    return MergeRecord(row.old_id, row.target_id, notes)


def organization_options(chain: Sequence[str]) -> list[tuple[int, str]]:
    """(id, name) of every organization, hidden ones included, named in the language ``chain`` and
    sorted by name (the staff forms' parent and merge choices: two queries)."""
    names = tuple(chain)
    orgs = db.session.scalars(sa.select(Organization).options(selectinload(Organization.names))).all()
    return sorted(((o.id, o.name_in(names) or f"#{o.id}") for o in orgs), key=lambda pair: pair[1].casefold())
