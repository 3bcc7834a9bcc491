"""Badges a user earned (or is working towards). The badge rules live in capx.services.badges."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, table_args, utcnow


class UserBadge(Model):
    """One badge for one user: progress towards it, when it was earned, and whether it shows.

    ``granted_by_hand`` marks a badge staff gave: the recomputation never takes it away.
    """

    __tablename__ = "user_badge"
    __table_args__ = table_args(sa.Index("ix_user_badge_badge", "badge", "earned_at"))

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    badge: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    progress: Mapped[int] = mapped_column(sa.Integer, default=0)
    earned_at: Mapped[dt.datetime | None] = mapped_column()
    granted_by_hand: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    displayed: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
