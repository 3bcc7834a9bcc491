"""Organizations: who may see and manage them, their profile, and saving an edit.

Visibility: an organization is visible only while it has a manager; without one it is hidden
from lists, search, suggestions, statistics, and its events and programs with it (staff can still
reach its page). That rule is written once, below, in its forms: :func:`visible_given` (the rule
itself), :func:`visible` (as SQL, for any organization id column or value),
:func:`visible_organization_ids_subquery`, :func:`visible_organizations_query`, :func:`is_visible_id`
and :func:`is_visible`. Nothing else in the code base writes it again.

Editing: :func:`parse_edit` turns the submitted form into an :class:`OrganizationEdit` plus errors
per field, :func:`apply_edit` writes it in the caller's transaction. Two managers editing at once
are told apart by ``Organization.version`` (a version_id_col): the form carries the version and a
snapshot of what was loaded; :func:`changed_since` lists what someone else changed meanwhile.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from capx.extensions import db
from capx.forms.errors import FormErrors
from capx.language import current_language_chain
from capx.models import (
    AVAILABLE,
    KNOWN,
    MAX_DIFF_TAGS,
    MAX_DOCUMENTS,
    MAX_PROJECTS,
    WANTED,
    Language,
    Organization,
    OrganizationCapacity,
    OrganizationDetails,
    OrganizationDiffTag,
    OrganizationDocument,
    OrganizationManager,
    OrganizationName,
    OrganizationProject,
    OrganizationTerritory,
    OrganizationType,
    User,
    utcnow,
)
from capx.services import badges
from capx.services import choices as choices_service
from capx.support.collections import sync_rows
from capx.support.media import normalize_commons_file
from capx.support.values import int_list
from capx.translations import LazyMessage, lazy_msg

META_HOSTS = {"meta.wikimedia.org", "meta.m.wikimedia.org"}
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")
NAME_MAX, ACRONYM_MAX, URL_MAX, EMAIL_MAX, TAG_MAX = 255, 40, 500, 254, 100
PROJECT_NAME_MAX = 200
#: Blank rows offered for new translations of the name (no JavaScript needed).
EXTRA_NAME_ROWS = 2


# -- visibility (the rule, once) and managers ---------------------------------------------------------

def visible_given(managers: int) -> bool:
    """The rule: an organization with this many managers is visible (shown in lists, search,
    suggestions, statistics, with its events and programs) only while it has at least one."""
    return managers > 0


def visible(organization_id: Any = Organization.id) -> sa.ColumnElement[bool]:
    """The rule as SQL for an organization id (by default ``organization.id``; also a foreign key
    column such as ``Event.organization_id``, or a value): it has at least one manager."""
    return sa.exists().where(OrganizationManager.organization_id == organization_id)


def visible_organizations_query() -> sa.Select[tuple[Organization]]:
    """``SELECT organization`` restricted to visible organizations."""
    return sa.select(Organization).where(visible())


def visible_organization_ids_subquery() -> sa.Select[tuple[int]]:
    """The ids of visible organizations, for ``<column>.in_(...)`` filters (one row per id)."""
    return sa.select(OrganizationManager.organization_id).distinct()


def is_visible_id(organization_id: int) -> bool:
    """Whether the organization with this id is visible (one query)."""
    return db.session.scalar(sa.select(visible(organization_id))) or False


def is_visible(org: Organization) -> bool:
    """Whether the organization is visible (one query)."""
    return is_visible_id(org.id)


def managed_by(user: User | None) -> list[Organization]:
    """The organizations ``user`` manages, with their names loaded (for "My profiles")."""
    if user is None:
        return []
    query = (sa.select(Organization).join(OrganizationManager, OrganizationManager.organization_id == Organization.id)
             .where(OrganizationManager.user_id == user.id).options(selectinload(Organization.names))
             .order_by(Organization.id))
    return list(db.session.scalars(query))


def is_manager(user: User | None, org_id: int) -> bool:
    """Whether ``user`` is one of the organization's managers."""
    if user is None:
        return False
    return db.session.get(OrganizationManager, (org_id, user.id)) is not None


