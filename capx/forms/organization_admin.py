"""The staff forms for organizations: the base fields (create, edit) and the merge of a duplicate.

:func:`read_base_fields` returns a :class:`~capx.forms.errors.Checked` of
:class:`~capx.services.organization_admin.BaseFields`, with a :class:`BaseForm` holding everything
as typed; :func:`read_merge` the organization to merge into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from werkzeug.datastructures import MultiDict

from capx.forms.errors import Checked, FormErrors
from capx.forms.organizations import (ACRONYM_MAX, EXTRA_NAME_ROWS, NAME_MAX, read_names, read_type_id,
                                      too_long)
from capx.services import choices
from capx.services.organization_admin import NOTE_KINDS, BaseFields, MergeNote, parent_allowed
from capx.services.organizations import get_organization
from capx.support.values import int_list, parse_id
from capx.translations import LazyMessage, lazy_msg

#: What each merge note is about.
NOTE_LABELS: dict[str, LazyMessage] = {
    "name": lazy_msg("organization-merge-note-name"), "acronym": lazy_msg("organization-merge-note-acronym"),
    "type": lazy_msg("organization-merge-note-type"), "logo": lazy_msg("organization-merge-note-logo"),
    "parent": lazy_msg("organization-merge-note-parent"),
    "report_url": lazy_msg("organization-merge-note-report-url"),
    "contact_meta_url": lazy_msg("organization-merge-note-contact-meta-url"),
    "contact_email": lazy_msg("organization-merge-note-contact-email"),
    "contact_website": lazy_msg("organization-merge-note-contact-website"),
    "project": lazy_msg("organization-merge-note-project"), "document": lazy_msg("organization-merge-note-document"),
    "diff_tag": lazy_msg("organization-merge-note-diff-tag"),
    "featured_event": lazy_msg("organization-merge-note-featured-event"),
}
assert set(NOTE_LABELS) == set(NOTE_KINDS)


@dataclass
class BaseForm:
    """The base fields as staff typed them."""

    name_en: str = ""
    names: list[tuple[str, str]] = field(default_factory=list)
    acronym: str = ""
    type_id: int | None = None
    territories: list[int] = field(default_factory=list)
    parent: str = ""

    @property
    def name_rows(self) -> list[tuple[str, str]]:
        """The names, and blank rows for more."""
        return [*self.names, *[("", "")] * EXTRA_NAME_ROWS]


def base_form(stored: BaseFields) -> BaseForm:
    """The form showing the base fields as stored."""
    return BaseForm(name_en=stored.name_en, names=list(stored.names), acronym=stored.acronym,
                    type_id=stored.type_id, territories=list(stored.territories),
                    parent=str(stored.parent_id) if stored.parent_id else "")


def _text(data: MultiDict[str, str], key: str) -> str:
    return (data.get(key) or "").strip()


def read_base_fields(data: MultiDict[str, str], chain: Sequence[str],
                     organization_id: int | None = None) -> Checked[BaseFields]:
    """The submitted base fields of the organization ``organization_id`` (None: a new one), checked."""
    errors = FormErrors()
    form = BaseForm(name_en=_text(data, "name_en"), acronym=_text(data, "acronym"), parent=_text(data, "parent_id"))
    if not form.name_en:
        errors.add("name_en", lazy_msg("organization-error-name-en-required"))
    elif len(form.name_en) > NAME_MAX:
        errors.add("name_en", too_long(NAME_MAX))
    form.names = read_names(data, errors)
    if len(form.acronym) > ACRONYM_MAX:
        errors.add("acronym", too_long(ACRONYM_MAX))
    form.type_id = read_type_id(_text(data, "type_id"), errors)
    form.territories = choices.valid_ids("territory", int_list(data.getlist("territory")), chain)
    parent_id: int | None = None
    if form.parent:
        parent_id = parse_id(form.parent)
        if parent_id is None or get_organization(parent_id) is None:
            errors.add("parent_id", lazy_msg("organization-error-invalid-choice"))
        elif not parent_allowed(organization_id, parent_id):
            errors.add("parent_id", lazy_msg("organization-admin-error-parent-cycle"))
    if errors:
        return Checked(None, errors, form)
    return Checked(BaseFields(name_en=form.name_en, names=form.names, acronym=form.acronym, type_id=form.type_id,
                              territories=form.territories, parent_id=parent_id), errors, form)


def read_merge(data: MultiDict[str, str], source_id: int) -> Checked[int]:
    """The id of the organization to merge ``source_id`` into (``form``: the id as typed)."""
    raw = _text(data, "target_id")
    errors = FormErrors()
    target_id = parse_id(raw) if raw else None
    if target_id is None or get_organization(target_id) is None:
        errors.add("target_id", lazy_msg("organization-merge-error-target"))
    elif target_id == source_id:
        errors.add("target_id", lazy_msg("organization-merge-error-itself"))
    if not data.get("confirm"):
        errors.add("confirm", lazy_msg("organization-merge-error-confirm"))
    if errors:
        return Checked(None, errors, raw)
    assert target_id is not None
    return Checked(target_id, errors, raw)


def note_rows(notes: Sequence[MergeNote]) -> list[tuple[LazyMessage, str]]:
    """(label, value) of each merge note, for the page."""
    return [(NOTE_LABELS[note.kind], note.value) for note in notes]
