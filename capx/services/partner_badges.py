"""Partners: the partner flag and members of an organization, and the badges a partner gives.

Staff mark an organization as a partner and name its members (``PartnerMember``). Members act for
the partner: they run its mentorship programs (capx.services.mentorship.managed_organization_ids
already counts them) and manage its badges here. A partner badge is a ``Badge`` of kind
``partner`` with the partner's ``organization_id``; people hold it as an earned ``UserBadge``
(progress 100), so it shows on their badges page and profile like any other. The badges job
(capx.services.badges.recompute) only touches internal badges, so it never resets these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import sqlalchemy as sa

from capx.extensions import db
from capx.models import EARNED, PARTNER, Badge, Organization, PartnerMember, User, UserBadge, utcnow
from capx.services.organizations import add_person, remove_person
from capx.support.usernames import normalize_username

NAME_MAX, DESCRIPTION_MAX, IMAGE_MAX = 200, 2000, 255
#: At most this many user names in one assignment.
ASSIGN_MAX = 100

# -- partners and their members --------------------------------------------------------------------


def set_partner(org: Organization, is_partner: bool) -> None:
    """Mark (or unmark) the organization as a partner. Its members and badges stay: marking it
    again gives them their powers back."""
    org.is_partner = is_partner
    db.session.flush()


def members_of(org_id: int) -> list[User]:
    """The partner's members, by user name."""
    return list(db.session.scalars(sa.select(User).join(PartnerMember, PartnerMember.user_id == User.id)
                                   .where(PartnerMember.organization_id == org_id).order_by(User.username)))


def add_member(org: Organization, user: User) -> bool:
    """Make ``user`` a member of the partner (flushed); False when they already were."""
    return add_person(PartnerMember, org, user)


def remove_member(org: Organization, user_id: int) -> bool:
    """Remove a member; False when they were not one."""
    return remove_person(PartnerMember, org, user_id)


def is_member(user: User | None, org_id: int) -> bool:
    """Whether ``user`` is a member of the organization (partner or not)."""
    return user is not None and db.session.get(PartnerMember, (org_id, user.id)) is not None


def can_manage_badges(user: User | None, org: Organization) -> bool:
    """Staff, and members of the organization while it is a partner, manage its badges."""
    if user is None:
        return False
    return user.is_staff or (org.is_partner and is_member(user, org.id))


def partners_of(user: User | None) -> list[Organization]:
    """The partner organizations ``user`` is a member of (for links to their badges)."""
    if user is None:
        return []
    return list(db.session.scalars(
        sa.select(Organization).join(PartnerMember, PartnerMember.organization_id == Organization.id)
        .where(PartnerMember.user_id == user.id, Organization.is_partner.is_(True)).order_by(Organization.id)))


def users_named(names: Sequence[str]) -> tuple[list[User], list[str]]:
    """The users with these (normalized) names, and the names nobody has, in the order given."""
    wanted = [normalize_username(n) for n in names]
    found = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(wanted)))} \
        if wanted else {}
    return [found[n] for n in wanted if n in found], [n for n in wanted if n not in found]


# -- the partner's badges --------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeInput:
    """A partner badge as its editor saves it (checked by capx.forms.partners)."""

    name: str
    description: str = ""
    image: str | None = None  # a Commons file name


def badges_of(org_id: int) -> list[tuple[Badge, int]]:
    """The partner's badges in display order, each with how many people hold it (two queries)."""
    badges = list(db.session.scalars(sa.select(Badge).where(Badge.kind == PARTNER, Badge.organization_id == org_id)
                                     .order_by(Badge.position, Badge.id)))
    counts: dict[int, int] = {badge_id: n for badge_id, n in db.session.execute(
        sa.select(UserBadge.badge_id, sa.func.count()).where(UserBadge.badge_id.in_([b.id for b in badges]),
                                                             UserBadge.progress >= EARNED)
        .group_by(UserBadge.badge_id))} if badges else {}
    return [(b, counts.get(b.id, 0)) for b in badges]


def badge_of(org_id: int, badge_id: int) -> Badge | None:
    """The partner badge ``badge_id`` when it is this partner's (another partner's, an internal or
    an external badge: None)."""
    badge = db.session.get(Badge, badge_id)
    if badge is None or badge.kind != PARTNER or badge.organization_id != org_id:
        return None
    return badge


def create_badge(org: Organization, new: BadgeInput) -> Badge:
    """A new badge of the partner, last in its order (flushed)."""
    last = db.session.scalar(sa.select(sa.func.max(Badge.position)).where(Badge.kind == PARTNER,
                                                                          Badge.organization_id == org.id))
    badge = Badge(kind=PARTNER, organization_id=org.id, name=new.name, description=new.description or None,
                  image=new.image, position=(last or 0) + 1)
    db.session.add(badge)
    db.session.flush()
    return badge


def update_badge(badge: Badge, edit: BadgeInput) -> None:
    """Change a badge's name, description and image (its holders keep it)."""
    badge.name, badge.description, badge.image = edit.name, edit.description or None, edit.image
    db.session.flush()


def delete_badge(badge: Badge) -> None:
    """Erase a badge; nobody holds it any more."""
    db.session.execute(sa.delete(UserBadge).where(UserBadge.badge_id == badge.id))
    db.session.delete(badge)
    db.session.flush()


def holders(badge: Badge) -> list[User]:
    """Who holds the badge, by user name."""
    return list(db.session.scalars(sa.select(User).join(UserBadge, UserBadge.user_id == User.id)
                                   .where(UserBadge.badge_id == badge.id, UserBadge.progress >= EARNED)
                                   .order_by(User.username)))


def assign(badge: Badge, users: Iterable[User]) -> int:
    """Give the badge to these people (earned, shown on their profile); how many did not hold it yet."""
    users = list(users)
    held = {row.user_id: row for row in db.session.scalars(
        sa.select(UserBadge).where(UserBadge.badge_id == badge.id, UserBadge.user_id.in_([u.id for u in users])))}
    added = 0
    now = utcnow()
    for user in users:
        row = held.get(user.id)
        if row is None:
            row = UserBadge(user_id=user.id, badge_id=badge.id, progress=EARNED, shown=True, issued_at=now)
            db.session.add(row)
            held[user.id] = row
            added += 1
        elif row.progress < EARNED:
            row.progress, row.issued_at = EARNED, now
            added += 1
    db.session.flush()
    return added


def unassign(badge: Badge, user_ids: Iterable[int]) -> int:
    """Take the badge back from these people; how many held it."""
    ids = list(user_ids)
    if not ids:
        return 0
    result = db.session.execute(sa.delete(UserBadge).where(UserBadge.badge_id == badge.id, UserBadge.user_id.in_(ids)))
    db.session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult of a DELETE has rowcount
