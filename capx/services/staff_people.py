"""Staff overview of people: search and filter every account, a page at a time, and export the
public fields of their profiles as CSV.

A page costs two queries (the count and the page's rows) whatever the number of people; the export
reads people in batches of :data:`EXPORT_BATCH`, a fixed number of queries per batch, so a caller
can stream it (see :func:`export_rows`). Cells a spreadsheet would read as a formula are
neutralized (:func:`spreadsheet_safe`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator, Sequence

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (CAPACITY_KINDS, Organization, OrganizationName, Profile, ProfileAffiliation, ProfileCapacity,
                         ProfileLanguage, ProfileProject, ProfileTerritory, User, WikimediaProject)
from capx.services import choices
from capx.services.capacities import capacity_tree
from capx.support.pagination import Page

PER_PAGE = 50
EXPORT_BATCH = 500
SEARCH_MAX = 255
#: A yes/no filter: None (either), True or False.
Flag = bool | None


@dataclass(frozen=True)
class PeopleFilter:
    """What the overview shows: a name substring (ignoring case), and yes/no filters."""

    query: str = ""
    staff: Flag = None
    locked: Flag = None
    has_profile: Flag = None


@dataclass(frozen=True)
class PersonRow:
    """One person of the overview."""

    id: int
    username: str
    is_staff: bool
    is_locked: bool
    has_profile: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


def _filtered(select: sa.Select, people: PeopleFilter, profile_joined: bool = False) -> sa.Select:
    """``select`` (of users; ``profile_joined``: already outer-joined to their profiles) with the
    filters. "Has a profile" is a join (an anti-join for "has none"): MariaDB counts those faster
    than a correlated EXISTS per person."""
    if people.query:
        select = select.where(sa.func.lower(User.username).contains(people.query.lower(), autoescape=True))
    if people.staff is not None:
        select = select.where(User.is_staff.is_(people.staff))
    if people.locked is not None:
        select = select.where(User.is_locked.is_(people.locked))
    if people.has_profile is True:
        select = select.where(Profile.id.is_not(None)) if profile_joined else \
            select.join(Profile, Profile.user_id == User.id)
    elif people.has_profile is False:
        select = (select if profile_joined else select.outerjoin(Profile, Profile.user_id == User.id)) \
            .where(Profile.id.is_(None))
    return select


def people_page(people: PeopleFilter, number: int, per_page: int = PER_PAGE) -> tuple[Page, list[PersonRow]]:
    """Page ``number`` of the people matching ``people``, by user name (two queries). A number past
    the last page gives the last page.

    The page's ids are found in the index ``ix_user_staff_list`` alone (user name, staff, locked;
    the profile test is one unique-index probe), then only those rows are read: skipping to a
    far page never reads the rows it skips.
    """
    total = db.session.scalar(_filtered(sa.select(sa.func.count()).select_from(User), people)) or 0
    page = Page(1, per_page, total)
    page = Page(min(max(1, number), page.pages), per_page, total)
    ids = _filtered(sa.select(User.id), people).order_by(User.username).offset(page.offset).limit(per_page).subquery()
    has_profile = sa.exists().where(Profile.user_id == User.id).label("has_profile")
    rows = db.session.execute(
        sa.select(User.id, User.username, User.is_staff, User.is_locked, has_profile, User.created_at,
                  User.last_login_at).join(ids, ids.c.id == User.id).order_by(User.username)).all()
    return page, [PersonRow(r.id, r.username, bool(r.is_staff), bool(r.is_locked), bool(r.has_profile),
                            r.created_at, r.last_login_at) for r in rows]


# -- the export ------------------------------------------------------------------------------------

#: The export's columns (the header row is these names).
EXPORT_COLUMNS = ("username", "staff", "locked", "created_at", "bio", "languages", "territories", "affiliations",
                  *(f"capacities_{kind}" for kind in CAPACITY_KINDS), "wikimedia_projects", "wikidata_item")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula (``=``, ``+``, ``-``, ``@``,
    or a tab or carriage return before one) gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _grouped(rows: Sequence[sa.Row], key: int = 0) -> dict[int, list[sa.Row]]:
    out: dict[int, list[sa.Row]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def _batch(users: Sequence[sa.Row], chain: Sequence[str]) -> Iterator[list[str]]:
    """The export's rows of one batch of (user id, name, staff, locked, created, profile id, bio,
    Wikidata item shown, QID): one query per kind of profile list."""
    profile_ids = [u.profile_id for u in users if u.profile_id is not None]
    tree = capacity_tree(list(chain))
    capacities = _grouped(db.session.execute(
        sa.select(ProfileCapacity.profile_id, ProfileCapacity.kind, ProfileCapacity.capacity_id)
        .where(ProfileCapacity.profile_id.in_(profile_ids)).order_by(ProfileCapacity.capacity_id)).all())
    languages = _grouped(db.session.execute(
        sa.select(ProfileLanguage.profile_id, ProfileLanguage.language_id, ProfileLanguage.proficiency)
        .where(ProfileLanguage.profile_id.in_(profile_ids)).order_by(ProfileLanguage.position)).all())
    territories = _grouped(db.session.execute(
        sa.select(ProfileTerritory.profile_id, ProfileTerritory.territory_id)
        .where(ProfileTerritory.profile_id.in_(profile_ids)).order_by(ProfileTerritory.position)).all())
    affiliations = _grouped(db.session.execute(
        sa.select(ProfileAffiliation.profile_id, OrganizationName.name)
        .join(OrganizationName, sa.and_(OrganizationName.organization_id == ProfileAffiliation.organization_id,
                                        OrganizationName.lang == "en"))
        .join(Organization, Organization.id == ProfileAffiliation.organization_id)
        .where(ProfileAffiliation.profile_id.in_(profile_ids)).order_by(ProfileAffiliation.position)).all())
    projects = _grouped(db.session.execute(
        sa.select(ProfileProject.profile_id, WikimediaProject.name)
        .join(WikimediaProject, WikimediaProject.id == ProfileProject.project_id)
        .where(ProfileProject.profile_id.in_(profile_ids)).order_by(ProfileProject.position)).all())
    language_names = {c.value: c.label for c in choices.choices("language", chain)}
    territory_names = {c.value: c.label for c in choices.choices("territory", chain)}
    for u in users:
        pid = u.profile_id
        by_kind = {kind: "; ".join(tree.name(r.capacity_id) for r in capacities.get(pid, []) if r.kind == kind)
                   for kind in CAPACITY_KINDS}
        yield [
            u.username, "yes" if u.is_staff else "no", "yes" if u.is_locked else "no",
            u.created_at.isoformat(timespec="seconds") if u.created_at else "", u.bio or "",
            "; ".join(f"{language_names.get(r.language_id, r.language_id)} ({r.proficiency})"
                      for r in languages.get(pid, [])),
            "; ".join(str(territory_names.get(r.territory_id, r.territory_id)) for r in territories.get(pid, [])),
            "; ".join(r.name for r in affiliations.get(pid, [])),
            *(by_kind[kind] for kind in CAPACITY_KINDS),
            "; ".join(r.name for r in projects.get(pid, [])),
            (u.wikidata_qid or "") if u.show_wikidata_item else "",
        ]


def export_rows(people: PeopleFilter, chain: Sequence[str]) -> Iterator[list[str]]:
    """The header, then one row per person matching ``people`` (by user name, in batches of
    :data:`EXPORT_BATCH`), every cell :func:`spreadsheet_safe`. Lazy: each batch is read when the
    previous one has been consumed (the caller streams it)."""
    yield list(EXPORT_COLUMNS)
    last = ""
    while True:
        query = _filtered(
            sa.select(User.id, User.username, User.is_staff, User.is_locked, User.created_at,
                      Profile.id.label("profile_id"), Profile.bio, Profile.show_wikidata_item, Profile.wikidata_qid)
            .outerjoin(Profile, Profile.user_id == User.id), people, profile_joined=True)
        users = db.session.execute(query.where(User.username > last).order_by(User.username)
                                   .limit(EXPORT_BATCH)).all()
        if not users:
            return
        for row in _batch(users, chain):
            yield [spreadsheet_safe(str(cell)) for cell in row]
        last = users[-1].username
        if len(users) < EXPORT_BATCH:
            return
