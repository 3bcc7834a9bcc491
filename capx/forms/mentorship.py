"""Mentorship forms: a program's details and pickers, its public key, a question of its forms,
an application's answers; and the labels the mentorship pages show.

Each ``read_*`` function returns a :class:`~capx.forms.errors.Checked` with the service's typed
input (:class:`~capx.services.mentorship.ProgramInput`, :class:`~capx.services.mentorship.QuestionInput`,
the answers, the key's text) or the errors; the service applies the rules and flushes; the
blueprint commits once.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from capx.forms.characters import MaxCharacters
from capx.forms.errors import Checked, FormErrors
from capx.forms.pickers import PickerState, picker_state, searching
from capx.models import PROGRAM_FORMATS, QUESTION_KINDS, ROLES, MentorshipProgram, MentorshipQuestion
from capx.services import mentorship as service, mentorship_crypto
from capx.translations import LazyMessage, lazy_msg

MAX_PROGRAM_CAPACITIES = 10
MAX_PROGRAM_LANGUAGES = 10

EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"'.]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

# -- labels (lazy: shown in the page's language; no template builds a message key) -------------

STATUS_LABELS = {service.OPEN: lazy_msg("mentorship-status-open"), service.UPCOMING: lazy_msg("mentorship-status-upcoming"),
                 service.CLOSED: lazy_msg("mentorship-status-closed")}
#: Why nobody can subscribe to a program that is not open.
SUBSCRIBE_LABELS = {service.UPCOMING: lazy_msg("mentorship-subscribe-upcoming"),
                    service.CLOSED: lazy_msg("mentorship-subscribe-closed")}
FORMAT_LABELS = {"online": lazy_msg("mentorship-format-online"), "in-person": lazy_msg("mentorship-format-in-person"),
                 "hybrid": lazy_msg("mentorship-format-hybrid")}
KIND_LABELS = {"short-text": lazy_msg("mentorship-kind-short-text"), "long-text": lazy_msg("mentorship-kind-long-text"),
               "single-choice": lazy_msg("mentorship-kind-single-choice"),
               "multiple-choice": lazy_msg("mentorship-kind-multiple-choice"),
               "email": lazy_msg("mentorship-kind-email"), "url": lazy_msg("mentorship-kind-url")}
REFUSED_LABELS = {"closed": lazy_msg("mentorship-refused-closed"), "no-key": lazy_msg("mentorship-refused-no-key"),
                  "already-applied": lazy_msg("mentorship-refused-already-applied")}
ANSWER_ERRORS = {"required": lazy_msg("mentorship-answer-error-required"),
                 "too-long": lazy_msg("mentorship-answer-error-too-long"),
                 "choice": lazy_msg("mentorship-answer-error-choice"),
                 "email": lazy_msg("mentorship-answer-error-email"), "url": lazy_msg("mentorship-answer-error-url")}
KEY_ERRORS = {"invalid": lazy_msg("mentorship-key-error-invalid"), "not-rsa": lazy_msg("mentorship-key-error-not-rsa"),
              "private": lazy_msg("mentorship-key-error-private"), "size": lazy_msg("mentorship-key-error-size"),
              "frozen": lazy_msg("mentorship-key-error-frozen")}


@dataclass(frozen=True)
class RoleLabels:
    """What the pages call one role and its actions."""

    name: LazyMessage
    applied_as: LazyMessage
    subscribe_as: LazyMessage
    form_of: LazyMessage
    add_question: LazyMessage
    apply_title_key: str  # takes the program's name


ROLE_LABELS = {
    "mentor": RoleLabels(lazy_msg("mentorship-role-mentor"), lazy_msg("mentorship-applied-as-mentor"),
                         lazy_msg("mentorship-subscribe-as-mentor"), lazy_msg("mentorship-form-of-mentor"),
                         lazy_msg("mentorship-question-add-mentor"), "mentorship-apply-title-mentor"),
    "mentee": RoleLabels(lazy_msg("mentorship-role-mentee"), lazy_msg("mentorship-applied-as-mentee"),
                         lazy_msg("mentorship-subscribe-as-mentee"), lazy_msg("mentorship-form-of-mentee"),
                         lazy_msg("mentorship-question-add-mentee"), "mentorship-apply-title-mentee"),
}
assert set(FORMAT_LABELS) == set(PROGRAM_FORMATS) and set(KIND_LABELS) == set(QUESTION_KINDS) and set(ROLE_LABELS) == set(ROLES)


def apply_title(role: str, program_name: str) -> LazyMessage:
    """The application page's title: "Apply as a mentor to <program>"."""
    return lazy_msg(ROLE_LABELS[role].apply_title_key, program_name)