def can_manage(user: User | None, org_id: int) -> bool:
    """Managers of the organization and staff may edit it and its events."""
    return user is not None and (user.is_staff or is_manager(user, org_id))


def add_manager(org: Organization, user: User) -> bool:
    """Make ``user`` a manager of ``org``; False when they already were."""
    if db.session.get(OrganizationManager, (org.id, user.id)) is not None:
        return False
    db.session.add(OrganizationManager(organization_id=org.id, user_id=user.id))
    db.session.flush()
    badges.recompute_user(user)  # the "organization manager" badge
    return True


def remove_manager(org: Organization, user_id: int) -> bool:
    """Remove a manager; False when they were not one."""
    row = db.session.get(OrganizationManager, (org.id, user_id))
    if row is None:
        return False
    db.session.delete(row)
    return True


def find_organization(ref: str) -> Organization | None:
    """An organization by id, acronym or English name (for the command line)."""
    ref = ref.strip()
    if ref.isdigit():
        return db.session.get(Organization, int(ref))
    org = db.session.scalar(sa.select(Organization).where(sa.func.lower(Organization.acronym) == ref.lower()).limit(2))
    if org is not None:
        return org
    return db.session.scalar(sa.select(Organization).join(OrganizationName)
                             .where(OrganizationName.lang == "en", sa.func.lower(OrganizationName.name) == ref.lower())
                             .limit(1))


def delete_organization(org: Organization) -> None:
    """Erase an organization and everything that belongs to it (events, news tags, managers)."""
    db.session.execute(sa.delete(Organization).where(Organization.id == org.id))


def managers_of(org_id: int) -> list[User]:
    """The organization's managers, by user name."""
    return list(db.session.scalars(sa.select(User).join(OrganizationManager, OrganizationManager.user_id == User.id)
                                   .where(OrganizationManager.organization_id == org_id).order_by(User.username)))


def all_organizations_with_manager_counts() -> list[tuple[Organization, int]]:
    """Every organization (hidden ones included) with its number of managers: two queries."""
    counts = dict(db.session.execute(sa.select(OrganizationManager.organization_id, sa.func.count())
                                     .group_by(OrganizationManager.organization_id)).all())
    orgs = db.session.scalars(sa.select(Organization).options(selectinload(Organization.names))
                              .order_by(Organization.id)).all()
    return [(o, counts.get(o.id, 0)) for o in orgs]


# -- validators ------------------------------------------------------------------------------------

def is_meta_wiki_url(value: str) -> bool:
    """``https://meta.wikimedia.org/wiki/Page`` (or the mobile host, or /w/index.php?title=Page)."""
    if len(value) > URL_MAX:
        return False
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or parts.hostname not in META_HOSTS:
        return False
    if parts.path.startswith("/wiki/") and len(parts.path) > len("/wiki/"):
        return True
    return parts.path == "/w/index.php" and "title=" in parts.query


def is_web_url(value: str, https_only: bool = False) -> bool:
    """An absolute web address with a host (``https`` only when asked)."""
    if len(value) > URL_MAX or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    schemes = ("https",) if https_only else ("https", "http")
    return parts.scheme in schemes and bool(parts.hostname) and "." in (parts.hostname or "")


def is_email(value: str) -> bool:
    return len(value) <= EMAIL_MAX and bool(EMAIL_RE.match(value))


def tag_slug(name: str) -> str:
    """The WordPress slug of a tag name ("Capacity Exchange" → "capacity-exchange")."""
    slug = re.sub(r"[^\w\s-]", "", name.strip().lower())
    return re.sub(r"[\s_-]+", "-", slug).strip("-")


def language_codes() -> set[str]:
    """The language codes people may give names in (the Language table)."""
    return set(db.session.scalars(sa.select(Language.code)))


