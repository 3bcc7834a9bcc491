"""User profiles: view, edit, share (link and QR code), badges, Let's Connect, export and delete."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date
from werkzeug.datastructures import MultiDict

from capx.access import current_user, login_required
from capx.clients.lets_connect import LetsConnectError, lets_connect_client
from capx.clients.meta_wiki import MetaWikiError, meta_wiki_client
from capx.clients.wikidata import wikidata_client
from capx.extensions import db
from capx.support.usernames import INVALID_USERNAME_CHARS, MAX_USERNAME_LENGTH, normalize_username
from capx.language import current_language, current_language_chain, msg_text
from capx.models import (
    AVAILABLE,
    CAPACITY_KINDS,
    DEFAULT_PROFICIENCY,
    KNOWN,
    LETS_CONNECT_AGE_RANGES,
    LETS_CONNECT_GENDERS,
    LETS_CONNECT_ROLES,
    LETS_CONNECT_TOPICS,
    PROFICIENCY_LEVELS,
    WANTED,
    Profile,
    User,
)
from capx.forms import lets_connect as lc_form
from capx.forms.errors import FormErrors
from capx.forms.pickers import int_list, picker_state, searching
from capx.services import badges as badge_service, choices as choices_service, lets_connect as lc_service
from capx.services import external_badges, profiles as service
from capx.services.capacities import capacity_tree
from capx.support.media import commons_file_url
from capx.services.saved import saved_profile_ids
from capx.services.reference_names import language_name, territory_name
from capx.translations import lazy_msg

bp = Blueprint("profiles", __name__)

CAPACITY_FIELDS = {KNOWN: "capacity_known", AVAILABLE: "capacity_available", WANTED: "capacity_wanted"}


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
    me = _me()
    profile = service.load_profile(user)
    tree = capacity_tree(current_language_chain())
    caps = {kind: [tree.get(cid) for cid in service.capacity_ids(profile, kind) if tree.get(cid)]
            for kind in CAPACITY_KINDS}
    lang = current_language()
    languages = [(pl.language, language_name(pl.language, lang), PROFICIENCY_LEVELS[pl.proficiency]
                  if 0 <= pl.proficiency < len(PROFICIENCY_LEVELS) else "advanced") for pl in profile.languages]
    territories = [territory_name(pt.territory, lang) for pt in profile.territories]
    chain = current_language_chain()
    affiliations = [(pa.organization.name_in(chain), organization_url(pa.organization_id))
                    for pa in profile.affiliations]
    is_own = user.id == me.id
    managed = [(org.name_in(chain), organization_url(org.id)) for org in service.managed_organizations(user)] \
        if is_own else []
    return render_template(
        "profiles/view.html", user=user, profile=profile, is_own=is_own, caps=caps, languages=languages,
        territories=territories, affiliations=affiliations, managed=managed,
        badges=badge_service.displayed_badges(user), avatar=avatar_url(profile),
        share_url=profile_url(user),
        birthday=format_date(user.registered_at, "long") if user.registered_at else None,
        is_saved=(not is_own and user.id in saved_profile_ids(me, [user.id])))


@bp.get("/profile")
@login_required
def mine() -> str:
    """One's own profile, with hints for empty sections and the organizations one manages."""
    return _render_profile(_me())


@bp.get("/profile/<username>")
@login_required
def view(username: str) -> str:
    """Someone's profile by user name (spaces as underscores); locked accounts are not shown."""
    user = service.find_user(username)
    if user is None:
        abort(404)
    return _render_profile(user)


def _qr_target(username: str) -> str:
    user = service.find_user(username)
    if user is None:
        abort(404)
    return profile_url(user)


