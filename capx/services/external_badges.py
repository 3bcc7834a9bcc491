"""Badges earned elsewhere (WikiLearn, Let's Connect), imported by the badges job.

Each person's accounts (their user name and their alternative account) are looked up at every
source. What a source lists becomes an external :class:`~capx.models.Badge` (one per source and
issuer's key: the name, description and picture as the issuer wrote them) and the person's
:class:`~capx.models.UserBadge` (earned, with the issue date and assertion URL), shown and
choosable like CapX's own badges.

Rules that keep stored data safe:

- only a complete answer (200 with a list, for every account of the person) removes a badge that
  is no longer listed; a 404, an error or a timeout for any account keeps everything;
- one person failing is counted and the run goes on; a source that fails
  :data:`MAX_CONSECUTIVE_FAILURES` times in a row is given up for the rest of the run (it is down:
  every badge stays);
- pictures outside Commons are never linked: :func:`store_images` keeps a size-capped copy that
  CapX serves (``BadgeImage``); without a copy the badge shows without its picture.

Functions flush only; the job (``flask capx badges``) commits after each batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Protocol

import sqlalchemy as sa

from capx.clients.external_badges import RemoteBadge
from capx.clients.pictures import FetchedImage
from capx.clients.http import RemoteServiceError
from capx.extensions import db
from capx.models import EARNED, EXTERNAL, Badge, BadgeImage, Profile, User, UserBadge, utcnow
from capx.support.media import normalize_commons_file

log = logging.getLogger(__name__)

#: The sources, in the order the job asks them.
SOURCES = ("wikilearn", "letsconnect")
#: Failures in a row after which a source is given up for the run.
MAX_CONSECUTIVE_FAILURES = 3


class BadgeSource(Protocol):
    def badges(self, username: str) -> list[RemoteBadge] | None: ...


@dataclass
class SourceReport:
    """What the job did with one source."""

    source: str
    people: int = 0
    complete: int = 0
    kept: int = 0
    failed: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    down: str | None = None
    failures_in_a_row: int = 0

    @property
    def unavailable(self) -> bool:
        """The source is down: given up on, or not one person could be read."""
        return self.down is not None or (self.people > 0 and self.failed == self.people)

    def line(self) -> str:
        state = f"DOWN ({self.down}), given up; " if self.down else ""
        return (f"{self.source}: {state}{self.people} people asked, {self.complete} answered in full, "
                f"{self.kept} kept as they were (not found or not answered), {self.failed} failed; "
                f"{self.added} badges added, {self.updated} updated, {self.removed} removed")


@dataclass
class ImportRun:
    """The job's report: one line per source, and the pictures copied."""

    sources: dict[str, SourceReport] = field(default_factory=lambda: {s: SourceReport(s) for s in SOURCES})
    images_stored: int = 0
    images_failed: int = 0

    def lines(self) -> list[str]:
        return [r.line() for r in self.sources.values()] + [
            f"badge pictures: {self.images_stored} copied, {self.images_failed} could not be copied "
            "(those badges show without a picture)"]


def _accounts(batch_size: int, after: int) -> list[tuple[int, list[str]]]:
    rows = db.session.execute(
        sa.select(User.id, User.username, Profile.alt_account).outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id > after).order_by(User.id).limit(batch_size)).all()
    out = []
    for uid, username, alt in rows:
        names = [username] + ([alt] if alt and alt != username else [])
        out.append((uid, names))
    return out


