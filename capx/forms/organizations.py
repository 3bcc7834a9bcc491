"""The organization forms: the profile edit (with its no-JavaScript steps) and the managers form.

:func:`read_edit` checks a submitted edit field by field and returns a
:class:`~capx.forms.errors.Checked`: the service's
:class:`~capx.services.organization_profiles.OrganizationEdit` when everything is valid, the errors
per field, and an :class:`EditForm` with everything as typed, which the page shows again (after
errors, a picker search, a request for more name rows, or someone else's save meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from werkzeug.datastructures import MultiDict

from capx.forms.addresses import is_email, is_meta_wiki_url, is_web_url
from capx.forms.errors import Checked, FormErrors
from capx.forms.pickers import searching
from capx.models import (AVAILABLE, CAPACITY_KINDS, KNOWN, MAX_DIFF_TAGS, MAX_DOCUMENTS, MAX_PROJECTS, WANTED,
                         OrganizationType, User)
from capx.services import choices
from capx.services.news import tag_slug
from capx.services.organization_profiles import (OrganizationEdit, Project, language_codes, offers_only_known,
                                                 organization_types)
from capx.services.organizations import manager_candidate
from capx.support.media import normalize_commons_file
from capx.support.values import int_list, parse_id
from capx.translations import LazyMessage, lazy_msg

NAME_MAX, ACRONYM_MAX, TAG_MAX, PROJECT_NAME_MAX = 255, 40, 100, 200
#: Blank rows offered for new translations of the name (no JavaScript needed).
EXTRA_NAME_ROWS = 2

#: What each organization type is called (by its code, lower case).
TYPE_LABELS = {"c": lazy_msg("organization-type-c"), "g": lazy_msg("organization-type-g"),
               "t": lazy_msg("organization-type-t"), "u": lazy_msg("organization-type-u")}
#: The headings of the profile's capacity lists.
CAPACITY_HEADINGS = {KNOWN: lazy_msg("organization-capacities-known"),
                     AVAILABLE: lazy_msg("organization-capacities-available"),
                     WANTED: lazy_msg("organization-capacities-wanted")}
#: The edit's fields, in the order of the "changed meanwhile" table, with their labels
#: (the keys of capx.services.organization_profiles.snapshot).
FIELD_LABELS = {
    "logo": lazy_msg("organization-edit-logo"), "name_en": lazy_msg("organization-edit-name-en"),
    "names": lazy_msg("organization-edit-names"), "acronym": lazy_msg("organization-edit-acronym"),
    "type_id": lazy_msg("organization-edit-type"), "report_url": lazy_msg("organization-edit-report"),
    "known": lazy_msg("organization-edit-known"), "available": lazy_msg("organization-edit-available"),
    "wanted": lazy_msg("organization-edit-wanted"), "territories": lazy_msg("organization-edit-territories"),
    "projects": lazy_msg("organization-edit-projects"), "documents": lazy_msg("organization-edit-documents"),
    "diff_tags": lazy_msg("organization-edit-diff-tags"), "contact_meta_url": lazy_msg("organization-edit-contact-meta"),
    "contact_email": lazy_msg("organization-edit-contact-email"),
    "contact_website": lazy_msg("organization-edit-contact-website"),
}


def type_label(kind: OrganizationType) -> LazyMessage | str:
    """An organization type's name in the page's language (its English name when it has no message)."""
    return TYPE_LABELS.get(kind.code.lower(), kind.name)


def type_options() -> list[tuple[int, LazyMessage | str]]:
    """(id, name) of every organization type, for the edit form's select."""
    return [(kind.id, type_label(kind)) for kind in organization_types()]


# -- the edit --------------------------------------------------------------------------------------

@dataclass
class ProjectRow:
    """A project's three fields as typed."""

    name: str = ""
    image: str = ""
    url: str = ""


@dataclass
class EditForm:
    """The edit form as the manager typed it (capacities and territories: the ids that exist)."""

    logo: str = ""
    acronym: str = ""
    type_id: int | None = None
    name_en: str = ""
    names: list[tuple[str, str]] = field(default_factory=list)  # (lang, name) other than English
    report_url: str = ""
    capacities: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in CAPACITY_KINDS})
    territories: list[int] = field(default_factory=list)
    projects: list[ProjectRow] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    diff_tags: str = ""
    contact_meta_url: str = ""
    contact_email: str = ""
    contact_website: str = ""

    @property
    def name_rows(self) -> list[tuple[str, str]]:
        """The names, and blank rows for more."""
        return [*self.names, *[("", "")] * EXTRA_NAME_ROWS]

    @property
    def project_rows(self) -> list[ProjectRow]:
        """The projects, and blank rows up to the limit."""
        return [*self.projects, *[ProjectRow()] * max(0, MAX_PROJECTS - len(self.projects))]

    @property
    def document_rows(self) -> list[str]:
        """The documents, and blank rows up to the limit."""
        return [*self.documents, *[""] * max(0, MAX_DOCUMENTS - len(self.documents))]


