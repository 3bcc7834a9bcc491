"""The Translate! page: capacity names and descriptions into any language, saved on Metabase,
and connecting / disconnecting the user's Metabase account (OAuth 1.0a)."""

from __future__ import annotations

import logging

from typing import Any

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, url_for)

from capx.access import current_user, keep_oauth_request, login_required, safe_next, take_oauth_request
from capx.clients.metabase import MetabaseError, metabase_client
from capx.clients.meta_wiki import MetaWikiClient, MetaWikiError
from capx.extensions import db
from capx.forms import translation as forms
from capx.forms.errors import FormErrors
from capx.language import current_language
from capx.models import User
from capx.services import translation as service
from capx.support.pagination import make_page, requested_page

log = logging.getLogger(__name__)

bp = Blueprint("translation", __name__)

PER_PAGE = 20
OAUTH_SESSION_KEY, OAUTH_PURPOSE = "metabase_oauth_request", "metabase-oauth"


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"translation_filter_labels": forms.FILTER_LABELS, "translation_sort_labels": forms.SORT_LABELS}


def _languages() -> list[tuple[str, str]]:
    return service.target_languages(current_language())


def _user() -> User:
    """The logged-in user (every route here requires a login)."""
    user = current_user()
    assert user is not None
    return user


def _oauth_client() -> MetaWikiClient:
    config = current_app.config
    base = config["CAPX_METABASE_URL"]
    return MetaWikiClient(f"{base}/w/index.php", f"{base}/w/api.php", config["CAPX_METABASE_CONSUMER_KEY"],
                          config["CAPX_METABASE_CONSUMER_SECRET"])


def _oauth_configured() -> bool:
    config = current_app.config
    return bool(config.get("CAPX_METABASE_CONSUMER_KEY") and config.get("CAPX_METABASE_CONSUMER_SECRET"))


def _state_args(state: dict[str, str]) -> dict[str, Any]:
    """The page state as URL arguments (empty values left out)."""
    return {key: value for key, value in state.items() if value}


def _render(state: dict[str, str], row_errors: dict[int, FormErrors] | None = None,
            typed: dict[int, tuple[str, str]] | None = None, status: int = 200) -> tuple[str, int]:
    languages = _languages()
    codes = {code for code, _ in languages}
    if state["lang"] not in codes:
        default = current_language()
        state["lang"] = default if default in codes else "pt-br" if "pt-br" in codes else (languages[0][0] if languages else "")
    rows, translated, total = service.translation_rows(state["lang"], state["q"], state["filter"], state["sort"])
    if state["capacity"].isdigit():
        rows = [r for r in rows if r.id == int(state["capacity"])]
    page = make_page(requested_page(request.values), PER_PAGE, len(rows))
    visible = rows[page.offset:page.offset + PER_PAGE]
    missing = [i for i in (row_errors or {}) if i not in {r.id for r in visible}]
    if missing:
        # The row the user just saved may have moved (now translated): show it first, with its errors.
        everything, _, _ = service.translation_rows(state["lang"])
        visible = [r for r in everything if r.id in missing] + visible
    for row in visible:
        if typed and row.id in typed:
            row.name, row.description = typed[row.id]
    config = current_app.config
    can_write = _oauth_configured() or bool(config.get("CAPX_METABASE_BOT_USER") and config.get("CAPX_METABASE_BOT_PASSWORD"))
    user = _user()
    return render_template(
        "translation/index.html", state=state, languages=languages, rows=visible, page=page,
        translated=translated, total=total, row_errors=row_errors or {}, oauth=_oauth_configured(),
        metabase_user=service.metabase_username(user), can_write=can_write,
        page_url=lambda n: url_for("translation.index", **_state_args(state), page=n),
    ), status


@bp.get("/translation")
@login_required
def index() -> tuple[str, int]:
    """Capacities with English beside the target language, filters, search, sort, pagination."""
    return _render(forms.read_state(request.values))


@bp.post("/translation")
@login_required
def save() -> Any:
    """Save one capacity's name and description in the target language (to Metabase, then here)."""
    state = forms.read_state(request.values)
    capacity_id = forms.read_capacity_id(request.form)
    if capacity_id is None or not state["lang"] or state["lang"] not in {code for code, _ in _languages()}:
        abort(400)
    checked = forms.read_translation(request.form, capacity_id, state["lang"])
    errors = checked.errors
    if checked.value is not None:
        try:
            result = service.save_translation(_user(), checked.value, metabase_client(), current_app.config)
        except LookupError:
            abort(404)
        except service.NoWriter:
            errors = forms.not_configured()
        except MetabaseError as exc:
            log.warning("Metabase bot login failed: %s", exc)
            errors = forms.save_errors({"row": (exc.code, exc.text)})
        else:
            db.session.commit()  # what Metabase took, also when it refused the other field
            errors = forms.save_errors(result.errors)
            if not errors:
                flash("translation-saved-as-user" if result.as_user else "translation-saved", "success")
                return redirect(url_for("translation.index", **_state_args(state),
                                        page=request.form.get("page") or None) + f"#capacity-{capacity_id}")
    return _render(state, {capacity_id: errors}, {capacity_id: checked.form}, status=400)


@bp.post("/translation/metabase/connect")
@login_required
def connect() -> Any:
    """Leg 1 of OAuth against Metabase: send the user there to allow CapX to edit as them."""
    if not _oauth_configured():
        abort(404)
    back = safe_next(request.form.get("next"), url_for("translation.index"))
    try:
        redirect_url, request_token = _oauth_client().start_login(url_for("translation.callback", _external=True))
    except MetaWikiError as exc:
        log.warning("Metabase OAuth initiate failed: %s", exc)
        flash("translation-connect-failed", "error")
        return redirect(back)
    keep_oauth_request(OAUTH_SESSION_KEY, OAUTH_PURPOSE, request_token, back)
    return redirect(redirect_url)


@bp.get("/translation/metabase/callback")
@login_required
def callback() -> Any:
    """Leg 3: store the user's Metabase access token (encrypted) with their Metabase user name."""
    pending = take_oauth_request(OAUTH_SESSION_KEY, OAUTH_PURPOSE)
    if pending is None:
        flash("translation-connect-failed", "error")
        return redirect(url_for("translation.index"))
    request_token, next_url = pending
    try:
        access, identity = _oauth_client().complete_login(request_token, request.query_string.decode())
    except MetaWikiError as exc:
        log.warning("Metabase OAuth failed: %s", exc)
        flash("translation-connect-failed", "error")
        return redirect(next_url or url_for("translation.index"))
    service.connect_metabase(_user(), (access.key, access.secret), identity.username)
    db.session.commit()
    flash("translation-connected", "success")
    return redirect(next_url or url_for("translation.index"))


@bp.post("/translation/metabase/disconnect")
@login_required
def disconnect() -> Any:
    """Forget the user's Metabase token: later saves go through the bot."""
    service.disconnect_metabase(_user())
    db.session.commit()
    flash("translation-disconnected", "success")
    return redirect(safe_next(request.form.get("next"), url_for("translation.index")))
