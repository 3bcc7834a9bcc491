"""Mentorship programs: cards, applications (encrypted for the partner), and program management."""

from __future__ import annotations

import json
from typing import Any

from babel.lists import format_list
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from capx.access import current_user, login_required
from capx.extensions import db
from capx.forms import mentorship as forms
from capx.forms.errors import Checked, FormErrors
from capx.language import current_language_chain
from capx.models import ROLES, MentorshipProgram, MentorshipQuestion, User
from capx.services import choices as choices_service, mentorship as service, mentorship_crypto
from capx.services.capacities import capacity_tree
from capx.services.organizations import is_visible_id
from capx.support.media import commons_file_url

bp = Blueprint("mentorship", __name__)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"mentorship_status_labels": forms.STATUS_LABELS, "mentorship_subscribe_labels": forms.SUBSCRIBE_LABELS,
            "mentorship_format_labels": forms.FORMAT_LABELS, "mentorship_kind_labels": forms.KIND_LABELS,
            "mentorship_roles": forms.ROLE_LABELS, "mentorship_refused_labels": forms.REFUSED_LABELS}


# -- helpers ---------------------------------------------------------------------------------------

@bp.app_template_filter("mentorship_list")
def mentorship_list(items: Any) -> str:
    """Items joined as a list in the interface language ("a, b and c", "أ، ب و ج")."""
    items = [str(i) for i in items]
    return format_list(items, style="standard", locale=get_locale()) if items else ""


def _user() -> User:
    """The logged-in user (every route here requires a login)."""
    user = current_user()
    assert user is not None
    return user


def _program_or_404(program_id: int) -> MentorshipProgram:
    program = service.get_program(program_id)
    if program is None:
        abort(404)
    return program


def _managed_program_or_abort(program_id: int) -> MentorshipProgram:
    program = _program_or_404(program_id)
    if not service.can_manage(current_user(), program):
        abort(403)
    return program


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
    user = _user()
    # Like every list, the cards leave out organizations without managers (staff see them all).
    programs = service.load_programs(visible_only=not user.is_staff)
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
    user = _user()
    program = _program_or_404(program_id)
    if not user.is_staff and not is_visible_id(program.organization_id):
        abort(404)  # its organization has no manager: nobody could run the program
    questions = service.form_questions(program, role)
    status = service.registration_status(program)
    refused = service.refusal(program, user, role)
    page = {"program": program, "role": role, "questions": questions, "status": status,
            "title": forms.apply_title(role, program.name)}
    if request.method == "GET":
        return render_template("mentorship/apply.html", errors=FormErrors(), values={}, refused=refused, **page)
    checked = forms.read_answers(questions, request.form)
    if refused is None and checked.value is not None:
        try:
            result = service.submit_application(program, role, user, checked.value)
        except service.AlreadyApplied:
            db.session.rollback()
            result = service.SubmitResult(None, "already-applied")
        if result.application is not None:
            db.session.commit()
            flash("mentorship-applied", "success")
            return redirect(url_for("mentorship.index"))
        refused = result.refused
    # Refused: nothing to correct, so no answer errors either.
    errors = FormErrors() if refused else checked.errors
    return render_template("mentorship/apply.html", errors=errors, values=checked.form, refused=refused,
                           **page), 409 if refused else 400


# -- management --------------------------------------------------------------------------------------

@bp.get("/mentorship/manage")
@login_required
def manage() -> str:
    """Programs the visitor manages (staff: all), and a link to create one."""
    user = _user()
    if not service.may_create_programs(user):
        abort(403)
    if user.is_staff:
        programs = service.load_programs()
    else:
        managed = service.managed_organization_ids(user)
        programs = [p for p in service.load_programs() if p.organization_id in managed]
    counts = service.subscriber_counts([p.id for p in programs])
    chain = current_language_chain()
    rows = [{"program": p, "organization_name": p.organization.name_in(chain),
             "status": service.registration_status(p), "subscribers": counts[p.id]} for p in programs]
    return render_template("mentorship/manage.html", rows=rows)


