"""Badges and who holds them: one model for CapX's own badges, external ones and partners' badges.

``Badge.kind`` says where a badge comes from:

- ``internal``: earned on CapX by a rule. ``code`` names it (built-in badges are translated by
  the messages ``badge-<code>-name`` / ``-description``); ``rule`` is the measure the badges job
  computes per person (see ``capx.services.badges.MEASURES``) and ``threshold`` the value that
  earns it.
- ``external``: issued elsewhere; ``source`` is ``wikilearn`` or ``letsconnect`` and the holder's
  row keeps the issuer's assertion URL and date.
- ``partner``: given by a partner organization (``organization_id``) to people it chooses.

Badge ids are stable: they are published (the Commons export) and the ids of the previous
platform are kept when its data is imported.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import PICTURE_BYTES, Model, table_args, utcnow

if TYPE_CHECKING:  # the organizations module is loaded beside this one
    from capx.models.organizations import Organization

INTERNAL, EXTERNAL, PARTNER = "internal", "external", "partner"
BADGE_KINDS = (INTERNAL, EXTERNAL, PARTNER)
#: Issuers of external badges.
BADGE_SOURCES = ("wikilearn", "letsconnect")
#: A badge counts as earned at this progress.
EARNED = 100


class Badge(Model):
    """A badge anyone may hold: its kind, what it is called and shows, and how it is earned."""

    __tablename__ = "badge"
    __table_args__ = table_args(sa.Index("ix_badge_kind", "kind", "position"),
                                sa.Index("ix_badge_source_external_key", "source", "external_key", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Enum(*BADGE_KINDS, name="badge_kind", native_enum=False, length=10,
                                              create_constraint=True))
    # Internal badges only (NULL otherwise): unique, so a built-in badge is found by its code.
    code: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    # The name and description as the issuer wrote them (built-in badges show their messages).
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # A Commons file name, or the issuer's image URL for external badges (shown from a stored
    # copy, BadgeImage, never loaded from the issuer's host).
    image: Mapped[str | None] = mapped_column(sa.String(500))
    source: Mapped[str | None] = mapped_column(sa.String(20))
    # External badges only: the issuer's key (WikiLearn's badge class slug, Let's Connect's name).
    external_key: Mapped[str | None] = mapped_column(sa.String(200))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                        index=True)
    rule: Mapped[str | None] = mapped_column(sa.String(40))
    threshold: Mapped[int | None] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    organization: Mapped["Organization | None"] = relationship()


class UserBadge(Model):
    """One person's badge: progress towards it (0-100, earned at 100), whether it shows on the
    profile, and for issued badges the assertion URL and date.

    ``granted_by_hand`` marks a badge staff gave: the recomputation never takes it away.
    ``issued_at`` is when it was earned or issued (unknown for some imported badges).
    """

    __tablename__ = "user_badge"
    __table_args__ = table_args(sa.Index("ix_user_badge_badge", "badge_id", "progress"))

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    badge_id: Mapped[int] = mapped_column(sa.ForeignKey("badge.id", ondelete="CASCADE"), primary_key=True)
    progress: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    shown: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    assertion_url: Mapped[str | None] = mapped_column(sa.String(500))
    issued_at: Mapped[dt.datetime | None] = mapped_column()
    granted_by_hand: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    badge: Mapped[Badge] = relationship()

    @property
    def earned(self) -> bool:
        return (self.progress or 0) >= EARNED


#: The largest badge picture stored (bytes); a bigger one is not stored and the badge shows without it.
MAX_BADGE_IMAGE_BYTES = 512 * 1024
#: The picture types stored and served (no SVG: it may carry scripts).
BADGE_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class BadgeImage(Model):
    """A size-capped copy of an external badge's picture, served by CapX (see the badges job)."""

    __tablename__ = "badge_image"
    __table_args__ = table_args()

    badge_id: Mapped[int] = mapped_column(sa.ForeignKey("badge.id", ondelete="CASCADE"), primary_key=True)
    source_url: Mapped[str] = mapped_column(sa.String(500))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[bytes] = mapped_column(PICTURE_BYTES)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
