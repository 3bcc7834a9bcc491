"""iCalendar (RFC 5545) output for events: one event or a feed people subscribe to.

Written by hand, following the RFC: CRLF line endings, content lines folded at 75 octets (never
inside a UTF-8 sequence), TEXT values escaped (backslash, semicolon, comma, newline), DTSTART and
DTEND in UTC with the ``Z`` suffix, a stable UID per event and a DTSTAMP.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from capx.models import Event, utcnow

PRODID = "-//Wikimedia Capacity Exchange//CapX Events//EN"


def escape_text(value: str) -> str:
    """A TEXT property value escaped per RFC 5545 §3.3.11."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def fold_line(line: str) -> str:
    """Fold a content line so no physical line exceeds 75 octets (§3.1)."""
    out: list[str] = []
    current = b""
    limit = 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b" "
            limit = 75
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n".join(out)


def utc_stamp(value: dt.datetime) -> str:
    """A naive UTC datetime as ``YYYYMMDDTHHMMSSZ``."""
    return value.strftime("%Y%m%dT%H%M%SZ")


def event_lines(event: Event, url: str, host: str, organization_name: str, now: dt.datetime) -> list[str]:
    """The VEVENT component of one event (unfolded content lines)."""
    description = "\n\n".join(x for x in (organization_name, event.description or "", url) if x)
    lines = [
        "BEGIN:VEVENT",
        f"UID:event-{event.id}@{host}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(event.start_at)}",
        f"DTEND:{utc_stamp(event.end_at)}",
        f"SUMMARY:{escape_text(event.title)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{event.url}",
        f"LAST-MODIFIED:{utc_stamp(event.updated_at or now)}",
        f"SEQUENCE:{max(0, (event.version or 1) - 1)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    lines.append(f"CATEGORIES:{escape_text(event.format)}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[tuple[Event, str, str]], host: str, name: str, now: dt.datetime | None = None) -> str:
    """A VCALENDAR with one VEVENT per (event, its page URL, its organization's name)."""
    now = now or utcnow()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}"]
    for event, url, org_name in events:
        lines.extend(event_lines(event, url, host, org_name, now))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
