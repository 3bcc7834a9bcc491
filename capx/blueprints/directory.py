"""The Capacity Directory: browse (cards, tree, thematic categories), search, capacity pages,
add to a profile, suggest a capacity, and the staff pages (moderation queue, thematic categories)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from capx.access import current_user, login_required, safe_next, staff_required
from capx.extensions import db
from capx.forms.characters import MaxCharacters
from capx.forms.filing_limits import SUGGESTION_LIMIT_MESSAGES, limit_message
from capx.language import current_language_chain, msg_text
from capx.models import (SUGGESTION_PENDING, CapacitySuggestion, ThematicCategory, utcnow)
from capx.forms.pickers import picker_state, searching
from capx.services import directory as service
from capx.services.capacities import capacity_tree
from capx.services.capacity_names import SameName
from capx.services.filing_limits import FilingLimits, suggestion_limit_reached
from capx.support.values import parse_id
from capx.translations import lazy_msg
from sqlalchemy.orm import selectinload

bp = Blueprint("directory", __name__)

VIEWS = ("cards", "tree", "themes")


def _parent_choices() -> list[tuple[str, str]]:
    tree = capacity_tree(current_language_chain())
    return [("", lazy_msg("directory-suggest-parent-none"))] + [
        (str(node.id), " › ".join(n.name for n in tree.path(node.id))) for node in tree.ordered()]


def _int_or_none(value: str | None) -> int | None:
    return parse_id(value)


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


class AddForm(FlaskForm):
    """Add a capacity to the profile (kind and where to go back to)."""

    kind = HiddenField()
    next = HiddenField()


@bp.get("/capacity")
def index() -> str:
    """The directory: cards, tree or thematic categories, and the server-side search."""
    view = request.args.get("view", "cards")
    if view not in VIEWS:
        view = "cards"
    query = (request.args.get("q") or "").strip()[:100]
    tree = capacity_tree(current_language_chain())
    hits = tree.search(query) if query else []
    theme_list = service.themes() if view == "themes" and not query else []
    return render_template("directory/index.html", tree=tree, view=view, query=query, hits=hits,
                           theme_list=theme_list)


@bp.get("/capacity/colors.css")
def colors() -> Response:
    """Root colours as a stylesheet generated from the capacity table (no inline styles: CSP)."""
    response = Response(service.colors_css(), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/capacity/<int:capacity_id>")
def capacity(capacity_id: int) -> str:
    """A capacity: name, description, ids, parent and children, counts, organizations, add buttons."""
    tree = capacity_tree(current_language_chain())
    node = tree.get(capacity_id)
    if node is None:
        abort(404)
    user = current_user()
    return render_template(
        "directory/capacity.html", tree=tree, node=node, path=tree.path(capacity_id),
        counts=service.capacity_counts(capacity_id),
        organizations=service.organizations_with(capacity_id, current_language_chain()),
        kinds=service.user_kinds(user, capacity_id), add_form=AddForm(),
        translation_needed=node.name_lang != tree.lang)


@bp.post("/capacity/<int:capacity_id>/add")
@login_required
def add(capacity_id: int) -> Response:
    """Add to Known / Add to Wanted, then back to where the button was."""
    if capacity_tree(current_language_chain()).get(capacity_id) is None:
        abort(404)
    form = AddForm()
    if not form.validate_on_submit() or form.kind.data not in service.ADDABLE_KINDS:
        abort(400)
    user = current_user()
    added = service.add_to_profile(user, capacity_id, form.kind.data)
    db.session.commit()
    flash(f"directory-added-{form.kind.data}" if added else f"directory-already-{form.kind.data}", "success")
    return redirect(safe_next(form.next.data, url_for("directory.capacity", capacity_id=capacity_id)))


# -- suggestions --------------------------------------------------------------------------------

@bp.route("/capacity/suggest", methods=["GET", "POST"])
@login_required
def suggest() -> str | Response | tuple[str, int]:
    """"Can't find a capacity? Suggest a new one!" """
    form = SuggestionForm()
    form.parent.choices = _parent_choices()
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args["title"][:200]
    if form.validate_on_submit():
        reached = suggestion_limit_reached(current_user(), _suggestion_limits(), utcnow())
        if reached is not None:
            db.session.rollback()
            return render_template("directory/suggest.html", form=form, limit_error=limit_message(
                reached, SUGGESTION_LIMIT_MESSAGES)), 422
        service.create_suggestion(current_user(), form.title.data, form.description.data, form.reason.data,
                                  _int_or_none(form.parent.data))
        db.session.commit()
        flash("directory-suggest-sent", "success")
        return redirect(url_for("directory.my_suggestions"))
    status = 400 if request.method == "POST" else 200
    return render_template("directory/suggest.html", form=form), status


def _suggestion_limits() -> FilingLimits:
    """Suggestions one person may send per hour and per day (CAPX_SUGGESTION_LIMIT_HOUR / _DAY)."""
    return FilingLimits(per_hour=int(current_app.config.get("CAPX_SUGGESTION_LIMIT_HOUR", 5)),
                        per_day=int(current_app.config.get("CAPX_SUGGESTION_LIMIT_DAY", 20)))


@bp.get("/capacity/suggestions/mine")
@login_required
def my_suggestions() -> str:
    """The suggester's own suggestions and what staff decided."""
    rows = db.session.scalars(sa.select(CapacitySuggestion).where(CapacitySuggestion.user_id == current_user().id)
                              .order_by(CapacitySuggestion.created_at.desc(), CapacitySuggestion.id.desc())).all()
    return render_template("directory/my_suggestions.html", suggestions=rows, tree=capacity_tree(current_language_chain()))