# -- the program ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    """Every IANA time zone this system knows, sorted."""
    return sorted((zoneinfo.available_timezones() | {"UTC"}) - {"localtime", "Factory"})


class ProgramForm(FlaskForm):
    """A program's details (capacities and languages are pickers outside WTForms)."""

    organization_id = SelectField(lazy_msg("mentorship-field-organization"), coerce=int,
                                  validators=[InputRequired(message=lazy_msg("form-error-required"))])
    name = StringField(lazy_msg("mentorship-field-name"),
                       validators=[DataRequired(message=lazy_msg("form-error-required")),
                                   MaxCharacters(200)])
    description = TextAreaField(lazy_msg("mentorship-field-description"),
                                validators=[Optional(), MaxCharacters(5000)])
    format = SelectField(lazy_msg("mentorship-field-format"), validators=[InputRequired(message=lazy_msg("form-error-required"))])
    location = StringField(lazy_msg("mentorship-field-location"),
                           validators=[Optional(), MaxCharacters(300)])
    registration_start = DateField(lazy_msg("mentorship-field-registration-start"),
                                   validators=[InputRequired(message=lazy_msg("mentorship-error-date"))])
    registration_end = DateField(lazy_msg("mentorship-field-registration-end"),
                                 validators=[InputRequired(message=lazy_msg("mentorship-error-date"))])
    time_zone = SelectField(lazy_msg("mentorship-field-time-zone"), default="UTC")
    form_language = SelectField(lazy_msg("mentorship-field-form-language"), coerce=str, validators=[Optional()])

    def validate_registration_end(self, field: DateField) -> None:
        if field.data and self.registration_start.data and field.data < self.registration_start.data:
            raise ValidationError(lazy_msg("mentorship-error-end-before-start"))


@dataclass
class ProgramPage:
    """The program form as the page shows it: the WTForms part, the two pickers and their errors."""

    form: ProgramForm
    capacities: PickerState
    languages: PickerState
    picker_errors: FormErrors


def program_page(program: MentorshipProgram | None, data: MultiDict[str, str] | None,
                 organizations: Sequence[tuple[int, str]], form_languages: Sequence[tuple[str, str]],
                 chain: Sequence[str]) -> ProgramPage:
    """The program form filled from ``data`` (a POST) or from ``program`` (None: a new one), with
    its choices: the organizations the user may pick and the languages a form may be written in."""
    form = ProgramForm(formdata=data, obj=program) if data is not None else ProgramForm(formdata=None, obj=program)
    form.organization_id.choices = list(organizations)
    form.format.choices = [(f, FORMAT_LABELS[f]) for f in PROGRAM_FORMATS]
    form.time_zone.choices = [(z, z) for z in time_zones()]
    form.form_language.choices = [("", "—"), *form_languages]
    capacities = picker_state("capacity", "capacity", data, [c.capacity_id for c in program.capacities] if program else [],
                              chain=chain)
    languages = picker_state("language", "language", data, [pl.language_id for pl in program.languages] if program else [],
                             chain=chain)
    return ProgramPage(form, capacities, languages, FormErrors())


def is_search(data: Mapping[str, str]) -> bool:
    """Whether a POST only searched a picker (no save: the page comes back with the results)."""
    return bool(searching(data))


