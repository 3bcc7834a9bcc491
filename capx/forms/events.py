"""The event forms: the calendar's filters, the event form, and the choice of featured events.

:func:`read_event` checks a submitted event and returns a :class:`~capx.forms.errors.Checked`: the
service's :class:`~capx.services.events.EventDetails` (times converted to UTC from the zone they
were entered in) when everything is valid, the errors per field, and an :class:`EventForm` with
everything as typed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from werkzeug.datastructures import MultiDict

from capx.forms.addresses import is_web_url
from capx.forms.errors import Checked, FormErrors
from capx.models import EVENT_FORMATS, Event
from capx.services import choices, course_images
from capx.services.event_fill import COURSE_KEY as WIKILEARN_COURSE
from capx.services.event_fill import EventFill, FillSource
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
    "course_image": lazy_msg("event-field-course-image"),
}
#: The most of a refused picture address shown again in the form.
COURSE_IMAGE_KEPT = 2000


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
    # The WikiLearn course's picture (a hidden field a fill sets) and whether the event uses it.
    course_image: str = ""
    use_course_image: bool = False


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
        image=stored.image_file or "", course_image=stored.course_image_url or "",
        use_course_image=bool(stored.course_image_url))


def _too_long(limit: int) -> LazyMessage:
    return lazy_msg("organization-error-too-long", limit)


def read_event(data: MultiDict[str, str], chain: Sequence[str], wikilearn_url: str) -> Checked[EventDetails]:
    """The submitted event, checked (territory and capacities against those that exist, named in
    the language ``chain``; a course picture only on WikiLearn, at ``wikilearn_url``)."""
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
    course_image_url = _course_image(data, form, wikilearn_url, errors)
    if errors or start_at is None or end_at is None:
        return Checked(None, errors, form)
    details = EventDetails(title=form.title, url=form.url, start_at=start_at, end_at=end_at, time_zone=form.time_zone,
                           format=form.format, location=form.location, territory_id=form.territory_id,
                           capacities=form.capacities, description=form.description, image_file=image_file,
                           course_image_url=course_image_url)
    return Checked(details, errors, form)


def _course_image(data: MultiDict[str, str], form: EventForm, wikilearn_url: str, errors: FormErrors) -> str | None:
    """The course picture the event uses, when its box is ticked: only an https address on
    WikiLearn (anything else is refused and shown again as sent)."""
    form.course_image = (data.get("course_image") or "").strip()[:COURSE_IMAGE_KEPT]
    form.use_course_image = data.get("use_course_image") == "1" and bool(form.course_image)
    if not form.use_course_image:
        return None
    url = course_images.picture_url(form.course_image, wikilearn_url)
    if url is None:
        errors.add("course_image", lazy_msg("event-course-image-error"))
    return url


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


# -- "Fill in from a link" -------------------------------------------------------------------------

FILL_LINK_MAX = 500
_QID = re.compile(r"[Qq]([1-9][0-9]{0,11})")
_WIKIDATA_HOSTS = {"www.wikidata.org", "wikidata.org", "m.wikidata.org"}
_META_HOSTS = {"meta.wikimedia.org", "meta.m.wikimedia.org"}
_WIKILEARN_HOSTS = {"learn.wiki", "www.learn.wiki", "app.learn.wiki", "apps.learn.wiki"}
_REGISTRATION_PAGES = re.compile(r"Special:(?:RegisterForEvent|EventDetails|EditEventRegistration|CancelEventRegistration)"
                                 r"/([1-9][0-9]{0,9})")


def _meta_title(parts: SplitResult) -> str:
    if parts.path.startswith("/wiki/"):
        return unquote(parts.path[len("/wiki/"):]).replace("_", " ").strip()
    return (parse_qs(parts.query).get("title") or [""])[0].replace("_", " ").strip()


def read_fill_link(data: Mapping[str, str]) -> Checked[FillSource]:
    """The "Fill in from a link" field: a Wikidata item (Q-id or address), a Meta-Wiki event
    registration (its number or a Special: page of it), a Meta-Wiki Event: page (title or address)
    or a WikiLearn course address. Anything else (another host, ``javascript:``...) is refused."""
    raw = (data.get("fill_link") or "").strip()
    errors = FormErrors()
    source: FillSource | None = None
    if not raw:
        errors.add("fill_link", lazy_msg("event-fill-error-empty"))
    elif len(raw) > FILL_LINK_MAX or any(ch.isspace() and ch != " " for ch in raw):
        errors.add("fill_link", lazy_msg("event-fill-error-unsupported"))
    elif _QID.fullmatch(raw):
        source = FillSource("wikidata", raw.upper())
    elif raw.isdigit() and len(raw) <= 10 and int(raw) > 0:
        source = FillSource("registration", str(int(raw)))
    elif raw.startswith("Event:") and "://" not in raw and len(raw) > len("Event:"):
        source = FillSource("meta-page", raw)
    else:
        source = _link_source(raw)
        if source is None:
            errors.add("fill_link", lazy_msg("event-fill-error-unsupported"))
    return Checked(source, errors, raw)


def _link_source(raw: str) -> FillSource | None:
    if " " in raw:
        return None
    parts = urlsplit(raw)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or parts.username or parts.password or parts.port:
        return None
    if host in _WIKIDATA_HOSTS:
        match = re.fullmatch(r"/(?:wiki|entity)/(?:Item:)?(Q[1-9][0-9]{0,11})", parts.path)
        return FillSource("wikidata", match[1]) if match else None
    if host in _META_HOSTS:
        title = _meta_title(parts)
        registration = _REGISTRATION_PAGES.fullmatch(title)
        if registration:
            return FillSource("registration", registration[1])
        if title.startswith("Event:") and len(title) > len("Event:") and len(title) <= 255:
            return FillSource("meta-page", title)
        return None
    if host in _WIKILEARN_HOSTS:
        match = WIKILEARN_COURSE.search(unquote(parts.path))
        return FillSource("wikilearn", match[0]) if match else None
    return None


#: The fields "Fill in from a link" may fill, in the form's order (the last two: the course picture).
FILL_FIELDS = ("title", "url", "start", "end", "time_zone", "format", "location", "territory_id", "description",
               "course_image", "use_course_image")
_PICTURE_FIELDS = ("course_image", "use_course_image")
_FILL_LABELS = {**FIELD_LABELS, "territory_id": FIELD_LABELS["territory"]}


@dataclass
class FillResult:
    """What filling did: the fields filled, and those kept as typed with what the link says instead."""

    filled: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (field, the link's value)

    def messages(self, notes: Sequence[LazyMessage]) -> list[LazyMessage]:
        """What the organizer is told (before they review and save)."""
        out = []
        if self.filled:
            out.append(lazy_msg("event-fill-filled", ", ".join(str(_FILL_LABELS[k]) for k in self.filled)))
        for key, value in self.kept:
            out.append(lazy_msg("event-fill-kept", str(_FILL_LABELS[key]), value))
        if not self.filled and not self.kept:
            out.append(lazy_msg("event-fill-error-nothing"))
        return [*out, *notes]


def fill_values(form: EventForm) -> dict[str, str]:
    """The fillable fields' values as the page's inputs hold them."""
    return {key: _typed(form, key) for key in FILL_FIELDS}


def _typed(form: EventForm, key: str) -> str:
    value = getattr(form, key)
    if isinstance(value, bool):
        return "1" if value else ""
    return "" if value is None else str(value)


def apply_fill(form: EventForm, fill: EventFill, labels: Mapping[int, str] | None = None) -> FillResult:
    """Put the link's values into the empty fields of ``form``; a field already typed is kept and
    reported with the link's value (never overwritten unseen). Start, end and time zone go
    together: the zone is filled only with times the link gives for empty start and end fields.
    A course's picture is used (its box ticked) unless the form already uses another one."""
    result = FillResult()
    values = fill.values()
    times_empty = not form.start and not form.end
    for key in FILL_FIELDS[:-len(_PICTURE_FIELDS)]:
        new = values.get(key, "")
        if not new:
            continue
        if key == "time_zone":
            if times_empty and form.time_zone != new:
                form.time_zone = new
                result.filled.append(key)
            elif not times_empty and form.time_zone != new:
                result.kept.append((key, new))
            continue
        old = _typed(form, key)
        if old == new:
            continue
        if old:
            shown = (labels or {}).get(int(new), new) if key == "territory_id" else new
            result.kept.append((key, shown[:200]))
            continue
        setattr(form, key, int(new) if key == "territory_id" else new)
        result.filled.append(key)
    _fill_picture(form, values.get("course_image", ""), result)
    return result


def _fill_picture(form: EventForm, url: str, result: FillResult) -> None:
    if not url or (form.use_course_image and form.course_image == url):
        return
    if form.use_course_image and form.course_image:
        result.kept.append(("course_image", url[:200]))
        return
    form.course_image, form.use_course_image = url, True
    result.filled.append("course_image")


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
