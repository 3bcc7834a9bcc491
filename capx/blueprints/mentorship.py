"""Mentorship programs: cards, applications (encrypted for the partner), and program management."""

from __future__ import annotations

import json
import zoneinfo
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from capx.access import current_user, login_required
from capx.extensions import db
from capx.forms.characters import MaxCharacters
from capx.language import current_language_chain, msg_text
from capx.models import (
    PROGRAM_FORMATS,
    QUESTION_KINDS,
    ROLES,
    Language,
    MentorshipProgram,
    MentorshipProgramCapacity,
    MentorshipProgramLanguage,
    MentorshipQuestion,
    Organization,
    User,
)
from capx.forms.pickers import picker_state, searching
from capx.services import choices as choices_service, mentorship as service, mentorship_crypto
from capx.services.capacities import capacity_tree
from capx.support.media import commons_file_url
from capx.services.organizations import is_visible_id, visible_organization_ids_subquery
from capx.translations import lazy_msg
from babel.lists import format_list
from flask_babel import get_locale

bp = Blueprint("mentorship", __name__)

MAX_PROGRAM_CAPACITIES = 10
MAX_PROGRAM_LANGUAGES = 10


@lru_cache(maxsize=1)
def _time_zones() -> list[str]:
    return sorted((zoneinfo.available_timezones() | {"UTC"}) - {"localtime", "Factory"})


# -- forms -----------------------------------------------------------------------------------------

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


class KeyForm(FlaskForm):
    public_key = TextAreaField(lazy_msg("mentorship-field-public-key"),
                               validators=[DataRequired(message=lazy_msg("form-error-required"))])


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


def _set_choices_program(form: ProgramForm, user: User, program: MentorshipProgram | None) -> None:
    chain = current_language_chain()
    query = sa.select(Organization).options(selectinload(Organization.names))
    if not user.is_staff:
        query = query.where(Organization.id.in_(service.managed_organization_ids(user) or {-1}))
    orgs = list(db.session.scalars(query))
    if program is not None and all(o.id != program.organization_id for o in orgs):
        orgs.append(program.organization)
    form.organization_id.choices = sorted(((o.id, o.name_in(chain)) for o in orgs), key=lambda c: c[1].casefold())
    form.format.choices = [(f, msg_text(f"mentorship-format-{f}")) for f in PROGRAM_FORMATS]
    form.time_zone.choices = [(z, z) for z in _time_zones()]
    codes = dict(db.session.execute(sa.select(Language.id, Language.code)).all())
    form.form_language.choices = [("", "—")] + [(codes[c.value], c.label)
                                                for c in choices_service.choices("language", current_language_chain())]


def _set_choices_question(form: QuestionForm) -> None:
    form.role.choices = [(r, msg_text(f"mentorship-role-{r}")) for r in ROLES]
    form.kind.choices = [(k, msg_text(f"mentorship-kind-{k}")) for k in QUESTION_KINDS]


# -- helpers ---------------------------------------------------------------------------------------

@bp.app_template_filter("mentorship_list")
def mentorship_list(items: Any) -> str:
    """Items joined as a list in the interface language ("a, b and c", "أ، ب و ج")."""
    items = [str(i) for i in items]
    return format_list(items, style="standard", locale=get_locale()) if items else ""


def _program_or_404(program_id: int) -> MentorshipProgram:
    program = db.session.get(MentorshipProgram, program_id)
    if program is None:
        abort(404)
    return program


def _managed_program_or_abort(program_id: int) -> MentorshipProgram:
    program = _program_or_404(program_id)
    if not service.can_manage(current_user(), program):
        abort(403)
    return program


def _load_programs(ids: list[int] | None = None, visible_only: bool = False) -> list[MentorshipProgram]:
    """Programs with what their cards show; ``visible_only``: of organizations that have a manager."""
    query = (sa.select(MentorshipProgram)
             .options(selectinload(MentorshipProgram.organization).selectinload(Organization.names),
                      selectinload(MentorshipProgram.capacities), selectinload(MentorshipProgram.languages)
                      .selectinload(MentorshipProgramLanguage.language))
             .order_by(MentorshipProgram.registration_start.desc(), MentorshipProgram.id))
    if ids is not None:
        query = query.where(MentorshipProgram.id.in_(ids or [-1]))
    if visible_only:
        query = query.where(MentorshipProgram.organization_id.in_(visible_organization_ids_subquery()))
    return list(db.session.scalars(query))


