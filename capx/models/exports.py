"""What the Commons export last published (so an unchanged page is not edited again)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, table_args, utcnow


class CommonsExport(Model):
    """One tabular page on Commons: the SHA-256 of the document last accepted, and when."""

    __tablename__ = "commons_export"
    __table_args__ = table_args()

    page: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    exported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
