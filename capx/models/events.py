"""Events organizations publish (edited by the organization's managers)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import PICTURE_BYTES, Model, table_args, utcnow
from capx.models.capacities import Capacity
from capx.models.organizations import Organization
from capx.models.reference import Territory

EVENT_FORMATS = ("online", "in-person", "hybrid")


class Event(Model):
    """An event: times are stored in UTC, with the IANA time zone it was entered in."""

    __tablename__ = "event"
    __table_args__ = table_args(sa.Index("ix_event_start_at", "start_at"), sa.Index("ix_event_organization", "organization_id", "start_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500))
    start_at: Mapped[dt.datetime] = mapped_column()
    end_at: Mapped[dt.datetime] = mapped_column()
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    format: Mapped[str] = mapped_column(sa.Enum(*EVENT_FORMATS, name="event_format", native_enum=False, length=10,
                                                create_constraint=True))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    territory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("territory.id"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    image_file: Mapped[str | None] = mapped_column(sa.String(255))  # Commons file name
    wikidata_qid: Mapped[str | None] = mapped_column(sa.String(20))
    # "node/123", "way/123" or "relation/123": the place on OpenStreetMap.
    openstreetmap_id: Mapped[str | None] = mapped_column(sa.String(40))
    # 1..4 when featured on the organization's profile (its order there), else None.
    featured_position: Mapped[int | None] = mapped_column(sa.SmallInteger)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    organization: Mapped[Organization] = relationship()
    territory: Mapped[Territory | None] = relationship()
    capacities: Mapped[list["EventCapacity"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    course_image: Mapped["EventCourseImage | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class EventCapacity(Model):
    """A capacity an event is about."""

    __tablename__ = "event_capacity"
    __table_args__ = table_args(sa.Index("ix_event_capacity_capacity", "capacity_id", "event_id"))

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacity.id"), primary_key=True)

    capacity: Mapped[Capacity] = relationship()


class EventCourseFetch(Model):
    """What the refresh-courses job last read from the WikiLearn course an event links to (JSON of
    title, description, start_at, end_at): a field is refreshed only while it still holds that value."""

    __tablename__ = "event_course_fetch"
    __table_args__ = table_args()

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    course_key: Mapped[str] = mapped_column(sa.String(255))
    fetched: Mapped[str] = mapped_column(sa.Text)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


#: The largest course picture stored (bytes); a bigger one is not copied and the event shows without it.
MAX_COURSE_IMAGE_BYTES = 2 * 1024 * 1024


class EventCourseImage(Model):
    """The picture of the WikiLearn course an event uses: its address on WikiLearn and CapX's own
    size-capped copy, served by CapX (pages never load pictures from hosts outside Commons).
    ``content_type`` and ``data`` are NULL while the copy is pending (the refresh-courses job
    retries it); an event's Commons image, when it has one, is shown instead."""

    __tablename__ = "event_course_image"
    __table_args__ = table_args()

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    source_url: Mapped[str] = mapped_column(sa.String(500))
    content_type: Mapped[str | None] = mapped_column(sa.String(40))
    data: Mapped[bytes | None] = mapped_column(PICTURE_BYTES)
    fetched_at: Mapped[dt.datetime | None] = mapped_column()

    @property
    def copied(self) -> bool:
        """A copy is stored (not pending)."""
        return self.content_type is not None
