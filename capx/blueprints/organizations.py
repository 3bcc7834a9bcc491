"""Organization profiles: the page, the managers' edit form, and staff tools (managers, deletion)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from capx.access import current_user, login_required, staff_required
from capx.extensions import db
from capx.support.usernames import normalize_username
from capx.language import current_language_chain
from capx.models import (MAX_DOCUMENTS, MAX_PROJECTS, Language, Organization, OrganizationType, User)
from capx.forms.pickers import picker_state, searching
from capx.services import events as events_service
from capx.services import news as news_service
from capx.services import organizations as org_service
from capx.services.capacities import capacity_tree
from capx.services.choices import labels
from capx.support.media import commons_file_url, commons_page_url
from capx.services.reference_names import language_name
from capx.services.saved import saved_organization_ids

bp = Blueprint("organizations", __name__)


def _organization_or_404(organization_id: int) -> Organization:
    org = org_service.load_organization(organization_id)
    if org is None:
        abort(404)
    return org


def _require_manager(org: Organization) -> None:
    if not org_service.can_manage(current_user(), org.id):
        # A hidden organization (no manager) is private: do not confirm that it exists.
        abort(403 if org_service.is_visible(org) else 404)


@bp.get("/organization_profile/<int:organization_id>")
@login_required
def profile(organization_id: int) -> str:
    """An organization's profile (hidden organizations only for staff)."""
    user = current_user()
    assert user is not None
    org = _organization_or_404(organization_id)
    data = org_service.load_profile(org)
    if not data.visible and not user.is_staff:
        abort(404)
    tree = capacity_tree(current_language_chain())
    capacities = {kind: [tree.get(i) for i in sorted(ids, key=lambda i: tree.path(i)[0].position if tree.path(i) else 0)
                         if tree.get(i)] for kind, ids in data.capacities.items()}
    return render_template(
        "organizations/profile.html", org=org, data=data, name=org.name_in(current_language_chain()),
        capacities=capacities, territories=labels("territory", data.territory_ids, current_language_chain()),
        featured=events_service.featured_events(org.id),
        news=news_service.posts_for_tags([t.slug for t in data.tags]),
        can_edit=org_service.can_manage(user, org.id), is_saved=org.id in saved_organization_ids(user, [org.id]))


def _language_options() -> list[tuple[str, str]]:
    lang = current_language_chain()[0]
    rows = db.session.scalars(sa.select(Language)).all()
    return sorted(((r.code, f"{language_name(r, lang)} ({r.code})") for r in rows if r.code != "en"),
                  key=lambda pair: pair[1].casefold())


def _render_edit(org: Organization, edit: org_service.OrganizationEdit, errors: dict, version: int,
                 loaded: dict[str, str], changes: list[org_service.FieldChange] | None = None,
                 status: int = 200) -> tuple[str, int]:
    form = request.form if request.method == "POST" else None
    pickers = {
        "known": picker_state("capacity_known", "capacity", form, edit.known, chain=current_language_chain()),
        "available": picker_state("capacity_available", "capacity", form, edit.available, chain=current_language_chain()),
        "wanted": picker_state("capacity_wanted", "capacity", form, edit.wanted, chain=current_language_chain()),
        "territory": picker_state("territory", "territory", form, edit.territories, chain=current_language_chain()),
    }
    name_rows = list(edit.names) + [("", "")] * org_service.EXTRA_NAME_ROWS
    projects = list(edit.projects) + [org_service.ProjectRow()] * max(0, MAX_PROJECTS - len(edit.projects))
    documents = list(edit.documents) + [""] * max(0, MAX_DOCUMENTS - len(edit.documents))
    types = db.session.scalars(sa.select(OrganizationType).order_by(OrganizationType.code)).all()
    return render_template(
        "organizations/edit.html", org=org, edit=edit, errors=errors, version=version,
        loaded=org_service.encode_snapshot(loaded), changes=changes, pickers=pickers, name_rows=name_rows,
        projects=projects, documents=documents, types=types, language_options=_language_options(),
        name=org.name_in(current_language_chain())), status