class _Badges:
    """The external badges of one source, by the issuer's key (loaded once per run)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.by_key = {b.external_key: b for b in db.session.scalars(
            sa.select(Badge).where(Badge.kind == EXTERNAL, Badge.source == source)) if b.external_key}

    def ensure(self, item: RemoteBadge) -> Badge:
        badge = self.by_key.get(item.key)
        if badge is None:
            badge = Badge(kind=EXTERNAL, source=self.source, external_key=item.key, name=item.name,
                          description=item.description, image=item.image_url, position=0)
            db.session.add(badge)
            db.session.flush()
            self.by_key[item.key] = badge
            return badge
        for attr, value in (("name", item.name), ("description", item.description), ("image", item.image_url)):
            if value is not None and getattr(badge, attr) != value:
                setattr(badge, attr, value)
        return badge


def _ask(source: BadgeSource, names: list[str], report: SourceReport) -> tuple[dict[str, RemoteBadge], bool, bool]:
    """Every badge listed for the person's accounts; whether every account answered with a list;
    whether a call failed."""
    found: dict[str, RemoteBadge] = {}
    complete, failed = True, False
    for name in names:
        try:
            items = source.badges(name)
        except RemoteServiceError as exc:
            complete, failed = False, True
            report.failures_in_a_row += 1
            log.warning("%s: badges of %r not read: %s (%s)", report.source, name, exc, exc.code)
            if report.failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
                report.down = exc.code
                break
            continue
        report.failures_in_a_row = 0
        if items is None:
            complete = False
            continue
        for item in items:
            found.setdefault(item.key, item)
    return found, complete, failed


def _apply(uid: int, found: dict[str, RemoteBadge], complete: bool, badges: _Badges,
           held: dict[int, UserBadge], report: SourceReport) -> None:
    listed: set[int] = set()
    for item in found.values():
        badge = badges.ensure(item)
        listed.add(badge.id)
        row = held.get(badge.id)
        if row is None:
            row = UserBadge(user_id=uid, badge_id=badge.id, progress=EARNED, shown=True, granted_by_hand=False,
                            assertion_url=item.assertion_url, issued_at=item.issued_at)
            db.session.add(row)
            held[badge.id] = row
            report.added += 1
            continue
        changed = False
        for attr, value in (("progress", EARNED), ("assertion_url", item.assertion_url),
                            ("issued_at", item.issued_at)):
            if value is not None and getattr(row, attr) != value:
                setattr(row, attr, value)
                changed = True
        report.updated += changed
    if not complete:
        return
    for badge_id, row in list(held.items()):
        if badge_id not in listed and not row.granted_by_hand:
            db.session.delete(row)
            del held[badge_id]
            report.removed += 1


def import_badges(sources: Mapping[str, BadgeSource], run: ImportRun, batch_size: int = 200) -> Iterator[int]:
    """Ask every source about every person, in batches of ``batch_size`` people; yields after each
    batch (how many people it had) for the caller to commit. Flushes only."""
    tables = {name: _Badges(name) for name in sources}
    last_id = 0
    while True:
        people = _accounts(batch_size, last_id)
        if not people:
            break
        last_id = people[-1][0]
        ids = [uid for uid, _names in people]
        for name, source in sources.items():
            report = run.sources.setdefault(name, SourceReport(name))
            if report.down:
                continue
            held: dict[int, dict[int, UserBadge]] = {uid: {} for uid in ids}
            for row in db.session.scalars(
                    sa.select(UserBadge).join(Badge, Badge.id == UserBadge.badge_id)
                    .where(UserBadge.user_id.in_(ids), Badge.kind == EXTERNAL, Badge.source == name)):
                held[row.user_id][row.badge_id] = row
            for uid, names in people:
                report.people += 1
                try:
                    found, complete, failed = _ask(source, names, report)
                except Exception:  # noqa: BLE001 - one person's unreadable answer never stops the run
                    log.exception("%s: badges of user %s not read", name, uid)
                    report.failed += 1
                    continue
                _apply(uid, found, complete, tables[name], held[uid], report)
                if failed:
                    report.failed += 1
                elif complete:
                    report.complete += 1
                else:
                    report.kept += 1
                if report.down:
                    break
        db.session.flush()
        yield len(people)


def store_images(fetch: Callable[[str], FetchedImage], run: ImportRun) -> Iterator[int]:
    """Copy the picture of every external badge whose picture is not on Commons and not copied
    yet (or changed); yields after each picture for the caller to commit. A picture that cannot
    be copied is logged and left out; a copy made earlier stays."""
    copies = {img.badge_id: img for img in db.session.scalars(sa.select(BadgeImage))}
    for badge in list(db.session.scalars(sa.select(Badge).where(Badge.kind == EXTERNAL, Badge.image.is_not(None))
                                         .order_by(Badge.id))):
        url = badge.image or ""
        if normalize_commons_file(url) or (badge.id in copies and copies[badge.id].source_url == url):
            continue
        try:
            image = fetch(url)
        except RemoteServiceError as exc:
            log.warning("picture of badge %s (%s) not copied: %s (%s)", badge.id, url, exc, exc.code)
            run.images_failed += 1
            continue
        copy = copies.get(badge.id)
        if copy is None:
            copy = BadgeImage(badge_id=badge.id, source_url=url, content_type=image.content_type, data=image.data)
            db.session.add(copy)
            copies[badge.id] = copy
        copy.source_url, copy.content_type, copy.data, copy.fetched_at = url, image.content_type, image.data, utcnow()
        run.images_stored += 1
        db.session.flush()
        yield badge.id


def stored_image(badge_id: int) -> BadgeImage | None:
    """The stored copy of a badge's picture, or None."""
    return db.session.get(BadgeImage, badge_id)
