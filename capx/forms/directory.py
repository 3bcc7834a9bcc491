"""The Capacity Directory's forms: the directory's view and search, adding a capacity to a profile,
suggesting a capacity, the staff's decision on a suggestion, and a thematic category's capacities.

Each ``read_*`` function takes the submitted data and returns a
:class:`~capx.forms.errors.Checked` holding the service's typed input
(:mod:`capx.services.directory`) when the data is valid. The labels the templates show for a
view, a kind or a suggestion's status come from here (no message key is built at run time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from capx.forms.characters import MaxCharacters
from capx.forms.errors import Checked, FormErrors
from capx.models import AVAILABLE, KNOWN, SUGGESTION_APPROVED, SUGGESTION_PENDING, SUGGESTION_REJECTED, WANTED
from capx.services.capacities import CapacityTree
from capx.services.directory import ADDABLE_KINDS, KNOWN_AND_AVAILABLE, Approval, NewSuggestion
from capx.support.values import parse_id
from capx.translations import LazyMessage, lazy_msg

#: The directory's views, the first being the default.
VIEWS = ("cards", "tree", "themes")
VIEW_LABELS = {"cards": lazy_msg("directory-view-cards"), "tree": lazy_msg("directory-view-tree"),
               "themes": lazy_msg("directory-view-themes")}
STATUS_LABELS = {SUGGESTION_PENDING: lazy_msg("directory-suggestion-status-pending"),
                 SUGGESTION_APPROVED: lazy_msg("directory-suggestion-status-approved"),
                 SUGGESTION_REJECTED: lazy_msg("directory-suggestion-status-rejected")}
#: The add buttons (capacity page, home page), and what the capacity page says once the
#: capacity is on the profile in that kind.
ADD_LABELS = {KNOWN: lazy_msg("directory-capacity-add-known"),
              KNOWN_AND_AVAILABLE: lazy_msg("directory-capacity-add-known-available"),
              WANTED: lazy_msg("directory-capacity-add-wanted")}
ADDED_LABELS = {KNOWN: lazy_msg("directory-capacity-added-known"),
                AVAILABLE: lazy_msg("directory-capacity-added-available"),
                WANTED: lazy_msg("directory-capacity-added-wanted")}
#: The flash after an add: (added now, was there already), by choice.
ADD_FLASHES = {KNOWN: ("directory-added-known", "directory-already-known"),
               KNOWN_AND_AVAILABLE: ("directory-added-known-available", "directory-already-known-available"),
               WANTED: ("directory-added-wanted", "directory-already-wanted")}
SEARCH_MAX = 100


@dataclass(frozen=True)
class Browse:
    """What the directory's index shows: a view and the search text."""

    view: str
    query: str


def read_browse(args: Mapping[str, str]) -> Browse:
    """The view (an unknown one is the default) and the search text (trimmed, at most 100 characters)."""
    view = args.get("view", VIEWS[0])
    return Browse(view=view if view in VIEWS else VIEWS[0], query=(args.get("q") or "").strip()[:SEARCH_MAX])


def parent_choices(tree: CapacityTree) -> list[tuple[str, str | LazyMessage]]:
    """The options of a "parent capacity" select: none, then every capacity with its path."""
    return [("", lazy_msg("directory-suggest-parent-none"))] + [
        (str(node.id), " › ".join(n.name for n in tree.path(node.id))) for node in tree.ordered()]


def _parent_id(value: str | None, tree: CapacityTree) -> int | None:
    """The chosen parent when it is a capacity of the tree, else None (a new root)."""
    parent_id = parse_id(value)
    return parent_id if parent_id is not None and tree.get(parent_id) is not None else None


# -- adding a capacity to one's profile ------------------------------------------------------------

class AddForm(FlaskForm):
    """Add a capacity to the profile (kind and where to go back to)."""

    kind = HiddenField()
    next = HiddenField()


def read_add(data: Mapping[str, str]) -> Checked[str]:
    """The choice to add (known, known and available, or wanted) with the CSRF token checked;
    ``form.next`` is where to go back (checked by the blueprint: same site only)."""
    form = AddForm(formdata=data)
    if not form.validate() or form.kind.data not in ADDABLE_KINDS:
        return Checked(None, FormErrors.of_form(form), form)
    return Checked(form.kind.data, FormErrors(), form)


# -- suggestions -----------------------------------------------------------------------------------