def edit_form(stored: OrganizationEdit) -> EditForm:
    """The form showing the profile as stored."""
    return EditForm(
        logo=stored.logo_file or "", acronym=stored.acronym, type_id=stored.type_id, name_en=stored.name_en,
        names=list(stored.names), report_url=stored.report_url,
        capacities={kind: list(ids) for kind, ids in stored.capacities.items()}, territories=list(stored.territories),
        projects=[ProjectRow(p.name, p.image_file or "", p.url or "") for p in stored.projects],
        documents=list(stored.document_files), diff_tags=", ".join(name for _slug, name in stored.tags),
        contact_meta_url=stored.contact_meta_url, contact_email=stored.contact_email,
        contact_website=stored.contact_website)


def no_javascript_step(data: MultiDict[str, str]) -> bool:
    """Whether the submit asks for a step of the form rather than a save (a picker's search, more
    rows for names): the form is shown again, nothing is saved."""
    return searching(data) is not None or bool(data.get("add_name_rows"))


def importing_known(data: MultiDict[str, str]) -> bool:
    """Whether the submit asks to copy the known capacities into the available ones ("Import
    known capacities", as in the profile editor): the form is shown again with them, nothing saved."""
    return bool(data.get("import_known"))


def with_known_as_available(data: MultiDict[str, str]) -> MultiDict[str, str]:
    """The submitted data with every known capacity added to the available ones (in their order,
    after those already there)."""
    copied = data.copy()
    available = copied.getlist("capacity_available")
    copied.setlist("capacity_available",
                   [*available, *(c for c in data.getlist("capacity_known") if c not in available)])
    copied["capacity_available__present"] = "1"
    return copied


def _text(data: MultiDict[str, str], key: str) -> str:
    return (data.get(key) or "").strip()


def _too_long(limit: int) -> LazyMessage:
    return lazy_msg("organization-error-too-long", limit)


def _commons_file(value: str, key: str, errors: FormErrors) -> str | None:
    """The Commons file name ``value`` names (a name or a Commons address), or None."""
    if not value:
        return None
    file_name = normalize_commons_file(value)
    if file_name is None:
        errors.add(key, lazy_msg("organization-error-commons-file"))
    return file_name


def read_edit(data: MultiDict[str, str], chain: Sequence[str]) -> Checked[OrganizationEdit]:
    """The submitted edit, checked (capacities and territories against those that exist, named
    in the language ``chain``)."""
    errors = FormErrors()
    form = EditForm(logo=_text(data, "logo"), acronym=_text(data, "acronym"), name_en=_text(data, "name_en"),
                    report_url=_text(data, "report_url"), diff_tags=_text(data, "diff_tags"),
                    contact_meta_url=_text(data, "contact_meta_url"), contact_email=_text(data, "contact_email"),
                    contact_website=_text(data, "contact_website"))
    logo_file = _commons_file(form.logo, "logo", errors)
    if len(form.acronym) > ACRONYM_MAX:
        errors.add("acronym", _too_long(ACRONYM_MAX))
    form.type_id = _type_id(_text(data, "type_id"), errors)
    if not form.name_en:
        errors.add("name_en", lazy_msg("organization-error-name-en-required"))
    elif len(form.name_en) > NAME_MAX:
        errors.add("name_en", _too_long(NAME_MAX))
    form.names = _names(data, errors)
    if form.report_url and not is_meta_wiki_url(form.report_url):
        errors.add("report_url", lazy_msg("organization-error-meta-url"))
    _capacities_and_territories(form, data, chain, errors)
    form.projects, projects = _projects(data, errors)
    form.documents, document_files = _documents(data, errors)
    tags = _tags(form.diff_tags, errors)
    _contacts(form, errors)
    if errors:
        return Checked(None, errors, form)
    edit = OrganizationEdit(
        name_en=form.name_en, names=form.names, logo_file=logo_file, acronym=form.acronym, type_id=form.type_id,
        report_url=form.report_url, capacities=form.capacities, territories=form.territories, projects=projects,
        document_files=document_files, tags=tags, contact_meta_url=form.contact_meta_url,
        contact_email=form.contact_email, contact_website=form.contact_website)
    return Checked(edit, errors, form)


def _type_id(raw: str, errors: FormErrors) -> int | None:
    if not raw:
        return None
    type_id = parse_id(raw)
    if type_id is None or type_id not in {kind.id for kind in organization_types()}:
        errors.add("type_id", lazy_msg("organization-error-invalid-choice"))
        return None
    return type_id


def _names(data: MultiDict[str, str], errors: FormErrors) -> list[tuple[str, str]]:
    """The names in other languages, rows left blank skipped; each language once."""
    codes = language_codes()
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    rows = int_list([key.split("-", 1)[1] for key in data if key.startswith("name_lang-")])
    for index in sorted(rows):
        lang, name = _text(data, f"name_lang-{index}"), _text(data, f"name_text-{index}")
        if not lang and not name:
            continue
        names.append((lang, name))
        key = f"name-{len(names) - 1}"
        if not lang or lang not in codes:
            errors.add(key, lazy_msg("organization-error-language"))
        elif lang == "en" or lang in seen:
            errors.add(key, lazy_msg("organization-error-language-repeated"))
        if not name:
            errors.add(key, lazy_msg("organization-error-name-required"))
        elif len(name) > NAME_MAX:
            errors.add(key, _too_long(NAME_MAX))
        seen.add(lang)
    return names


