"""Events, bug reports and message logs, streamed in batches.

Events keep their old ids, Wikidata items and OpenStreetMap places; an event without an end
ends when it begins (``mapping.event_end``). An event of a WikiLearn course whose image is the
course's picture on WikiLearn gets a pending copy of it (``EventCourseImage`` without bytes: the
refresh-courses job copies it); any other image outside Commons is left out (``third-party-image``).
Bug reports keep their type and status (mapped), and a request for a new capacity becomes a
capacity suggestion in the directory's moderation queue.
Message logs never held the text; their recipient is linked to a CapX account when it is one.
"""

from __future__ import annotations

from typing import Any


from capx.models import BugReport, CapacitySuggestion, Event, EventCapacity, EventCourseImage, MessageLog
from capx.services.course_images import picture_url
from capx.services.event_fill import course_key_of
from capx.services.importer.context import ImportContext
from capx.services.importer.mapping import (bug_status, bug_type, commons_file, event_end, event_format,
                                            message_log, openstreetmap_id, suggestion_status, wikidata_qid)
from capx.services.importer.reader import Row
from capx.services.importer.records import insert_all
from capx.services.importer.report import IMPORTED
from capx.services.importer.schema import parse_datetime


def write_events(ctx: ImportContext, batch: list[Row]) -> None:
    """``events.events`` at their old ids, with the capacities they are about."""
    model = "events.events"
    rows = batch
    events: list[dict[str, Any]] = []
    capacities: list[dict[str, Any]] = []
    pictures: list[dict[str, Any]] = []
    wikilearn = ctx.options.wikilearn_url
    for row in rows:
        f = row.fields
        begin = parse_datetime(f["time_begin"])
        end = parse_datetime(f["time_end"]) if f["time_end"] else None
        if end is None or end < begin:
            ctx.report.note("mapped", model, row.pk, "no end (or an end before the beginning): ends when it begins")
        image = commons_file(f["image_url"])
        course_picture = (picture_url(f["image_url"], wikilearn) if f["image_url"] and not image
                          and course_key_of(f["url"] or "", wikilearn) else None)
        if course_picture:
            pictures.append({"event_id": row.pk, "source_url": course_picture})
        elif f["image_url"] and not image:
            ctx.report.skip_field(model, row.pk, "image_url", "third-party-image", f["image_url"])
        osm = openstreetmap_id(f["openstreetmap_id"])
        if f["openstreetmap_id"] and osm is None:
            ctx.report.skip_field(model, row.pk, "openstreetmap_id", "no-equivalent", f["openstreetmap_id"])
        qid = wikidata_qid(f["wikidata_qid"])
        if (f["wikidata_qid"] or "").strip() and qid is None:
            ctx.report.skip_field(model, row.pk, "wikidata_qid", "no-equivalent", f["wikidata_qid"])
        events.append({
            "id": row.pk, "organization_id": ctx.organizations[f["organization"]],
            "title": ctx.fit(f["name"], 200, model, row.pk, "name"),
            "url": ctx.fit(f["url"] or "", 500, model, row.pk, "url"),
            "start_at": begin, "end_at": event_end(begin, end), "time_zone": "UTC",
            "format": event_format(f["type_of_location"]), "location": None, "territory_id": None,
            "description": f["description"] or None, "image_file": image[:255] if image else None,
            "wikidata_qid": qid, "openstreetmap_id": osm, "featured_position": ctx.featured_events.get(row.pk),
            "created_by_id": ctx.users.get(f["creator"][0]) if f["creator"] else None, "version": 1,
            "created_at": parse_datetime(f["created_at"]), "updated_at": parse_datetime(f["updated_at"])})
        capacities += [{"event_id": row.pk, "capacity_id": c}
                       for c in dict.fromkeys(ctx.capacities[s] for s in f["related_skills"])]
        ctx.report.count(model, IMPORTED)
    insert_all(Event, events)
    insert_all(EventCapacity, capacities)
    insert_all(EventCourseImage, pictures)


def write_bugs(ctx: ImportContext, batch: list[Row]) -> None:
    """``bugs.bug``: reports for the CapX team, or capacity suggestions for ``new_capacity``."""
    model = "bugs.bug"
    rows = batch
    reports: list[dict[str, Any]] = []
    suggestions: list[dict[str, Any]] = []
    for row in rows:
        f = row.fields
        user_id = ctx.users[f["user"][0]]
        created, updated = parse_datetime(f["created_at"]), parse_datetime(f["updated_at"])
        title = ctx.fit(f["title"], 200, model, row.pk, "title") or ""
        kind = bug_type(f["bug_type"])
        if kind is None:
            new_id = ctx.new_id("capacity_suggestion")
            suggestions.append({"id": new_id, "user_id": user_id, "title": title, "description": f["description"],
                                "reason": None, "suggested_parent_id": None, "status": suggestion_status(f["status"]),
                                "decided_by_id": None, "decided_at": updated if f["status"] == "done" else None,
                                "note": None, "capacity_id": None, "created_at": created})
        else:
            new_id = ctx.new_id("bug_report")
            reports.append({"id": new_id, "reporter_id": user_id, "title": title, "description": f["description"],
                            "type": kind, "status": bug_status(f["status"]), "staff_reply": None,
                            "triaged_by_id": None, "created_at": created, "updated_at": updated})
        ctx.report.count(model, IMPORTED)
    insert_all(BugReport, reports)
    insert_all(CapacitySuggestion, suggestions)


def write_messages(ctx: ImportContext, batch: list[Row]) -> None:
    """``message.message``: the log of a message (the old platform never stored the text either)."""
    model = "message.message"
    rows = batch
    values: list[dict[str, Any]] = []
    for row in rows:
        f = row.fields
        method, status, code = message_log(f["method"], f["status"], f["error_message"])
        if code in ("other", "never-sent") or (f["error_message"] and code is None):
            ctx.report.note("mapped", model, row.pk, f"{f['status']} message, {f['error_message']!r}: logged as "
                            f"{status} by {method}{f' ({code})' if code else ''}")
        receiver = f["receiver"].strip()
        new_id = ctx.new_id("message_log")
        values.append({"id": new_id, "sender_id": ctx.users[f["sender"][0]],
                       "recipient_username": ctx.fit(receiver, 255, model, row.pk, "receiver"),
                       "recipient_id": ctx.users.get(receiver), "method": method, "status": status,
                       "error_code": code, "talk_page_url": None, "created_at": parse_datetime(f["date"])})
        ctx.report.count(model, IMPORTED)
    insert_all(MessageLog, values)
