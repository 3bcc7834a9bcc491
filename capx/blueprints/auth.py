"""Logging in with a Wikimedia account (Meta-Wiki OAuth 1.0a), the development login, logging out."""

from __future__ import annotations

import logging
from typing import Any

from flask import (Blueprint, abort, current_app, redirect, render_template, request, session,
                   url_for)
from werkzeug.wrappers import Response

from capx.access import current_user, keep_oauth_request, safe_next, start_session, take_oauth_request
from capx.clients.meta_wiki import MetaWikiError, meta_wiki_client
from capx.extensions import db
from capx.forms.auth import FAILED_LABELS, REFUSED_LABELS, DevLoginForm, LoginForm
from capx.services.accounts import LoginRefused, dev_login, end_sessions, login_from_identity
from capx.support.ratelimit import SharedLimit, client_key

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"login_failed_labels": FAILED_LABELS, "login_refused_labels": REFUSED_LABELS}

OAUTH_SESSION_KEY, OAUTH_PURPOSE = "oauth_request", "oauth-request"

#: Each login start asks Meta-Wiki for a request token: at most 10 a minute per visitor (address,
#: or session behind a proxy that hides addresses: ratelimit.client_key) and 120 a minute for the
#: whole site, so the button cannot be used to flood Meta-Wiki. Counted in the database: every
#: worker of every replica shares the counts.
LOGIN_STARTS_PER_CLIENT = SharedLimit("login-start", limit=10, window=60)
LOGIN_STARTS_SITE_WIDE = SharedLimit("login-start-all", limit=120, window=60)


def _dev_login_enabled() -> bool:
    return bool(current_app.config.get("CAPX_DEV_LOGIN")) and current_app.config.get("CAPX_ENV") != "production"


def _oauth_configured() -> bool:
    return bool(current_app.config.get("CAPX_OAUTH_CONSUMER_KEY") and current_app.config.get("CAPX_OAUTH_CONSUMER_SECRET"))


@bp.get("/login")
def login() -> str | Response:
    """Explain where the login happens, with a Continue button (and the development login)."""
    target = safe_next(request.args.get("next"))
    if current_user() is not None:
        return redirect(target)
    return render_template("auth/login.html", form=LoginForm(next=target), dev_form=DevLoginForm(next=target),
                           dev_login=_dev_login_enabled(), oauth=_oauth_configured())


@bp.post("/login")
def login_start() -> str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Leg 1 of OAuth: get a request token and send the user to Meta-Wiki."""
    form = LoginForm()
    if not form.validate_on_submit() or not _oauth_configured():
        abort(400)
    visitor = client_key(request.remote_addr, session.get("csrf_token"),
                         current_app.config.get("CAPX_CLIENT_ADDRESSES", True))
    if not LOGIN_STARTS_PER_CLIENT.hit(visitor) or not LOGIN_STARTS_SITE_WIDE.hit("all"):
        retry = max(LOGIN_STARTS_PER_CLIENT.retry_after(visitor), 1)
        return render_template("auth/failed.html", reason="busy"), 429, {"Retry-After": str(retry)}
    try:
        redirect_url, request_token = meta_wiki_client().start_login(url_for("auth.oauth_callback", _external=True))
    except MetaWikiError as exc:
        log.warning("OAuth initiate failed: %s", exc)
        return render_template("auth/failed.html", reason="unreachable"), 502
    # The request token secret goes in the cookie only encrypted (the cookie is signed, not secret).
    keep_oauth_request(OAUTH_SESSION_KEY, OAUTH_PURPOSE, request_token, safe_next(form.next.data))
    return redirect(redirect_url)


@bp.get("/oauth/callback")
def oauth_callback() -> str | Response | tuple[str, int]:
    """Leg 3 of OAuth: exchange the verifier for an access token, identify, log in."""
    pending = take_oauth_request(OAUTH_SESSION_KEY, OAUTH_PURPOSE)
    if pending is None:
        return render_template("auth/failed.html", reason="expired"), 400
    request_token, next_url = pending
    try:
        access, identity = meta_wiki_client().complete_login(request_token, request.query_string.decode())
    except MetaWikiError as exc:
        log.warning("OAuth login failed: %s", exc)
        if exc.code == "blocked":
            return render_template("auth/refused.html", reason="blocked"), 403
        return render_template("auth/failed.html", reason="oauth"), 502
    try:
        user = login_from_identity(identity, (access.key, access.secret))
    except LoginRefused as refused:
        db.session.commit()  # the lock of a blocked account is kept
        return render_template("auth/refused.html", reason=refused.reason), 403
    db.session.commit()
    start_session(user)
    return redirect(next_url or url_for("main.home"))


@bp.post("/login/dev")
def login_dev() -> str | Response | tuple[str, int]:
    """The development login (refused with 404 unless switched on outside production)."""
    if not _dev_login_enabled():
        abort(404)
    form = DevLoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=LoginForm(next=form.next.data), dev_form=form,
                               dev_login=True, oauth=_oauth_configured()), 400
    try:
        user = dev_login(form.username.data)
    except LoginRefused as refused:
        db.session.rollback()
        return render_template("auth/refused.html", reason=refused.reason), 403
    db.session.commit()
    start_session(user)
    return redirect(safe_next(form.next.data))


@bp.post("/logout")
def logout() -> Response:
    """Log out everywhere: every session of this user becomes void."""
    user = current_user()
    if user is not None:
        end_sessions(user)
        db.session.commit()
    session.clear()
    return redirect(url_for("main.landing"))
