"""The previous platform's export, model by model: every field and its type, as capx-backend 2.2.27
writes them with ``dumpdata --natural-foreign``.

A row whose fields differ from this (a missing or unknown field, a value of the wrong type, an
enumeration value nobody mapped) is refused with an error naming it: importing it half-understood
would lose data silently. Types:

``str`` / ``int`` / ``bool`` / ``json`` / ``list``; a trailing ``?`` allows null;
``dt`` an ISO 8601 date and time, ``date`` an ISO date; ``user`` a natural key (a one-element list
holding a username); ``fk:<model>`` a primary key of that model; ``m2m:<model>`` a list of them;
``choice:a|b`` one of the listed strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from capx.services.importer.errors import ImportFileError, row_label

USER = "users.customuser"

#: Models whose rows are never imported, with the reason (see docs/import.md).
SKIPPED_MODELS: dict[str, str] = {
    "users.authextrainfo": "credential",
    "translate.metabaseoauthtoken": "credential",
    "translate.metabaseoauthrequest": "credential",
    # social-auth tables the README lists as included but empty: OAuth handshake state.
    "social_django.nonce": "credential",
    "social_django.association": "credential",
    "social_django.code": "credential",
    "social_django.partial": "credential",
    "users.datahash": "derived",
    "bugs.attachment": "file-absent",
}

FIELDS: dict[str, dict[str, str]] = {
    "users.customuser": {
        "password": "str", "last_login": "dt?", "is_superuser": "bool", "username": "str", "email": "str",
        "is_staff": "bool", "is_active": "bool", "date_joined": "dt", "user_groups": "json", "groups": "list",
        "user_permissions": "list"},
    "users.territory": {"territory_name": "str", "territory_acronym": "str?", "parent_territory": "m2m:users.territory"},
    "users.language": {"language_name": "str", "language_autonym": "str", "language_code": "str"},
    "users.wikimediaproject": {"wikimedia_project_name": "str", "wikimedia_project_code": "str",
                               "wikimedia_project_picture": "str?"},
    "users.avatar": {"avatar_url": "str"},
    "users.authextrainfo": {"token": "str", "extra": "str?", "created_at": "dt"},
    "users.datahash": {"data_type": "str", "hash_value": "str", "updated_at": "dt"},
    "users.profile": {
        "user": "user", "avatar": "fk?:users.avatar", "display_name": "str?",
        "pronoun": "choice:he-him|she-her|they-them|not-specified|other|", "about": "str?",
        "about_language": "fk?:users.language", "wikidata_qid": "str?", "wiki_alt": "str?", "team": "str?",
        "contact": "list?", "social": "list?", "last_update": "dt", "automated_lets_connect": "bool?",
        "territory": "m2m:users.territory", "affiliation": "m2m:orgs.organization",
        "wikimedia_project": "m2m:users.wikimediaproject", "skills_known": "m2m:skills.skill",
        "skills_available": "m2m:skills.skill", "skills_wanted": "m2m:skills.skill"},
    "users.languageproficiency": {"profile": "fk:users.profile", "language": "fk:users.language",
                                  "proficiency": "choice:0|1|2|3|4|5|n"},
    "users.saveditem": {"user": "user", "relation": "choice:learner|sharer", "entity": "choice:user|org",
                        "related_org": "fk?:orgs.organization", "related_user": "user?", "created_at": "dt"},
    "users.letsconnectlog": {"user": "user", "confirmation": "str", "timestamp": "dt"},
    "users.badge": {"name": "str", "picture": "str?", "description": "str?", "logic": "json",
                    "type": "choice:internal|external|partner"},
    "users.userbadge": {"user": "user", "badge": "fk:users.badge", "progress": "int", "is_displayed": "bool",
                        "external_assertion_url": "str?", "external_issued_on": "dt?"},
    "skills.skill": {"skill_wikidata_item": "str", "skill_type": "fk?:skills.skill", "skill_date_of_creation": "dt"},
    "skills.hashtag": {"name": "str", "skills": "m2m:skills.skill"},
    "orgs.organizationtype": {"type_code": "str", "type_name": "str"},
    "orgs.organization": {
        "profile_image": "str?", "acronym": "str", "type": "fk?:orgs.organizationtype", "meta_page": "str?",
        "email": "str?", "website": "str?", "report": "str?", "mastodon": "str?", "home_project": "str?",
        "update_date": "dt", "territory": "m2m:users.territory", "tag_diff": "m2m:orgs.tagdiff",
        "documents": "m2m:orgs.document", "choose_events": "m2m:events.events",
        "known_capacities": "m2m:skills.skill", "available_capacities": "m2m:skills.skill",
        "wanted_capacities": "m2m:skills.skill"},
    "orgs.management": {"organization": "fk:orgs.organization", "user": "user", "joined_at": "dt"},
    "orgs.tagdiff": {"tag": "str", "creation_date": "dt"},
    "orgs.document": {"url": "str", "creation_date": "dt"},
    "orgs.organizationname": {"organization": "fk:orgs.organization", "language_code": "str", "name": "str"},
    "events.events": {
        "name": "str", "type_of_location": "choice:virtual|in_person|hybrid", "openstreetmap_id": "str?",
        "url": "str?", "description": "str?", "wikidata_qid": "str?", "image_url": "str?", "time_begin": "dt",
        "time_end": "dt?", "creator": "user?", "organization": "fk:orgs.organization", "created_at": "dt",
        "updated_at": "dt", "related_skills": "m2m:skills.skill"},
    "bugs.bug": {"user": "user", "title": "str", "description": "str",
                 "bug_type": "choice:error|new_feature|improvement|new_capacity|test_case",
                 "status": "choice:to_do|assigned|in_progress|under_review|done", "created_at": "dt",
                 "updated_at": "dt"},
    "bugs.attachment": {"bug": "fk:bugs.bug", "file": "str", "uploaded_at": "dt", "updated_at": "dt"},
    "message.message": {"sender": "user", "receiver": "str", "method": "choice:email|talkpage",
                        "status": "choice:pending|sent|failed", "error_message": "str?", "date": "dt"},
    "projects.project": {"display_name": "str", "profile_image": "str?", "description": "str?", "url": "str?",
                         "creator": "user?", "creation_date": "dt", "related_skills": "m2m:skills.skill"},
    "projects.projectmember": {"project": "fk:projects.project", "organization": "fk:orgs.organization"},
    "projects.projectmemberacceptance": {"project_member": "fk:projects.projectmember", "accepted": "bool",
                                         "date": "dt?"},
    "portal.partner": {"organization": "fk:orgs.organization", "description": "str?", "mentorship": "bool",
                       "created_at": "dt", "updated_at": "dt"},
    "portal.partnermentorshipsettings": {
        "partner": "fk:portal.partner", "description": "str?", "registration_open_date": "date?",
        "registration_close_date": "date?", "territory": "fk?:users.territory",
        "mentor_form": "fk?:portal.partnermentorshipformmentor", "mentee_form": "fk?:portal.partnermentorshipformmentee",
        "created_at": "dt", "updated_at": "dt", "skills": "m2m:skills.skill", "languages": "m2m:users.language"},
    "portal.partnermembership": {"partner": "fk:portal.partner", "user": "user", "created_at": "dt"},
    "portal.partnermentorshippublickey": {"partner": "fk:portal.partner", "public_key": "str", "created_at": "dt"},
    "portal.partnermentorshipformmentor": {"partner": "fk:portal.partner",
                                           "public_key": "fk?:portal.partnermentorshippublickey", "json": "list",
                                           "created_at": "dt"},
    "portal.partnermentorshipformmentee": {"partner": "fk:portal.partner",
                                           "public_key": "fk?:portal.partnermentorshippublickey", "json": "list",
                                           "created_at": "dt"},
    "portal.partnermentorshipformmentorresponse": {
        "partner": "fk:portal.partner", "form": "fk:portal.partnermentorshipformmentor", "user": "user",
        "data": "str", "encrypted_with_public_key_id_snapshot": "fk?:portal.partnermentorshippublickey",
        "encrypted_with_public_key_fingerprint": "str", "created_at": "dt"},
    "portal.partnermentorshipformmenteeresponse": {
        "partner": "fk:portal.partner", "form": "fk:portal.partnermentorshipformmentee", "user": "user",
        "data": "str", "encrypted_with_public_key_id_snapshot": "fk?:portal.partnermentorshippublickey",
        "encrypted_with_public_key_fingerprint": "str", "created_at": "dt"},
    "translate.metabaseoauthtoken": {"user": "user", "access_token": "str", "access_secret": "str",
                                     "mb_username": "str?", "created_at": "dt", "updated_at": "dt"},
    "translate.metabaseoauthrequest": {"user": "user", "state": "str", "request_token": "str",
                                       "request_secret": "str", "created_at": "dt", "consumed": "bool"},
    "social_django.usersocialauth": {"user": "user", "provider": "str", "uid": "str", "extra_data": "json",
                                     "created": "dt", "modified": "dt"},
}

#: Every model the importer knows (the empty social-auth tables have no field list: never read).
KNOWN_MODELS = frozenset(FIELDS) | frozenset(SKIPPED_MODELS)


def parse_datetime(value: str) -> dt.datetime:
    """An ISO 8601 timestamp from the export as a naive UTC datetime (how CapX stores times)."""
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


def _type_error(position: int, model: str, pk: Any, field: str, expected: str, value: Any) -> ImportFileError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ImportFileError(f"{row_label(position, model, pk)}: field {field!r} should be {expected}, found {shown}")


def _check_value(kind: str, value: Any) -> str | None:
    """None when ``value`` fits ``kind``, else what was expected."""
    nullable = kind.endswith("?") or kind.startswith(("fk?:",))
    base = kind.rstrip("?")
    if value is None:
        return None if nullable or base == "json" else "a value (not null)"
    if base == "str":
        return None if isinstance(value, str) else "a string"
    if base == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"
    if base == "bool":
        return None if isinstance(value, bool) else "true or false"
    if base in ("json",):
        return None
    if base == "list":
        return None if isinstance(value, list) else "a list"
    if base in ("dt", "date"):
        if not isinstance(value, str):
            return "a date" if base == "date" else "a date and time"
        try:
            if base == "date":
                dt.date.fromisoformat(value)
            else:
                parse_datetime(value)
        except ValueError:
            return "an ISO 8601 date" if base == "date" else "an ISO 8601 date and time"
        return None
    if base == "user":
        ok = isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)
        return None if ok else 'a username as ["name"]'
    if base.startswith(("fk:", "fk?:")):
        return None if isinstance(value, int) and not isinstance(value, bool) else "a primary key (integer)"
    if base.startswith("m2m:"):
        ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        return None if ok else "a list of primary keys"
    if base.startswith("choice:"):
        choices = base[len("choice:"):].split("|")
        return None if value in choices else "one of " + ", ".join(repr(c) for c in choices)
    raise AssertionError(f"unknown field kind {kind}")  # a mistake in FIELDS, not in the file


def check_row(position: int, model: str, pk: Any, fields: dict[str, Any]) -> None:
    """Refuse a row whose fields do not match :data:`FIELDS` (skipped models only need an object)."""
    spec = FIELDS.get(model)
    if spec is None:
        return
    missing = sorted(set(spec) - set(fields))
    if missing:
        raise ImportFileError(f"{row_label(position, model, pk)}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(fields) - set(spec))
    if unknown:
        raise ImportFileError(f"{row_label(position, model, pk)}: unknown field(s) {', '.join(unknown)} "
                              "(an export of another capx-backend version?)")
    for field, kind in spec.items():
        expected = _check_value(kind, fields[field])
        if expected is not None:
            raise _type_error(position, model, pk, field, expected, fields[field])


def references(model: str, fields: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every reference of a row to another row: (field, target model, key). Users by username."""
    for field, kind in FIELDS.get(model, {}).items():
        value = fields.get(field)
        if value is None:
            continue
        base = kind.rstrip("?")
        if base == "user":
            yield field, USER, value[0]
        elif base.startswith(("fk:", "fk?:")):
            yield field, base.split(":", 1)[1], value
        elif base.startswith("m2m:"):
            target = base.split(":", 1)[1]
            for key in value:
                yield field, target, key
