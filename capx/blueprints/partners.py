"""Partners: staff mark an organization as a partner and name its members; members (and staff)
manage the partner's badges and who holds them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from capx.access import current_user, login_required, staff_required
from capx.blueprints.organizations import PeopleList, organization_or_404, people_page
from capx.extensions import db
from capx.forms import partners as forms
from capx.forms.errors import FormErrors
from capx.language import current_language_chain
from capx.models import Badge, Organization
from capx.services import organizations as org_service
from capx.services import partner_badges as service

bp = Blueprint("partners", __name__)


MEMBERS = PeopleList("partners.partner", forms.read_member, service.add_member, forms.read_user_id,
                     service.remove_member, added="partner-members-added", already="partner-members-already",
                     removed="partner-members-removed", template="partners/partner.html", listed_as="members",
                     listed=service.members_of, invalid_status=422)


def _partner_for_badges(organization_id: int) -> Organization:
    """The partner whose badges the current user manages; 404 when it is not a partner (or is
    hidden from them), 403 when they may see it but are not its member."""
    org = organization_or_404(organization_id)
    user = current_user()
    if not org.is_partner:
        abort(404)
    if not service.can_manage_badges(user, org):
        abort(403 if org_service.may_see(user, org.id) else 404)
    return org


def _badge_or_404(org: Organization, badge_id: int) -> Badge:
    badge = service.badge_of(org.id, badge_id)
    if badge is None:
        abort(404)
    return badge


@bp.route("/organization_profile/<int:organization_id>/partner", methods=["GET", "POST"])
@staff_required
def partner(organization_id: int) -> Response | tuple[str, int]:
    """Staff mark the organization as a partner (or not) and add and remove its members."""
    org = organization_or_404(organization_id)
    action = request.form.get("action") if request.method == "POST" else None
    if action in ("mark", "unmark"):
        service.set_partner(org, action == "mark")
        db.session.commit()
        flash("partner-marked" if action == "mark" else "partner-unmarked", "success")
        return redirect(url_for("partners.partner", organization_id=org.id))
    return people_page(org, MEMBERS)


def _badges_page(org: Organization, form: forms.BadgeForm, errors: FormErrors, status: int = 200) -> tuple[str, int]:
    return render_template("partners/badges.html", org=org, name=org.name_in(current_language_chain()),
                           badges=service.badges_of(org.id), form=form, errors=errors), status


@bp.route("/organization_profile/<int:organization_id>/badges", methods=["GET", "POST"])
@login_required
def badges(organization_id: int) -> Response | tuple[str, int]:
    """The partner's badges; a new one (members and staff)."""
    org = _partner_for_badges(organization_id)
    if request.method == "GET":
        return _badges_page(org, forms.BadgeForm(), FormErrors())
    checked = forms.read_badge(request.form)
    if checked.value is None:
        return _badges_page(org, checked.form, checked.errors, 422)
    badge = service.create_badge(org, checked.value)
    db.session.commit()
    flash("partner-badge-created", "success")
    return redirect(url_for("partners.badge", organization_id=org.id, badge_id=badge.id))


def _badge_page(org: Organization, badge: Badge, form: forms.BadgeForm, errors: FormErrors, usernames: str = "",
                status: int = 200) -> tuple[str, int]:
    return render_template("partners/badge.html", org=org, name=org.name_in(current_language_chain()), badge=badge,
                           form=form, errors=errors, usernames=usernames, holders=service.holders(badge)), status


@bp.route("/organization_profile/<int:organization_id>/badges/<int:badge_id>", methods=["GET", "POST"])
@login_required
def badge(organization_id: int, badge_id: int) -> Response | tuple[str, int]:
    """One badge: edit or delete it, give it to people by user name, take it back."""
    org = _partner_for_badges(organization_id)
    item = _badge_or_404(org, badge_id)
    stored = forms.badge_form(item.name, item.description, item.image)
    if request.method == "GET":
        return _badge_page(org, item, stored, FormErrors())
    here = url_for("partners.badge", organization_id=org.id, badge_id=item.id)
    action = request.form.get("action")
    if action == "save":
        checked = forms.read_badge(request.form)
        if checked.value is None:
            return _badge_page(org, item, checked.form, checked.errors, status=422)
        service.update_badge(item, checked.value)
        db.session.commit()
        flash("partner-badge-saved", "success")
        return redirect(here)
    if action == "delete":
        service.delete_badge(item)
        db.session.commit()
        flash("partner-badge-deleted", "success")
        return redirect(url_for("partners.badges", organization_id=org.id))
    if action == "assign":
        holders = forms.read_holders(request.form)
        if holders.value is None:
            return _badge_page(org, item, stored, holders.errors, usernames=holders.form, status=422)
        service.assign(item, holders.value)
        db.session.commit()
        flash("partner-badge-assigned", "success")
        return redirect(here)
    if action == "unassign":
        removed = service.unassign(item, forms.read_removed_holders(request.form))
        if removed:
            db.session.commit()
            flash("partner-badge-unassigned", "success")
        return redirect(here)
    abort(400)
