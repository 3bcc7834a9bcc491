"""Version stamps for data that processes cache in memory.

A process may keep a derived structure (the capacity tree) across requests as long as the stamp
it was built under is still the one in the database. Writers never set stamps by hand: session
events (``capx.services.capacities``) replace the stamp in the same transaction as the write,
with a random value, so a stamp never comes back after the table was emptied and refilled.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, table_args, utcnow


class CacheStamp(Model):
    """One named stamp (e.g. "capacities"): changes whenever the data behind it changes."""

    __tablename__ = "cache_stamp"
    __table_args__ = table_args()

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    stamp: Mapped[str] = mapped_column(sa.String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
