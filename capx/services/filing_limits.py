"""How many things one person may file for the staff per hour and per day (bug reports, capacity
suggestions): counted from the stored rows, so every worker process and every replica agrees.

Staff are exempt. Each area passes its own row class and limits (from ``CAPX_REPORT_LIMIT_*`` and
``CAPX_SUGGESTION_LIMIT_*``, read by the blueprint).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from capx.extensions import db
from capx.models import CapacitySuggestion, User

HOUR, DAY = "hour", "day"


@dataclass(frozen=True)
class FilingLimits:
    """At most ``per_hour`` in any hour and ``per_day`` in any 24 hours."""

    per_hour: int
    per_day: int


@dataclass(frozen=True)
class LimitReached:
    """The person filed ``count`` in the last ``period`` (HOUR or DAY): the most allowed."""

    period: str
    count: int


def limit_reached(person: User, owner: InstrumentedAttribute[int], created: InstrumentedAttribute[dt.datetime],
                  limits: FilingLimits, now: dt.datetime) -> LimitReached | None:
    """Whether ``person`` may not file one more row (``owner`` and ``created`` are the columns of
    the area's rows holding who filed it and when). None for staff.

    The person's user row is locked first (on MariaDB; SQLite runs one writer at a time), so two
    requests of one person at the same moment count one after the other: the limit holds across
    workers and replicas, not only on average.
    """
    if person.is_staff:
        return None
    db.session.execute(sa.select(User.id).where(User.id == person.id).with_for_update())
    hour_ago, day_ago = now - dt.timedelta(hours=1), now - dt.timedelta(days=1)
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((created >= hour_ago, 1), else_=0)), 0))
        .where(owner == person.id, created >= day_ago)).one()
    in_day, in_hour = int(row[0]), int(row[1])
    if in_hour >= limits.per_hour:
        return LimitReached(HOUR, in_hour)
    if in_day >= limits.per_day:
        return LimitReached(DAY, in_day)
    return None


def suggestion_limit_reached(person: User, limits: FilingLimits, now: dt.datetime) -> LimitReached | None:
    """Whether ``person`` sent as many capacity suggestions as ``limits`` allow (staff never do)."""
    return limit_reached(person, CapacitySuggestion.user_id, CapacitySuggestion.created_at, limits, now)