def _card(program: MentorshipProgram, counts: dict[int, dict[str, int]], applied: set[tuple[int, str]],
          managed: set[int], user: User) -> dict[str, Any]:
    tree = capacity_tree(current_language_chain())
    language_ids = {c.value: c for c in choices_service.choices("language", current_language_chain())}
    return {
        "program": program,
        "organization_name": program.organization.name_in(current_language_chain()),
        "logo_url": commons_file_url(program.organization.logo_file, width=120) if program.organization.logo_file else None,
        "status": service.registration_status(program),
        "capacities": [n for n in (tree.get(c.capacity_id) for c in program.capacities) if n is not None],
        "languages": [language_ids[pl.language_id] for pl in program.languages if pl.language_id in language_ids],
        "subscribers": counts.get(program.id, {"mentor": 0, "mentee": 0}),
        "applied": {role for role in ROLES if (program.id, role) in applied},
        "can_manage": user.is_staff or program.organization_id in managed,
    }


# -- public pages ------------------------------------------------------------------------------------

@bp.get("/mentorship")
@login_required
def index() -> str:
    """Program cards, and the visitor's own applications (program, role and date only)."""
    user = current_user()
    # Like every list, the cards leave out organizations without managers (staff see them all).
    programs = _load_programs(visible_only=not user.is_staff)
    counts = service.subscriber_counts([p.id for p in programs])
    mine = service.my_applications(user)
    applied = {(a.program_id, a.role) for a in mine}
    managed = service.managed_organization_ids(user)
    order = {service.OPEN: 0, service.UPCOMING: 1, service.CLOSED: 2}
    cards = sorted((_card(p, counts, applied, managed, user) for p in programs), key=lambda c: order[c["status"]])
    return render_template("mentorship/index.html", cards=cards, applications=mine,
                           may_manage=service.may_create_programs(user))


@bp.route("/mentorship/<int:program_id>/apply/<role>", methods=["GET", "POST"])
@login_required
def apply(program_id: int, role: str) -> Any:
    """The program's form for ``role``; the answers are encrypted before they are stored."""
    if role not in ROLES:
        abort(404)
    user = current_user()
    program = _program_or_404(program_id)
    if not user.is_staff and not is_visible_id(program.organization_id):
        abort(404)  # its organization has no manager: nobody could run the program
    questions = service.form_questions(program, role)
    status = service.registration_status(program)
    refused = service.refusal(program, user, role)
    errors: dict[int, str] = {}
    values: dict[int, Any] = {}
    if request.method == "POST":
        result = service.submit_application(program, role, user, request.form)
        if result.application is not None:
            try:
                db.session.commit()
            except sa.exc.IntegrityError:
                # Two submissions at once: the unique key keeps one application per role.
                db.session.rollback()
                result = service.SubmitResult(None, {}, "already-applied")
            else:
                flash("mentorship-applied", "success")
                return redirect(url_for("mentorship.index"))
        refused = result.refused or refused
        errors = result.errors
        values = {q.id: (request.form.getlist(f"q{q.id}") if q.kind == "multiple-choice" else request.form.get(f"q{q.id}", ""))
                  for q in questions}
        status_code = 409 if refused else 400
        return render_template("mentorship/apply.html", program=program, role=role, questions=questions,
                               errors=errors, values=values, refused=refused, status=status), status_code
    return render_template("mentorship/apply.html", program=program, role=role, questions=questions,
                           errors=errors, values=values, refused=refused, status=status)


# -- management --------------------------------------------------------------------------------------

@bp.get("/mentorship/manage")
@login_required
def manage() -> str:
    """Programs the visitor manages (staff: all), and a link to create one."""
    user = current_user()
    if not service.may_create_programs(user):
        abort(403)
    if user.is_staff:
        programs = _load_programs()
    else:
        managed = service.managed_organization_ids(user)
        programs = [p for p in _load_programs() if p.organization_id in managed]
    counts = service.subscriber_counts([p.id for p in programs])
    chain = current_language_chain()
    rows = [{"program": p, "organization_name": p.organization.name_in(chain),
             "status": service.registration_status(p), "subscribers": counts[p.id]} for p in programs]
    return render_template("mentorship/manage.html", rows=rows)


