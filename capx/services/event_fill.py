"""Events filled in from a link, and events that follow a WikiLearn course.

:func:`fetch_fill` reads what a link says about an event — a Wikidata item, a Meta-Wiki
CampaignEvents registration, a Meta-Wiki Event: page or a WikiLearn course — and returns it as the
event form's values (:class:`EventFill`); nothing is stored: the organizer reviews the form and
saves it. Every text from a remote service is cleaned (HTML removed, one line where the form has
one, cut to the form's limits); impossible dates are left out.

:func:`refresh_courses` is the ``refresh-courses`` job: it re-reads the course of every event that
links to one, and overwrites a field only while it still holds the value last fetched for it, so
what an organizer wrote themselves stays. A course's picture is never linked: the form carries its
address and CapX keeps its own copy (:mod:`capx.services.course_images`), under the same rule.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from markupsafe import Markup

from capx.clients.http import RemoteServiceError
from capx.clients.meta_wiki import MetaWikiClient
from capx.clients.wikidata_entities import WikidataEntitiesClient
from capx.clients.wikilearn import COURSE_KEY, WikiLearnClient
from capx.extensions import db
from capx.models import Event, EventCourseFetch, Territory, utcnow
from capx.services import course_images
from capx.services.events import DATETIME_FORMAT, time_zones
from capx.translations import LazyMessage, lazy_msg

TITLE_MAX, LOCATION_MAX, DESCRIPTION_MAX, URL_MAX = 200, 300, 5000, 500
META_URL = "https://meta.wikimedia.org"
WIKIDATA_URL = "https://www.wikidata.org"
#: Where a remote service's name comes from in the "could not be reached" message.
SERVICE_NAMES = {"wikidata": "Wikidata", "registration": "Meta-Wiki", "meta-page": "Meta-Wiki",
                 "wikilearn": "WikiLearn"}


@dataclass(frozen=True)
class FillSource:
    """What a link points at: ``kind`` ("wikidata", "registration", "meta-page", "wikilearn") and
    ``ref`` (a Q-id, a registration id, a page title, a course key)."""

    kind: str
    ref: str


@dataclass
class EventFill:
    """The event form's values a link gives (empty where it gives nothing), and notes for the
    organizer (what was assumed or left out)."""

    title: str = ""
    url: str = ""
    description: str = ""
    start: str = ""  # wall-clock time in time_zone, as the form writes it (DATETIME_FORMAT)
    end: str = ""
    time_zone: str = ""
    format: str = ""
    location: str = ""
    territory_id: int | None = None
    image_url: str = ""  # a WikiLearn course's picture (copied by CapX when the event is saved)
    notes: list[LazyMessage] = field(default_factory=list)

    def values(self) -> dict[str, str]:
        """The non-empty values by form field name."""
        out = {"title": self.title, "url": self.url, "description": self.description, "start": self.start,
               "end": self.end, "time_zone": self.time_zone, "format": self.format, "location": self.location,
               "territory_id": str(self.territory_id) if self.territory_id else "",
               "course_image": self.image_url, "use_course_image": "1" if self.image_url else ""}
        return {key: value for key, value in out.items() if value}


class FillError(Exception):
    """The link could not be read: ``message`` says why, for the organizer."""

    def __init__(self, message: LazyMessage) -> None:
        super().__init__(str(message.key))
        self.message = message


# -- cleaning what a remote service says ------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def clean_line(value: Any, limit: int) -> str:
    """One line of plain text: tags removed, entities decoded, spaces collapsed, cut to ``limit``."""
    if not isinstance(value, str):
        return ""
    # striptags returns plain text (tags removed, entities decoded, whitespace collapsed), escaped again on display.
    text = Markup(_CONTROL.sub(" ", value)).striptags()  # nosec B704 # the result is a plain str, never rendered as markup
    return text[:limit].strip()


def clean_text(value: Any, limit: int) -> str:
    """Plain text that may keep its paragraphs: tags removed, entities decoded, cut to ``limit``."""
    if not isinstance(value, str):
        return ""
    paragraphs = re.split(r"\n\s*\n|</p>|<br\s*/?>", value, flags=re.IGNORECASE)
    kept = [clean_line(p, limit) for p in paragraphs]
    return "\n\n".join(p for p in kept if p)[:limit].strip()


def web_url(value: Any) -> str:
    """``value`` when it is an http(s) address with a host (no spaces, not too long), else ""."""
    if not isinstance(value, str) or len(value) > URL_MAX or any(ch.isspace() for ch in value):
        return ""
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and "." in (parts.hostname or "") else ""


def _object(value: Any) -> dict[str, Any]:
    """``value`` when the remote service wrote an object there, else an empty one."""
    return value if isinstance(value, dict) else {}


def _wall_clock(value: dt.datetime) -> str:
    return value.strftime(DATETIME_FORMAT)


def _territory_for_iso2(code: Any) -> int | None:
    if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z]{2}", code):
        return None
    return db.session.scalar(sa.select(Territory.id).where(Territory.iso2 == code.upper(),
                                                           Territory.parent_id.is_not(None)))


# -- Wikidata ---------------------------------------------------------------------------------------

def _best_claims(entity: dict[str, Any], prop: str) -> list[dict[str, Any]]:
    """The values of ``prop``'s statements (preferred ones when there are any; never deprecated)."""
    statements = [s for s in (entity.get("claims") or {}).get(prop) or []
                  if isinstance(s, dict) and s.get("rank") != "deprecated"]
    preferred = [s for s in statements if s.get("rank") == "preferred"]
    values = []
    for statement in preferred or statements:
        snak = statement.get("mainsnak") or {}
        if snak.get("snaktype") == "value" and isinstance(snak.get("datavalue"), dict):
            values.append(snak["datavalue"])
    return values


