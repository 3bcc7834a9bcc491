"""Profile forms: the profile edit and the Let's Connect registration.

The form shown again is the submitted values as a plain dict (the edit page's pickers and lists
are built from it); :func:`read_profile` and :func:`read_registration` check them and return a
:class:`~capx.forms.errors.Checked` holding the service's typed input (``ProfileInput``,
``RegistrationInput``) only when they are valid. Unknown ids are dropped from the values kept
(they cannot be shown again), the alternative account's name is normalized.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from werkzeug.datastructures import MultiDict

from capx.clients.meta_wiki import MetaWikiClient, MetaWikiError
from capx.forms.errors import Checked, FormErrors
from capx.forms.pickers import int_list
from capx.models import (AVAILABLE, CAPACITY_KINDS, DEFAULT_PROFICIENCY, KNOWN, LETS_CONNECT_AGE_RANGES,
                         LETS_CONNECT_GENDERS, LETS_CONNECT_ROLES, LETS_CONNECT_TOPICS, PROFICIENCY_LEVELS, WANTED,
                         Profile, User)
from capx.services import choices as choices_service, lets_connect as lc_service, profiles as service
from capx.services.capacities import capacity_tree
from capx.support.usernames import INVALID_USERNAME_CHARS, MAX_USERNAME_LENGTH, normalize_username
from capx.translations import lazy_msg

#: The edit form's capacity pickers, by kind.
CAPACITY_FIELDS = {KNOWN: "capacity_known", AVAILABLE: "capacity_available", WANTED: "capacity_wanted"}
EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
LC_TEXT_MAX = {"full_name": 200, "email": 254, "topic_other": 200, "gender_other": 100}
MAX_LC_TOPICS = 2

#: What each capacity kind and language level is called (templates use these: no key built at run time).
KIND_LABELS = {KNOWN: lazy_msg("profile-capacities-known"), AVAILABLE: lazy_msg("profile-capacities-available"),
               WANTED: lazy_msg("profile-capacities-wanted")}
PROFICIENCY_LABELS = {
    "not-proficient": lazy_msg("proficiency-not-proficient"), "basic": lazy_msg("proficiency-basic"),
    "intermediate": lazy_msg("proficiency-intermediate"), "advanced": lazy_msg("proficiency-advanced"),
    "almost-native": lazy_msg("proficiency-almost-native"), "professional": lazy_msg("proficiency-professional"),
    "native": lazy_msg("proficiency-native")}


# -- the profile edit ----------------------------------------------------------------------------

def initial(profile: Profile) -> dict[str, Any]:
    """The edit form showing the stored profile."""
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
        "is_public": profile.is_public,
    }


def _opt_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def submitted(form: Mapping[str, str]) -> dict[str, Any]:
    """The submitted edit in the shape of :func:`initial` (not checked yet)."""
    data = form if isinstance(form, MultiDict) else MultiDict(form)
    capacities = {kind: int_list(data.getlist(name)) for kind, name in CAPACITY_FIELDS.items()}
    languages = []
    for lid in int_list(data.getlist("language")):
        level = _opt_int(data.get(f"proficiency_{lid}"))
        languages.append((lid, level if level is not None and 0 <= level < len(PROFICIENCY_LEVELS)
                          else DEFAULT_PROFICIENCY))
    return {
        "bio": (data.get("bio") or "").replace("\r\n", "\n").strip(),
        "bio_language_id": _opt_int(data.get("bio_language")),
        "avatar_id": _opt_int(data.get("avatar")),
        "show_wikidata_photo": data.get("show_wikidata_photo") == "1",
        "show_wikidata_item": data.get("show_wikidata_item") == "1",
        "alt_account": (data.get("alt_account") or "").strip(),
        "capacities": capacities,
        "languages": languages,
        "territories": int_list(data.getlist("territory")),
        "affiliations": int_list(data.getlist("affiliation")),
        "projects": int_list(data.getlist("project")),
        "lets_connect_import": data.get("lets_connect_import") == "1",
        "is_public": data.get("is_public") == "1",
    }


def add_known_as_available(values: dict[str, Any]) -> None:
    """The edit page's "import known capacities": every known capacity becomes available too."""
    values["capacities"][AVAILABLE] += [c for c in values["capacities"][KNOWN]
                                        if c not in values["capacities"][AVAILABLE]]


def merge_import(values: dict[str, Any], imported: lc_service.ImportedProfile) -> None:
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


def _check_alt_account(values: dict[str, Any], me: User, profile: Profile, errors: FormErrors,
                       meta_wiki: MetaWikiClient) -> None:
    alt = values["alt_account"]
    if not alt:
        return
    name = normalize_username(alt)
    values["alt_account"] = name
    if len(name) > MAX_USERNAME_LENGTH or INVALID_USERNAME_CHARS.search(name):
        errors.add("alt_account", lazy_msg("form-error-username-invalid"))
    elif name == me.username:
        errors.add("alt_account", lazy_msg("profile-error-alt-is-self"))
    elif service.alt_account_owner(name, me) is not None:
        errors.add("alt_account", lazy_msg("profile-error-alt-other-user", name))
    elif name != (profile.alt_account or ""):
        try:
            account = meta_wiki.user_info(name)
        except MetaWikiError:
            errors.add("alt_account", lazy_msg("profile-error-alt-unverified"))
        else:
            if not account.exists:
                errors.add("alt_account", lazy_msg("profile-error-alt-missing", name))
            else:
                values["alt_account"] = account.name


