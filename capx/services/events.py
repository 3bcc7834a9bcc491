"""Events: the calendar's filters, the event form's rules, featuring, and time zones.

Times are stored as naive UTC; each event keeps the IANA time zone it was entered in, and is shown
in that zone (with the UTC offset) so an event in São Paulo reads as its organizers wrote it.
Events of hidden organizations (no manager) are left out of the calendar and feeds.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from capx.extensions import db
from capx.forms.errors import FormErrors
from capx.language import current_language_chain
from capx.models import EVENT_FORMATS, Event, EventCapacity, Organization, Territory, User, utcnow
from capx.services import choices as choices_service
from capx.services.capacities import capacity_tree
from capx.support.collections import sync_rows
from capx.support.media import normalize_commons_file
from capx.support.values import int_list, parse_id
from capx.services.organizations import is_web_url, visible_organization_ids_subquery
from capx.translations import LazyMessage, lazy_msg

PER_PAGE = 20
MAX_FEATURED = 4
TITLE_MAX, URL_MAX, LOCATION_MAX, DESCRIPTION_MAX = 200, 500, 300, 5000
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

@dataclass
class EventFilters:
    """What /events and /events.ics are asked for (every value comes from the query string)."""

    capacity: int | None = None
    format: str | None = None
    territory: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    organization: int | None = None
    q: str = ""

    @property
    def active(self) -> bool:
        return any((self.capacity, self.format, self.territory, self.date_from, self.date_to, self.organization,
                    self.q))

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links: pagination, the feed)."""
        out = {"capacity": self.capacity, "format": self.format, "territory": self.territory,
               "from": self.date_from.isoformat() if self.date_from else None,
               "to": self.date_to.isoformat() if self.date_to else None,
               "organization": self.organization, "q": self.q or None}
        return {k: str(v) for k, v in out.items() if v}


def _int(value: str | None) -> int | None:
    return parse_id(value)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(args: Mapping[str, str]) -> EventFilters:
    """Filters from the query string; anything malformed is ignored."""
    fmt = args.get("format") or None
    return EventFilters(capacity=_int(args.get("capacity")), format=fmt if fmt in EVENT_FORMATS else None,
                        territory=_int(args.get("territory")), date_from=_date(args.get("from")),
                        date_to=_date(args.get("to")), organization=_int(args.get("organization")),
                        q=(args.get("q") or "").strip()[:100])


def filtered_query(filters: EventFilters, now: dt.datetime | None = None) -> sa.Select[tuple[Event]]:
    """Events matching the filters: upcoming ones (not yet ended) unless a start date is given."""
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
        ids = sorted(capacity_tree(current_language_chain()).descendants([filters.capacity])) or [filters.capacity]
        query = query.where(Event.id.in_(sa.select(EventCapacity.event_id).where(EventCapacity.capacity_id.in_(ids))))
    if filters.q:
        needle = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Event.title.ilike(needle, escape="\\"), Event.description.ilike(needle, escape="\\"),
                                   Event.location.ilike(needle, escape="\\")))
    return query


def with_relations(query: sa.Select[tuple[Event]]) -> sa.Select[tuple[Event]]:
    """Load what event cards show, one query per relation."""
    return query.options(selectinload(Event.organization).selectinload(Organization.names),
                         selectinload(Event.capacities), selectinload(Event.territory))