def _first_item(entity: dict[str, Any], prop: str) -> str | None:
    for value in _best_claims(entity, prop):
        item = (value.get("value") or {}).get("id") if isinstance(value.get("value"), dict) else None
        if isinstance(item, str) and re.fullmatch(r"Q[1-9][0-9]{0,11}", item):
            return item
    return None


def _first_string(entity: dict[str, Any], prop: str) -> str | None:
    for value in _best_claims(entity, prop):
        if isinstance(value.get("value"), str):
            return value["value"]
    return None


_WIKIBASE_TIME = re.compile(r"\+(\d{4})-(\d{2})-(\d{2})T")


def _first_day(entity: dict[str, Any], prop: str) -> dt.date | None:
    """The day of ``prop``'s time value; None when it is less precise than a day or impossible."""
    for value in _best_claims(entity, prop):
        time = _object(value.get("value"))
        match = _WIKIBASE_TIME.match(str(time.get("time", "")))
        if not match or time.get("precision") != 11:
            continue
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def _term(entity: dict[str, Any], kind: str, chain: Sequence[str]) -> str:
    terms = entity.get(kind) or {}
    for lang in (*chain, "en"):
        term = terms.get(lang)
        if isinstance(term, dict) and isinstance(term.get("value"), str):
            return term["value"]
    return ""


def _from_wikidata(qid: str, client: WikidataEntitiesClient, chain: Sequence[str]) -> EventFill:
    languages = [*chain, "en"]
    entity = client.entities([qid], "labels|descriptions|claims", languages).get(qid)
    if entity is None:
        raise FillError(lazy_msg("event-fill-error-not-found"))
    fill = EventFill(title=clean_line(_term(entity, "labels", chain), TITLE_MAX),
                     description=clean_text(_term(entity, "descriptions", chain), DESCRIPTION_MAX))
    fill.url = web_url(_first_string(entity, "P856")) or f"{WIKIDATA_URL}/wiki/{qid}"
    start = _first_day(entity, "P580") or _first_day(entity, "P585")
    end = _first_day(entity, "P582") or (_first_day(entity, "P585") if not _first_day(entity, "P580") else None)
    if start:
        end = end if end and end >= start else start
        fill.start = _wall_clock(dt.datetime.combine(start, dt.time(0, 0)))
        fill.end = _wall_clock(dt.datetime.combine(end, dt.time(23, 59)))
        fill.time_zone = "UTC"
        fill.notes.append(lazy_msg("event-fill-all-day"))
    place, country = _first_item(entity, "P276"), _first_item(entity, "P17")
    related = client.entities([q for q in (place, country) if q], "labels|claims", languages) if place or country else {}
    if place and place in related:
        fill.location = clean_line(_term(related[place], "labels", chain), LOCATION_MAX)
    if country and country in related:
        fill.territory_id = _territory_for_iso2(_first_string(related[country], "P297"))
    return fill


# -- Meta-Wiki ----------------------------------------------------------------------------------

