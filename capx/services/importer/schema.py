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
from collections.abc import Callable, Iterator
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

#: The type of a field that holds a secret (checked like any string, never imported).
CREDENTIAL = "str"

FIELDS: dict[str, dict[str, str]] = {
    "users.customuser": {
        "password": CREDENTIAL, "last_login": "dt?", "is_superuser": "bool", "username": "str", "email": "str",
        "is_staff": "bool", "is_active": "bool", "date_joined": "dt", "user_groups": "json", "groups": "list",
        "user_permissions": "list"},
    "users.territory": {"territory_name": "str", "territory_acronym": "str?", "parent_territory": "m2m:users.territory"},
    "users.language": {"language_name": "str", "language_autonym": "str", "language_code": "str"},
    "users.wikimediaproject": {"wikimedia_project_name": "str", "wikimedia_project_code": "str",
                               "wikimedia_project_picture": "str?"},
    "users.avatar": {"avatar_url": "str"},
    "users.authextrainfo": {"token": CREDENTIAL, "extra": "str?", "created_at": "dt"},
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
    "translate.metabaseoauthtoken": {"user": "user", "access_token": CREDENTIAL, "access_secret": CREDENTIAL,
                                     "mb_username": "str?", "created_at": "dt", "updated_at": "dt"},
    "translate.metabaseoauthrequest": {"user": "user", "state": "str", "request_token": CREDENTIAL,
                                       "request_secret": CREDENTIAL, "created_at": "dt", "consumed": "bool"},
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


Checker = Callable[[Any], "str | None"]


def _is_datetime(value: Any) -> bool:
    try:
        parse_datetime(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _checker(kind: str) -> Checker:
    """A function telling what a value of ``kind`` should have been (None when it fits). Built once
    per field: the scan calls these millions of times."""
    nullable = kind.endswith("?") or kind.startswith("fk?:") or kind == "json"
    base = kind.rstrip("?")
    test: Callable[[Any], bool]
    if base == "str":
        test, expected = (lambda v: isinstance(v, str)), "a string"
    elif base == "int" or base.startswith(("fk:", "fk?:")):
        test = lambda v: type(v) is int  # noqa: E731 # bool is not a number here
        expected = "an integer" if base == "int" else "a primary key (integer)"
    elif base == "bool":
        test, expected = (lambda v: type(v) is bool), "true or false"
    elif base == "json":
        test, expected = (lambda v: True), ""
    elif base == "list":
        test, expected = (lambda v: isinstance(v, list)), "a list"
    elif base == "dt":
        test, expected = _is_datetime, "an ISO 8601 date and time"
    elif base == "date":
        test, expected = _is_date, "an ISO 8601 date"
    elif base == "user":
        test = lambda v: type(v) is list and len(v) == 1 and isinstance(v[0], str)  # noqa: E731
        expected = 'a username as ["name"]'
    elif base.startswith("m2m:"):
        test = lambda v: type(v) is list and all(type(i) is int for i in v)  # noqa: E731
        expected = "a list of primary keys"
    elif base.startswith("choice:"):
        choices = frozenset(base[len("choice:"):].split("|"))
        test = lambda v: v in choices  # noqa: E731
        expected = "one of " + ", ".join(repr(c) for c in base[len("choice:"):].split("|"))
    else:
        raise AssertionError(f"unknown field kind {kind}")  # a mistake in FIELDS, not in the file

    def check(value: Any) -> str | None:
        if value is None:
            return None if nullable else "a value (not null)"
        return None if test(value) else expected

    return check


#: Per model: its field names, and each field's checker.
_CHECKERS: dict[str, tuple[frozenset[str], tuple[tuple[str, Checker], ...]]] = {
    model: (frozenset(spec), tuple((name, _checker(kind)) for name, kind in spec.items()))
    for model, spec in FIELDS.items()}


def check_row(position: int, model: str, pk: Any, fields: dict[str, Any]) -> None:
    """Refuse a row whose fields do not match :data:`FIELDS` (skipped models only need an object)."""
    compiled = _CHECKERS.get(model)
    if compiled is None:
        return
    names, checkers = compiled
    if fields.keys() != names:
        missing = sorted(names - set(fields))
        if missing:
            raise ImportFileError(f"{row_label(position, model, pk)}: missing field(s) {', '.join(missing)}")
        unknown = sorted(set(fields) - names)
        raise ImportFileError(f"{row_label(position, model, pk)}: unknown field(s) {', '.join(unknown)} "
                              "(an export of another capx-backend version?)")
    for name, check in checkers:
        expected = check(fields[name])
        if expected is not None:
            raise _type_error(position, model, pk, name, expected, fields[name])


#: Per model: (field, shape, target model) of every reference; shape is "user", "fk" or "m2m".
_REFERENCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    model: tuple((name, "user" if kind.rstrip("?") == "user" else kind.rstrip("?").split(":")[0].rstrip("?"),
                  USER if kind.rstrip("?") == "user" else kind.split(":", 1)[1])
                 for name, kind in spec.items()
                 if kind.rstrip("?") == "user" or kind.startswith(("fk:", "fk?:", "m2m:")))
    for model, spec in FIELDS.items()}

#: Models some other row refers to (the scan keeps their primary keys for the check).
REFERENCED_MODELS = frozenset(target for refs in _REFERENCES.values() for _n, _s, target in refs)


def references(model: str, fields: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every reference of a row to another row: (field, target model, key). Users by username."""
    for name, shape, target in _REFERENCES.get(model, ()):
        value = fields.get(name)
        if value is None:
            continue
        if shape == "user":
            yield name, target, value[0]
        elif shape == "fk":
            yield name, target, value
        else:
            for key in value:
                yield name, target, key
