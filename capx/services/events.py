"""Events: the calendar and its filters, who sees an event, managers' writes, featuring, time zones.

Times are stored as naive UTC; each event keeps the IANA time zone it was entered in, and is shown
in that zone (with the UTC offset) so an event in São Paulo reads as its organizers wrote it.
Events of hidden organizations (no manager) are left out of the calendar and feeds, and their pages
are for staff only (:func:`visible_event`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence, cast

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from capx.extensions import db
from capx.models import Event, EventCapacity, EventCourseImage, Organization, Territory, User, utcnow
from capx.services import choices, course_images
from capx.services.capacities import capacity_tree
from capx.services.concurrent_edits import versioned_write
from capx.services.organizations import may_see, visible_organization_ids_subquery
from capx.support.collections import sync_rows

PER_PAGE = 20
MAX_FEATURED = 4
#: A wall-clock time as the event form's ``datetime-local`` fields write it (and the snapshot shows it).
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name, sorted (UTC first)."""
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return ("UTC", *names)


def to_utc(local: dt.datetime, zone: str) -> dt.datetime:
    """A wall-clock time in ``zone`` as naive UTC."""
    aware = local.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return aware.astimezone(dt.timezone.utc).replace(tzinfo=None)


def to_local(utc: dt.datetime, zone: str) -> dt.datetime:
    """A naive UTC time as an aware datetime in ``zone``."""
    return utc.replace(tzinfo=dt.timezone.utc).astimezone(zoneinfo.ZoneInfo(zone))


# -- the calendar ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventFilters:
    """What /events and /events.ics are asked for (read from the query string by capx.forms.events)."""

    capacity: int | None = None
    format: str | None = None
    territory: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    organization: int | None = None
    q: str = ""

    @property
    def active(self) -> bool:
        """Whether any filter is set (the page offers to clear them)."""
        return any((self.capacity, self.format, self.territory, self.date_from, self.date_to, self.organization,
                    self.q))


def filtered_query(filters: EventFilters, chain: Sequence[str], now: dt.datetime | None = None) -> sa.Select[Event]:
    """Events of visible organizations matching the filters: upcoming ones (not yet ended) unless a
    start date is given. A capacity also finds events about its sub-capacities."""
    now = now or utcnow()
    query = sa.select(Event).where(Event.organization_id.in_(visible_organization_ids_subquery()))
    if filters.date_from:
        query = query.where(Event.end_at >= dt.datetime.combine(filters.date_from, dt.time()))
    else:
        query = query.where(Event.end_at >= now)
    if filters.date_to:
        query = query.where(Event.start_at < dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time()))
    if filters.format:
        query = query.where(Event.format == filters.format)
    if filters.organization:
        query = query.where(Event.organization_id == filters.organization)
    if filters.territory:
        ids = [filters.territory, *db.session.scalars(sa.select(Territory.id).where(Territory.parent_id == filters.territory))]
        query = query.where(Event.territory_id.in_(ids))
    if filters.capacity:
        ids = sorted(capacity_tree(chain).descendants([filters.capacity])) or [filters.capacity]
        query = query.where(Event.id.in_(sa.select(EventCapacity.event_id).where(EventCapacity.capacity_id.in_(ids))))
    if filters.q:
        needle = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Event.title.ilike(needle, escape="\\"), Event.description.ilike(needle, escape="\\"),
                                   Event.location.ilike(needle, escape="\\")))
    return query


def with_relations(query: sa.Select[Event]) -> sa.Select[Event]:
    """Load what event cards show, one query per relation."""
    return query.options(selectinload(Event.organization).selectinload(Organization.names),
                         selectinload(Event.capacities), selectinload(Event.territory))


def count(query: sa.Select[Event]) -> int:
    """How many events the query finds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def page_of_events(query: sa.Select[Event], offset: int, limit: int) -> list[Event]:
    """A page of the query's events, soonest first, with what their cards show."""
    return list(db.session.scalars(with_relations(query).order_by(Event.start_at, Event.id).offset(offset).limit(limit)))


def visible_event(viewer: User | None, event_id: int) -> Event | None:
    """The event with what its page shows, when ``viewer`` may see it (its organization is visible,
    or they are staff); else None, the same answer as for an event that does not exist. Whether it
    has a course picture comes in the same query (the picture's bytes do not)."""
    picture = joinedload(Event.course_image).load_only(EventCourseImage.source_url, EventCourseImage.content_type,
                                                       EventCourseImage.fetched_at)
    event = db.session.scalar(with_relations(sa.select(Event).where(Event.id == event_id)).options(picture))
    if event is None or not may_see(viewer, event.organization_id):
        return None
    return event


def get_event(event_id: int) -> Event | None:
    """The event with this id (for its managers' tools, which check access themselves), or None."""
    return db.session.get(Event, event_id)