# -- the edit --------------------------------------------------------------------------------------

@dataclass
class ProjectRow:
    name: str = ""
    image: str = ""
    url: str = ""


@dataclass
class OrganizationEdit:
    """Everything the edit form says, as typed (``clean`` values are filled by parse_edit)."""

    logo: str = ""
    acronym: str = ""
    type_id: int | None = None
    name_en: str = ""
    names: list[tuple[str, str]] = field(default_factory=list)  # (lang, name) other than English
    report_url: str = ""
    known: list[int] = field(default_factory=list)
    available: list[int] = field(default_factory=list)
    wanted: list[int] = field(default_factory=list)
    territories: list[int] = field(default_factory=list)
    projects: list[ProjectRow] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    diff_tags: str = ""
    contact_meta_url: str = ""
    contact_email: str = ""
    contact_website: str = ""
    # normalized values
    logo_file: str | None = None
    project_images: list[str | None] = field(default_factory=list)
    document_files: list[str] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)


def edit_from_organization(org: Organization) -> OrganizationEdit:
    """The form's initial values for an organization."""
    details = db.session.get(OrganizationDetails, org.id)
    projects = db.session.scalars(sa.select(OrganizationProject).where(OrganizationProject.organization_id == org.id)
                                  .order_by(OrganizationProject.position)).all()
    documents = db.session.scalars(sa.select(OrganizationDocument.file_name)
                                   .where(OrganizationDocument.organization_id == org.id)
                                   .order_by(OrganizationDocument.position)).all()
    tags = db.session.scalars(sa.select(OrganizationDiffTag.name).where(OrganizationDiffTag.organization_id == org.id)
                              .order_by(OrganizationDiffTag.position, OrganizationDiffTag.name)).all()
    by_kind: dict[str, list[int]] = {KNOWN: [], AVAILABLE: [], WANTED: []}
    for row in sorted(org.capacities, key=lambda r: r.capacity_id):
        by_kind[row.kind].append(row.capacity_id)
    names = sorted((n.lang, n.name) for n in org.names if n.lang != "en")
    return OrganizationEdit(
        logo=org.logo_file or "", acronym=org.acronym or "", type_id=org.type_id,
        name_en=next((n.name for n in org.names if n.lang == "en"), ""), names=names,
        report_url=(details.report_url if details else None) or "",
        known=by_kind[KNOWN], available=by_kind[AVAILABLE], wanted=by_kind[WANTED],
        territories=sorted(t.territory_id for t in org.territories),
        projects=[ProjectRow(p.name, p.image_file or "", p.url or "") for p in projects],
        documents=list(documents), diff_tags=", ".join(tags),
        contact_meta_url=(details.contact_meta_url if details else None) or "",
        contact_email=(details.contact_email if details else None) or "",
        contact_website=(details.contact_website if details else None) or "",
    )


def _text(data: Mapping[str, str], key: str) -> str:
    return (data.get(key) or "").strip()