@bp.route("/organization_profile/<int:organization_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organization_id: int) -> Response | tuple[str, int]:
    """Edit the profile (managers and staff); detects a save made by someone else meanwhile."""
    org = _organization_or_404(organization_id)
    _require_manager(org)
    if request.method == "GET":
        current = org_service.edit_from_organization(org)
        return _render_edit(org, current, {}, org.version, org_service.snapshot(current))

    edit_data, errors = org_service.parse_edit(request.form)
    loaded = org_service.decode_snapshot(request.form.get("loaded"))
    if searching(request.form) or request.form.get("add_name_rows"):
        # A no-JavaScript step (picker search, more rows for names): show the form again, unsaved.
        return _render_edit(org, edit_data, {}, org_service.submitted_version(request.form) or org.version, loaded)
    if org_service.submitted_version(request.form) != org.version:
        return _conflict(org, edit_data, errors, loaded)
    if errors:
        return _render_edit(org, edit_data, errors, org.version, loaded, status=400)
    try:
        org_service.apply_edit(org, edit_data)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        org = _organization_or_404(organization_id)
        return _conflict(org, edit_data, errors, loaded)
    flash("organization-saved", "success")
    return redirect(url_for("organizations.profile", organization_id=org.id))


def _conflict(org: Organization, edit_data: org_service.OrganizationEdit, errors: dict,
              loaded: dict[str, str]) -> tuple[str, int]:
    """Someone saved since this editor loaded the form: show what changed, keep their input."""
    stored = org_service.snapshot(org_service.edit_from_organization(org))
    changes = org_service.changed_since(loaded, stored)
    # The next submit is against what is stored now: saving again is a deliberate overwrite.
    return _render_edit(org, edit_data, errors, org.version, stored, changes=changes, status=409)


@bp.post("/organization_profile/<int:organization_id>/delete")
@staff_required
def delete(organization_id: int) -> Response:
    """Staff erase an organization with everything that belongs to it."""
    org = _organization_or_404(organization_id)
    org_service.delete_organization(org)
    db.session.commit()
    flash("organization-deleted", "success")
    return redirect(url_for("organizations.staff_list"))


@bp.get("/organizations/staff")
@staff_required
def staff_list() -> str:
    """Every organization, hidden ones included, with its number of managers."""
    rows = org_service.all_organizations_with_manager_counts()
    chain = current_language_chain()
    return render_template("organizations/staff_list.html",
                           rows=[(org, org.name_in(chain), count) for org, count in rows])


@bp.route("/organization_profile/<int:organization_id>/managers", methods=["GET", "POST"])
@staff_required
def managers(organization_id: int) -> Response | tuple[str, int]:
    """Staff add and remove an organization's managers."""
    org = _organization_or_404(organization_id)
    error = None
    username = ""
    if request.method == "POST":
        action = request.form.get("action")
        if action == "add":
            username = (request.form.get("username") or "").strip()
            user = db.session.scalar(sa.select(User).where(User.username == normalize_username(username))) \
                if username else None
            if user is None:
                error = "organization-managers-unknown-user"
            else:
                added = org_service.add_manager(org, user)
                db.session.commit()
                flash("organization-managers-added" if added else "organization-managers-already", "success")
                return redirect(url_for("organizations.managers", organization_id=org.id))
        elif action == "remove":
            user_id = request.form.get("user_id", "")
            if user_id.isdigit() and org_service.remove_manager(org, int(user_id)):
                db.session.commit()
                flash("organization-managers-removed", "success")
            return redirect(url_for("organizations.managers", organization_id=org.id))
        else:
            abort(400)
    return render_template("organizations/managers.html", org=org, name=org.name_in(current_language_chain()),
                           managers=org_service.managers_of(org.id), error=error,
                           username=username), (400 if error else 200)


@bp.app_template_global()
def commons_url(file_name: str, width: int | None = None) -> str:
    """The file shown through Commons' file redirect (a thumbnail of ``width`` pixels)."""
    return commons_file_url(file_name, width=width)


@bp.app_template_global()
def commons_page(file_name: str) -> str:
    """The file's description page on Commons ("View document")."""
    return commons_page_url(file_name)