@bp.get("/profile/<username>/qr.svg")
@login_required
def qr(username: str) -> Response:
    """A QR code (SVG) that leads to the profile."""
    code = segno.make(_qr_target(username), error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=4, border=2, xmldecl=False, title=msg_text("profile-qr-title", username.replace("_", " ")))
    return Response(buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/profile/<username>/qr.png")
@login_required
def qr_png(username: str) -> Response:
    """The same QR code as a PNG download."""
    code = segno.make(_qr_target(username), error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=10, border=2)
    filename = "capx-profile-qr-" + re.sub(r"[^A-Za-z0-9_-]+", "-", username)[:60] + ".png"
    return Response(buffer.getvalue(), mimetype="image/png",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# -- editing -------------------------------------------------------------------------------------

def _initial(profile: Profile) -> dict[str, Any]:
    return {
        "bio": profile.bio or "", "bio_language_id": profile.bio_language_id, "avatar_id": profile.avatar_id,
        "show_wikidata_photo": profile.show_wikidata_photo, "show_wikidata_item": profile.show_wikidata_item,
        "alt_account": profile.alt_account or "",
        "capacities": {kind: service.capacity_ids(profile, kind) for kind in CAPACITY_KINDS},
        "languages": [(pl.language_id, pl.proficiency) for pl in profile.languages],
        "territories": [pt.territory_id for pt in profile.territories],
        "affiliations": [pa.organization_id for pa in profile.affiliations],
        "projects": [pp.project_id for pp in profile.projects],
        "lets_connect_import": False,
    }


def _opt_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _submitted(form: MultiDict[str, str]) -> dict[str, Any]:
    """The submitted edit as the same shape as :func:`_initial` (not validated yet)."""
    capacities = {kind: int_list(form.getlist(name)) for kind, name in CAPACITY_FIELDS.items()}
    languages = []
    for lid in int_list(form.getlist("language")):
        level = _opt_int(form.get(f"proficiency_{lid}"))
        languages.append((lid, level if level is not None and 0 <= level < len(PROFICIENCY_LEVELS)
                          else DEFAULT_PROFICIENCY))
    return {
        "bio": (form.get("bio") or "").replace("\r\n", "\n").strip(),
        "bio_language_id": _opt_int(form.get("bio_language")),
        "avatar_id": _opt_int(form.get("avatar")),
        "show_wikidata_photo": form.get("show_wikidata_photo") == "1",
        "show_wikidata_item": form.get("show_wikidata_item") == "1",
        "alt_account": (form.get("alt_account") or "").strip(),
        "capacities": capacities,
        "languages": languages,
        "territories": int_list(form.getlist("territory")),
        "affiliations": int_list(form.getlist("affiliation")),
        "projects": int_list(form.getlist("project")),
        "lets_connect_import": form.get("lets_connect_import") == "1",
    }


def _validate(me: User, profile: Profile, values: dict[str, Any]) -> FormErrors:
    """Per-field error messages; also cleans ``values`` (unknown ids dropped, name normalized)."""
    errors = FormErrors()
    err = errors.add

    if len(values["bio"]) > service.BIO_MAX:
        err("bio", lazy_msg("profile-error-bio-too-long", service.BIO_MAX, len(values["bio"])))
    language_ids = set(choices_service.valid_ids(
        "language", [lid for lid, _ in values["languages"]] + [values["bio_language_id"] or 0], current_language_chain()))
    if values["bio_language_id"] is not None and values["bio_language_id"] not in language_ids:
        err("bio_language", lazy_msg("profile-error-invalid-choice"))
    avatar_ids = {a.id for a in service.avatars()}
    if values["avatar_id"] is not None and values["avatar_id"] not in avatar_ids:
        err("avatar", lazy_msg("profile-error-invalid-choice"))
    for kind in CAPACITY_KINDS:
        values["capacities"][kind] = choices_service.valid_ids("capacity", values["capacities"][kind], current_language_chain())
    extra = [cid for cid in values["capacities"][AVAILABLE] if cid not in values["capacities"][KNOWN]]
    if extra:
        tree = capacity_tree(current_language_chain())
        names = ", ".join(tree.name(cid) for cid in extra)
        err(CAPACITY_FIELDS[AVAILABLE], lazy_msg("profile-error-available-not-known", names, len(extra)))
    values["languages"] = [(lid, level) for lid, level in values["languages"] if lid in language_ids]
    if len(values["languages"]) > service.MAX_LANGUAGES:
        err("language", lazy_msg("profile-error-too-many", service.MAX_LANGUAGES, len(values["languages"])))
    for key, kind, limit in (("territories", "territory", service.MAX_TERRITORIES),
                             ("affiliations", "organization", service.MAX_AFFILIATIONS)):
        values[key] = choices_service.valid_ids(kind, values[key], current_language_chain())
        if len(values[key]) > limit:
            err(kind if kind == "territory" else "affiliation", lazy_msg("profile-error-too-many", limit, len(values[key])))
    project_ids = {p.id for p in service.projects()}
    values["projects"] = [pid for pid in values["projects"] if pid in project_ids]
    alt = values["alt_account"]
    if alt:
        name = normalize_username(alt)
        values["alt_account"] = name
        if len(name) > MAX_USERNAME_LENGTH or INVALID_USERNAME_CHARS.search(name):
            err("alt_account", lazy_msg("form-error-username-invalid"))
        elif name == me.username:
            err("alt_account", lazy_msg("profile-error-alt-is-self"))
        elif service.alt_account_owner(name, me) is not None:
            err("alt_account", lazy_msg("profile-error-alt-other-user", name))
        elif name != (profile.alt_account or ""):
            try:
                account = meta_wiki_client().user_info(name)
            except MetaWikiError:
                err("alt_account", lazy_msg("profile-error-alt-unverified"))
            else:
                if not account.exists:
                    err("alt_account", lazy_msg("profile-error-alt-missing", name))
                else:
                    values["alt_account"] = account.name
    return errors


def _merge_import(values: dict[str, Any], imported: lc_service.ImportedProfile) -> None:
    """Add what Let's Connect knows to the form values (nothing is removed)."""
    if imported.bio and not values["bio"]:
        values["bio"] = imported.bio[:service.BIO_MAX]
    for kind in CAPACITY_KINDS:
        values["capacities"][kind] += [c for c in imported.capacities[kind] if c not in values["capacities"][kind]]
    known_langs = [lid for lid, _ in values["languages"]]
    values["languages"] += [(lid, lvl) for lid, lvl in imported.languages if lid not in known_langs]
    for key in ("territories", "affiliations", "projects"):
        values[key] += [i for i in getattr(imported, key) if i not in values[key]]
    values["lets_connect_import"] = True


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
        return _render_edit(profile, _initial(profile), FormErrors())
    form = request.form
    values = _submitted(form)
    if searching(form):
        return _render_edit(profile, values, FormErrors(), form)
    if form.get("import_known"):
        values["capacities"][AVAILABLE] += [c for c in values["capacities"][KNOWN]
                                            if c not in values["capacities"][AVAILABLE]]
        return _render_edit(profile, values, FormErrors())
    errors = _validate(me, profile, values)
    if errors:
        return _render_edit(profile, values, errors, status=422)
    service.save_profile(profile, service.ProfileInput(
        bio=values["bio"], bio_language_id=values["bio_language_id"], avatar_id=values["avatar_id"],
        show_wikidata_photo=values["show_wikidata_photo"], show_wikidata_item=values["show_wikidata_item"],
        alt_account=values["alt_account"], capacities=values["capacities"], languages=values["languages"],
        territories=values["territories"], affiliations=values["affiliations"], projects=values["projects"],
        lets_connect_imported=values["lets_connect_import"]))
    wikidata_ok = True
    if profile.show_wikidata_photo or profile.show_wikidata_item:
        wikidata_ok = service.refresh_wikidata(profile, me.username, wikidata_client())
    db.session.flush()
    badge_service.recompute_user(me)
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
    values = _initial(profile)
    _merge_import(values, imported)
    return _render_edit(profile, values, FormErrors(), imported=imported)


# -- badges --------------------------------------------------------------------------------------

@bp.route("/profile/badges", methods=["GET", "POST"])
@login_required
def badges() -> Any:
    """Every badge with one's progress; choose which earned badges show on the profile."""
    me = _me()
    if request.method == "POST":
        badge_ids = [int(v) for v in request.form.getlist("display") if v.isdigit()]
        badge_service.recompute_user(me)  # store what the page showed as earned
        db.session.flush()
        badge_service.set_displayed(me, badge_ids)
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
    return Response(image.data, mimetype=image.content_type, headers={
        "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Content-Disposition": "inline"})


# -- Let's Connect registration ------------------------------------------------------------------

def _lc_render(template: str, values: dict[str, Any], errors: FormErrors, status: int = 200,
               failed: bool = False) -> tuple[str, int]:
    return render_template(template, values=values, errors=errors, roles=LETS_CONNECT_ROLES,
                           topics=LETS_CONNECT_TOPICS, genders=LETS_CONNECT_GENDERS, ages=LETS_CONNECT_AGE_RANGES,
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
        return _lc_render("profiles/lets_connect.html", lc_form.empty(), FormErrors())
    step = request.form.get("step")
    if step == "clean":
        flash("lc-cleaned", "notice")
        return redirect(url_for("profiles.edit"))
    if step == "withdraw":
        lc_service.withdraw(me)
        db.session.commit()
        flash("lc-withdrawn", "success")
        return redirect(url_for("profiles.edit"))
    checked = lc_form.read_registration(request.form)
    if checked.value is None or step == "edit":
        return _lc_render("profiles/lets_connect.html", checked.form, checked.errors, 422 if checked.errors else 200)
    if step != "confirm":
        return _lc_render("profiles/lets_connect_confirm.html", checked.form, FormErrors())
    try:
        confirmation = lets_connect_client().register(me.username, lc_service.remote_registration(checked.value))
    except LetsConnectError as exc:
        current_app.logger.warning("Let's Connect registration of %s not sent: %s (%s)", me.username, exc, exc.code)
        return _lc_render("profiles/lets_connect_confirm.html", checked.form, FormErrors(), 503, failed=True)
    current_app.logger.info("Let's Connect registration of %s confirmed: %s", me.username, confirmation)
    lc_service.record_registration(me, confirmation)
    db.session.flush()
    badge_service.recompute_user(me)
    db.session.commit()
    flash("lc-saved", "success")
    return redirect(url_for("profiles.edit"))


# -- export and delete ---------------------------------------------------------------------------

@bp.get("/profile/export")
@login_required
def export() -> Response:
    """Download everything stored about oneself as JSON."""
    me = _me()
    body = json.dumps(service.export_user(me), ensure_ascii=False, indent=2)
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
    service.delete_account(me)
    session.clear()
    flash("profile-deleted", "success")
    return redirect(url_for("main.landing"))
