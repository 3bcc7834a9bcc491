"""Let's Connect registrations: stored ONLY in the separate "lets_connect" database (bind).

The main database records just that and when a user registered
(``Profile.lets_connect_registered_at``). There is no foreign key across databases: the row is
keyed by the user's id and erased explicitly when the account is deleted.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, table_args, utcnow

#: The main role in the group or organization (the six options of the User Guide).
LETS_CONNECT_ROLES = ("paid-staff", "volunteer-staff", "volunteer-organiser", "executive-director",
                      "board-member", "individual-volunteer")
#: Topics the Wikimedia work relates to (up to two, plus "Other").
LETS_CONNECT_TOPICS = ("climate", "public-policy", "education", "open-technology", "diversity", "culture",
                       "governance", "human-rights", "advocacy")
LETS_CONNECT_GENDERS = ("woman", "man", "non-binary", "self-described", "prefer-not")
LETS_CONNECT_AGE_RANGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-plus", "prefer-not")


class LetsConnectRegistration(Model):
    """A user's registration for the Let's Connect program (personal data, separate store)."""

    __bind_key__ = "lets_connect"
    __tablename__ = "lets_connect_registration"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, unique=True)  # user.id in the main database
    username: Mapped[str] = mapped_column(sa.String(255))
    full_name: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(30))
    topics: Mapped[str | None] = mapped_column(sa.String(200))  # comma-separated codes
    topic_other: Mapped[str | None] = mapped_column(sa.String(200))
    gender: Mapped[str | None] = mapped_column(sa.String(30))
    gender_other: Mapped[str | None] = mapped_column(sa.String(100))
    age_range: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def topic_list(self) -> list[str]:
        return [t for t in (self.topics or "").split(",") if t]
