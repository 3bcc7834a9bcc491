"""User profiles: view, edit, share (link and QR code), badges, Let's Connect, export and delete."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import segno
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import format_date
from werkzeug.datastructures import MultiDict

from capx.access import current_user, login_required
from capx.clients.lets_connect import LetsConnectError, lets_connect_client
from capx.clients.meta_wiki import meta_wiki_client
from capx.clients.wikidata import wikidata_client
from capx.extensions import db
from capx.language import current_language, current_language_chain, msg_text
from capx.models import (CAPACITY_KINDS, DEFAULT_PROFICIENCY, LETS_CONNECT_AGE_RANGES, LETS_CONNECT_GENDERS,
                         LETS_CONNECT_ROLES, LETS_CONNECT_TOPICS, PROFICIENCY_LEVELS, Profile, User)
from capx.forms import lets_connect as lc_labels, profiles as forms
from capx.forms.errors import FormErrors
from capx.forms.profiles import CAPACITY_FIELDS
from capx.forms.pickers import picker_state, searching
from capx.services import badges as badge_service, choices as choices_service, lets_connect as lc_service
from capx.services import external_badges, organizations as org_service, personal_data, profiles as service
from capx.services.capacities import capacity_tree
from capx.support.media import commons_file_url
from capx.web import picture_response
from capx.services.saved import saved_profile_ids
from capx.services.reference_names import language_name, territory_name

bp = Blueprint("profiles", __name__)



@bp.context_processor
def labels() -> dict[str, Any]:
    return {"kind_labels": forms.KIND_LABELS, "proficiency_labels": forms.PROFICIENCY_LABELS}


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def organization_url(organization_id: int) -> str:
    """The organization's profile page (the plain path until that area is merged)."""
    if "organizations.profile" in current_app.view_functions:
        return url_for("organizations.profile", organization_id=organization_id)
    return f"/organization_profile/{organization_id}"


def profile_url(user: User) -> str:
    return url_for("profiles.view", username=user.url_name, _external=True)


def avatar_url(profile: Profile, width: int = 160) -> str | None:
    """The chosen avatar, else the consented Wikidata photograph, else None (default picture)."""
    if profile.avatar is not None:
        return commons_file_url(profile.avatar.file_name, width)
    if profile.show_wikidata_photo and profile.wikidata_photo:
        return commons_file_url(profile.wikidata_photo, width)
    return None


# -- viewing -------------------------------------------------------------------------------------

