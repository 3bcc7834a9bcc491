"""What the import from the previous platform (capx-backend) already did, row by row.

Every row of the export that was imported or merged is recorded with its old model and id, in
the same transaction as the rows it became: a second run skips what is recorded (it changes
nothing), and a run that stopped half-way resumes after the last committed batch.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from capx.models.base import Model, table_args, utcnow


class ImportedRow(Model):
    """One row of the previous platform's export (``model`` as dumpdata names it, e.g.
    ``users.profile``, and its primary key) and the id of the CapX row it became, if one.

    ``<model>#range`` rows record a committed batch of streamed rows at once: ``old_id`` is its
    first key and ``new_id`` its last (for models the export lists in key order).
    """

    __tablename__ = "imported_row"
    __table_args__ = table_args()

    model: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    old_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    new_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    merged: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