def parse_edit(data: MultiDict[str, str]) -> tuple[OrganizationEdit, FormErrors]:
    """Read and validate the submitted edit form: the typed values and translated errors per field."""
    errors = FormErrors()

    def fail(key: str, message: LazyMessage) -> None:
        errors.setdefault(key, []).append(message)

    edit = OrganizationEdit()
    edit.logo = _text(data, "logo")
    if edit.logo:
        edit.logo_file = normalize_commons_file(edit.logo)
        if edit.logo_file is None:
            fail("logo", lazy_msg("organization-error-commons-file"))
    edit.acronym = _text(data, "acronym")
    if len(edit.acronym) > ACRONYM_MAX:
        fail("acronym", lazy_msg("organization-error-too-long", ACRONYM_MAX))
    type_raw = _text(data, "type_id")
    if type_raw:
        type_ids = set(db.session.scalars(sa.select(OrganizationType.id)))
        edit.type_id = int(type_raw) if type_raw.isdigit() and int(type_raw) in type_ids else None
        if edit.type_id is None:
            fail("type_id", lazy_msg("organization-error-invalid-choice"))

    edit.name_en = _text(data, "name_en")
    if not edit.name_en:
        fail("name_en", lazy_msg("organization-error-name-en-required"))
    elif len(edit.name_en) > NAME_MAX:
        fail("name_en", lazy_msg("organization-error-too-long", NAME_MAX))
    codes = language_codes()
    seen_langs: set[str] = set()
    rows = int_list([k.split("-", 1)[1] for k in data if k.startswith("name_lang-")])
    for index in sorted(rows):
        lang, name = _text(data, f"name_lang-{index}"), _text(data, f"name_text-{index}")
        if not lang and not name:
            continue
        edit.names.append((lang, name))
        key = f"name-{len(edit.names) - 1}"
        if not lang or lang not in codes:
            fail(key, lazy_msg("organization-error-language"))
        elif lang == "en" or lang in seen_langs:
            fail(key, lazy_msg("organization-error-language-repeated"))
        if not name:
            fail(key, lazy_msg("organization-error-name-required"))
        elif len(name) > NAME_MAX:
            fail(key, lazy_msg("organization-error-too-long", NAME_MAX))
        seen_langs.add(lang)

    edit.report_url = _text(data, "report_url")
    if edit.report_url and not is_meta_wiki_url(edit.report_url):
        fail("report_url", lazy_msg("organization-error-meta-url"))

    capacity_ids = {c.value for c in choices_service.choices("capacity", current_language_chain())}
    edit.known = [i for i in int_list(data.getlist("capacity_known")) if i in capacity_ids]
    edit.available = [i for i in int_list(data.getlist("capacity_available")) if i in capacity_ids]
    edit.wanted = [i for i in int_list(data.getlist("capacity_wanted")) if i in capacity_ids]
    if set(edit.available) - set(edit.known):
        fail("capacity_available", lazy_msg("organization-error-available-not-known"))
    edit.territories = choices_service.valid_ids("territory", int_list(data.getlist("territory")), current_language_chain())

    for index in range(MAX_PROJECTS + 2):
        row = ProjectRow(_text(data, f"project_name-{index}"), _text(data, f"project_image-{index}"),
                         _text(data, f"project_url-{index}"))
        if not (row.name or row.image or row.url):
            continue
        edit.projects.append(row)
        key = f"project-{len(edit.projects) - 1}"
        if len(edit.projects) > MAX_PROJECTS:
            fail("projects", lazy_msg("organization-error-too-many", MAX_PROJECTS))
        if not row.name:
            fail(key, lazy_msg("organization-error-project-name-required"))
        elif len(row.name) > PROJECT_NAME_MAX:
            fail(key, lazy_msg("organization-error-too-long", PROJECT_NAME_MAX))
        image = normalize_commons_file(row.image) if row.image else None
        if row.image and image is None:
            fail(key, lazy_msg("organization-error-commons-file"))
        edit.project_images.append(image)
        if row.url and not is_web_url(row.url):
            fail(key, lazy_msg("organization-error-url"))

    for index in range(MAX_DOCUMENTS + 2):
        value = _text(data, f"document-{index}")
        if not value:
            continue
        edit.documents.append(value)
        key = f"document-{len(edit.documents) - 1}"
        if len(edit.documents) > MAX_DOCUMENTS:
            fail("documents", lazy_msg("organization-error-too-many", MAX_DOCUMENTS))
        file_name = normalize_commons_file(value)
        if file_name is None:
            fail(key, lazy_msg("organization-error-commons-file"))
        else:
            edit.document_files.append(file_name)

    edit.diff_tags = _text(data, "diff_tags")
    for raw in (t.strip() for t in edit.diff_tags.split(",")):
        if not raw:
            continue
        if "/" in raw or ":" in raw or len(raw) > TAG_MAX or not tag_slug(raw):
            fail("diff_tags", lazy_msg("organization-error-diff-tag", raw))
            continue
        slug = tag_slug(raw)
        if slug not in {s for s, _ in edit.tags}:
            edit.tags.append((slug, raw))
    if len(edit.tags) > MAX_DIFF_TAGS:
        fail("diff_tags", lazy_msg("organization-error-too-many", MAX_DIFF_TAGS))

    edit.contact_meta_url = _text(data, "contact_meta_url")
    if edit.contact_meta_url and not is_meta_wiki_url(edit.contact_meta_url):
        fail("contact_meta_url", lazy_msg("organization-error-meta-url"))
    edit.contact_email = _text(data, "contact_email")
    if edit.contact_email and not is_email(edit.contact_email):
        fail("contact_email", lazy_msg("organization-error-email"))
    edit.contact_website = _text(data, "contact_website")
    if edit.contact_website and not is_web_url(edit.contact_website, https_only=True):
        fail("contact_website", lazy_msg("organization-error-website"))
    return edit, errors