def _render_profile(user: User) -> str:
    """The profile page, for its owner, another Wikimedian or (a public profile) a visitor who is
    not logged in: no contact or save buttons then, and only links the reader can open."""
    me = current_user()
    profile = service.load_profile(user)
    tree = capacity_tree(current_language_chain())
    caps = {kind: [tree.get(cid) for cid in service.capacity_ids(profile, kind) if tree.get(cid)]
            for kind in CAPACITY_KINDS}
    lang = current_language()
    languages = [(pl.language, language_name(pl.language, lang), PROFICIENCY_LEVELS[pl.proficiency]
                  if 0 <= pl.proficiency < len(PROFICIENCY_LEVELS) else "advanced") for pl in profile.languages]
    territories = [territory_name(pt.territory, lang) for pt in profile.territories]
    chain = current_language_chain()
    # A hidden organization is named as plain text (its page would answer 404 to this reader).
    shown = org_service.visible_among([pa.organization_id for pa in profile.affiliations])
    affiliations = [(pa.organization.name_in(chain), organization_url(pa.organization_id)
                     if org_service.may_see(me, pa.organization_id, pa.organization_id in shown) else None)
                    for pa in profile.affiliations]
    is_own = me is not None and user.id == me.id
    managed = [(org.name_in(chain), organization_url(org.id)) for org in service.managed_organizations(user)] \
        if is_own else []
    return render_template(
        "profiles/view.html", user=user, profile=profile, is_own=is_own, caps=caps, languages=languages,
        territories=territories, affiliations=affiliations, managed=managed,
        badges=badge_service.displayed_badges(user), avatar=avatar_url(profile),
        share_url=profile_url(user),
        birthday=format_date(user.registered_at, "long") if user.registered_at else None,
        is_saved=(me is not None and not is_own and user.id in saved_profile_ids(me, [user.id])),
        login_url=url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.get("/profile")
@login_required
def mine() -> str:
    """One's own profile, with hints for empty sections and the organizations one manages."""
    return _render_profile(_me())


@bp.get("/profile/<username>")
def view(username: str) -> str:
    """Someone's profile by user name (spaces as underscores); locked accounts are not shown.

    Visitors who are not logged in see a public profile; for any other name (not public, locked or
    no such account: the same answer, so names cannot be probed) a short page that asks them to log in.
    """
    user = service.find_user(username)
    me = current_user()
    if user is not None and service.may_view(me, user):
        return _render_profile(user)
    if me is not None:
        abort(404)
    return render_template("profiles/login_to_see.html",
                           login_url=url_for("auth.login", next=request.full_path.rstrip("?")))


def _qr_target(username: str) -> str:
    """The profile's address, for whoever may see the profile (404 otherwise)."""
    user = service.find_user(username)
    me = current_user()
    if user is None or not service.may_view(me, user):
        abort(404)
    return profile_url(user)


@bp.get("/profile/<username>/qr.svg")
def qr(username: str) -> Response:
    """A QR code (SVG) that leads to the profile."""
    code = segno.make(_qr_target(username), error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=4, border=2, xmldecl=False, title=msg_text("profile-qr-title", username.replace("_", " ")))
    return Response(buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/profile/<username>/qr.png")
def qr_png(username: str) -> Response:
    """The same QR code as a PNG download."""
    code = segno.make(_qr_target(username), error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=10, border=2)
    filename = "capx-profile-qr-" + re.sub(r"[^A-Za-z0-9_-]+", "-", username)[:60] + ".png"
    return Response(buffer.getvalue(), mimetype="image/png",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# -- editing -------------------------------------------------------------------------------------

def _render_edit(profile: Profile, values: dict[str, Any], errors: FormErrors,
                 form: MultiDict[str, str] | None = None, status: int = 200, **extra: Any) -> tuple[str, int]:
    """The edit page: pickers built from the values (and the search step when ``form`` asks)."""
    data = form if form is not None and searching(form) else None
    kept = service.kept_profile_data(profile)

    def picker(name: str, kind: str, ids: list[int]) -> Any:
        return picker_state(name, kind, data, ids, chain=current_language_chain())

    pickers = {name: picker(name, "capacity", values["capacities"][kind]) for kind, name in CAPACITY_FIELDS.items()}
    pickers["language"] = picker("language", "language", [lid for lid, _ in values["languages"]])
    pickers["territory"] = picker("territory", "territory", values["territories"])
    pickers["affiliation"] = picker("affiliation", "organization", values["affiliations"])
    levels = dict(values["languages"])
    return render_template(
        "profiles/edit.html", profile=profile, values=values, errors=errors, pickers=pickers, levels=levels,
        proficiency_levels=PROFICIENCY_LEVELS, default_proficiency=DEFAULT_PROFICIENCY,
        avatars=service.avatars(), projects=service.projects(),
        language_choices=choices_service.choices("language", current_language_chain()),
        bio_max=service.BIO_MAX, limits={"language": service.MAX_LANGUAGES, "territory": service.MAX_TERRITORIES,
                                          "affiliation": service.MAX_AFFILIATIONS},
        commons_file_url=commons_file_url, registration=lc_service.is_registered(_me()),
        kept=kept, kept_pronoun=service.PRONOUN_LABELS.get(kept.pronoun or "") if kept else None, **extra), status


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit() -> Any:
    """Edit one's own profile; everything is validated on the server and saved in one transaction."""
    me = _me()
    profile = service.load_profile(me, create=request.method == "POST")
    if request.method == "GET":
        return _render_edit(profile, forms.initial(profile), FormErrors())
    form = request.form
    values = forms.submitted(form)
    if searching(form):
        return _render_edit(profile, values, FormErrors(), form)
    if form.get("import_known"):
        forms.add_known_as_available(values)
        return _render_edit(profile, values, FormErrors())
    checked = forms.read_profile(values, me, profile, current_language_chain(), meta_wiki_client())
    if checked.value is None:
        return _render_edit(profile, checked.form, checked.errors, status=422)
    wikidata_ok = service.save_edit(me, profile, checked.value, wikidata_client())
    db.session.commit()
    flash("profile-saved", "success")
    if not wikidata_ok:
        flash("profile-wikidata-failed", "warning")
    return redirect(url_for("profiles.mine"))


@bp.route("/profile/lets-connect/import", methods=["GET", "POST"])
@login_required
def lets_connect_import() -> Any:
    """Confirm, then pull the Let's Connect profile into the edit form for review (never saves)."""
    me = _me()
    profile = service.load_profile(me)
    if profile.lets_connect_imported_at is not None:
        flash("profile-lc-import-used", "notice")
        return redirect(url_for("profiles.edit"))
    if request.method == "GET":
        return render_template("profiles/lets_connect_import.html")
    try:
        remote = lets_connect_client().profile(me.username)
    except LetsConnectError:
        flash("profile-lc-import-failed", "error")
        return redirect(url_for("profiles.edit"))
    if remote is None:
        flash("profile-lc-import-not-found", "warning")
        return redirect(url_for("profiles.edit"))
    imported = lc_service.map_profile(remote)
    values = forms.initial(profile)
    forms.merge_import(values, imported)
    return _render_edit(profile, values, FormErrors(), imported=imported)


# -- badges --------------------------------------------------------------------------------------

@bp.route("/profile/badges", methods=["GET", "POST"])
@login_required
def badges() -> Any:
    """Every badge with one's progress; choose which earned badges show on the profile."""
    me = _me()
    if request.method == "POST":
        badge_ids = [int(v) for v in request.form.getlist("display") if v.isdigit()]
        service.show_badges(me, badge_ids)
        db.session.commit()
        flash("badges-saved", "success")
        return redirect(url_for("profiles.badges"))
    return render_template("profiles/badges.html", statuses=badge_service.statuses(me))


@bp.get("/badges/<int:badge_id>/image")
@login_required
def badge_image(badge_id: int) -> Response:
    """The stored copy of an external badge's picture (CapX never links pictures outside Commons)."""
    image = external_badges.stored_image(badge_id)
    if image is None:
        abort(404)
    return picture_response(image.content_type, image.data)


# -- Let's Connect registration ------------------------------------------------------------------

def _lc_render(template: str, values: dict[str, Any], errors: FormErrors, status: int = 200,
               failed: bool = False) -> tuple[str, int]:
    return render_template(template, values=values, errors=errors, roles=LETS_CONNECT_ROLES,
                           topics=LETS_CONNECT_TOPICS, genders=LETS_CONNECT_GENDERS, ages=LETS_CONNECT_AGE_RANGES,
                           role_labels=lc_labels.ROLE_LABELS, topic_labels=lc_labels.TOPIC_LABELS,
                           gender_labels=lc_labels.GENDER_LABELS, age_labels=lc_labels.AGE_LABELS,
                           registered=lc_service.is_registered(_me()),
                           confirmation=service.load_profile(_me()).lets_connect_confirmation, failed=failed), status


@bp.route("/profile/lets-connect", methods=["GET", "POST"])
@login_required
def lets_connect() -> Any:
    """Register for (or update) Let's Connect: form, then a confirmation with the privacy statement.

    ``step=review`` validates and shows the confirmation; ``step=confirm`` sends the registration
    to Let's Connect and, once it confirmed, keeps only the date and the confirmation; when Let's
    Connect cannot be reached the confirmation page comes back with the answers kept;
    ``step=clean`` discards everything typed and goes back to the edit page; ``step=withdraw``
    forgets the registration on CapX.
    """
    me = _me()
    if request.method == "GET":
        empty = forms.registration_values(MultiDict())
        return _lc_render("profiles/lets_connect.html", empty, FormErrors())
    step = request.form.get("step")
    if step == "clean":
        flash("lc-cleaned", "notice")
        return redirect(url_for("profiles.edit"))
    if step == "withdraw":
        lc_service.withdraw(me)
        db.session.commit()
        flash("lc-withdrawn", "success")
        return redirect(url_for("profiles.edit"))
    checked = forms.read_registration(request.form)
    if checked.value is None or step == "edit":
        status = 422 if checked.errors else 200
        return _lc_render("profiles/lets_connect.html", checked.form, checked.errors, status)
    if step != "confirm":
        return _lc_render("profiles/lets_connect_confirm.html", checked.form, FormErrors())
    try:
        confirmation = lets_connect_client().register(me.username, lc_service.remote_registration(checked.value))
    except LetsConnectError as exc:
        current_app.logger.warning("Let's Connect registration of %s not sent: %s (%s)", me.username, exc, exc.code)
        return _lc_render("profiles/lets_connect_confirm.html", checked.form, FormErrors(), 503, failed=True)
    current_app.logger.info("Let's Connect registration of %s confirmed: %s", me.username, confirmation)
    service.register_lets_connect(me, confirmation)
    db.session.commit()
    flash("lc-saved", "success")
    return redirect(url_for("profiles.edit"))


# -- export and delete ---------------------------------------------------------------------------

@bp.get("/profile/export")
@login_required
def export() -> Response:
    """Download everything stored about oneself as JSON."""
    me = _me()
    body = json.dumps(personal_data.export_user(me), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="capx-my-data.json"',
                             "Cache-Control": "no-store"})


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
def delete() -> Any:
    """A confirmation page, then the account and everything about it go, and the user is logged out."""
    me = _me()
    if request.method == "GET":
        return render_template("profiles/delete.html")
    if request.form.get("confirm") != "1":
        return render_template("profiles/delete.html", error=True), 422
    personal_data.delete_account(me)
    db.session.commit()
    session.clear()
    flash("profile-deleted", "success")
    return redirect(url_for("main.landing"))