def _capacities_and_territories(form: EditForm, data: MultiDict[str, str], chain: Sequence[str],
                                errors: FormErrors) -> None:
    capacity_ids = {c.value for c in choices.choices("capacity", chain)}
    form.capacities = {kind: [i for i in int_list(data.getlist(f"capacity_{kind}")) if i in capacity_ids]
                       for kind in CAPACITY_KINDS}
    if not offers_only_known(form.capacities):
        errors.add("capacity_available", lazy_msg("organization-error-available-not-known"))
    form.territories = choices.valid_ids("territory", int_list(data.getlist("territory")), chain)


def _projects(data: MultiDict[str, str], errors: FormErrors) -> tuple[list[ProjectRow], list[Project]]:
    """The project rows as typed (blank ones skipped) and as stored."""
    rows: list[ProjectRow] = []
    projects: list[Project] = []
    for index in range(MAX_PROJECTS + 2):
        row = ProjectRow(_text(data, f"project_name-{index}"), _text(data, f"project_image-{index}"),
                         _text(data, f"project_url-{index}"))
        if not (row.name or row.image or row.url):
            continue
        rows.append(row)
        key = f"project-{len(rows) - 1}"
        if not row.name:
            errors.add(key, lazy_msg("organization-error-project-name-required"))
        elif len(row.name) > PROJECT_NAME_MAX:
            errors.add(key, _too_long(PROJECT_NAME_MAX))
        image_file = _commons_file(row.image, key, errors)
        if row.url and not is_web_url(row.url):
            errors.add(key, lazy_msg("organization-error-url"))
        projects.append(Project(row.name, image_file, row.url or None))
    if len(rows) > MAX_PROJECTS:
        errors.add("projects", lazy_msg("organization-error-too-many", MAX_PROJECTS))
    return rows, projects


def _documents(data: MultiDict[str, str], errors: FormErrors) -> tuple[list[str], list[str]]:
    """The documents as typed (blank ones skipped) and their Commons file names."""
    typed: list[str] = []
    files: list[str] = []
    for index in range(MAX_DOCUMENTS + 2):
        value = _text(data, f"document-{index}")
        if not value:
            continue
        typed.append(value)
        file_name = _commons_file(value, f"document-{len(typed) - 1}", errors)
        if file_name is not None:
            files.append(file_name)
    if len(typed) > MAX_DOCUMENTS:
        errors.add("documents", lazy_msg("organization-error-too-many", MAX_DOCUMENTS))
    return typed, files


def _tags(diff_tags: str, errors: FormErrors) -> list[tuple[str, str]]:
    """The Diff tags (names, comma-separated; not links) as (slug, name), each slug once."""
    tags: list[tuple[str, str]] = []
    for raw in (t.strip() for t in diff_tags.split(",")):
        if not raw:
            continue
        slug = tag_slug(raw)
        if "/" in raw or ":" in raw or len(raw) > TAG_MAX or not slug:
            errors.add("diff_tags", lazy_msg("organization-error-diff-tag", raw))
        elif slug not in {s for s, _name in tags}:
            tags.append((slug, raw))
    if len(tags) > MAX_DIFF_TAGS:
        errors.add("diff_tags", lazy_msg("organization-error-too-many", MAX_DIFF_TAGS))
    return tags


def _contacts(form: EditForm, errors: FormErrors) -> None:
    if form.contact_meta_url and not is_meta_wiki_url(form.contact_meta_url):
        errors.add("contact_meta_url", lazy_msg("organization-error-meta-url"))
    if form.contact_email and not is_email(form.contact_email):
        errors.add("contact_email", lazy_msg("organization-error-email"))
    if form.contact_website and not is_web_url(form.contact_website, https_only=True):
        errors.add("contact_website", lazy_msg("organization-error-website"))


#: The name rows, the type and the length message, shared with the staff form of the base fields
#: (capx.forms.organization_admin).
read_names, read_type_id, too_long = _names, _type_id, _too_long


# -- managers --------------------------------------------------------------------------------------

def read_new_manager(data: MultiDict[str, str]) -> Checked[User]:
    """The user to make a manager, by the name typed (``form`` is that name): someone who has
    logged in at least once."""
    username = _text(data, "username")
    user = manager_candidate(username)
    if user is None:
        errors = FormErrors()
        errors.add("username", lazy_msg("organization-managers-unknown-user"))
        return Checked(None, errors, username)
    return Checked(user, FormErrors(), username)


def read_removed_manager(data: MultiDict[str, str]) -> int | None:
    """The id of the manager to remove (None when malformed)."""
    return parse_id(data.get("user_id"))