# -- managers' writes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventDetails:
    """An event as its organizers save it (checked by capx.forms.events): times in naive UTC."""

    title: str
    url: str
    start_at: dt.datetime
    end_at: dt.datetime
    time_zone: str
    format: str
    location: str = ""
    territory_id: int | None = None
    capacities: list[int] = field(default_factory=list)
    description: str = ""
    image_file: str | None = None
    # The WikiLearn course picture the event uses (CapX shows its own copy), or None.
    course_image_url: str | None = None


def stored_details(event: Event) -> EventDetails:
    """The event as stored now, in the shape of an edit (the form's initial values, the snapshot)."""
    return EventDetails(
        title=event.title, url=event.url, start_at=event.start_at, end_at=event.end_at, time_zone=event.time_zone,
        format=event.format, location=event.location or "", territory_id=event.territory_id,
        capacities=sorted(c.capacity_id for c in event.capacities), description=event.description or "",
        image_file=event.image_file, course_image_url=event.course_image.source_url if event.course_image else None)


def _write(event: Event, details: EventDetails) -> None:
    """Set every field of the event from ``details`` (its capacities: only what changed)."""
    event.title, event.url = details.title, details.url
    event.start_at, event.end_at, event.time_zone = details.start_at, details.end_at, details.time_zone
    event.format, event.location = details.format, details.location or None
    event.territory_id, event.description = details.territory_id, details.description or None
    event.image_file = details.image_file
    course_images.use_picture(event, details.course_image_url)
    sync_rows(event.capacities, sorted(set(details.capacities)), row_key=lambda row: row.capacity_id,
              value_key=lambda key: key, build=lambda key, _i: EventCapacity(capacity_id=key))
    event.updated_at = utcnow()


def add_event(org: Organization, author: User, details: EventDetails) -> Event:
    """A new event of ``org``, written by ``author``, flushed (it has its id); the caller commits."""
    event = Event(organization_id=org.id, created_by_id=author.id, version=1)
    _write(event, details)
    db.session.add(event)
    db.session.flush()
    return event


def update_event(event: Event, details: EventDetails) -> None:
    """Write an edit to the event and flush (its version goes up); raises
    :class:`~capx.services.concurrent_edits.SavedMeanwhile` when someone else saved meanwhile."""
    with versioned_write():
        _write(event, details)


def delete_event(event: Event) -> None:
    """Erase the event (flushed); the caller commits."""
    db.session.delete(event)
    db.session.flush()


def snapshot(details: EventDetails, chain: Sequence[str]) -> dict[str, str]:
    """The comparable, human-readable value of each field (times in the event's zone, territory and
    capacities named in the language ``chain``), for the "changed meanwhile" table."""
    territory = choices.labels("territory", [details.territory_id], chain) if details.territory_id else []
    return {"title": details.title, "url": details.url,
            "start": to_local(details.start_at, details.time_zone).strftime(DATETIME_FORMAT),
            "end": to_local(details.end_at, details.time_zone).strftime(DATETIME_FORMAT),
            "time_zone": details.time_zone, "format": details.format, "location": details.location,
            "territory": territory[0].label if territory else "",
            "capacities": ", ".join(c.label for c in choices.labels("capacity", sorted(details.capacities), chain)),
            "description": details.description, "image": details.image_file or "",
            "course_image": details.course_image_url or ""}


# -- featured events -------------------------------------------------------------------------------

def organization_events(org_id: int) -> list[Event]:
    """All of an organization's events, newest first."""
    return list(db.session.scalars(sa.select(Event).where(Event.organization_id == org_id)
                                   .order_by(Event.start_at.desc(), Event.id.desc())))


def featured_events(org_id: int) -> list[Event]:
    """The organization's featured events, in their chosen order."""
    return list(db.session.scalars(sa.select(Event).where(Event.organization_id == org_id,
                                                          Event.featured_position.is_not(None))
                                   .order_by(Event.featured_position).limit(MAX_FEATURED)))


def featured_ids(events: Sequence[Event]) -> list[int]:
    """The ids of the featured ones among ``events``, in their chosen order."""
    return [e.id for e in sorted(events, key=lambda e: e.featured_position or 0) if e.featured_position]


def may_feature(events: Sequence[Event], event_ids: Sequence[int]) -> bool:
    """The rule of featuring: at most four events, each one of the organization's own ``events``."""
    own = {e.id for e in events}
    return len(event_ids) <= MAX_FEATURED and all(i in own for i in event_ids)


def set_featured(events: Sequence[Event], event_ids: Sequence[int]) -> None:
    """Feature these events of an organization (all its ``events`` given), in this order, and no others."""
    if not may_feature(events, event_ids):
        raise ValueError(f"cannot feature {list(event_ids)!r}")
    # A plain UPDATE (not through the ORM): featuring is not an edit of the event, so it must not
    # bump the version and make a manager editing that event meanwhile see a conflict.
    table = cast(sa.Table, Event.__table__)  # a mapped class's table (typed as any FromClause)
    for event in events:
        position = event_ids.index(event.id) + 1 if event.id in event_ids else None
        if event.featured_position != position:
            db.session.execute(sa.update(table).where(table.c.id == event.id).values(featured_position=position))
