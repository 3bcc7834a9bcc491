"""Badges: the rules, each person's progress, and which earned badges show on the profile.

An internal badge (a ``Badge`` row of kind ``internal``) names a measure (``rule``, one of
:data:`MEASURES`: a number per person such as capacities offered) and the ``threshold`` that
earns it. Progress is stored as 0-100; 100 means earned. :func:`recompute` measures a batch of
people with one grouped query per measure, so the daily job (``flask capx badges``) and the
recomputation after an action share one code path. Recomputing is idempotent, an earned badge is
never taken back, and a badge granted by hand stays whatever the rules say. External and partner
badges are issued elsewhere: the rules never touch them.

CapX's own badges (``capx/data/badges.json``, loaded by ``load-reference``) are translated by the
messages ``badge-<code>-name`` and ``badge-<code>-description``; other badges show the name and
description their issuer wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, EARNED, EXTERNAL, INTERNAL, KNOWN, PARTNER, PROFICIENCY_LEVELS, WANTED, Badge,
                         BadgeImage, MessageLog, OrganizationManager, Profile, ProfileAffiliation, ProfileCapacity,
                         ProfileLanguage, ProfileProject, ProfileTerritory, User, UserBadge, utcnow)
from capx.support.media import commons_file_url, normalize_commons_file
from capx.translations import LazyMessage, lazy_msg

#: What makes a profile complete (each counts for the "profile-sections" measure).
COMPLETENESS_ITEMS = ("bio", "picture", "languages", "territories", "known", "available", "wanted",
                      "affiliations", "projects")

BUILT_IN_FILE = Path(__file__).resolve().parent.parent / "data" / "badges.json"


def built_in_badges() -> list[dict[str, object]]:
    """CapX's own badges as shipped (code, English name, rule, threshold)."""
    with BUILT_IN_FILE.open(encoding="utf-8") as fh:
        specs: list[dict[str, object]] = json.load(fh)
    return specs


#: Codes of the badges that have translated messages.
BUILT_IN_CODES = frozenset(str(b["code"]) for b in built_in_badges())

#: CapX's own badges' messages: the name, and the description (``$1`` is the threshold).
BUILT_IN_MESSAGES = {
    "profile-complete": ("badge-profile-complete-name", "badge-profile-complete-description"),
    "capacity-sharer": ("badge-capacity-sharer-name", "badge-capacity-sharer-description"),
    "messenger": ("badge-messenger-name", "badge-messenger-description"),
    "organization-manager": ("badge-organization-manager-name", "badge-organization-manager-description"),
    "wikimedia-veteran": ("badge-wikimedia-veteran-name", "badge-wikimedia-veteran-description"),
    "lets-connect-member": ("badge-lets-connect-member-name", "badge-lets-connect-member-description"),
}
#: Who issued a badge that is not CapX's own, and where a badge stands for its holder.
KIND_LABELS = {EXTERNAL: lazy_msg("badges-kind-external"), PARTNER: lazy_msg("badges-kind-partner")}
#: Where an external badge was issued.
SOURCE_LABELS = {"wikilearn": lazy_msg("badges-source-wikilearn"), "letsconnect": lazy_msg("badges-source-letsconnect")}
STATE_LABELS = {"earned": lazy_msg("badges-state-earned"), "progress": lazy_msg("badges-state-progress"),
                "locked": lazy_msg("badges-state-locked")}


def badge_name(code: str | None, name: str) -> LazyMessage | str:
    """A badge's name: CapX's own by its message (in the page's language), others as written."""
    messages = BUILT_IN_MESSAGES.get(code or "")
    return lazy_msg(messages[0]) if messages else name


def badge_description(code: str | None, description: str | None, threshold: int) -> LazyMessage | str | None:
    """A badge's description: CapX's own by its message, others as their issuer wrote it."""
    messages = BUILT_IN_MESSAGES.get(code or "")
    return lazy_msg(messages[1], threshold) if messages else description


@dataclass(frozen=True)
class Measure:
    """A number measured per person. ``within`` measures count days since something happened:
    the badge is earned while that number is at most the threshold (e.g. "updated in the last
    30 days"). ``countable`` measures show "n of threshold" on the badges page."""

    name: str
    countable: bool = True
    within: bool = False

    def percent(self, value: int | None, threshold: int) -> int:
        """Progress 0-100 for ``value`` (100 exactly when the badge is earned)."""
        if self.within:
            return EARNED if value is not None and value <= threshold else 0
        if not threshold:
            return EARNED
        return min(EARNED, max(value or 0, 0) * EARNED // threshold)


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("profile-sections"),
    Measure("capacities-available"),
    Measure("messages-sent"),
    Measure("messages-received"),
    Measure("organizations-managed"),
    Measure("wikimedia-account-years"),
    Measure("account-age-days"),
    Measure("lets-connect", countable=False),
    Measure("profile-updated-days", countable=False, within=True),
)}


