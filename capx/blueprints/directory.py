"""The Capacity Directory: browse (cards, tree, thematic categories), search, capacity pages,
add to a profile, suggest a capacity, and the staff pages (moderation queue, thematic categories)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from werkzeug.wrappers import Response

from capx.access import current_user, login_required, safe_next, staff_required
from capx.extensions import db
from capx.forms import directory as forms
from capx.forms.filing_limits import SUGGESTION_LIMIT_MESSAGES, limit_message
from capx.forms.pickers import picker_state, searching
from capx.language import current_language_chain, msg_text
from capx.models import CapacitySuggestion, User, utcnow
from capx.services import directory as service
from capx.services.capacities import capacity_tree
from capx.services.capacity_names import SameName
from capx.services.filing_limits import FilingLimits, suggestion_limit_reached
from capx.services.staff_notices import notify_staff
from capx.translations import lazy_msg

bp = Blueprint("directory", __name__)


def _user() -> User:
    """The logged-in user of a @login_required / @staff_required view."""
    user = current_user()
    if user is None:
        abort(401)
    return user


@bp.get("/capacity")
def index() -> str:
    """The directory: cards, tree or thematic categories, and the server-side search."""
    browse = forms.read_browse(request.args)
    view, query = browse.view, browse.query
    tree = capacity_tree(current_language_chain())
    hits = tree.search(query) if query else []
    theme_list = service.themes() if view == "themes" and not query else []
    return render_template("directory/index.html", tree=tree, view=view, query=query, hits=hits,
                           theme_list=theme_list, views=forms.VIEWS, view_labels=forms.VIEW_LABELS)


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
    kinds = service.user_kinds(user, capacity_id)
    return render_template(
        "directory/capacity.html", tree=tree, node=node, path=tree.path(capacity_id),
        counts=service.capacity_counts(capacity_id),
        organizations=service.organizations_with(capacity_id, current_language_chain()),
        kinds=kinds, add_choices=service.add_choices(kinds), add_form=forms.AddForm(),
        add_labels=forms.ADD_LABELS, added_labels=forms.ADDED_LABELS,
        translation_needed=node.name_lang != tree.lang)


@bp.post("/capacity/<int:capacity_id>/add")
@login_required
def add(capacity_id: int) -> Response:
    """Add to Known / Add to Wanted, then back to where the button was."""
    if capacity_tree(current_language_chain()).get(capacity_id) is None:
        abort(404)
    checked = forms.read_add(request.form)
    if checked.value is None:
        abort(400)
    added = service.add_to_profile(_user(), capacity_id, checked.value)
    db.session.commit()
    done, already = forms.ADD_FLASHES[checked.value]
    flash(done if added else already, "success")
    return redirect(safe_next(checked.form.next.data, url_for("directory.capacity", capacity_id=capacity_id)))


# -- suggestions --------------------------------------------------------------------------------

@bp.route("/capacity/suggest", methods=["GET", "POST"])
@login_required
def suggest() -> str | Response | tuple[str, int]:
    """"Can't find a capacity? Suggest a new one!" """
    tree = capacity_tree(current_language_chain())
    if request.method == "GET":
        return render_template("directory/suggest.html", form=forms.suggestion_form(tree, request.args.get("title")))
    checked = forms.read_suggestion(request.form, tree)
    if checked.value is None:
        return render_template("directory/suggest.html", form=checked.form), 400
    reached = suggestion_limit_reached(_user(), _suggestion_limits(), utcnow())
    if reached is not None:
        db.session.rollback()
        return render_template("directory/suggest.html", form=checked.form, limit_error=limit_message(
            reached, SUGGESTION_LIMIT_MESSAGES)), 422
    suggestion = service.create_suggestion(_user(), checked.value)
    db.session.commit()
    _notify_staff(suggestion)
    flash("directory-suggest-sent", "success")
    return redirect(url_for("directory.my_suggestions"))


def _suggestion_limits() -> FilingLimits:
    """Suggestions one person may send per hour and per day (CAPX_SUGGESTION_LIMIT_HOUR / _DAY)."""
    return FilingLimits(per_hour=int(current_app.config.get("CAPX_SUGGESTION_LIMIT_HOUR", 5)),
                        per_day=int(current_app.config.get("CAPX_SUGGESTION_LIMIT_DAY", 20)))


def _notify_staff(suggestion: CapacitySuggestion) -> None:
    """E-mail staff about a new suggestion, after the commit (issue 17 §5; never raises for mail)."""
    notify_staff(current_app.config, "capacity suggestion", "capacity", suggestion.title,
                 url_for("directory.queue", _external=True))


@bp.get("/capacity/suggestions/mine")
@login_required
def my_suggestions() -> str:
    """The suggester's own suggestions and what staff decided."""
    return render_template("directory/my_suggestions.html", suggestions=service.suggestions_of(_user()),
                           tree=capacity_tree(current_language_chain()), status_labels=forms.STATUS_LABELS)