def read_program(page: ProgramPage) -> Checked[service.ProgramInput]:
    """The submitted program, checked: the details (required fields, lengths, the end not before
    the start, an organization among the choices) and at most 10 capacities and 10 languages."""
    form = page.form
    if len(page.capacities.selected_ids) > MAX_PROGRAM_CAPACITIES:
        page.picker_errors.add("capacity", lazy_msg("mentorship-error-too-many", MAX_PROGRAM_CAPACITIES))
    if len(page.languages.selected_ids) > MAX_PROGRAM_LANGUAGES:
        page.picker_errors.add("language", lazy_msg("mentorship-error-too-many", MAX_PROGRAM_LANGUAGES))
    valid = form.validate()
    if valid and form.organization_id.data not in {c[0] for c in form.organization_id.choices or []}:
        valid = False
    if not valid or page.picker_errors:
        return Checked(None, FormErrors.of_form(form).merge(page.picker_errors), page)
    value = service.ProgramInput(
        organization_id=int(form.organization_id.data or 0), name=(form.name.data or "").strip(),
        description=(form.description.data or "").strip() or None, format=form.format.data or "",
        location=(form.location.data or "").strip() or None, registration_start=form.registration_start.data,
        registration_end=form.registration_end.data, time_zone=form.time_zone.data or "UTC",
        form_language=form.form_language.data or None, capacity_ids=tuple(page.capacities.selected_ids),
        language_ids=tuple(page.languages.selected_ids))
    return Checked(value, FormErrors(), page)


# -- the key ---------------------------------------------------------------------------------------

class KeyForm(FlaskForm):
    public_key = TextAreaField(lazy_msg("mentorship-field-public-key"),
                               validators=[DataRequired(message=lazy_msg("form-error-required"))])


def key_form() -> KeyForm:
    """The empty key form."""
    return KeyForm(formdata=None)


def read_key(data: Mapping[str, str], uploaded: FileStorage | None) -> Checked[str]:
    """The partner's public key: the uploaded file (read up to one character beyond the limit) or
    the pasted PEM text; required."""
    form = KeyForm(formdata=data)
    if uploaded and uploaded.filename:
        form.public_key.data = uploaded.read(mentorship_crypto.MAX_PEM_CHARS + 1).decode("ascii", "replace")
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    return Checked(form.public_key.data or "", FormErrors(), form)


def key_refused(form: KeyForm, reason: str) -> Checked[str]:
    """The key form again with why the key was refused (``PublicKeyError.reason``)."""
    form.public_key.errors = [KEY_ERRORS.get(reason, KEY_ERRORS["invalid"])]
    return Checked(None, FormErrors.of_form(form), form)


# -- a question ------------------------------------------------------------------------------------

class QuestionForm(FlaskForm):
    role = SelectField(lazy_msg("mentorship-field-question-role"))
    kind = SelectField(lazy_msg("mentorship-field-question-kind"))
    label = StringField(lazy_msg("mentorship-field-question-label"),
                        validators=[DataRequired(message=lazy_msg("form-error-required")),
                                    MaxCharacters(500)])
    help = TextAreaField(lazy_msg("mentorship-field-question-help"),
                         validators=[Optional(), MaxCharacters(1000)])
    options = TextAreaField(lazy_msg("mentorship-field-question-options"))
    required = BooleanField(lazy_msg("mentorship-field-question-required"))

    def validate_options(self, field: TextAreaField) -> None:
        options = service.clean_options(field.data or "")
        if self.kind.data in ("single-choice", "multiple-choice"):
            if len(options) < 2:
                raise ValidationError(lazy_msg("mentorship-error-options-few"))
            if len(options) > service.MAX_OPTIONS or any(len(o) > service.MAX_OPTION_CHARS for o in options):
                raise ValidationError(lazy_msg("mentorship-error-options-many", service.MAX_OPTIONS,
                                               service.MAX_OPTION_CHARS))