def apply_edit(org: Organization, edit: OrganizationEdit) -> None:
    """Write a valid edit to the organization (in the caller's transaction; the version goes up)."""
    org.logo_file = edit.logo_file
    org.acronym = edit.acronym or None
    org.type_id = edit.type_id
    org.updated_at = utcnow()  # always an UPDATE of the row, so the version changes with every save
    names = list({"en": edit.name_en, **dict(edit.names)}.items())
    sync_rows(org.names, names, row_key=lambda row: row.lang, value_key=lambda item: item[0],
              build=lambda item, _i: OrganizationName(lang=item[0], name=item[1]),
              update=lambda row, item, _i: setattr(row, "name", item[1]))
    capacities = sorted({(i, KNOWN) for i in edit.known} | {(i, AVAILABLE) for i in edit.available}
                        | {(i, WANTED) for i in edit.wanted})
    sync_rows(org.capacities, capacities, row_key=lambda row: (row.capacity_id, row.kind), value_key=lambda key: key,
              build=lambda key, _i: OrganizationCapacity(capacity_id=key[0], kind=key[1]))
    sync_rows(org.territories, sorted(set(edit.territories)), row_key=lambda row: row.territory_id,
              value_key=lambda key: key, build=lambda key, _i: OrganizationTerritory(territory_id=key))

    details = db.session.get(OrganizationDetails, org.id)
    if details is None:
        details = OrganizationDetails(organization_id=org.id)
        db.session.add(details)
    details.report_url = edit.report_url or None
    details.contact_meta_url = edit.contact_meta_url or None
    details.contact_email = edit.contact_email or None
    details.contact_website = edit.contact_website or None

    for model in (OrganizationProject, OrganizationDocument, OrganizationDiffTag):
        db.session.execute(sa.delete(model).where(model.organization_id == org.id))
    for position, (row, image) in enumerate(zip(edit.projects, edit.project_images, strict=True), start=1):
        db.session.add(OrganizationProject(organization_id=org.id, position=position, name=row.name,
                                           image_file=image, url=row.url or None))
    for position, file_name in enumerate(edit.document_files, start=1):
        db.session.add(OrganizationDocument(organization_id=org.id, position=position, file_name=file_name))
    for position, (slug, name) in enumerate(edit.tags, start=1):
        db.session.add(OrganizationDiffTag(organization_id=org.id, slug=slug, name=name, position=position))


# -- concurrency -----------------------------------------------------------------------------------

#: Fields compared when someone else saved meanwhile, with their label message keys.
SNAPSHOT_FIELDS = (
    ("logo", "organization-edit-logo"), ("name_en", "organization-edit-name-en"),
    ("names", "organization-edit-names"), ("acronym", "organization-edit-acronym"),
    ("type_id", "organization-edit-type"), ("report_url", "organization-edit-report"),
    ("known", "organization-edit-known"), ("available", "organization-edit-available"),
    ("wanted", "organization-edit-wanted"), ("territories", "organization-edit-territories"),
    ("projects", "organization-edit-projects"), ("documents", "organization-edit-documents"),
    ("diff_tags", "organization-edit-diff-tags"), ("contact_meta_url", "organization-edit-contact-meta"),
    ("contact_email", "organization-edit-contact-email"), ("contact_website", "organization-edit-contact-website"),
)


