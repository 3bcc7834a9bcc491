"""Organization profiles: the page, the managers' edit form, and staff tools (managers, deletion)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from capx.access import current_user, login_required, staff_required
from capx.extensions import db
from capx.forms import concurrent_edits as edits
from capx.forms import organizations as forms
from capx.forms.errors import Checked, FormErrors
from capx.forms.pickers import picker_state
from capx.language import current_language_chain
from capx.models import CAPACITY_KINDS, Organization, User
from capx.services import events as events_service
from capx.services import news as news_service
from capx.services import organization_profiles as profiles
from capx.services import organizations as org_service
from capx.services import partner_badges
from capx.services.choices import labels
from capx.services.concurrent_edits import SavedMeanwhile, saved_meanwhile
from capx.services.organization_profiles import OrganizationEdit
from capx.services.saved import saved_organization_ids
from capx.support.media import commons_file_url, commons_page_url

bp = Blueprint("organizations", __name__)


def organization_or_404(organization_id: int) -> Organization:
    """The organization (hidden ones included: the caller checks who may see it), else 404."""
    org = org_service.load_organization(organization_id)
    if org is None:
        abort(404)
    return org


@dataclass(frozen=True)
class PeopleList:
    """An organization's list of people that staff edit by user name (its managers, a partner's
    members): how a name and a removal are read, the service calls, the page and its messages."""

    endpoint: str
    read_new: Callable[[MultiDict[str, str]], Checked[User]]
    add: Callable[[Organization, User], bool]
    read_removed: Callable[[MultiDict[str, str]], int | None]
    remove: Callable[[Organization, int], bool]
    added: str
    already: str
    removed: str
    template: str
    listed_as: str  # the template's name for the list
    listed: Callable[[int], Sequence[User]]
    invalid_status: int  # the status of the page with a name that cannot be added


def people_page(org: Organization, people: PeopleList) -> Response | tuple[str, int]:
    """The page of the list (after :func:`edit_people` on a POST): the redirect after a change, else
    the list with the name typed and its error."""
    checked = edit_people(org, people)
    if isinstance(checked, Response):
        return checked
    status = people.invalid_status if checked.errors else 200
    return render_template(people.template, org=org, name=org.name_in(current_language_chain()), errors=checked.errors,
                           username=checked.form, **{people.listed_as: people.listed(org.id)}), status


def edit_people(org: Organization, people: PeopleList) -> Response | Checked[User]:
    """On a POST, ``action=add`` a person by name or ``action=remove`` one by id (400 for another
    action): the redirect to the list after a change, else the checked name to show again with its
    error (nothing typed on a GET)."""
    if request.method != "POST":
        return Checked(None, FormErrors(), "")
    action = request.form.get("action")
    if action == "add":
        checked = people.read_new(request.form)
        if checked.value is None:
            return checked
        added = people.add(org, checked.value)
        db.session.commit()
        flash(people.added if added else people.already, "success")
        return redirect(url_for(people.endpoint, organization_id=org.id))
    if action == "remove":
        user_id = people.read_removed(request.form)
        if user_id is not None and people.remove(org, user_id):
            db.session.commit()
            flash(people.removed, "success")
        return redirect(url_for(people.endpoint, organization_id=org.id))
    abort(400)


MANAGERS = PeopleList("organizations.managers", forms.read_new_manager, org_service.add_manager,
                      forms.read_removed_manager, org_service.remove_manager, added="organization-managers-added",
                      already="organization-managers-already", removed="organization-managers-removed",
                      template="organizations/managers.html", listed_as="managers", listed=org_service.managers_of,
                      invalid_status=400)


def _require_manager(org: Organization) -> None:
    user = current_user()
    if not org_service.can_manage(user, org.id):
        # Refused: said so only to someone who may know that the organization exists.
        abort(403 if org_service.may_see(user, org.id) else 404)


@bp.get("/organization_profile/<int:organization_id>")
def profile(organization_id: int) -> str:
    """An organization's profile, public (read-only for visitors who are not logged in); hidden
    organizations only for staff."""
    user = current_user()
    org = organization_or_404(organization_id)
    data = profiles.load_profile(org)
    if not org_service.may_see(user, org.id, data.visible):
        abort(404)
    chain = current_language_chain()
    capacities = profiles.profile_capacities(data, chain)
    return render_template(
        "organizations/profile.html", org=org, data=data, name=org.name_in(chain),
        type_label=forms.type_label(org.type) if org.type else None,
        capacity_sections=[(forms.CAPACITY_HEADINGS[kind], capacities[kind]) for kind in CAPACITY_KINDS],
        territories=labels("territory", data.territory_ids, chain),
        featured=events_service.featured_events(org.id),
        news=news_service.posts_for_tags([t.slug for t in data.tags]),
        can_edit=org_service.can_manage(user, org.id), manages_badges=partner_badges.can_manage_badges(user, org),
        is_saved=org.id in saved_organization_ids(user, [org.id]))


def _edit_page(org: Organization, form: forms.EditForm, errors: FormErrors, version: int, loaded: dict[str, str],
               changes: list[edits.FieldChange] | None = None, status: int = 200,
               data: MultiDict[str, str] | None = None) -> tuple[str, int]:
    chain = current_language_chain()
    submitted = data if data is not None else (request.form if request.method == "POST" else None)
    pickers = {kind: picker_state(f"capacity_{kind}", "capacity", submitted, ids, chain=chain)
               for kind, ids in form.capacities.items()}
    pickers["territory"] = picker_state("territory", "territory", submitted, form.territories, chain=chain)
    return render_template(
        "organizations/edit.html", org=org, form=form, errors=errors, version=version,
        loaded=edits.encode_snapshot(loaded), changes=changes, pickers=pickers, types=forms.type_options(),
        language_options=profiles.name_languages(chain[0]), name=org.name_in(chain)), status


@bp.route("/organization_profile/<int:organization_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organization_id: int) -> Response | tuple[str, int]:
    """Edit the profile (managers and staff); detects a save made by someone else meanwhile."""
    org = organization_or_404(organization_id)
    _require_manager(org)
    chain = current_language_chain()
    if request.method == "GET":
        stored = profiles.stored_edit(org)
        return _edit_page(org, forms.edit_form(stored), FormErrors(), org.version, profiles.snapshot(stored, chain))

    loaded = edits.loaded_snapshot(request.form)
    version = edits.submitted_version(request.form)
    if forms.importing_known(request.form):
        data = forms.with_known_as_available(request.form)
        return _edit_page(org, forms.read_edit(data, chain).form, FormErrors(), version or org.version, loaded,
                          data=data)
    checked = forms.read_edit(request.form, chain)
    if forms.no_javascript_step(request.form):
        return _edit_page(org, checked.form, FormErrors(), version or org.version, loaded)
    if saved_meanwhile(org.version, version):
        return _conflict(org, checked, loaded)
    if checked.value is None:
        return _edit_page(org, checked.form, checked.errors, org.version, loaded, status=400)
    try:
        profiles.apply_edit(org, checked.value)
    except SavedMeanwhile:
        db.session.rollback()
        return _conflict(organization_or_404(organization_id), checked, loaded)
    db.session.commit()
    flash("organization-saved", "success")
    return redirect(url_for("organizations.profile", organization_id=org.id))


def _conflict(org: Organization, checked: Checked[OrganizationEdit], loaded: dict[str, str]) -> tuple[str, int]:
    """Someone saved since this editor loaded the form: show what changed, keep their input."""
    stored = profiles.snapshot(profiles.stored_edit(org), current_language_chain())
    changes = edits.changed_since(loaded, stored, forms.FIELD_LABELS)
    # The next submit is against what is stored now: saving again is a deliberate overwrite.
    return _edit_page(org, checked.form, checked.errors, org.version, stored, changes=changes, status=409)


@bp.post("/organization_profile/<int:organization_id>/delete")
@staff_required
def delete(organization_id: int) -> Response:
    """Staff erase an organization with everything that belongs to it."""
    org = organization_or_404(organization_id)
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
    return people_page(organization_or_404(organization_id), MANAGERS)


@bp.app_template_global()
def commons_url(file_name: str, width: int | None = None) -> str:
    """The file shown through Commons' file redirect (a thumbnail of ``width`` pixels)."""
    return commons_file_url(file_name, width=width)


@bp.app_template_global()
def commons_page(file_name: str) -> str:
    """The file's description page on Commons ("View document")."""
    return commons_page_url(file_name)