def _pickers(program: MentorshipProgram | None) -> tuple[Any, Any]:
    data = request.form if request.method == "POST" else None
    chain = current_language_chain()
    caps = picker_state("capacity", "capacity", data, [c.capacity_id for c in program.capacities] if program else [],
                        chain=chain)
    langs = picker_state("language", "language", data, [pl.language_id for pl in program.languages] if program else [],
                         chain=chain)
    return caps, langs


def _save_program(form: ProgramForm, program: MentorshipProgram, caps: Any, langs: Any) -> None:
    program.organization_id = form.organization_id.data
    program.name = form.name.data.strip()
    program.description = (form.description.data or "").strip() or None
    program.format = form.format.data
    program.location = (form.location.data or "").strip() or None
    program.registration_start = form.registration_start.data
    program.registration_end = form.registration_end.data
    program.time_zone = form.time_zone.data
    program.form_language = form.form_language.data or None
    program.capacities = [MentorshipProgramCapacity(capacity_id=i)
                          for i in choices_service.valid_ids("capacity", caps.selected_ids, current_language_chain())]
    program.languages = [MentorshipProgramLanguage(language_id=i)
                         for i in choices_service.valid_ids("language", langs.selected_ids, current_language_chain())]


def _program_form(program: MentorshipProgram | None) -> Any:
    user = current_user()
    form = ProgramForm(obj=program) if program is not None else ProgramForm()
    _set_choices_program(form, user, program)
    caps, langs = _pickers(program)
    picker_errors: dict[str, list[Any]] = {}
    if request.method == "POST" and not searching(request.form):
        if len(caps.selected_ids) > MAX_PROGRAM_CAPACITIES:
            picker_errors["capacity"] = [lazy_msg("mentorship-error-too-many", MAX_PROGRAM_CAPACITIES)]
        if len(langs.selected_ids) > MAX_PROGRAM_LANGUAGES:
            picker_errors["language"] = [lazy_msg("mentorship-error-too-many", MAX_PROGRAM_LANGUAGES)]
        valid = form.validate()
        if valid and form.organization_id.data not in {c[0] for c in form.organization_id.choices}:
            valid = False
        if valid and not user.is_staff and form.organization_id.data not in service.managed_organization_ids(user):
            abort(403)
        if valid and not picker_errors:
            target = program or MentorshipProgram()
            _save_program(form, target, caps, langs)
            if program is None:
                db.session.add(target)
            db.session.commit()
            flash("mentorship-program-saved", "success")
            return redirect(url_for("mentorship.edit_program", program_id=target.id))
    status = 400 if request.method == "POST" and not searching(request.form) else 200
    return render_template("mentorship/program_form.html", form=form, program=program, caps=caps, langs=langs,
                           picker_errors=picker_errors, key_form=KeyForm(formdata=None),
                           questions_by_role={r: service.form_questions(program, r) for r in ROLES} if program else {},
                           key_frozen=bool(program and service.has_applications(program.id)),
                           counts=service.subscriber_counts([program.id])[program.id] if program else None,
                           status_label=service.registration_status(program) if program else None), status


@bp.route("/mentorship/manage/new", methods=["GET", "POST"])
@login_required
def new_program() -> Any:
    """Create a program for an organization the visitor manages (staff: any)."""
    if not service.may_create_programs(current_user()):
        abort(403)
    return _program_form(None)


@bp.route("/mentorship/manage/<int:program_id>", methods=["GET", "POST"])
@login_required
def edit_program(program_id: int) -> Any:
    """Edit a program; links to its key, questions and applications download."""
    program = _managed_program_or_abort(program_id)
    return _program_form(program)


@bp.post("/mentorship/manage/<int:program_id>/key")
@login_required
def upload_key(program_id: int) -> Any:
    """Store the partner's public key (PEM text or file); refused once anyone applied with another key."""
    program = _managed_program_or_abort(program_id)
    form = KeyForm()
    uploaded = request.files.get("public_key_file")
    if uploaded and uploaded.filename:
        form.public_key.data = uploaded.read(mentorship_crypto.MAX_PEM_CHARS + 1).decode("ascii", "replace")
    if form.validate():
        try:
            service.set_public_key(program, form.public_key.data)
        except mentorship_crypto.PublicKeyError as error:
            form.public_key.errors = [lazy_msg(f"mentorship-key-error-{error.reason}")]
        else:
            db.session.commit()
            flash("mentorship-key-saved", "success")
            return redirect(url_for("mentorship.edit_program", program_id=program.id) + "#key")
    program_form = ProgramForm(formdata=None, obj=program)
    _set_choices_program(program_form, current_user(), program)
    caps, langs = picker_state("capacity", "capacity", None, [c.capacity_id for c in program.capacities], chain=current_language_chain()), \
        picker_state("language", "language", None, [pl.language_id for pl in program.languages], chain=current_language_chain())
    return render_template("mentorship/program_form.html", form=program_form, program=program, caps=caps, langs=langs,
                           picker_errors={}, key_form=form,
                           questions_by_role={r: service.form_questions(program, r) for r in ROLES},
                           key_frozen=service.has_applications(program.id),
                           counts=service.subscriber_counts([program.id])[program.id],
                           status_label=service.registration_status(program)), 400


