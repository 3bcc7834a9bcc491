"""The Capacity Directory: a tree of capacities with names and descriptions per language."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import Model, table_args, utcnow


class Capacity(Model):
    """A capacity (skill, knowledge or service). Roots have a colour and an icon."""

    __tablename__ = "capacity"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capacity.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    metabase_qid: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    wikidata_qid: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    color: Mapped[str | None] = mapped_column(sa.String(7))
    icon: Mapped[str | None] = mapped_column(sa.String(60))
    # Set when the item disappeared from Metabase: kept (profiles use it), flagged for staff.
    missing_upstream: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    parent: Mapped["Capacity | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Capacity"]] = relationship(back_populates="parent", order_by="Capacity.position")
    texts: Mapped[list["CapacityText"]] = relationship(back_populates="capacity", cascade="all, delete-orphan")


class CapacityText(Model):
    """A capacity's name and description in one language, with where each came from."""

    __tablename__ = "capacity_text"
    __table_args__ = table_args()

    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacity.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(sa.String(35), primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # directory (the shipped list), metabase, wikidata or local (translated here, not yet synced)
    name_source: Mapped[str | None] = mapped_column(sa.String(20))
    description_source: Mapped[str | None] = mapped_column(sa.String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    capacity: Mapped[Capacity] = relationship(back_populates="texts")
