"""The Commons tabular export that feeds Template:CapacityExchange on Meta-Wiki.

Three JsonConfig tabular pages, in the format the current platform writes today (columns, types
and order kept; anything new comes after them):

- ``Data:CapacityExchange/users.tab``: username, skills_known, skills_available, badges — every
  cell a string; lists written ``[12, 45]``; a badge as ``name§image§assertion URL``.
- ``Data:CapacityExchange/capacities.tab``: id (number), name, description (English).
- ``Data:CapacityExchange/badges.tab`` (new): id (number), name, description, image, kind.

users.tab lists only people whose Meta-Wiki user page (or their alternative account's) transcludes
the template — that is their opt-in — and never a locked account (deleted accounts have no row).
JsonConfig's rules are kept: a string cell is one line of at most 400 characters, with no tab and
no space at either end; a list cell that would be longer drops whole items from its end; a page
over the size limit drops whole rows from its end. Every cut is reported for the job's log.

A page is edited only when its content changed since the last successful export (a SHA-256 of the
document, in ``commons_export``), and its hash is stored only after Commons accepted the edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from capx.clients.commons import CommonsClient
from capx.clients.http import RemoteServiceError
from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, Badge, Capacity, CapacityText, CommonsExport, Profile, ProfileCapacity,
                         User, UserBadge, utcnow)

USERS, CAPACITIES, BADGES = ("Data:CapacityExchange/users.tab", "Data:CapacityExchange/capacities.tab",
                             "Data:CapacityExchange/badges.tab")
PAGES = (USERS, CAPACITIES, BADGES)
TEMPLATE = "Template:CapacityExchange"
SOURCES = "https://capx.toolforge.org"
SUMMARY = "Updating data"
LICENSE = "CC0-1.0"
#: JsonConfig: a string cell is one line of at most this many characters.
CELL_MAX = 400
#: Commons' page size limit ($wgMaxArticleSize, 2048 KiB), less room for MediaWiki's re-serialisation.
PAGE_MAX_BYTES = 2_000_000
#: What the current platform writes for a person without any badge.
SUPPORTER_BADGE = "Capacity Exchange supporter§Capx-logo-redux.svg§https://meta.wikimedia.org/wiki/Capacity_Exchange/Network/"


# -- JsonConfig's rules ------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u0085\u2028\u2029]+")


def cell(value: Any, limit: int = CELL_MAX) -> str:
    """A JsonConfig string cell: one line, no tab, no space at either end, at most ``limit`` characters."""
    text = _SPACES.sub(" ", str(value or "")).strip()
    return text[:limit].rstrip()


def list_cell(items: Sequence[Any], what: str, cuts: list[str]) -> str:
    """``[a, b, c]`` as the current platform writes lists (a comma inside an item as ``&#44;``),
    dropping whole items from the end when the cell would pass 400 characters (noted in ``cuts``)."""
    parts = [cell(item).replace(",", "&#44;") for item in items]
    kept = list(parts)
    while kept and len("[" + ", ".join(kept) + "]") > CELL_MAX:
        kept.pop()
    if len(kept) < len(parts):
        cuts.append(f"{what}: {len(parts) - len(kept)} of {len(parts)} items left out (400-character cell)")
    return "[" + ", ".join(kept) + "]"


def document(description: str, fields: Sequence[tuple[str, str]], rows: list[list[Any]]) -> dict[str, Any]:
    """A tabular page: CC0, its source, the schema and the rows."""
    return {"license": LICENSE, "description": {"en": description}, "sources": SOURCES,
            "schema": {"fields": [{"name": name, "type": kind} for name, kind in fields]}, "data": rows}


def page_text(doc: dict[str, Any]) -> str:
    """The text sent to Commons (indented as today's export sends it)."""
    return json.dumps(doc, indent=4, ensure_ascii=False)


def fit_page(title: str, doc: dict[str, Any], cuts: list[str]) -> dict[str, Any]:
    """The document, with whole rows dropped from its end while it is over the page size limit."""
    rows = doc["data"]
    total = len(rows)
    while rows and len(page_text(doc).encode("utf-8")) > PAGE_MAX_BYTES:
        del rows[max(1, len(rows) * 9 // 10):]
    if len(rows) < total:
        cuts.append(f"{title}: {total - len(rows)} of {total} rows left out (page size limit)")
    return doc


def content_hash(doc: dict[str, Any]) -> str:
    """What "unchanged since the last export" compares."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


# -- the three pages -------------------------------------------------------------------------------

@dataclass
class ExportPages:
    """The three documents by page title, and every cut made to respect JsonConfig's rules."""

    documents: dict[str, dict[str, Any]]
    cuts: list[str] = field(default_factory=list)


def _english_texts() -> dict[int, tuple[str, str]]:
    rows = db.session.execute(sa.select(Capacity.id, Capacity.code, CapacityText.name, CapacityText.description)
                              .outerjoin(CapacityText, sa.and_(CapacityText.capacity_id == Capacity.id,
                                                               CapacityText.lang == "en"))
                              .order_by(Capacity.id))
    return {cid: (name or code, description or "") for cid, code, name, description in rows}


def _users_rows(opted_in: Collection[str], cuts: list[str]) -> list[list[Any]]:
    wanted = set(opted_in)
    people = db.session.execute(
        sa.select(User.id, User.username, Profile.id, Profile.alt_account).join(Profile, Profile.user_id == User.id)
        .where(User.is_locked.is_(False), sa.or_(User.username.in_(wanted), Profile.alt_account.in_(wanted)))
        .order_by(User.username)).all() if wanted else []
    profile_ids = [row[2] for row in people]
    capacities: dict[tuple[int, str], list[int]] = {}
    for profile_id, capacity_id, kind in db.session.execute(
            sa.select(ProfileCapacity.profile_id, ProfileCapacity.capacity_id, ProfileCapacity.kind)
            .where(ProfileCapacity.profile_id.in_(profile_ids), ProfileCapacity.kind.in_((KNOWN, AVAILABLE)))
            .order_by(ProfileCapacity.capacity_id)):
        capacities.setdefault((profile_id, kind), []).append(capacity_id)
    badges: dict[int, list[str]] = {}
    for user_id, name, image, assertion in db.session.execute(
            sa.select(UserBadge.user_id, Badge.name, Badge.image, UserBadge.assertion_url)
            .join(Badge, Badge.id == UserBadge.badge_id)
            .where(UserBadge.user_id.in_([row[0] for row in people]), UserBadge.progress >= 100,
                   UserBadge.shown.is_(True))
            .order_by(UserBadge.user_id, Badge.position, Badge.id)):
        badges.setdefault(user_id, []).append("§".join(cell(part, 200).replace("§", " ")
                                                       for part in (name, image or "", assertion or "")))
    rows, seen = [], set()
    for user_id, username, profile_id, alt in people:
        # The name that opted in: the account itself, else its alternative account (as today).
        opted: str | None = username if username in wanted else alt
        if not opted or opted in seen:
            continue
        name = opted
        seen.add(name)
        rows.append([cell(name),
                     list_cell(capacities.get((profile_id, KNOWN), []), f"{name}: skills_known", cuts),
                     list_cell(capacities.get((profile_id, AVAILABLE), []), f"{name}: skills_available", cuts),
                     list_cell(badges.get(user_id) or [SUPPORTER_BADGE], f"{name}: badges", cuts)])
    return rows


def every_profile_name() -> set[str]:
    """Every user name with a profile (the ``--everyone`` preview, as if all had opted in)."""
    return set(db.session.scalars(sa.select(User.username).join(Profile, Profile.user_id == User.id)))


def build_pages(opted_in: Collection[str]) -> ExportPages:
    """The three pages for the people in ``opted_in`` (their user or alternative account names)."""
    cuts: list[str] = []
    users = document("Users enrolled in the CapX platform",
                     [("username", "string"), ("skills_known", "string"), ("skills_available", "string"),
                      ("badges", "string")], _users_rows(opted_in, cuts))
    capacities = document("Capacities added in the CapX platform",
                          [("id", "number"), ("name", "string"), ("description", "string")],
                          [[cid, cell(name) or None, cell(description) or None]
                           for cid, (name, description) in _english_texts().items()])
    badge_rows = [[bid, cell(name) or None, cell(description) or None, cell(image) or None, kind]
                  for bid, name, description, image, kind in db.session.execute(
                      sa.select(Badge.id, Badge.name, Badge.description, Badge.image, Badge.kind).order_by(Badge.id))]
    badges = document("Badges of the CapX platform",
                      [("id", "number"), ("name", "string"), ("description", "string"), ("image", "string"),
                       ("kind", "string")], badge_rows)
    documents = {USERS: users, CAPACITIES: capacities, BADGES: badges}
    for title, doc in documents.items():
        fit_page(title, doc, cuts)
    return ExportPages(documents, cuts)


# -- the job -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageExport:
    """One page's outcome: "edited", "nochange" (Commons had it already), "unchanged" (same hash
    as the last export: no edit), or "failed" with the error."""

    title: str
    outcome: str
    error: str | None = None


def stored_hashes() -> dict[str, str]:
    """The hash of each page's last successful export."""
    return {page: digest for page, digest in db.session.execute(sa.select(CommonsExport.page, CommonsExport.content_hash))}


def _remember(title: str, digest: str, now: dt.datetime) -> None:
    row = db.session.get(CommonsExport, title)
    if row is None:
        row = CommonsExport(page=title)
        db.session.add(row)
    row.content_hash, row.exported_at = digest, now
    db.session.flush()


def export(pages: ExportPages, client: CommonsClient, login: Callable[[CommonsClient], None]) -> Iterator[PageExport]:
    """Edit each page whose content changed since its last successful export, one at a time
    (flushed; the caller commits after each). Logs in only when a page needs an edit. A failed edit
    keeps the old hash, so the next run tries again; the other pages go on."""
    previous = stored_hashes()
    changed = [(title, doc, content_hash(doc)) for title, doc in pages.documents.items()]
    todo = [item for item in changed if previous.get(item[0]) != item[2]]
    for title, _doc, _digest in changed:
        if all(title != t for t, _d, _h in todo):
            yield PageExport(title, "unchanged")
    if not todo:
        return
    try:
        login(client)
        token = client.csrf_token()
    except RemoteServiceError as exc:
        for title, _doc, _digest in todo:
            yield PageExport(title, "failed", f"{exc.code}: {exc}")
        return
    for title, doc, digest in todo:
        try:
            made = client.edit(title, page_text(doc), SUMMARY, token)
        except RemoteServiceError as exc:
            yield PageExport(title, "failed", f"{exc.code}: {exc}")
            continue
        _remember(title, digest, utcnow())
        yield PageExport(title, "edited" if made else "nochange")
