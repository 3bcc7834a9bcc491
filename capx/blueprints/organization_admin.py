"""Staff tools for organizations: create one, edit its base fields, merge a duplicate into another,
and the addresses of merged organizations (they lead to the organization they went into)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from capx.access import current_user, staff_required
from capx.blueprints.organizations import organization_or_404
from capx.extensions import db
from capx.forms import organization_admin as forms
from capx.forms.errors import Checked, FormErrors
from capx.forms.organizations import type_options
from capx.forms.pickers import picker_state
from capx.language import current_language_chain
from capx.models import Organization
from capx.services import organization_admin as admin
from capx.services import organizations as org_service
from capx.services.organization_admin import BaseFields
from capx.services.organization_profiles import name_languages

bp = Blueprint("organization_admin", __name__)

#: The addresses of an organization and the pages under it.
_ORGANIZATION_PATH = re.compile(r"^/organization_profile/(\d{1,18})(/.*)?$")


@bp.before_app_request
def _merged_organization() -> Response | None:
    """The address of a merged organization (and of the pages under it) leads to the organization
    it went into; one primary-key lookup, only on organization addresses."""
    if request.method not in ("GET", "HEAD"):
        return None
    match = _ORGANIZATION_PATH.match(request.path)
    if match is None:
        return None
    target = admin.redirect_target(int(match.group(1)))
    if target is None:
        return None
    query = request.query_string.decode("utf-8", "replace")
    return redirect(f"/organization_profile/{target}{match.group(2) or ''}" + (f"?{query}" if query else ""), 301)


def _base_page(form: forms.BaseForm, errors: FormErrors, org: Organization | None, status: int = 200
               ) -> tuple[str, int]:
    chain = current_language_chain()
    submitted = request.form if request.method == "POST" else None
    return render_template(
        "organizations/base_fields.html", form=form, errors=errors, org=org,
        name=org.name_in(chain) if org else None, types=type_options(),
        language_options=name_languages(chain[0]),
        territory=picker_state("territory", "territory", submitted, form.territories, chain=chain),
        organizations=[(i, n) for i, n in admin.organization_options(chain) if org is None or i != org.id]), status


def _base_page_again(checked: Checked[BaseFields], org: Organization | None) -> tuple[str, int]:
    """The submitted base fields again: with the more name rows asked for (no errors yet), else with
    their errors (422)."""
    if request.form.get("add_name_rows"):
        return _base_page(checked.form, FormErrors(), org)
    return _base_page(checked.form, checked.errors, org, 422)


@bp.route("/organizations/staff/new", methods=["GET", "POST"])
@staff_required
def create() -> Response | tuple[str, int]:
    """Staff create an organization (hidden until they name a manager)."""
    if request.method == "GET":
        return _base_page(forms.BaseForm(), FormErrors(), None)
    checked = forms.read_base_fields(request.form, current_language_chain())
    if request.form.get("add_name_rows") or checked.value is None:
        return _base_page_again(checked, None)
    org = admin.create_organization(checked.value)
    db.session.commit()
    flash("organization-admin-created", "success")
    return redirect(url_for("organizations.managers", organization_id=org.id))


@bp.route("/organization_profile/<int:organization_id>/base", methods=["GET", "POST"])
@staff_required
def base(organization_id: int) -> Response | tuple[str, int]:
    """Staff edit an organization's base fields (names, acronym, type, territories, parent)."""
    org = organization_or_404(organization_id)
    if request.method == "GET":
        return _base_page(forms.base_form(admin.base_fields(org)), FormErrors(), org)
    checked = forms.read_base_fields(request.form, current_language_chain(), org.id)
    if request.form.get("add_name_rows") or checked.value is None:
        return _base_page_again(checked, org)
    admin.apply_base_fields(org, checked.value)
    db.session.commit()
    flash("organization-saved", "success")
    return redirect(url_for("organizations.profile", organization_id=org.id))


@bp.route("/organization_profile/<int:organization_id>/merge", methods=["GET", "POST"])
@staff_required
def merge(organization_id: int) -> Response | tuple[str, int]:
    """Staff merge this organization (a duplicate) into another one."""
    source = organization_or_404(organization_id)
    chain = current_language_chain()
    errors, typed, status = FormErrors(), "", 200
    if request.method == "POST":
        checked = forms.read_merge(request.form, source.id)
        if checked.value is not None:
            target = org_service.load_organization(checked.value)
            assert target is not None
            record = admin.merge_organizations(source, target, current_user())
            db.session.commit()
            flash("organization-merge-done", "success")
            return redirect(url_for("organization_admin.merged", old_id=record.old_id))
        errors, typed, status = checked.errors, checked.form, 422
    return render_template(
        "organizations/merge.html", org=source, name=source.name_in(chain), errors=errors, typed=typed,
        organizations=[(i, n) for i, n in admin.organization_options(chain) if i != source.id]), status


@bp.get("/organizations/staff/merged/<int:old_id>")
@staff_required
def merged(old_id: int) -> str:
    """What a merge did not move (the source's values the target kept its own for, and what did
    not fit within a limit)."""
    record = admin.merge_record(old_id)
    if record is None:
        abort(404)
    target = org_service.load_organization(record.target_id)
    if target is None:
        abort(404)
    return render_template("organizations/merged.html", record=record, target=target,
                           name=target.name_in(current_language_chain()), notes=forms.note_rows(record.notes))