def _with_choices(form: QuestionForm) -> QuestionForm:
    form.role.choices = [(r, ROLE_LABELS[r].name) for r in ROLES]
    form.kind.choices = [(k, KIND_LABELS[k]) for k in QUESTION_KINDS]
    return form


def question_form(question: MentorshipQuestion | None, role: str | None) -> QuestionForm:
    """The question form showing ``question`` (its options one per line), or an empty one for
    ``role`` (the mentee form when none is given)."""
    if question is None:
        return _with_choices(QuestionForm(formdata=None, role=role or "mentee"))
    form = _with_choices(QuestionForm(formdata=None, obj=question))
    form.options.data = "\n".join(question.options or [])
    return form


def read_question(data: Mapping[str, str], question: MentorshipQuestion | None) -> Checked[service.QuestionInput]:
    """The submitted question, checked (a label, lengths, two to 30 options for a choice)."""
    form = _with_choices(QuestionForm(formdata=data, obj=question))
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    kind = form.kind.data or ""
    value = service.QuestionInput(
        role=form.role.data or "", kind=kind, label=(form.label.data or "").strip(),
        help=(form.help.data or "").strip() or None, required=bool(form.required.data),
        options=service.clean_options(form.options.data or "") if kind in ("single-choice", "multiple-choice") else None)
    return Checked(value, FormErrors(), form)


def too_many_questions(checked: Checked[service.QuestionInput]) -> Checked[service.QuestionInput]:
    """The question form again: its form already has the most questions a form may have."""
    checked.form.label.errors = [lazy_msg("mentorship-error-questions-many", service.MAX_QUESTIONS_PER_FORM)]
    return Checked(None, FormErrors.of_form(checked.form), checked.form)


# -- an application ----------------------------------------------------------------------------------

def read_answers(questions: list[MentorshipQuestion], data: MultiDict[str, str]) -> Checked[list[dict[str, Any]]]:
    """Check submitted answers (fields ``q<id>``) against the questions.

    ``value`` is the answers (question id, kind, label and value: a string, or a list of strings
    for multiple choice); the errors are by field name (``q<id>``); ``form`` is what was typed,
    by question id, to show again.
    """
    answers: list[dict[str, Any]] = []
    errors = FormErrors()
    typed: dict[int, Any] = {}
    for q in questions:
        name = f"q{q.id}"
        value: Any
        if q.kind == "multiple-choice":
            picked = data.getlist(name)
            typed[q.id] = picked
            if any(v not in (q.options or []) for v in picked):
                errors.add(name, ANSWER_ERRORS["choice"])
                continue
            value = [o for o in (q.options or []) if o in picked]  # in the form's order
            empty = not value
        else:
            typed[q.id] = data.get(name, "")
            value = (data.get(name) or "").strip()
            if q.kind == "long-text":
                value = value.replace("\r\n", "\n")
            empty = value == ""
            if not empty:
                error = _check_value(q, value)
                if error:
                    errors.add(name, ANSWER_ERRORS[error])
                    continue
        if empty and q.required:
            errors.add(name, ANSWER_ERRORS["required"])
            continue
        answers.append({"question_id": q.id, "kind": q.kind, "label": q.label, "value": value})
    return Checked(None if errors else answers, errors, typed)


def _check_value(q: MentorshipQuestion, value: str) -> str | None:
    if q.kind == "short-text" and len(value) > service.MAX_SHORT_TEXT:
        return "too-long"
    if q.kind == "long-text" and len(value) > service.MAX_LONG_TEXT:
        return "too-long"
    if q.kind == "single-choice" and value not in (q.options or []):
        return "choice"
    if q.kind == "email" and (len(value) > service.MAX_EMAIL or not EMAIL_RE.match(value)):
        return "email"
    if q.kind == "url" and (len(value) > service.MAX_URL or not URL_RE.match(value)):
        return "url"
    return None
