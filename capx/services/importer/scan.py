"""The first pass: check every row and every reference, and keep what later steps look up.

Nothing is written while scanning, so a malformed file leaves the database as it was. Memory stays
bounded: the small tables (at most a few thousand rows in production) are kept whole, accounts as
one compact entry each, and the big per-person tables only as sets of primary keys for the
reference check.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capx.services.importer.checks import RESPONSE_MODELS, check_content
from capx.services.importer.errors import ImportFileError
from capx.services.importer.reader import Row, read_rows
from capx.services.importer.schema import KNOWN_MODELS, REFERENCED_MODELS, USER, check_row, parse_datetime, references

#: Tables kept whole in memory: they are small, and rows elsewhere in the file refer to them.
SMALL_MODELS = frozenset({
    "users.territory", "users.language", "users.wikimediaproject", "users.avatar", "users.badge",
    "skills.skill", "skills.hashtag", "orgs.organizationtype", "orgs.organization", "orgs.organizationname",
    "orgs.tagdiff", "orgs.document", "projects.project", "projects.projectmember",
    "projects.projectmemberacceptance", "portal.partner", "portal.partnermentorshipsettings",
    "portal.partnermembership", "portal.partnermentorshippublickey", "portal.partnermentorshipformmentor",
    "portal.partnermentorshipformmentee",
})


@dataclass(frozen=True)
class Account:
    """What the import needs of a ``users.customuser`` row (its password and e-mail are not kept)."""

    pk: int
    username: str
    active: bool
    staff: bool
    joined: dt.datetime
    last_login: dt.datetime | None
    has_email: bool
    extra_groups: bool


@dataclass
class ExportIndex:
    """What the scan learned: row counts, the small tables, accounts, central ids, and the
    primary keys of every model (for references)."""

    path: Path
    counts: Counter[str] = field(default_factory=Counter)
    order: list[str] = field(default_factory=list)
    small: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    #: username -> (usersocialauth pk, central id as the export has it)
    central_ids: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: users.profile pk -> username
    profile_users: dict[int, str] = field(default_factory=dict)
    pks: dict[str, set[int]] = field(default_factory=dict)
    #: primary keys of models nothing refers to (repeats checked at the end of the scan)
    other_pks: dict[str, "array[int]"] = field(default_factory=dict)
    max_pks: dict[str, int] = field(default_factory=dict)
    #: models whose rows come in increasing primary key order (dumpdata's order): an earlier run's
    #: batches of them are recorded as ranges of keys
    monotonic: set[str] = field(default_factory=set)
    #: role -> the (form, key) pairs mentorship responses were encrypted with
    response_keys: dict[str, set[tuple[int, int | None]]] = field(default_factory=dict)

    def rows(self, model: str) -> dict[int, dict[str, Any]]:
        """The rows of a small model by primary key (empty when the export has none)."""
        return self.small.get(model, {})

    def max_pk(self, model: str) -> int:
        """The highest primary key of a model in the export (0 when it has none)."""
        if model in self.max_pks:
            return self.max_pks[model]
        return max(self.pks.get(model) or {0})


def scan(path: Path, progress: Callable[[int], None] | None = None) -> ExportIndex:
    """Read the whole export once; raise :class:`ImportFileError` at the first problem."""
    index = ExportIndex(path)
    pending: dict[tuple[str, Any], tuple[str, str]] = {}  # (target model, key) -> (row label, field)
    last_pk: dict[str, int] = {}
    unordered: set[str] = set()
    usernames: set[str] = set()
    profile_of_user: dict[str, int] = {}
    for row in read_rows(path):
        _check(row, index, usernames, profile_of_user)
        _keep(row, index)
        if row.pk <= last_pk.get(row.model, row.pk - 1):
            unordered.add(row.model)
        last_pk[row.model] = row.pk
        for field_name, target, key in _references(row):
            known = key in usernames if target == USER else key in index.pks.get(target, ())
            if not known and (target, key) not in pending:
                pending[(target, key)] = (row.label, field_name)
        if progress is not None and row.position % 50_000 == 0:
            progress(row.position)
    index.monotonic = set(last_pk) - unordered
    for model, keys in index.other_pks.items():
        ordered = sorted(keys)
        repeated = next((a for a, b in zip(ordered, ordered[1:], strict=False) if a == b), None)
        if repeated is not None:
            raise ImportFileError(f"{model} pk {repeated}: a second row with the same primary key")
        index.max_pks[model] = ordered[-1]
    index.other_pks.clear()  # checked: the memory goes back before the writing starts
    for (target, key), (label, field_name) in pending.items():
        known = key in usernames if target == USER else key in index.pks.get(target, ())
        if not known:
            what = f"user {key!r}" if target == USER else f"{target} {key}"
            raise ImportFileError(f"{label}: field {field_name!r} refers to {what}, which is not in the file")
    return index


def _references(row: Row) -> list[tuple[str, str, Any]]:
    """The row's references, with the organization a partner badge's logic names."""
    found = list(references(row.model, row.fields))
    if row.model == "users.badge" and row.fields["type"] == "partner":
        found.append(("logic", "orgs.organization", row.fields["logic"]["partner"]))
    return found


def _check(row: Row, index: ExportIndex, usernames: set[str], profile_of_user: dict[str, int]) -> None:
    if row.model not in KNOWN_MODELS:
        raise ImportFileError(f"{row.label}: unknown model {row.model!r} (not part of capx-backend 2.2.27's export)")
    check_row(row.position, row.model, row.pk, row.fields)
    check_content(row.label, row.model, row.pk, row.fields)
    if row.model in REFERENCED_MODELS:
        pks = index.pks.setdefault(row.model, set())
        if row.pk in pks:
            raise ImportFileError(f"{row.label}: a second row with the same primary key")
        pks.add(row.pk)
    else:
        # Nothing refers to these rows (messages, user badges...: most of the file): a compact list
        # of their keys, checked for repeats at the end, instead of a set.
        index.other_pks.setdefault(row.model, array("q")).append(row.pk)
    if row.model == USER:
        username = row.fields["username"]
        if username in usernames:
            raise ImportFileError(f"{row.label}: a second account named {username!r}")
        usernames.add(username)
    elif row.model == "users.profile":
        username = row.fields["user"][0]
        if username in profile_of_user:
            raise ImportFileError(f"{row.label}: a second profile of user {username!r}")
        profile_of_user[username] = row.pk


def _keep(row: Row, index: ExportIndex) -> None:
    index.counts[row.model] += 1
    if index.counts[row.model] == 1:
        index.order.append(row.model)
    if row.model in SMALL_MODELS:
        index.small.setdefault(row.model, {})[row.pk] = row.fields
    elif row.model == USER:
        f = row.fields
        index.accounts[f["username"]] = Account(
            pk=row.pk, username=f["username"], active=f["is_active"], staff=f["is_staff"] or f["is_superuser"],
            joined=parse_datetime(f["date_joined"]),
            last_login=parse_datetime(f["last_login"]) if f["last_login"] else None,
            has_email=bool(f["email"]), extra_groups=bool(f["groups"] or f["user_permissions"] or f["user_groups"]))
    elif row.model == "social_django.usersocialauth":
        if row.fields["provider"] == "mediawiki":
            index.central_ids[row.fields["user"][0]] = (row.pk, row.fields["uid"])
    elif row.model == "users.profile":
        index.profile_users[row.pk] = row.fields["user"][0]
    elif row.model in RESPONSE_MODELS:
        role = "mentor" if row.model == RESPONSE_MODELS[0] else "mentee"
        index.response_keys.setdefault(role, set()).add(
            (row.fields["form"], row.fields["encrypted_with_public_key_id_snapshot"]))
