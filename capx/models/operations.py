"""What the running system keeps about itself: shared rate-limit counters and job outages."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, table_args


class RateCounter(Model):
    """Hits of one rate-limit key in one fixed time window (``capx.support.ratelimit``).

    Counted with an atomic upsert, so every worker process and webservice replica shares the count;
    ``expires_at`` (seconds since the epoch) lets old windows be pruned through its index.
    """

    __tablename__ = "rate_counter"
    __table_args__ = table_args(sa.Index("ix_rate_counter_expires_at", "expires_at"))

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    window_start: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(sa.Integer, default=0)
    expires_at: Mapped[int] = mapped_column(sa.BigInteger)


class JobOutage(Model):
    """A remote service a scheduled job depends on is failing (``capx.services.job_outages``).

    The row exists from the first failed run of an outage until the first good run after it: the
    job alerts (exits non-zero) only when it creates the row.
    """

    __tablename__ = "job_outage"
    __table_args__ = table_args()

    job: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    since: Mapped[dt.datetime] = mapped_column()
    last_failed_at: Mapped[dt.datetime] = mapped_column()
    failed_runs: Mapped[int] = mapped_column(sa.Integer, default=1)
    last_error: Mapped[str] = mapped_column(sa.String(200), default="")
