"""Bug reports and suggestions people send to the CapX team.

A report is visible only to its reporter and to staff; reporters cannot edit or withdraw it,
staff triage it (status and a reply).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import Model, table_args, utcnow
from capx.models.people import User

REPORT_TYPES = ("error", "feature", "improvement", "test-case")
REPORT_STATUSES = ("new", "in-progress", "done", "wont-fix", "duplicate")
TITLE_MAX = 200
DESCRIPTION_MAX = 1000
REPLY_MAX = 2000


class BugReport(Model):
    """One report: what the reporter wrote, and the team's status and reply."""

    __tablename__ = "bug_report"
    __table_args__ = table_args(sa.Index("ix_bug_report_reporter_created", "reporter_id", "created_at"),
                                sa.Index("ix_bug_report_status_created", "status", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    description: Mapped[str] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.Enum(*REPORT_TYPES, name="bug_report_type", native_enum=False, length=20,
                                              create_constraint=True))
    status: Mapped[str] = mapped_column(sa.Enum(*REPORT_STATUSES, name="bug_report_status", native_enum=False,
                                                length=20, create_constraint=True), default="new")
    staff_reply: Mapped[str | None] = mapped_column(sa.Text)
    # The staff member who last triaged it; the report stays when their account goes.
    triaged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    triaged_by: Mapped[User | None] = relationship(foreign_keys=[triaged_by_id])
