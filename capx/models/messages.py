"""The log of messages sent through Meta-Wiki. Subjects and texts are never stored."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, exact_string, table_args, utcnow

MESSAGE_METHODS = ("email", "talk")
MESSAGE_STATUSES = ("sent", "failed")


class MessageLog(Model):
    """One message a user sent (or tried to send): to whom, how, when, and how it went."""

    __tablename__ = "message_log"
    __table_args__ = table_args(sa.Index("ix_message_log_sender_created", "sender_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    # None once the recipient deleted their CapX account ("deleted account"): the row is the
    # sender's history and stays, the name goes.
    recipient_username: Mapped[str | None] = mapped_column(exact_string(255))
    # The recipient's CapX account when they have one (SET NULL: the row survives its deletion).
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    method: Mapped[str] = mapped_column(sa.Enum(*MESSAGE_METHODS, name="message_method", native_enum=False, length=10,
                                                create_constraint=True))
    status: Mapped[str] = mapped_column(sa.Enum(*MESSAGE_STATUSES, name="message_status", native_enum=False, length=10,
                                                create_constraint=True))
    error_code: Mapped[str | None] = mapped_column(sa.String(60))
    talk_page_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
