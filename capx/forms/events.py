"""The event forms: the calendar's filters, the event form, and the choice of featured events.

:func:`read_event` checks a submitted event and returns a :class:`~capx.forms.errors.Checked`: the
service's :class:`~capx.services.events.EventDetails` (times converted to UTC from the zone they
were entered in) when everything is valid, the errors per field, and an :class:`EventForm` with
everything as typed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from werkzeug.datastructures import MultiDict

from capx.forms.addresses import is_web_url
from capx.forms.errors import Checked, FormErrors
from capx.models import EVENT_FORMATS, Event
from capx.services import choices
from capx.services.events import (DATETIME_FORMAT, MAX_FEATURED, EventDetails, EventFilters, may_feature,
                                  time_zones, to_local, to_utc)
from capx.support.media import normalize_commons_file
from capx.support.values import int_list, parse_id
from capx.translations import LazyMessage, lazy_msg

TITLE_MAX, LOCATION_MAX, DESCRIPTION_MAX = 200, 300, 5000

#: What each event format is called (the calendar, its filter, event pages, the form).
FORMAT_LABELS = {"online": lazy_msg("event-format-online"), "in-person": lazy_msg("event-format-in-person"),
                 "hybrid": lazy_msg("event-format-hybrid")}
#: The event form's fields, in the order of the "changed meanwhile" table, with their labels
#: (the keys of capx.services.events.snapshot).
FIELD_LABELS = {
    "title": lazy_msg("event-field-title"), "url": lazy_msg("event-field-url"), "start": lazy_msg("event-field-start"),
    "end": lazy_msg("event-field-end"), "time_zone": lazy_msg("event-field-time-zone"),
    "format": lazy_msg("event-field-format"), "location": lazy_msg("event-field-location"),
    "territory": lazy_msg("event-field-territory"), "capacities": lazy_msg("event-field-capacities"),
    "description": lazy_msg("event-field-description"), "image": lazy_msg("event-field-image"),
}


# -- the calendar's filters ------------------------------------------------------------------------

def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_filters(args: Mapping[str, str]) -> EventFilters:
    """The filters of /events and /events.ics from the query string; anything malformed is ignored."""
    fmt = args.get("format") or None
    return EventFilters(capacity=parse_id(args.get("capacity")), format=fmt if fmt in EVENT_FORMATS else None,
                        territory=parse_id(args.get("territory")), date_from=_date(args.get("from")),
                        date_to=_date(args.get("to")), organization=parse_id(args.get("organization")),
                        q=(args.get("q") or "").strip()[:100])


def filter_args(filters: EventFilters) -> dict[str, str]:
    """The filters as query-string arguments (for links: pagination, the feed)."""
    out = {"capacity": filters.capacity, "format": filters.format, "territory": filters.territory,
           "from": filters.date_from.isoformat() if filters.date_from else None,
           "to": filters.date_to.isoformat() if filters.date_to else None,
           "organization": filters.organization, "q": filters.q or None}
    return {k: str(v) for k, v in out.items() if v}


# -- the event form --------------------------------------------------------------------------------

@dataclass
class EventForm:
    """The event form as its manager typed it (times as wall-clock text in ``time_zone``)."""

    # what
    title: str = ""
    url: str = ""
    format: str = ""
    # where
    territory_id: int | None = None
    location: str = ""
    # when
    start: str = ""
    end: str = ""
    time_zone: str = "UTC"
    # about
    capacities: list[int] = field(default_factory=list)
    description: str = ""
    image: str = ""


def event_form(stored: EventDetails | None = None) -> EventForm:
    """The form showing an event as stored (times in its own zone), or an empty one."""
    if stored is None:
        return EventForm()
    return EventForm(
        title=stored.title, url=stored.url,
        start=to_local(stored.start_at, stored.time_zone).strftime(DATETIME_FORMAT),
        end=to_local(stored.end_at, stored.time_zone).strftime(DATETIME_FORMAT),
        time_zone=stored.time_zone, format=stored.format, location=stored.location,
        territory_id=stored.territory_id, capacities=list(stored.capacities), description=stored.description,
        image=stored.image_file or "")


def _too_long(limit: int) -> LazyMessage:
    return lazy_msg("organization-error-too-long", limit)


def read_event(data: MultiDict[str, str], chain: Sequence[str]) -> Checked[EventDetails]:
    """The submitted event, checked (territory and capacities against those that exist, named in
    the language ``chain``)."""
    def text(key: str) -> str:
        return (data.get(key) or "").strip()

    errors = FormErrors()
    form = EventForm(title=text("title"), url=text("url"), start=text("start"), end=text("end"),
                     time_zone=text("time_zone") or "UTC", format=text("format"), location=text("location"),
                     # A line break is one character, as the form's counter shows it (browsers send CR LF).
                     description=(data.get("description") or "").replace("\r\n", "\n").strip(), image=text("image"))
    if not form.title:
        errors.add("title", lazy_msg("event-error-required"))
    elif len(form.title) > TITLE_MAX:
        errors.add("title", _too_long(TITLE_MAX))
    if not form.url:
        errors.add("url", lazy_msg("event-error-required"))
    elif not is_web_url(form.url):
        errors.add("url", lazy_msg("organization-error-url"))
    if form.time_zone not in time_zones():
        errors.add("time_zone", lazy_msg("organization-error-invalid-choice"))
        form.time_zone = "UTC"
    start_at, end_at = _when(form, errors)
    if form.format not in EVENT_FORMATS:
        errors.add("format", lazy_msg("event-error-required"))
    if len(form.location) > LOCATION_MAX:
        errors.add("location", _too_long(LOCATION_MAX))
    form.territory_id = _territory(text("territory_id"), chain, errors)
    capacity_ids = {c.value for c in choices.choices("capacity", chain)}
    form.capacities = [i for i in int_list(data.getlist("capacity")) if i in capacity_ids]
    if len(form.description) > DESCRIPTION_MAX:
        errors.add("description", _too_long(DESCRIPTION_MAX))
    image_file = normalize_commons_file(form.image) if form.image else None
    if form.image and image_file is None:
        errors.add("image", lazy_msg("organization-error-commons-file"))
    if errors or start_at is None or end_at is None:
        return Checked(None, errors, form)
    details = EventDetails(title=form.title, url=form.url, start_at=start_at, end_at=end_at, time_zone=form.time_zone,
                           format=form.format, location=form.location, territory_id=form.territory_id,
                           capacities=form.capacities, description=form.description, image_file=image_file)
    return Checked(details, errors, form)


def _when(form: EventForm, errors: FormErrors) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Start and end in naive UTC, from wall-clock times in the form's zone (None where unreadable,
    or both when the zone is unknown); the end may not come before the start."""
    times: dict[str, dt.datetime] = {}
    for key, raw in (("start", form.start), ("end", form.end)):
        if not raw:
            errors.add(key, lazy_msg("event-error-required"))
            continue
        try:
            local = dt.datetime.strptime(raw[:16], DATETIME_FORMAT)
        except ValueError:
            errors.add(key, lazy_msg("event-error-datetime"))
            continue
        if "time_zone" not in errors:
            times[key] = to_utc(local, form.time_zone)
    start_at, end_at = times.get("start"), times.get("end")
    if start_at and end_at and end_at < start_at:
        errors.add("end", lazy_msg("event-error-end-before-start"))
    return start_at, end_at


def _territory(raw: str, chain: Sequence[str], errors: FormErrors) -> int | None:
    if not raw:
        return None
    valid = choices.valid_ids("territory", [parse_id(raw) or 0], chain)
    if not valid:
        errors.add("territory_id", lazy_msg("organization-error-invalid-choice"))
        return None
    return valid[0]


# -- featured events -------------------------------------------------------------------------------

def read_featured(data: MultiDict[str, str], events: Sequence[Event]) -> Checked[list[int]]:
    """The events chosen to feature (in the order given), among the organization's ``events``;
    ``form`` is the ticked ids, shown again after an error."""
    chosen = int_list(data.getlist("featured"))
    if not may_feature(events, chosen):
        errors = FormErrors()
        errors.add("featured", lazy_msg("event-featured-too-many", MAX_FEATURED))
        return Checked(None, errors, chosen)
    return Checked(chosen, FormErrors(), chosen)
