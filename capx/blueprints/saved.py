"""Save and unsave buttons (POST), used on profiles, Explore cards, organizations and home."""

from __future__ import annotations

from typing import Callable

from flask import Blueprint, abort, redirect, request
from werkzeug.wrappers import Response

from capx.access import current_user, login_required, safe_next
from capx.extensions import db
from capx.models import User
from capx.services import saved

bp = Blueprint("saved", __name__)


def _back() -> Response:
    return redirect(safe_next(request.form.get("next"), "/feed/saved"))


def _toggle(item_id: int, save: Callable[[User, int], bool], unsave: Callable[[User, int], None]) -> Response:
    """``action=save`` (404 when the item may not be saved) or ``action=unsave``, then go back to ``next``."""
    user = current_user()
    assert user is not None
    action = request.form.get("action")
    if action == "save":
        if not save(user, item_id):
            abort(404)
    elif action == "unsave":
        unsave(user, item_id)
    else:
        abort(400)
    db.session.commit()
    return _back()


@bp.post("/saved/profile/<int:user_id>")
@login_required
def toggle_profile(user_id: int) -> Response:
    """``action=save`` or ``action=unsave`` a profile, then go back to ``next``."""
    return _toggle(user_id, saved.save_profile, saved.unsave_profile)


@bp.post("/saved/organization/<int:organization_id>")
@login_required
def toggle_organization(organization_id: int) -> Response:
    """``action=save`` or ``action=unsave`` an organization, then go back to ``next``."""
    return _toggle(organization_id, saved.save_organization, saved.unsave_organization)