@bp.get("/capacity/suggestions")
@staff_required
def queue() -> str:
    """Staff moderation queue: pending suggestions, then the latest decisions."""
    pending = db.session.scalars(sa.select(CapacitySuggestion).where(CapacitySuggestion.status == SUGGESTION_PENDING)
                                 .options(selectinload(CapacitySuggestion.user))
                                 .order_by(CapacitySuggestion.created_at, CapacitySuggestion.id)).all()
    decided = db.session.scalars(sa.select(CapacitySuggestion).where(CapacitySuggestion.status != SUGGESTION_PENDING)
                                 .options(selectinload(CapacitySuggestion.user),
                                          selectinload(CapacitySuggestion.decided_by))
                                 .order_by(CapacitySuggestion.decided_at.desc()).limit(50)).all()
    forms = {}
    choices = _parent_choices()
    for s in pending:
        approve = ApproveForm(prefix=f"a{s.id}", formdata=None, name=s.title, description=s.description,
                              parent=str(s.suggested_parent_id or ""))
        approve.parent.choices = choices
        forms[s.id] = (approve, RejectForm(prefix=f"r{s.id}", formdata=None))
    return render_template("directory/queue.html", pending=pending, decided=decided, forms=forms,
                           tree=capacity_tree(current_language_chain()))


def _pending_or_404(suggestion_id: int) -> CapacitySuggestion:
    suggestion = db.session.get(CapacitySuggestion, suggestion_id)
    if suggestion is None:
        abort(404)
    return suggestion


@bp.post("/capacity/suggestions/<int:suggestion_id>/approve")
@staff_required
def approve(suggestion_id: int) -> str | Response | tuple[str, int]:
    """Staff: approve and create the capacity."""
    suggestion = _pending_or_404(suggestion_id)
    if suggestion.status != SUGGESTION_PENDING:
        flash("directory-moderate-already-decided", "warning")
        return redirect(url_for("directory.queue"))
    form = ApproveForm(prefix=f"a{suggestion.id}")
    form.parent.choices = _parent_choices()
    parent_id = _int_or_none(form.parent.data)
    if parent_id is not None and capacity_tree(current_language_chain()).get(parent_id) is None:
        parent_id = None
    if not form.validate_on_submit():
        return render_template("directory/moderate_error.html", suggestion=suggestion, form=form,
                               action="approve"), 400
    capacity = service.approve_suggestion(suggestion, current_user(), parent_id, form.name.data,
                                          form.description.data or "", form.note.data)
    if isinstance(capacity, SameName):
        # Another capacity has this name: offer to reject as its duplicate, or another name.
        db.session.rollback()
        existing = capacity_tree(current_language_chain()).get(capacity.capacity_id)
        reject_form = DuplicateRejectForm(prefix=f"r{suggestion.id}", formdata=None, duplicate_of=str(
            capacity.capacity_id), note=msg_text("directory-duplicate-note", existing.name if existing else capacity.name))
        form.name.errors = [*form.name.errors, lazy_msg("directory-duplicate-name-taken")]
        return render_template("directory/moderate_duplicate.html", suggestion=suggestion, approve=form,
                               reject=reject_form, existing=existing, same=capacity), 422
    db.session.commit()
    flash("directory-moderate-approved", "success")
    return redirect(url_for("directory.capacity", capacity_id=capacity.id))


@bp.post("/capacity/suggestions/<int:suggestion_id>/reject")
@staff_required
def reject(suggestion_id: int) -> str | Response | tuple[str, int]:
    """Staff: reject with a note."""
    suggestion = _pending_or_404(suggestion_id)
    if suggestion.status != SUGGESTION_PENDING:
        flash("directory-moderate-already-decided", "warning")
        return redirect(url_for("directory.queue"))
    form = RejectForm(prefix=f"r{suggestion.id}")
    if not form.validate_on_submit():
        return render_template("directory/moderate_error.html", suggestion=suggestion, form=form,
                               action="reject"), 400
    service.reject_suggestion(suggestion, current_user(), form.note.data,
                              duplicate_of=parse_id(request.form.get(f"r{suggestion.id}-duplicate_of")))
    db.session.commit()
    flash("directory-moderate-rejected", "success")
    return redirect(url_for("directory.queue"))


# -- thematic categories (staff) ----------------------------------------------------------------

@bp.route("/capacity/themes/edit", methods=["GET", "POST"])
@staff_required
def edit_themes() -> str | Response:
    """Staff: choose the capacities of each thematic category (one form per category)."""
    categories = db.session.scalars(sa.select(ThematicCategory).order_by(ThematicCategory.position)).all()
    theme_list = {t.id: t for t in service.themes()}
    data = request.form if request.method == "POST" else None
    editing = _int_or_none(request.form.get("category")) if data is not None else None
    pickers = {}
    for category in categories:
        submitted = data if editing == category.id else None
        pickers[category.id] = picker_state(f"theme_{category.id}", "capacity", submitted,
                                            theme_list[category.id].capacity_ids, chain=current_language_chain())
    if data is not None:
        category = db.session.get(ThematicCategory, editing) if editing else None
        if category is None:
            abort(400)
        if not searching(request.form):
            service.set_theme_capacities(category, pickers[category.id].selected_ids)
            db.session.commit()
            flash("directory-themes-saved", "success")
            return redirect(url_for("directory.edit_themes"))
    return render_template("directory/themes_edit.html", categories=categories, pickers=pickers)
