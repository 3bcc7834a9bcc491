"""Reference data: territories, languages, Wikimedia projects and avatars.

Loaded from ``capx/data/`` by ``flask capx load-reference``; users pick from these lists.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import Model, table_args


class Territory(Model):
    """A Wikimedia region (parent_id is None) or a country inside one region.

    ``code`` is the region's short id (LAC, SSA, ...) or the country's ISO 3166 alpha-3 code;
    the two never collide (South Asia "SA" is not a three-letter code). ``iso2`` is the
    country's alpha-2 code, used for CLDR names.
    """

    __tablename__ = "territory"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    iso2: Mapped[str | None] = mapped_column(sa.String(2))
    name: Mapped[str] = mapped_column(sa.String(100))  # English; localized at display time
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("territory.id"), index=True)
    color: Mapped[str | None] = mapped_column(sa.String(7))
    color_dark: Mapped[str | None] = mapped_column(sa.String(7))
    legacy_id: Mapped[int | None] = mapped_column(sa.Integer)  # id on the current platform

    parent: Mapped["Territory | None"] = relationship(remote_side=[id], back_populates="countries")
    countries: Mapped[list["Territory"]] = relationship(back_populates="parent", order_by="Territory.name")

    @property
    def is_region(self) -> bool:
        return self.parent_id is None


class Language(Model):
    """A language people speak or write in (MediaWiki code, CLDR names)."""

    __tablename__ = "language"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(35), unique=True)
    english_name: Mapped[str] = mapped_column(sa.String(100))
    autonym: Mapped[str] = mapped_column(sa.String(100))
    direction: Mapped[str] = mapped_column(sa.String(3), default="ltr")


class WikimediaProject(Model):
    """A Wikimedia project (Wikipedia, Commons, ...)."""

    __tablename__ = "wikimedia_project"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    logo_url: Mapped[str | None] = mapped_column(sa.String(300))


class Avatar(Model):
    """One of the avatars a user can choose (a Commons file)."""

    __tablename__ = "avatar"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, unique=True)
    file_name: Mapped[str] = mapped_column(sa.String(255))