def _mediawiki_time(value: Any) -> dt.datetime | None:
    """A 14-digit MediaWiki timestamp; None when malformed or impossible."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{14}", value):
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def page_url(title: str) -> str:
    """The Meta-Wiki address of a page."""
    return f"{META_URL}/wiki/{quote(title.replace(' ', '_'), safe=':/')}"


def _from_registration(event_id: str, client: MetaWikiClient) -> EventFill:
    data = client.event_registration(int(event_id))
    fill = EventFill(title=clean_line(data.get("name"), TITLE_MAX))
    page = clean_line(data.get("event_page"), 255)
    fill.url = (page_url(page) if page and data.get("event_page_wiki") in (None, "metawiki")
                else f"{META_URL}/wiki/Special:EventDetails/{int(event_id)}")
    zone = data.get("timezone")
    start, end = _mediawiki_time(data.get("start_time")), _mediawiki_time(data.get("end_time"))
    if isinstance(zone, str) and zone in time_zones() and start and end and end >= start:
        # The registration's times are wall-clock times in the event's own zone.
        fill.start, fill.end, fill.time_zone = _wall_clock(start), _wall_clock(end), zone
    online, in_person = data.get("online_meeting") is True, data.get("inperson_meeting") is True
    fill.format = "hybrid" if online and in_person else "online" if online else "in-person" if in_person else ""
    fill.location = clean_line(str(data.get("meeting_address") or "").replace("\n", ", "), LOCATION_MAX)
    fill.territory_id = _territory_for_iso2(data.get("meeting_country_code"))
    return fill


def _from_meta_page(title: str, client: MetaWikiClient) -> EventFill:
    found = client.page_title(title)
    if found is None:
        raise FillError(lazy_msg("event-fill-error-not-found"))
    name = found.split(":", 1)[1] if found.startswith("Event:") else found
    return EventFill(title=clean_line(name, TITLE_MAX), url=page_url(found))


# -- WikiLearn -----------------------------------------------------------------------------------

def _iso_utc(value: Any) -> dt.datetime | None:
    """An ISO 8601 time with its zone as naive UTC (None when malformed, impossible or zoneless)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Course:
    """What CapX takes from a WikiLearn course (times in naive UTC)."""

    title: str
    description: str
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    image_url: str  # the course's picture on WikiLearn ("" when it has none, or one elsewhere)

    def fetched(self) -> dict[str, str]:
        """The values the refresh job compares with the event's (JSON-friendly)."""
        return {"title": self.title, "description": self.description,
                "start_at": self.start_at.isoformat() if self.start_at else "",
                "end_at": self.end_at.isoformat() if self.end_at else "", "image": self.image_url}


def _course_picture(media: dict[str, Any], base_url: str) -> str:
    """The course's picture: ``media.image.raw`` (absolute), else ``media.course_image.uri`` (a path
    on the site); "" unless it is an https address on WikiLearn itself."""
    raw = _object(media.get("image")).get("raw")
    uri = _object(media.get("course_image")).get("uri")
    if not raw and isinstance(uri, str) and uri.startswith("/") and not uri.startswith("//"):
        raw = base_url + uri
    return course_images.picture_url(raw, base_url) or ""


def read_course(course_key: str, client: WikiLearnClient) -> Course:
    """The course's name, short description, dates and picture's address, cleaned."""
    data = client.course(course_key)
    start, end = _iso_utc(data.get("start")), _iso_utc(data.get("end"))
    return Course(title=clean_line(data.get("name"), TITLE_MAX),
                  description=clean_text(data.get("short_description"), DESCRIPTION_MAX),
                  start_at=start, end_at=end if end and start and end >= start else None,
                  image_url=_course_picture(_object(data.get("media")), client.base_url))


def _from_course(course_key: str, client: WikiLearnClient) -> EventFill:
    course = read_course(course_key, client)
    fill = EventFill(title=course.title, description=course.description, url=client.course_url(course_key),
                     format="online", image_url=course.image_url)
    if course.start_at:
        fill.start, fill.time_zone = _wall_clock(course.start_at), "UTC"
        fill.end = _wall_clock(course.end_at) if course.end_at else ""
    return fill


# -- the one entry point ----------------------------------------------------------------------------

@dataclass
class FillClients:
    """The clients :func:`fetch_fill` may call (built by the caller, with a short timeout)."""

    wikidata: WikidataEntitiesClient
    meta: MetaWikiClient
    wikilearn: WikiLearnClient