def proficiency_name(level: int) -> str:
    """A proficiency index as its level name (e.g. 3 → "advanced")."""
    return PROFICIENCY_LEVELS[level] if 0 <= level < len(PROFICIENCY_LEVELS) else str(level)


def _whole_years(since: dt.datetime, now: dt.datetime) -> int:
    return max(now.year - since.year - ((now.month, now.day) < (since.month, since.day)), 0)


def measure(user_ids: Iterable[int], now: dt.datetime | None = None) -> dict[int, dict[str, int | None]]:
    """Each person's number for each measure (one grouped query per measure, whatever the batch size).

    ``within`` measures are None when the thing never happened.
    """
    ids = list(user_ids)
    if not ids:
        return {}
    now = now or utcnow()
    out: dict[int, dict[str, int | None]] = {uid: {name: 0 for name in MEASURES} for uid in ids}
    for uid in ids:
        out[uid]["profile-updated-days"] = None
    profiles = db.session.execute(
        sa.select(Profile.user_id, Profile.id, Profile.bio, Profile.avatar_id, Profile.show_wikidata_photo,
                  Profile.wikidata_photo, Profile.lets_connect_registered_at, Profile.updated_at)
        .where(Profile.user_id.in_(ids))).all()
    profile_user = {row.id: row.user_id for row in profiles}
    pids = list(profile_user)
    complete = {uid: 0 for uid in ids}
    for row in profiles:
        complete[row.user_id] += bool(row.bio) + bool(row.avatar_id or (row.show_wikidata_photo and row.wikidata_photo))
        if row.lets_connect_registered_at:
            out[row.user_id]["lets-connect"] = 1
        if row.updated_at:
            out[row.user_id]["profile-updated-days"] = max((now - row.updated_at).days, 0)
    if pids:
        kinds = db.session.execute(
            sa.select(ProfileCapacity.profile_id, ProfileCapacity.kind, sa.func.count())
            .where(ProfileCapacity.profile_id.in_(pids)).group_by(ProfileCapacity.profile_id, ProfileCapacity.kind))
        for pid, kind, count in kinds:
            uid = profile_user[pid]
            if kind in (KNOWN, AVAILABLE, WANTED):
                complete[uid] += 1
            if kind == AVAILABLE:
                out[uid]["capacities-available"] = count
        for model in (ProfileLanguage, ProfileTerritory, ProfileAffiliation, ProfileProject):
            for (pid,) in db.session.execute(sa.select(model.profile_id).where(model.profile_id.in_(pids)).distinct()):
                complete[profile_user[pid]] += 1
    for uid in ids:
        out[uid]["profile-sections"] = complete[uid]
    for uid, count in db.session.execute(
            sa.select(MessageLog.sender_id, sa.func.count()).where(MessageLog.sender_id.in_(ids),
                                                                   MessageLog.status == "sent")
            .group_by(MessageLog.sender_id)):
        out[uid]["messages-sent"] = count
    for recipient, count in db.session.execute(
            sa.select(MessageLog.recipient_id, sa.func.count()).where(MessageLog.recipient_id.in_(ids),
                                                                      MessageLog.status == "sent")
            .group_by(MessageLog.recipient_id)):
        if recipient is not None:
            out[recipient]["messages-received"] = count
    for uid, count in db.session.execute(
            sa.select(OrganizationManager.user_id, sa.func.count()).where(OrganizationManager.user_id.in_(ids))
            .group_by(OrganizationManager.user_id)):
        out[uid]["organizations-managed"] = count
    for uid, registered, created in db.session.execute(
            sa.select(User.id, User.registered_at, User.created_at).where(User.id.in_(ids))):
        if registered:
            out[uid]["wikimedia-account-years"] = _whole_years(registered, now)
        if created:
            out[uid]["account-age-days"] = max((now - created).days, 0)
    return out


def internal_badges() -> list[Badge]:
    """Badges earned by rules on CapX, in display order (one query)."""
    return list(db.session.scalars(sa.select(Badge).where(Badge.kind == INTERNAL, Badge.rule.in_(list(MEASURES)))
                                   .order_by(Badge.position, Badge.id)))