def count(query: sa.Select[tuple[Event]]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def page_of_events(query: sa.Select[tuple[Event]], offset: int, limit: int) -> list[Event]:
    return list(db.session.scalars(with_relations(query).order_by(Event.start_at, Event.id).offset(offset).limit(limit)))


# -- the form --------------------------------------------------------------------------------------

@dataclass
class EventEdit:
    """The event form as typed, plus normalized values."""

    title: str = ""
    url: str = ""
    start: str = ""
    end: str = ""
    time_zone: str = "UTC"
    format: str = ""
    location: str = ""
    territory_id: int | None = None
    capacities: list[int] = field(default_factory=list)
    description: str = ""
    image: str = ""
    start_utc: dt.datetime | None = None
    end_utc: dt.datetime | None = None
    image_file: str | None = None


def edit_from_event(event: Event) -> EventEdit:
    """The form's initial values for an event (times in its own zone)."""
    return EventEdit(
        title=event.title, url=event.url,
        start=to_local(event.start_at, event.time_zone).strftime(DATETIME_FORMAT),
        end=to_local(event.end_at, event.time_zone).strftime(DATETIME_FORMAT),
        time_zone=event.time_zone, format=event.format, location=event.location or "",
        territory_id=event.territory_id, capacities=sorted(c.capacity_id for c in event.capacities),
        description=event.description or "", image=event.image_file or "")


def parse_event(data: MultiDict[str, str]) -> tuple[EventEdit, FormErrors]:
    """Read and validate the event form."""
    errors = FormErrors()

    def fail(key: str, message: LazyMessage) -> None:
        errors.setdefault(key, []).append(message)

    def text(key: str) -> str:
        return (data.get(key) or "").strip()

    edit = EventEdit(title=text("title"), url=text("url"), start=text("start"), end=text("end"),
                     time_zone=text("time_zone") or "UTC", format=text("format"), location=text("location"),
                     # A line break is one character, as the form's counter shows it (browsers send CR LF).
                     description=(data.get("description") or "").replace("\r\n", "\n").strip(), image=text("image"))
    if not edit.title:
        fail("title", lazy_msg("event-error-required"))
    elif len(edit.title) > TITLE_MAX:
        fail("title", lazy_msg("organization-error-too-long", TITLE_MAX))
    if not edit.url:
        fail("url", lazy_msg("event-error-required"))
    elif len(edit.url) > URL_MAX or not is_web_url(edit.url):
        fail("url", lazy_msg("organization-error-url"))
    if edit.time_zone not in time_zones():
        fail("time_zone", lazy_msg("organization-error-invalid-choice"))
        edit.time_zone = "UTC"
    for key in ("start", "end"):
        raw = getattr(edit, key)
        if not raw:
            fail(key, lazy_msg("event-error-required"))
            continue
        try:
            local = dt.datetime.strptime(raw[:16], DATETIME_FORMAT)
        except ValueError:
            fail(key, lazy_msg("event-error-datetime"))
            continue
        if "time_zone" not in errors:
            setattr(edit, f"{key}_utc", to_utc(local, edit.time_zone))
    if edit.start_utc and edit.end_utc and edit.end_utc < edit.start_utc:
        fail("end", lazy_msg("event-error-end-before-start"))
    if edit.format not in EVENT_FORMATS:
        fail("format", lazy_msg("event-error-required"))
    if len(edit.location) > LOCATION_MAX:
        fail("location", lazy_msg("organization-error-too-long", LOCATION_MAX))
    territory_raw = text("territory_id")
    if territory_raw:
        valid = choices_service.valid_ids("territory", [_int(territory_raw) or 0], current_language_chain())
        edit.territory_id = valid[0] if valid else None
        if edit.territory_id is None:
            fail("territory_id", lazy_msg("organization-error-invalid-choice"))
    capacity_ids = {c.value for c in choices_service.choices("capacity", current_language_chain())}
    edit.capacities = [i for i in int_list(data.getlist("capacity")) if i in capacity_ids]
    if len(edit.description) > DESCRIPTION_MAX:
        fail("description", lazy_msg("organization-error-too-long", DESCRIPTION_MAX))
    if edit.image:
        edit.image_file = normalize_commons_file(edit.image)
        if edit.image_file is None:
            fail("image", lazy_msg("organization-error-commons-file"))
    return edit, errors


def apply_event(event: Event, edit: EventEdit) -> None:
    """Write a valid form to the event (the caller adds and commits)."""
    assert edit.start_utc is not None and edit.end_utc is not None
    event.title, event.url = edit.title, edit.url
    event.start_at, event.end_at, event.time_zone = edit.start_utc, edit.end_utc, edit.time_zone
    event.format, event.location = edit.format, edit.location or None
    event.territory_id, event.description = edit.territory_id, edit.description or None
    event.image_file = edit.image_file
    sync_rows(event.capacities, sorted(set(edit.capacities)), row_key=lambda row: row.capacity_id,
              value_key=lambda key: key, build=lambda key, _i: EventCapacity(capacity_id=key))
    event.updated_at = utcnow()


EVENT_SNAPSHOT_FIELDS = (
    ("title", "event-field-title"), ("url", "event-field-url"), ("start", "event-field-start"),
    ("end", "event-field-end"), ("time_zone", "event-field-time-zone"), ("format", "event-field-format"),
    ("location", "event-field-location"), ("territory", "event-field-territory"),
    ("capacities", "event-field-capacities"), ("description", "event-field-description"),
    ("image", "event-field-image"),
)


def event_snapshot(edit: EventEdit) -> dict[str, str]:
    """Comparable values of an event form (for the "changed meanwhile" table)."""
    territory = choices_service.labels("territory", [edit.territory_id], current_language_chain()) if edit.territory_id else []
    return {"title": edit.title, "url": edit.url, "start": edit.start, "end": edit.end, "time_zone": edit.time_zone,
            "format": edit.format, "location": edit.location, "territory": territory[0].label if territory else "",
            "capacities": ", ".join(c.label for c in choices_service.labels("capacity", sorted(edit.capacities), current_language_chain())),
            "description": edit.description, "image": edit.image}


def new_event(organization_id: int, author: User | None) -> Event:
    return Event(organization_id=organization_id, created_by_id=author.id if author else None, version=1)


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


def set_featured(org_id: int, event_ids: list[int]) -> bool:
    """Feature these events (in order, at most four) and no others; False if the choice is invalid."""
    if len(event_ids) > MAX_FEATURED:
        return False
    events = {e.id: e for e in organization_events(org_id)}
    if any(i not in events for i in event_ids):
        return False
    # A plain UPDATE (not through the ORM): featuring is not an edit of the event, so it must not
    # bump the version and make a manager editing that event meanwhile see a conflict.
    table = Event.__table__
    for event in events.values():
        position = event_ids.index(event.id) + 1 if event.id in event_ids else None
        if event.featured_position != position:
            db.session.execute(sa.update(table).where(table.c.id == event.id).values(featured_position=position))
    return True
