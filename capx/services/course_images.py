"""The pictures of the WikiLearn courses events use: CapX's own copies, never links to learn.wiki.

An event filled in from a WikiLearn course may use the course's picture (the organizer's
"Use the course's picture" box). Pages load pictures only from Commons, so CapX keeps a size-capped,
checked copy (:class:`~capx.models.EventCourseImage`) and serves it itself:

- :func:`picture_url` is the one rule for the addresses accepted: https on the configured
  WikiLearn's host, nothing else (no other host, no credentials, no ``javascript:``);
- :func:`use_picture` records the organizer's choice when an event is saved (a new address is a
  pending copy: no bytes yet), or erases the copy when the box is unticked;
- :func:`copy_pending` copies a pending picture right after the save (the event is committed
  first, so a failed copy never loses it) and :func:`copy_all_pending` retries the pending ones in
  the refresh-courses job;
- :func:`follow_course` is the job's rule for a course whose picture changed: the copy is replaced
  only while the event still uses the picture fetched last time (what the organizer chose stays).

An event's Commons image, when it has one, is shown instead of the copy (the copy is kept, so
clearing the Commons file brings the course's picture back). Functions flush only; the caller
commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlsplit

import sqlalchemy as sa

from capx.clients.http import RemoteServiceError
from capx.clients.wikilearn import WikiLearnClient
from capx.extensions import db
from capx.models import MAX_COURSE_IMAGE_BYTES, Event, EventCourseImage, utcnow

log = logging.getLogger(__name__)

#: The longest picture address kept (the column's size).
URL_MAX = 500


def picture_url(value: Any, base_url: str) -> str | None:
    """``value`` when it is an https address on WikiLearn's host (that of ``base_url``): no user
    name or password, no other port, no spaces or control characters, at most 500 characters; else
    None."""
    if not isinstance(value, str) or not value or len(value) > URL_MAX:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None
    try:
        parts, base = urlsplit(value), urlsplit(base_url)
        same_port = parts.port == base.port
    except ValueError:  # a port that is not a number
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.password or not same_port:
        return None
    return value if host and host == (base.hostname or "").lower() else None


def use_picture(event: Event, url: str | None) -> None:
    """The event uses the course picture at ``url`` (checked by :func:`picture_url`): a new address
    starts a pending copy, the same one keeps the copy; None erases the copy."""
    row = event.course_image
    if url is None:
        event.course_image = None
    elif row is None:
        event.course_image = EventCourseImage(source_url=url)
    elif row.source_url != url:
        row.source_url, row.content_type, row.data, row.fetched_at = url, None, None, None


@dataclass(frozen=True)
class PictureCopy:
    """One copy attempted: ``error`` says why it failed (the copy then stays as it was)."""

    event_id: int
    error: str | None = None


def _copy(row: EventCourseImage, url: str, client: WikiLearnClient) -> str | None:
    """Copy the picture at ``url`` into ``row`` (flushed): None when copied, else why not (logged;
    ``row`` is left as it was)."""
    if picture_url(url, client.base_url) is None:
        log.warning("picture of event %s (%s) not copied: not on WikiLearn", row.event_id, url)
        return "host"
    try:
        image = client.course_picture(url, MAX_COURSE_IMAGE_BYTES)
    except RemoteServiceError as exc:
        log.warning("picture of event %s (%s) not copied: %s (%s)", row.event_id, url, exc, exc.code)
        return exc.code
    row.source_url, row.content_type, row.data, row.fetched_at = url, image.content_type, image.data, utcnow()
    db.session.flush()
    return None


def copy_pending(event_id: int, client: WikiLearnClient) -> PictureCopy | None:
    """Copy the event's course picture when its copy is pending; None when there is nothing to copy."""
    row = db.session.get(EventCourseImage, event_id)
    if row is None or row.copied:
        return None
    return PictureCopy(event_id, _copy(row, row.source_url, client))


def stored_copy(event_id: int) -> tuple[str, bytes] | None:
    """The type and bytes of the event's copied course picture; None when there is none (yet)."""
    row = db.session.get(EventCourseImage, event_id)
    if row is None or row.content_type is None or row.data is None:
        return None
    return row.content_type, row.data


def copy_all_pending(client: WikiLearnClient) -> Iterator[PictureCopy]:
    """Copy every pending course picture, one event at a time (flushed; the caller commits after
    each). A picture that cannot be copied stays pending for the next run."""
    ids = list(db.session.scalars(sa.select(EventCourseImage.event_id).where(EventCourseImage.content_type.is_(None))
                                  .order_by(EventCourseImage.event_id)))
    for event_id in ids:
        done = copy_pending(event_id, client)
        if done is not None:
            yield done


@dataclass(frozen=True)
class PictureFollow:
    """What the refresh job did with an event's picture: the course picture's address to record as
    fetched, whether the event's picture changed, and why a new copy failed."""

    recorded: str
    changed: bool = False
    error: str | None = None


def follow_course(event: Event, new_url: str, last_url: str | None, client: WikiLearnClient) -> PictureFollow:
    """The refresh job's rule for the course's picture, now ``new_url`` ("" when it has none) and
    ``last_url`` when last fetched (None: never recorded). The event's picture follows the course
    only while it is still the one fetched last time. A new copy that fails keeps the earlier one
    and records ``last_url`` again, so that the next run tries again."""
    row = event.course_image
    if last_url is None or new_url == last_url or row is None or row.source_url != last_url:
        return PictureFollow(new_url)
    if not new_url:  # the course has no picture any more
        event.course_image = None
    elif not row.copied:
        row.source_url = new_url  # still pending: copy_all_pending copies it
    else:
        error = _copy(row, new_url, client)
        if error:
            return PictureFollow(last_url, error=error)
    event.updated_at = utcnow()  # an edit form opened before learns that the picture changed meanwhile
    db.session.flush()
    return PictureFollow(new_url, changed=True)