def fetch_fill(source: FillSource, clients: FillClients, chain: Sequence[str]) -> EventFill:
    """What ``source`` says about an event, as form values; raises :class:`FillError` when the link
    cannot be read (not found, the service down or answering nonsense)."""
    try:
        if source.kind == "wikidata":
            fill = _from_wikidata(source.ref, clients.wikidata, chain)
        elif source.kind == "registration":
            fill = _from_registration(source.ref, clients.meta)
        elif source.kind == "meta-page":
            fill = _from_meta_page(source.ref, clients.meta)
        else:
            fill = _from_course(source.ref, clients.wikilearn)
    except RemoteServiceError as exc:
        if exc.code in ("http-404", "missingtitle", "no-such-entity"):
            raise FillError(lazy_msg("event-fill-error-not-found")) from exc
        raise FillError(lazy_msg("event-fill-error-unavailable", SERVICE_NAMES[source.kind])) from exc
    if not fill.values():
        raise FillError(lazy_msg("event-fill-error-nothing"))
    return fill


# -- the refresh-courses job --------------------------------------------------------------------------

def course_key_of(url: str, base_url: str) -> str | None:
    """The course key of an address on WikiLearn (``base_url``), else None."""
    if not url.startswith(base_url.rstrip("/") + "/"):
        return None
    match = COURSE_KEY.search(url)
    return match[0] if match else None


@dataclass(frozen=True)
class CourseRefresh:
    """One event's refresh: the fields changed, or the error that kept everything as it was."""

    event_id: int
    course_key: str
    changed: tuple[str, ...] = ()
    error: str | None = None
    image_error: str | None = None  # the course's new picture could not be copied (the earlier copy stays)


def _stored(event: Event) -> dict[str, str]:
    return {"title": event.title, "description": event.description or "",
            "start_at": event.start_at.isoformat(), "end_at": event.end_at.isoformat()}


def _apply(event: Event, course: Course, last: dict[str, str] | None) -> tuple[str, ...]:
    """Overwrite each field that still holds the value last fetched (none on the first fetch)."""
    if last is None:
        return ()
    new, stored, changed = course.fetched(), _stored(event), []
    for key in ("title", "description", "start_at", "end_at"):
        if new[key] and new[key] != last.get(key) and stored[key] == last.get(key):
            changed.append(key)
    if not changed:
        return ()
    if "title" in changed:
        event.title = course.title
    if "description" in changed:
        event.description = course.description or None
    if "start_at" in changed and course.start_at:
        event.start_at = course.start_at
    if "end_at" in changed and course.end_at:
        event.end_at = course.end_at
    if event.end_at < event.start_at:  # a moved start may pass a kept end: keep the event possible
        event.end_at = event.start_at
    event.updated_at = utcnow()
    return tuple(changed)


def refresh_courses(client: WikiLearnClient, base_url: str) -> Iterator[CourseRefresh]:
    """Re-read the course of every event linking to one on WikiLearn, one event at a time (flushed;
    the caller commits after each). The first fetch of an event only records the course's values;
    later fetches overwrite a field (the picture too) only while the event still holds the value
    fetched last time. A course that cannot be read leaves its event and the recorded values
    untouched. Pending picture copies are the caller's next step
    (:func:`capx.services.course_images.copy_all_pending`)."""
    prefix = base_url.rstrip("/") + "/courses/"
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    ids = list(db.session.scalars(sa.select(Event.id).where(Event.url.like(escaped + "%", escape="\\"))
                                  .order_by(Event.id)))
    for event_id in ids:
        event = db.session.get(Event, event_id)
        key = course_key_of(event.url, base_url) if event else None
        if event is None or key is None:
            continue
        try:
            course = read_course(key, client)
        except RemoteServiceError as exc:
            yield CourseRefresh(event_id, key, error=exc.code)
            continue
        record = db.session.get(EventCourseFetch, event_id)
        last = json.loads(record.fetched) if record and record.course_key == key else None
        changed = _apply(event, course, last)
        # Recorded before this job knew pictures: the picture's first fetch.
        picture = course_images.follow_course(event, course.image_url, last.get("image") if last else None, client)
        if record is None:
            record = EventCourseFetch(event_id=event_id)
            db.session.add(record)
        fetched = {**course.fetched(), "image": picture.recorded}
        record.course_key, record.fetched, record.fetched_at = key, json.dumps(fetched), utcnow()
        db.session.flush()
        yield CourseRefresh(event_id, key, changed + (("image",) if picture.changed else ()), image_error=picture.error)