def read_profile(values: dict[str, Any], me: User, profile: Profile, chain: Sequence[str],
                 meta_wiki: MetaWikiClient) -> Checked[service.ProfileInput]:
    """Check the submitted edit (from :func:`submitted`): lengths, limits, known ids, available
    capacities that are known, and an alternative account that exists and is nobody's on CapX.

    ``values`` is cleaned in place (unknown ids dropped, the alternative account normalized) and is
    the ``form`` of the result, shown again when there are errors."""
    errors = FormErrors()
    err = errors.add
    if len(values["bio"]) > service.BIO_MAX:
        err("bio", lazy_msg("profile-error-bio-too-long", service.BIO_MAX, len(values["bio"])))
    language_ids = set(choices_service.valid_ids(
        "language", [lid for lid, _ in values["languages"]] + [values["bio_language_id"] or 0], chain))
    if values["bio_language_id"] is not None and values["bio_language_id"] not in language_ids:
        err("bio_language", lazy_msg("profile-error-invalid-choice"))
    avatar_ids = {a.id for a in service.avatars()}
    if values["avatar_id"] is not None and values["avatar_id"] not in avatar_ids:
        err("avatar", lazy_msg("profile-error-invalid-choice"))
    for kind in CAPACITY_KINDS:
        values["capacities"][kind] = choices_service.valid_ids("capacity", values["capacities"][kind], chain)
    extra = [cid for cid in values["capacities"][AVAILABLE] if cid not in values["capacities"][KNOWN]]
    if extra:
        tree = capacity_tree(chain)
        names = ", ".join(tree.name(cid) for cid in extra)
        err(CAPACITY_FIELDS[AVAILABLE], lazy_msg("profile-error-available-not-known", names, len(extra)))
    values["languages"] = [(lid, level) for lid, level in values["languages"] if lid in language_ids]
    if len(values["languages"]) > service.MAX_LANGUAGES:
        err("language", lazy_msg("profile-error-too-many", service.MAX_LANGUAGES, len(values["languages"])))
    for key, kind, limit in (("territories", "territory", service.MAX_TERRITORIES),
                             ("affiliations", "organization", service.MAX_AFFILIATIONS)):
        values[key] = choices_service.valid_ids(kind, values[key], chain)
        if len(values[key]) > limit:
            err(kind if kind == "territory" else "affiliation", lazy_msg("profile-error-too-many", limit, len(values[key])))
    project_ids = {p.id for p in service.projects()}
    values["projects"] = [pid for pid in values["projects"] if pid in project_ids]
    _check_alt_account(values, me, profile, errors, meta_wiki)
    if errors:
        return Checked(None, errors, values)
    return Checked(service.ProfileInput(
        bio=values["bio"], bio_language_id=values["bio_language_id"], avatar_id=values["avatar_id"],
        show_wikidata_photo=values["show_wikidata_photo"], show_wikidata_item=values["show_wikidata_item"],
        alt_account=values["alt_account"], capacities=values["capacities"], languages=values["languages"],
        territories=values["territories"], affiliations=values["affiliations"], projects=values["projects"],
        lets_connect_imported=values["lets_connect_import"], is_public=values["is_public"]), errors, values)


# -- the Let's Connect registration --------------------------------------------------------------

def registration_values(form: Mapping[str, str]) -> dict[str, Any]:
    """The submitted registration as the form shows it (an empty mapping: the empty form)."""
    data = form if isinstance(form, MultiDict) else MultiDict(form)
    return {
        "full_name": (data.get("full_name") or "").strip(),
        "email": (data.get("email") or "").strip(),
        "role": data.get("role") or "",
        "topics": [t for t in dict.fromkeys(data.getlist("topics")) if t],
        "topic_other": (data.get("topic_other") or "").strip(),
        "gender": data.get("gender") or "",
        "gender_other": (data.get("gender_other") or "").strip(),
        "age_range": data.get("age_range") or "",
    }


def read_registration(form: Mapping[str, str]) -> Checked[lc_service.RegistrationInput]:
    """The submitted registration, checked (lengths, an e-mail address, a known role, at most two
    topics, known gender and age range)."""
    values = registration_values(form)
    errors = FormErrors()
    for key, limit in LC_TEXT_MAX.items():
        if len(values[key]) > limit:
            errors.add(key, lazy_msg("form-error-too-long", limit))
    if not values["email"]:
        errors.add("email", lazy_msg("form-error-required"))
    elif not EMAIL_RE.match(values["email"]):
        errors.add("email", lazy_msg("lc-error-email"))
    if not values["role"]:
        errors.add("role", lazy_msg("form-error-required"))
    elif values["role"] not in LETS_CONNECT_ROLES:
        errors.add("role", lazy_msg("profile-error-invalid-choice"))
    topics = values["topics"]
    if any(t not in LETS_CONNECT_TOPICS for t in topics):
        errors.add("topics", lazy_msg("profile-error-invalid-choice"))
    chosen = len(topics) + (1 if values["topic_other"] else 0)
    if chosen > MAX_LC_TOPICS:
        errors.add("topics", lazy_msg("lc-error-too-many-topics", MAX_LC_TOPICS))
    if values["gender"] and values["gender"] not in LETS_CONNECT_GENDERS:
        errors.add("gender", lazy_msg("profile-error-invalid-choice"))
    if values["age_range"] and values["age_range"] not in LETS_CONNECT_AGE_RANGES:
        errors.add("age_range", lazy_msg("profile-error-invalid-choice"))
    if errors:
        return Checked(None, errors, values)
    return Checked(lc_service.RegistrationInput(
        full_name=values["full_name"], email=values["email"], role=values["role"], topics=values["topics"],
        topic_other=values["topic_other"], gender=values["gender"], gender_other=values["gender_other"],
        age_range=values["age_range"]), errors, values)