def _question_form(program: MentorshipProgram, question: MentorshipQuestion | None) -> Any:
    form = QuestionForm(obj=question) if question else QuestionForm(role=request.args.get("role", "mentee"))
    _set_choices_question(form)
    if request.method == "GET" and question is not None:
        form.options.data = "\n".join(question.options or [])
    if request.method == "POST" and form.validate():
        if question is None:
            count = sum(1 for q in program.questions if q.role == form.role.data)
            if count >= service.MAX_QUESTIONS_PER_FORM:
                form.label.errors = [lazy_msg("mentorship-error-questions-many", service.MAX_QUESTIONS_PER_FORM)]
                return render_template("mentorship/question_form.html", form=form, program=program,
                                       question=question), 400
            question = MentorshipQuestion(program_id=program.id, position=count)
            db.session.add(question)
        elif question.role != form.role.data:
            question.position = sum(1 for q in program.questions if q.role == form.role.data)
        question.role = form.role.data
        question.kind = form.kind.data
        question.label = form.label.data.strip()
        question.help = (form.help.data or "").strip() or None
        question.required = bool(form.required.data)
        question.options = (service.clean_options(form.options.data)
                            if form.kind.data in ("single-choice", "multiple-choice") else None)
        db.session.commit()
        flash("mentorship-question-saved", "success")
        return redirect(url_for("mentorship.edit_program", program_id=program.id) + "#questions")
    status = 400 if request.method == "POST" else 200
    return render_template("mentorship/question_form.html", form=form, program=program, question=question), status


@bp.route("/mentorship/manage/<int:program_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(program_id: int) -> Any:
    """Add a question to the mentor or mentee form."""
    return _question_form(_managed_program_or_abort(program_id), None)


def _question_or_404(program: MentorshipProgram, question_id: int) -> MentorshipQuestion:
    question = db.session.get(MentorshipQuestion, question_id)
    if question is None or question.program_id != program.id:
        abort(404)
    return question


@bp.route("/mentorship/manage/<int:program_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(program_id: int, question_id: int) -> Any:
    """Edit one question."""
    program = _managed_program_or_abort(program_id)
    return _question_form(program, _question_or_404(program, question_id))


@bp.post("/mentorship/manage/<int:program_id>/questions/<int:question_id>/delete")
@login_required
def delete_question(program_id: int, question_id: int) -> Response:
    """Remove a question (answers already submitted keep their own copy of its label)."""
    program = _managed_program_or_abort(program_id)
    db.session.delete(_question_or_404(program, question_id))
    db.session.commit()
    flash("mentorship-question-deleted", "success")
    return redirect(url_for("mentorship.edit_program", program_id=program.id) + "#questions")


@bp.post("/mentorship/manage/<int:program_id>/questions/<int:question_id>/move")
@login_required
def move_question(program_id: int, question_id: int) -> Response:
    """Move a question up or down within its form."""
    program = _managed_program_or_abort(program_id)
    question = _question_or_404(program, question_id)
    siblings = service.form_questions(program, question.role)
    index = siblings.index(question)
    other = index + (-1 if request.form.get("direction") == "up" else 1)
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, q in enumerate(siblings):
        q.position = position
    db.session.commit()
    return redirect(url_for("mentorship.edit_program", program_id=program.id) + "#questions")


@bp.get("/mentorship/manage/<int:program_id>/applications.json")
@login_required
def download(program_id: int) -> Response:
    """Every application of the program, still encrypted (decrypt with ``flask capx mentorship-decrypt``)."""
    program = _managed_program_or_abort(program_id)
    document = service.export_applications(program)
    body = json.dumps(document, ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="capx-mentorship-{program.id}-applications.json"',
        "Cache-Control": "no-store"})