def _program_page(program: MentorshipProgram | None, posted: bool) -> forms.ProgramPage:
    chain = current_language_chain()
    return forms.program_page(program, request.form if posted else None,
                              service.organization_choices(_user(), program, chain),
                              service.form_language_choices(chain), chain)


def _render_program(page: forms.ProgramPage, program: MentorshipProgram | None, key_form: forms.KeyForm,
                    status: int) -> tuple[str, int]:
    return render_template("mentorship/program_form.html", form=page.form, program=program, caps=page.capacities,
                           langs=page.languages, picker_errors=page.picker_errors, key_form=key_form,
                           questions_by_role={r: service.form_questions(program, r) for r in ROLES} if program else {},
                           key_frozen=bool(program and service.has_applications(program.id)),
                           counts=service.subscriber_counts([program.id])[program.id] if program else None,
                           status_label=service.registration_status(program) if program else None), status


def _program_form(program: MentorshipProgram | None) -> Any:
    user = _user()
    posted = request.method == "POST" and not forms.is_search(request.form)
    page = _program_page(program, request.method == "POST")
    if posted:
        checked = forms.read_program(page)
        if checked.value is not None:
            if not user.is_staff and checked.value.organization_id not in service.managed_organization_ids(user):
                abort(403)
            saved = service.save_program(program, checked.value, current_language_chain())
            db.session.commit()
            flash("mentorship-program-saved", "success")
            return redirect(url_for("mentorship.edit_program", program_id=saved.id))
    return _render_program(page, program, forms.key_form(), 400 if posted else 200)


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
    checked = forms.read_key(request.form, request.files.get("public_key_file"))
    if checked.value is not None:
        try:
            service.set_public_key(program, checked.value)
        except mentorship_crypto.PublicKeyError as error:
            checked = forms.key_refused(checked.form, error.reason)
        else:
            db.session.commit()
            flash("mentorship-key-saved", "success")
            return redirect(url_for("mentorship.edit_program", program_id=program.id) + "#key")
    return _render_program(_program_page(program, posted=False), program, checked.form, 400)


def _question_form(program: MentorshipProgram, question: MentorshipQuestion | None) -> Any:
    if request.method == "GET":
        form = forms.question_form(question, request.args.get("role"))
        return render_template("mentorship/question_form.html", form=form, program=program, question=question), 200
    checked: Checked[service.QuestionInput] = forms.read_question(request.form, question)
    if checked.value is not None:
        saved = service.save_question(program, question, checked.value)
        if saved is not None:
            db.session.commit()
            flash("mentorship-question-saved", "success")
            return redirect(url_for("mentorship.edit_program", program_id=program.id) + "#questions")
        checked = forms.too_many_questions(checked)
    return render_template("mentorship/question_form.html", form=checked.form, program=program, question=question), 400


@bp.route("/mentorship/manage/<int:program_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(program_id: int) -> Any:
    """Add a question to the mentor or mentee form."""
    return _question_form(_managed_program_or_abort(program_id), None)


def _question_or_404(program: MentorshipProgram, question_id: int) -> MentorshipQuestion:
    question = service.program_question(program, question_id)
    if question is None:
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
def delete_question(program_id: int, question_id: int) -> Any:
    """Remove a question (answers already submitted keep their own copy of its label)."""
    program = _managed_program_or_abort(program_id)
    service.delete_question(_question_or_404(program, question_id))
    db.session.commit()
    flash("mentorship-question-deleted", "success")
    return redirect(url_for("mentorship.edit_program", program_id=program.id) + "#questions")


@bp.post("/mentorship/manage/<int:program_id>/questions/<int:question_id>/move")
@login_required
def move_question(program_id: int, question_id: int) -> Any:
    """Move a question up or down within its form."""
    program = _managed_program_or_abort(program_id)
    service.move_question(program, _question_or_404(program, question_id), up=request.form.get("direction") == "up")
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
