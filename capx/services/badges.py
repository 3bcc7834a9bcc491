"""Badges: the rules, each user's progress, and which earned badges show on the profile.

A rule measures one number per user (e.g. capacities offered) and the badge is earned at its
threshold. :func:`recompute` measures a batch of users with one grouped query per rule, so the
daily job (``flask capx badges``) and the recomputation after an action share one code path.
Recomputing is idempotent, and a badge granted by hand is never taken away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (
    AVAILABLE,
    KNOWN,
    PROFICIENCY_LEVELS,
    WANTED,
    MessageLog,
    OrganizationManager,
    Profile,
    ProfileAffiliation,
    ProfileCapacity,
    ProfileLanguage,
    ProfileProject,
    ProfileTerritory,
    User,
    UserBadge,
    utcnow,
)

#: What makes a profile complete (each counts for the "profile-complete" badge).
COMPLETENESS_ITEMS = ("bio", "picture", "languages", "territories", "known", "available", "wanted",
                      "affiliations", "projects")


@dataclass(frozen=True)
class BadgeRule:
    """A badge: its code (message keys badge-<code>-name / -description) and threshold."""

    code: str
    threshold: int


BADGES: tuple[BadgeRule, ...] = (
    BadgeRule("profile-complete", len(COMPLETENESS_ITEMS)),
    BadgeRule("capacity-sharer", 5),
    BadgeRule("messenger", 10),
    BadgeRule("organization-manager", 1),
    BadgeRule("wikimedia-veteran", 5),
    BadgeRule("lets-connect-member", 1),
)
BADGE_CODES = tuple(b.code for b in BADGES)
RULES = {b.code: b for b in BADGES}


def proficiency_name(level: int) -> str:
    """A proficiency index as its level name (e.g. 3 → "advanced")."""
    return PROFICIENCY_LEVELS[level] if 0 <= level < len(PROFICIENCY_LEVELS) else str(level)


def measure(user_ids: Iterable[int], now: dt.datetime | None = None) -> dict[int, dict[str, int]]:
    """Each user's number for each rule (one grouped query per rule, whatever the batch size)."""
    ids = list(user_ids)
    if not ids:
        return {}
    now = now or utcnow()
    out = {uid: {code: 0 for code in BADGE_CODES} for uid in ids}
    profiles = db.session.execute(
        sa.select(Profile.user_id, Profile.id, Profile.bio, Profile.avatar_id, Profile.show_wikidata_photo,
                  Profile.wikidata_photo, Profile.lets_connect_registered_at).where(Profile.user_id.in_(ids))).all()
    profile_user = {row.id: row.user_id for row in profiles}
    pids = list(profile_user)
    complete = {uid: 0 for uid in ids}
    for row in profiles:
        complete[row.user_id] += bool(row.bio) + bool(row.avatar_id or (row.show_wikidata_photo and row.wikidata_photo))
        if row.lets_connect_registered_at:
            out[row.user_id]["lets-connect-member"] = 1
    if pids:
        kinds = db.session.execute(
            sa.select(ProfileCapacity.profile_id, ProfileCapacity.kind, sa.func.count())
            .where(ProfileCapacity.profile_id.in_(pids)).group_by(ProfileCapacity.profile_id, ProfileCapacity.kind))
        for pid, kind, count in kinds:
            uid = profile_user[pid]
            if kind in (KNOWN, AVAILABLE, WANTED):
                complete[uid] += 1
            if kind == AVAILABLE:
                out[uid]["capacity-sharer"] = count
        for model in (ProfileLanguage, ProfileTerritory, ProfileAffiliation, ProfileProject):
            for (pid,) in db.session.execute(sa.select(model.profile_id).where(model.profile_id.in_(pids)).distinct()):
                complete[profile_user[pid]] += 1
    for uid in ids:
        out[uid]["profile-complete"] = complete[uid]
    for uid, count in db.session.execute(
            sa.select(MessageLog.sender_id, sa.func.count()).where(MessageLog.sender_id.in_(ids),
                                                                   MessageLog.status == "sent")
            .group_by(MessageLog.sender_id)):
        out[uid]["messenger"] = count
    for uid, count in db.session.execute(
            sa.select(OrganizationManager.user_id, sa.func.count()).where(OrganizationManager.user_id.in_(ids))
            .group_by(OrganizationManager.user_id)):
        out[uid]["organization-manager"] = count
    for uid, registered in db.session.execute(sa.select(User.id, User.registered_at).where(User.id.in_(ids))):
        if registered:
            years = now.year - registered.year - ((now.month, now.day) < (registered.month, registered.day))
            out[uid]["wikimedia-veteran"] = max(years, 0)
    return out


