"""Landing page, logged-in home, privacy policy, language and theme choice, health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, make_response, redirect, render_template, request, url_for

from capx import translations
from capx.access import current_user, login_required, safe_next
from capx.extensions import db
from capx.language import LANGUAGE_COOKIE, available_languages, current_language_chain, msg
from capx.forms import data as data_forms, directory as directory_forms, home as home_forms
from capx.services import home as home_service, statistics
from capx.services.directory import KNOWN_AND_AVAILABLE
from capx.services.capacities import capacity_tree
from capx.support.health import database_answers
from capx.web import THEME_COOKIE, THEMES

bp = Blueprint("main", __name__)

ONE_YEAR = 60 * 60 * 24 * 365


@bp.app_template_filter("web_url")
def web_url(value: str | None) -> str:
    """``value`` when it is an http(s) URL or a same-site path, else "" (an inert link).

    Forms already refuse other schemes; this keeps a stored ``javascript:`` or ``data:`` URL (an old
    row, a sync, a bug) from ever becoming a live link.
    """
    url = (value or "").strip()
    lowered = url.lower()
    if lowered.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith(("//", "/\\"))):
        return url
    return ""


@bp.get("/")
def landing() -> str:
    """The public landing page (with a few live figures)."""
    return render_template("main/landing.html", figures=home_service.landing_figures())


@bp.get("/home")
@login_required
def home() -> str:
    """The logged-in home: a welcome, what the profile still lacks, and suggestion rows."""
    user = current_user()
    assert user is not None
    me = home_service.viewer_profile(user)
    chain = current_language_chain()
    suggestions = home_service.suggestions(user, chain, me)
    # Plural messages with localized numbers are the costly ones: format each count once.
    match_labels = {n: msg("home-card-matches", n) for n in suggestions.match_counts()}
    labels = {key: msg(key) for key in ("home-card-wants", "home-card-offers", "home-card-speaks",
                                        "home-card-org-wants", "home-card-org-offers")}
    labels["view"] = msg("home-card-view")
    return render_template("main/home.html", missing=home_service.profile_gaps(me),
                           suggestions=suggestions, tree=capacity_tree(chain), match_labels=match_labels,
                           labels=labels, home_url=url_for("main.home"), gap_labels=home_forms.GAP_LABELS,
                           format_labels={fmt: label.resolve() for fmt, label in home_forms.EVENT_FORMAT_LABELS.items()},
                           add_choices={choice: directory_forms.ADD_LABELS[choice].resolve()
                                        for choice in ("known", KNOWN_AND_AVAILABLE)},
                           totals=statistics.stored_totals(), totals_shown=data_forms.TOTAL_LABELS)


@bp.get("/privacy_policy")
def privacy_policy() -> str:
    return render_template("main/privacy_policy.html")


@bp.post("/language")
def set_language() -> Response:
    """Save the interface language: on the account when logged in, else in a cookie."""
    code = (request.form.get("uselang") or "").strip().lower()
    target = safe_next(request.form.get("next"), "/")
    response = make_response(redirect(target))
    if translations.is_valid_language(code, available_languages()):
        user = current_user()
        if user is not None:
            user.interface_language = code
            db.session.commit()
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


@bp.post("/theme")
def set_theme() -> Response:
    """Remember the colour theme in a cookie; the server renders it, so there is no flash."""
    theme = request.form.get("theme", "auto")
    response = make_response(redirect(safe_next(request.form.get("next"), "/")))
    if theme in THEMES:
        response.set_cookie(THEME_COOKIE, theme, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Database reachability, for monitoring (no personal data, no HTML)."""
    if not database_answers():
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