def snapshot(edit: OrganizationEdit) -> dict[str, str]:
    """The comparable, human-readable value of each field (capacities and territories by name)."""
    def labels(kind: str, ids: list[int]) -> str:
        return ", ".join(c.label for c in choices_service.labels(kind, ids, current_language_chain()))

    type_names = dict(db.session.execute(sa.select(OrganizationType.id, OrganizationType.name)).all())
    return {
        "logo": edit.logo, "name_en": edit.name_en,
        "names": "; ".join(f"{lang}: {name}" for lang, name in sorted(edit.names)),
        "acronym": edit.acronym, "type_id": type_names.get(edit.type_id, "") if edit.type_id else "",
        "report_url": edit.report_url,
        "known": labels("capacity", sorted(edit.known)), "available": labels("capacity", sorted(edit.available)),
        "wanted": labels("capacity", sorted(edit.wanted)), "territories": labels("territory", sorted(edit.territories)),
        "projects": "; ".join(" · ".join(x for x in (p.name, p.image, p.url) if x) for p in edit.projects),
        "documents": "; ".join(edit.documents), "diff_tags": edit.diff_tags,
        "contact_meta_url": edit.contact_meta_url, "contact_email": edit.contact_email,
        "contact_website": edit.contact_website,
    }


def encode_snapshot(values: dict[str, str]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def decode_snapshot(raw: str | None) -> dict[str, str]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class FieldChange:
    """A field someone else changed: what this editor loaded and what is stored now."""

    label_key: str
    loaded: str
    stored: str


def changed_since(loaded: dict[str, str], stored: dict[str, str],
                  fields: tuple[tuple[str, str], ...] = SNAPSHOT_FIELDS) -> list[FieldChange]:
    """The fields whose stored value differs from what the editor loaded."""
    return [FieldChange(label, loaded.get(key, ""), stored.get(key, ""))
            for key, label in fields if loaded.get(key, "") != stored.get(key, "")]


def submitted_version(data: Mapping[str, str]) -> int | None:
    raw = (data.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


# -- the profile page ------------------------------------------------------------------------------

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
    extra: dict[str, Any] = field(default_factory=dict)


def load_organization(org_id: int) -> Organization | None:
    """An organization with names, capacities, territories and managers loaded."""
    return db.session.scalar(sa.select(Organization).where(Organization.id == org_id).options(
        selectinload(Organization.names), selectinload(Organization.capacities),
        selectinload(Organization.territories), selectinload(Organization.managers),
        selectinload(Organization.type)))


def load_profile(org: Organization) -> OrganizationProfile:
    """The profile's parts (the organization must come from :func:`load_organization`)."""
    by_kind: dict[str, list[int]] = {KNOWN: [], AVAILABLE: [], WANTED: []}
    for row in org.capacities:
        by_kind[row.kind].append(row.capacity_id)
    return OrganizationProfile(
        org=org, details=db.session.get(OrganizationDetails, org.id), capacities=by_kind,
        territory_ids=[t.territory_id for t in org.territories],
        projects=list(db.session.scalars(sa.select(OrganizationProject).where(
            OrganizationProject.organization_id == org.id).order_by(OrganizationProject.position))),
        documents=list(db.session.scalars(sa.select(OrganizationDocument).where(
            OrganizationDocument.organization_id == org.id).order_by(OrganizationDocument.position))),
        tags=list(db.session.scalars(sa.select(OrganizationDiffTag).where(
            OrganizationDiffTag.organization_id == org.id).order_by(OrganizationDiffTag.position))),
        visible=bool(org.managers),
    )
