"""Pre-computed figures: for the Data Analytics dashboard, and the counts Explore plans its queries with."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, exact_string, table_args, utcnow


class Statistic(Model):
    """One pre-computed figure of the Data Analytics dashboard (refreshed by a job).

    ``metric`` names the figure; ``region_id`` is the Wikimedia region it counts (NULL means the
    whole world); ``item_id`` the language or capacity it is about; ``kind`` the capacity kind
    (``all`` for any kind). Nothing references these rows: a refresh replaces them all.
    """

    __tablename__ = "statistic"
    __table_args__ = table_args(sa.Index("ix_statistic_lookup", "metric", "region_id", "item_id", "kind"),
                                sa.Index("ix_statistic_item", "metric", "item_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(30))
    region_id: Mapped[int | None] = mapped_column(sa.Integer)
    item_id: Mapped[int | None] = mapped_column(sa.Integer)
    kind: Mapped[str | None] = mapped_column(sa.String(10))
    value: Mapped[int] = mapped_column(sa.Integer)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NameGramCount(Model):
    """How many profiles have a name gram (``ProfileNameGram``), as of the last statistics refresh.

    Explore's name search drives its query from the search text's rarest gram; reading these few
    rows by primary key tells which one that is without counting the grams' rows per request.
    """

    __tablename__ = "name_gram_count"
    __table_args__ = table_args()

    gram: Mapped[str] = mapped_column(exact_string(3), primary_key=True)
    profiles: Mapped[int] = mapped_column(sa.Integer)
