"""Save and unsave buttons (POST), used on profiles, Explore cards, organizations and home."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request
from werkzeug.wrappers import Response

from capx.access import current_user, login_required, safe_next
from capx.extensions import db
from capx.services import saved

bp = Blueprint("saved", __name__)


def _back() -> Response:
    return redirect(safe_next(request.form.get("next"), "/feed/saved"))


@bp.post("/saved/profile/<int:user_id>")
@login_required
def toggle_profile(user_id: int) -> Response:
    """``action=save`` or ``action=unsave`` a profile, then go back to ``next``."""
    user = current_user()
    assert user is not None
    action = request.form.get("action")
    if action == "save":
        if not saved.save_profile(user, user_id):
            abort(404)
    elif action == "unsave":
        saved.unsave_profile(user, user_id)
    else:
        abort(400)
    db.session.commit()
    return _back()


@bp.post("/saved/organization/<int:organization_id>")
@login_required
def toggle_organization(organization_id: int) -> Response:
    """``action=save`` or ``action=unsave`` an organization, then go back to ``next``."""
    user = current_user()
    assert user is not None
    action = request.form.get("action")
    if action == "save":
        if not saved.save_organization(user, organization_id):
            abort(404)
    elif action == "unsave":
        saved.unsave_organization(user, organization_id)
    else:
        abort(400)
    db.session.commit()
    return _back()