@bp.get("/capacity/suggestions")
@staff_required
def queue() -> str:
    """Staff moderation queue: pending suggestions, then the latest decisions."""
    tree = capacity_tree(current_language_chain())
    pending, decided = service.moderation_queue()
    choices = forms.parent_choices(tree)
    decision_forms = {s.id: forms.moderation_forms(s.id, s.title, s.description, s.suggested_parent_id, choices)
                      for s in pending}
    return render_template("directory/queue.html", pending=pending, decided=decided, forms=decision_forms,
                           tree=tree, status_labels=forms.STATUS_LABELS)


def _pending_or_404(suggestion_id: int) -> CapacitySuggestion | Response:
    """The suggestion to decide on; 404 when unknown, back to the queue (saying so) when already decided."""
    suggestion = service.suggestion(suggestion_id)
    if suggestion is None:
        abort(404)
    if not service.is_pending(suggestion):
        flash("directory-moderate-already-decided", "warning")
        return redirect(url_for("directory.queue"))
    return suggestion


@bp.post("/capacity/suggestions/<int:suggestion_id>/approve")
@staff_required
def approve(suggestion_id: int) -> str | Response | tuple[str, int]:
    """Staff: approve and create the capacity."""
    suggestion = _pending_or_404(suggestion_id)
    if isinstance(suggestion, Response):
        return suggestion
    checked = forms.read_approval(suggestion.id, request.form, capacity_tree(current_language_chain()))
    if checked.value is None:
        return render_template("directory/moderate_error.html", suggestion=suggestion, form=checked.form,
                               action="approve"), 400
    capacity = service.approve_suggestion(suggestion, _user(), checked.value)
    if isinstance(capacity, SameName):
        # Another capacity has this name: offer to reject as its duplicate, or another name.
        db.session.rollback()
        existing = capacity_tree(current_language_chain()).get(capacity.capacity_id)
        reject_form = forms.DuplicateRejectForm(prefix=f"r{suggestion.id}", formdata=None, duplicate_of=str(
            capacity.capacity_id), note=msg_text("directory-duplicate-note", existing.name if existing else capacity.name))
        form = checked.form
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
    if isinstance(suggestion, Response):
        return suggestion
    checked = forms.read_rejection(suggestion.id, request.form)
    if checked.value is None:
        return render_template("directory/moderate_error.html", suggestion=suggestion, form=checked.form,
                               action="reject"), 400
    service.reject_suggestion(suggestion, _user(), checked.value,
                              duplicate_of=forms.duplicate_of(suggestion.id, request.form))
    db.session.commit()
    flash("directory-moderate-rejected", "success")
    return redirect(url_for("directory.queue"))


# -- thematic categories (staff) ----------------------------------------------------------------

@bp.route("/capacity/themes/edit", methods=["GET", "POST"])
@staff_required
def edit_themes() -> str | Response:
    """Staff: choose the capacities of each thematic category (one form per category)."""
    categories = service.categories()
    theme_list = {t.id: t for t in service.themes()}
    data = request.form if request.method == "POST" else None
    editing = forms.edited_category(request.form) if data is not None else None
    pickers = {}
    for category in categories:
        submitted = data if editing == category.id else None
        pickers[category.id] = picker_state(f"theme_{category.id}", "capacity", submitted,
                                            theme_list[category.id].capacity_ids, chain=current_language_chain())
    if data is not None:
        edited = service.category(editing)
        if edited is None:
            abort(400)
        if not searching(request.form):
            service.set_theme_capacities(edited, pickers[edited.id].selected_ids)
            db.session.commit()
            flash("directory-themes-saved", "success")
            return redirect(url_for("directory.edit_themes"))
    return render_template("directory/themes_edit.html", categories=categories, pickers=pickers)