def recompute(user_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Store each user's progress and earn badges that reached their threshold.

    Returns how many badges were newly earned. A badge already earned stays earned (badges are
    not taken back when a number drops), and hand-granted badges are never touched except for
    their progress. The caller commits.
    """
    ids = list(user_ids)
    numbers = measure(ids, now)
    existing = {(b.user_id, b.badge): b for b in db.session.scalars(
        sa.select(UserBadge).where(UserBadge.user_id.in_(ids)))} if ids else {}
    earned = 0
    stamp = now or utcnow()
    for uid, values in numbers.items():
        for rule in BADGES:
            value = values[rule.code]
            row = existing.get((uid, rule.code))
            if row is None:
                if value == 0:
                    continue
                row = UserBadge(user_id=uid, badge=rule.code, progress=0, granted_by_hand=False, displayed=True)
                db.session.add(row)
            if row.progress != value:
                row.progress = value
            if row.earned_at is None and value >= rule.threshold:
                row.earned_at = stamp
                earned += 1
    return earned


def recompute_user(user: User) -> None:
    """Recompute one user's badges after an action that may change them (the caller commits)."""
    recompute([user.id])


def recompute_all(echo: Callable[[str], None] = lambda _l: None, batch_size: int = 500) -> int:
    """The daily job: every user, in batches, committing each batch."""
    last_id, total, newly = 0, 0, 0
    while True:
        ids = list(db.session.scalars(sa.select(User.id).where(User.id > last_id).order_by(User.id).limit(batch_size)))
        if not ids:
            break
        newly += recompute(ids)
        db.session.commit()
        total += len(ids)
        last_id = ids[-1]
    echo(f"badges: {total} users checked, {newly} badges earned")
    return newly


def grant(user: User, code: str) -> UserBadge:
    """Give a badge by hand (staff): it stays earned whatever the rules say."""
    row = db.session.get(UserBadge, (user.id, code))
    if row is None:
        row = UserBadge(user_id=user.id, badge=code, progress=0, displayed=True)
        db.session.add(row)
    row.granted_by_hand = True
    if row.earned_at is None:
        row.earned_at = utcnow()
    return row


@dataclass(frozen=True)
class BadgeStatus:
    """A badge as the badges page shows it."""

    code: str
    threshold: int
    progress: int
    earned: bool
    displayed: bool
    granted_by_hand: bool

    @property
    def state(self) -> str:
        if self.earned:
            return "earned"
        return "progress" if self.progress > 0 else "locked"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.progress / self.threshold)) if self.threshold else 100


def statuses(user: User) -> list[BadgeStatus]:
    """Every badge with the user's progress, measured live (nothing is written: pages are GETs).

    A badge whose threshold is reached shows as earned even before the next recomputation
    stores it (the next action or the daily job does).
    """
    rows = {b.badge: b for b in db.session.scalars(sa.select(UserBadge).where(UserBadge.user_id == user.id))}
    live = measure([user.id]).get(user.id, {})
    out = []
    for rule in BADGES:
        row = rows.get(rule.code)
        progress = live.get(rule.code, 0)
        earned = bool(row and row.earned_at) or progress >= rule.threshold
        displayed = earned and (row.displayed if row is not None else True)
        out.append(BadgeStatus(rule.code, rule.threshold, progress, earned, displayed,
                               bool(row and row.granted_by_hand)))
    return out


def displayed_badges(user: User) -> list[str]:
    """Codes of the earned badges the user shows on their profile, in rule order."""
    shown = set(db.session.scalars(sa.select(UserBadge.badge).where(
        UserBadge.user_id == user.id, UserBadge.earned_at.is_not(None), UserBadge.displayed.is_(True))))
    return [code for code in BADGE_CODES if code in shown]


def set_displayed(user: User, codes: Iterable[str]) -> None:
    """Show exactly these earned badges on the profile (others stay earned, hidden)."""
    wanted = set(codes)
    for row in db.session.scalars(sa.select(UserBadge).where(UserBadge.user_id == user.id,
                                                             UserBadge.earned_at.is_not(None))):
        row.displayed = row.badge in wanted