class SuggestionForm(FlaskForm):
    """Suggest a capacity for the directory."""

    title = StringField(lazy_msg("directory-suggest-title-label"),
                        validators=[DataRequired(message=lazy_msg("form-error-required")),
                                    MaxCharacters(200)])
    description = TextAreaField(lazy_msg("directory-suggest-description-label"),
                                validators=[DataRequired(message=lazy_msg("form-error-required")),
                                            MaxCharacters(1000)])
    reason = TextAreaField(lazy_msg("directory-suggest-reason-label"),
                           validators=[Optional(), MaxCharacters(1000)])
    parent = SelectField(lazy_msg("directory-suggest-parent-label"), validate_choice=False)


def suggestion_form(tree: CapacityTree, title: str | None = None) -> SuggestionForm:
    """The empty suggestion form (the title filled in from the directory's search, if any)."""
    form = SuggestionForm(formdata=None)
    form.parent.choices = parent_choices(tree)
    if title:
        form.title.data = title[:200]
    return form


def read_suggestion(data: Mapping[str, str], tree: CapacityTree) -> Checked[NewSuggestion]:
    """The submitted suggestion: required title and description, the lengths, a parent of the tree."""
    form = SuggestionForm(formdata=data)
    form.parent.choices = parent_choices(tree)
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    return Checked(NewSuggestion(title=(form.title.data or "").strip(),
                                 description=(form.description.data or "").strip(),
                                 reason=(form.reason.data or "").strip() or None,
                                 parent_id=_parent_id(form.parent.data, tree)), FormErrors(), form)


class ApproveForm(FlaskForm):
    """Staff: create the suggested capacity under a chosen parent."""

    name = StringField(lazy_msg("directory-moderate-name-label"),
                       validators=[DataRequired(message=lazy_msg("form-error-required")),
                                   MaxCharacters(200)])
    description = TextAreaField(lazy_msg("directory-moderate-description-label"),
                                validators=[Optional(), MaxCharacters(1000)])
    parent = SelectField(lazy_msg("directory-moderate-parent-label"), validate_choice=False)
    note = TextAreaField(lazy_msg("directory-moderate-note-label"),
                         validators=[Optional(), MaxCharacters(1000)])


class RejectForm(FlaskForm):
    """Staff: reject with a note for the suggester."""

    note = TextAreaField(lazy_msg("directory-moderate-reject-note-label"),
                         validators=[DataRequired(message=lazy_msg("form-error-required")),
                                     MaxCharacters(1000)])


class DuplicateRejectForm(RejectForm):
    """Staff: reject as a duplicate of an existing capacity (linked for the suggester)."""

    duplicate_of = HiddenField()


def duplicate_of(suggestion_id: int, data: Mapping[str, str]) -> int | None:
    """The existing capacity a rejection names as the suggestion's duplicate, if any."""
    return parse_id(data.get(f"r{suggestion_id}-duplicate_of"))


def moderation_forms(suggestion_id: int, title: str, description: str, parent_id: int | None,
                     choices: Sequence[tuple[str, str | LazyMessage]]) -> tuple[ApproveForm, RejectForm]:
    """A pending suggestion's approve form (filled with what was suggested) and reject form."""
    approve = ApproveForm(prefix=f"a{suggestion_id}", formdata=None, name=title, description=description,
                          parent=str(parent_id or ""))
    approve.parent.choices = list(choices)
    return approve, RejectForm(prefix=f"r{suggestion_id}", formdata=None)


def read_approval(suggestion_id: int, data: Mapping[str, str], tree: CapacityTree) -> Checked[Approval]:
    """Staff's approval: a name (required), description and note (lengths), a parent of the tree."""
    form = ApproveForm(prefix=f"a{suggestion_id}", formdata=data)
    form.parent.choices = parent_choices(tree)
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    return Checked(Approval(name=(form.name.data or "").strip(), description=(form.description.data or "").strip(),
                            parent_id=_parent_id(form.parent.data, tree),
                            note=(form.note.data or "").strip() or None), FormErrors(), form)


def read_rejection(suggestion_id: int, data: Mapping[str, str]) -> Checked[str]:
    """Staff's rejection: the note for the suggester (required)."""
    form = RejectForm(prefix=f"r{suggestion_id}", formdata=data)
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    return Checked((form.note.data or "").strip(), FormErrors(), form)


# -- thematic categories (staff) ---------------------------------------------------------------------

def edited_category(data: Mapping[str, str]) -> int | None:
    """The thematic category whose form was submitted."""
    return parse_id(data.get("category"))
