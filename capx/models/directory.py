"""The Capacity Directory's own data: thematic categories and capacity suggestions."""

from __future__ import annotations

import datetime as dt

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import Model, table_args, utcnow
from capx.models.capacities import Capacity

if TYPE_CHECKING:  # the people module imports this one
    from capx.models.people import User

#: States of a capacity suggestion in the staff moderation queue.
SUGGESTION_PENDING, SUGGESTION_APPROVED, SUGGESTION_REJECTED = "pending", "approved", "rejected"
SUGGESTION_STATUSES = (SUGGESTION_PENDING, SUGGESTION_APPROVED, SUGGESTION_REJECTED)


class ThematicCategory(Model):
    """A thematic area (Linguistic Equity, Knowledge Gaps, ...) grouping capacities across the tree.

    The title is a message key when ``message_key`` is set (shipped categories, translated on
    translatewiki), else the English ``name`` staff typed.
    """

    __tablename__ = "thematic_category"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    message_key: Mapped[str | None] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    members: Mapped[list["ThematicCategoryCapacity"]] = relationship(
        back_populates="category", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ThematicCategoryCapacity.position")


class ThematicCategoryCapacity(Model):
    """A capacity listed in a thematic category."""

    __tablename__ = "thematic_category_capacity"
    __table_args__ = table_args()

    category_id: Mapped[int] = mapped_column(sa.ForeignKey("thematic_category.id", ondelete="CASCADE"),
                                             primary_key=True)
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacity.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    category: Mapped[ThematicCategory] = relationship(back_populates="members")


class CapacitySuggestion(Model):
    """A capacity someone asked to add to the directory, waiting for (or decided by) staff."""

    __tablename__ = "capacity_suggestion"
    __table_args__ = table_args(sa.Index("ix_capacity_suggestion_status", "status", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The suggester's own rows go with their account.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    suggested_parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capacity.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(
        sa.Enum(*SUGGESTION_STATUSES, name="suggestion_status", native_enum=False, length=10,
                create_constraint=True), default=SUGGESTION_PENDING)
    # Who decided keeps the decision even when that staff account is deleted.
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(sa.Text)
    capacity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capacity.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    suggested_parent: Mapped[Capacity | None] = relationship(foreign_keys=[suggested_parent_id])
    capacity: Mapped[Capacity | None] = relationship(foreign_keys=[capacity_id])