def recompute(user_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Store each person's progress on every internal badge and earn the ones that reached 100.

    Returns how many badges were newly earned. An earned badge stays earned (progress stays 100
    when a number drops), and hand-granted badges are never taken away. Flushes nothing itself;
    the caller commits.
    """
    ids = list(user_ids)
    badges = internal_badges()
    if not ids or not badges:
        return 0
    numbers = measure(ids, now)
    existing = {(row.user_id, row.badge_id): row for row in db.session.scalars(
        sa.select(UserBadge).where(UserBadge.user_id.in_(ids), UserBadge.badge_id.in_([b.id for b in badges])))}
    earned = 0
    stamp = now or utcnow()
    for uid, values in numbers.items():
        for badge in badges:
            percent = MEASURES[str(badge.rule)].percent(values[str(badge.rule)], badge.threshold or 0)
            row = existing.get((uid, badge.id))
            if row is None:
                if percent == 0:
                    continue
                row = UserBadge(user_id=uid, badge_id=badge.id, progress=0, granted_by_hand=False, shown=True)
                db.session.add(row)
            if row.progress >= EARNED:
                continue
            if row.progress != percent:
                row.progress = percent
            if percent >= EARNED:
                row.issued_at = row.issued_at or stamp
                earned += 1
    return earned


def recompute_user(user: User) -> None:
    """Recompute one person's badges after an action that may change them (the caller commits)."""
    recompute([user.id])


def recompute_all(echo: Callable[[str], None] = lambda _l: None, batch_size: int = 500) -> Iterator[int]:
    """The daily job: every person, in batches. Yields after each batch (how many badges it earned),
    for the caller to commit: a long job must not hold one transaction over every user."""
    last_id, total, newly = 0, 0, 0
    while True:
        ids = list(db.session.scalars(sa.select(User.id).where(User.id > last_id).order_by(User.id).limit(batch_size)))
        if not ids:
            break
        earned = recompute(ids)
        newly += earned
        total += len(ids)
        last_id = ids[-1]
        yield earned
    echo(f"badges: {total} users checked, {newly} badges earned")


def find_badge(code_or_id: str) -> Badge | None:
    """A badge by its code (internal badges) or its id."""
    if code_or_id.isdigit():
        return db.session.get(Badge, int(code_or_id))
    return db.session.scalar(sa.select(Badge).where(Badge.code == code_or_id))


def grant(user: User, badge: Badge) -> UserBadge:
    """Give a badge by hand (staff): it stays earned whatever the rules say."""
    row = db.session.get(UserBadge, (user.id, badge.id))
    if row is None:
        row = UserBadge(user_id=user.id, badge_id=badge.id, progress=0, shown=True)
        db.session.add(row)
    row.granted_by_hand = True
    if (row.progress or 0) < EARNED:
        row.progress = EARNED
    row.issued_at = row.issued_at or utcnow()
    return row


@dataclass(frozen=True)
class BadgeStatus:
    """A badge as the badges page shows it.

    ``value`` is the live measure of an internal badge (None for other kinds); ``percent`` its
    progress. ``built_in`` badges are named by their messages, the others by ``name``.
    """

    id: int
    kind: str
    code: str | None
    name: str
    description: str | None
    image: str | None
    built_in: bool
    threshold: int
    value: int | None
    countable: bool
    percent: int
    earned: bool
    shown: bool
    granted_by_hand: bool
    assertion_url: str | None
    issued_at: dt.datetime | None
    #: CapX keeps a copy of the picture (external badges whose picture is not on Commons).
    image_copy: bool = False
    source: str | None = None

    @property
    def label(self) -> LazyMessage | str:
        return badge_name(self.code, self.name)

    @property
    def text(self) -> LazyMessage | str | None:
        return badge_description(self.code, self.description, self.threshold)

    @property
    def kind_label(self) -> LazyMessage | None:
        return KIND_LABELS.get(self.kind)

    @property
    def source_label(self) -> LazyMessage | None:
        return SOURCE_LABELS.get(self.source or "") if self.kind == EXTERNAL else None

    @property
    def state_label(self) -> LazyMessage:
        return STATE_LABELS[self.state]

    @property
    def image_url(self) -> str | None:
        """The badge's picture when it is on Commons (the only image host pages may load)."""
        file_name = normalize_commons_file(self.image)
        return commons_file_url(file_name, 128) if file_name else None

    @property
    def state(self) -> str:
        if self.earned:
            return "earned"
        return "progress" if self.percent > 0 else "locked"


def _status(badge: Badge, row: UserBadge | None, value: int | None, image_copy: bool = False) -> BadgeStatus:
    measure_ = MEASURES.get(badge.rule or "")
    live = measure_.percent(value, badge.threshold or 0) if measure_ is not None else 0
    stored = row.progress if row is not None else 0
    earned = stored >= EARNED or live >= EARNED
    percent = EARNED if earned else max(stored, live)
    return BadgeStatus(
        id=badge.id, kind=badge.kind, code=badge.code, name=badge.name, description=badge.description,
        image=badge.image, built_in=badge.code in BUILT_IN_CODES, threshold=badge.threshold or 0, value=value,
        countable=bool(measure_ and measure_.countable), percent=percent, earned=earned,
        shown=earned and (row.shown if row is not None else True),
        granted_by_hand=bool(row and row.granted_by_hand), assertion_url=row.assertion_url if row else None,
        issued_at=row.issued_at if row else None, image_copy=image_copy, source=badge.source)


def statuses(user: User) -> list[BadgeStatus]:
    """Every internal badge with the person's progress, measured live, then the external and
    partner badges they hold (nothing is written: pages are GETs).

    A badge whose threshold is reached shows as earned even before the next recomputation
    stores it (the next action or the daily job does).
    """
    rows = {b.badge_id: b for b in db.session.scalars(sa.select(UserBadge).where(UserBadge.user_id == user.id))}
    live = measure([user.id]).get(user.id, {})
    out = [_status(badge, rows.get(badge.id), live.get(str(badge.rule))) for badge in internal_badges()]
    held = [row.badge_id for row in rows.values() if row.earned]
    others: list[Badge] = list(db.session.scalars(
        sa.select(Badge).where(Badge.id.in_(held), Badge.kind != INTERNAL).order_by(Badge.position, Badge.id))) \
        if held else []
    copies = set(db.session.scalars(sa.select(BadgeImage.badge_id).where(
        BadgeImage.badge_id.in_([b.id for b in others])))) if others else set()
    out.extend(_status(badge, rows.get(badge.id), None, badge.id in copies) for badge in others)
    return out


@dataclass(frozen=True)
class BadgeLabel:
    """An earned badge as a profile shows it."""

    id: int
    code: str | None
    name: str
    built_in: bool

    @property
    def label(self) -> LazyMessage | str:
        return badge_name(self.code, self.name)


def displayed_badges(user: User) -> list[BadgeLabel]:
    """The earned badges the person shows on their profile, in badge order (one query)."""
    rows = db.session.execute(
        sa.select(Badge.id, Badge.code, Badge.name).join(UserBadge, UserBadge.badge_id == Badge.id)
        .where(UserBadge.user_id == user.id, UserBadge.progress >= EARNED, UserBadge.shown.is_(True))
        .order_by(Badge.kind != INTERNAL, Badge.position, Badge.id))
    return [BadgeLabel(row.id, row.code, row.name, row.code in BUILT_IN_CODES) for row in rows]


def set_displayed(user: User, badge_ids: Iterable[int]) -> None:
    """Show exactly these earned badges on the profile (others stay earned, hidden)."""
    wanted = set(badge_ids)
    for row in db.session.scalars(sa.select(UserBadge).where(UserBadge.user_id == user.id,
                                                             UserBadge.progress >= EARNED)):
        row.shown = row.badge_id in wanted


def load_built_in_badges() -> tuple[int, int]:
    """Create or update CapX's own badges from ``capx/data/badges.json`` (matched by code).

    Only what the file defines is written (kind, English name, rule, threshold, position): an
    image or description set later stays. Returns (added, changed); the caller commits.
    """
    existing = {b.code: b for b in db.session.scalars(sa.select(Badge).where(Badge.code.is_not(None)))}
    added = changed = 0
    for position, spec in enumerate(built_in_badges()):
        values = {"kind": INTERNAL, "name": spec["name"], "rule": spec["rule"], "threshold": spec["threshold"],
                  "position": position}
        badge = existing.get(str(spec["code"]))
        if badge is None:
            db.session.add(Badge(code=spec["code"], **values))
            added += 1
            continue
        # An imported badge may sit at another position (ids and order of the previous platform).
        values.pop("position")
        if any(getattr(badge, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(badge, key, value)
            changed += 1
    return added, changed
