"""The ``imported_row`` records: which old rows an earlier batch or run already wrote."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import ImportedRow, utcnow
from capx.services.importer.reader import Row
from capx.services.importer.report import PREVIOUSLY, ImportReport



def table_of(model: type[Any]) -> sa.Table:
    """The table of a model, as a Core table: the import writes batches through Core statements
    (executemany), without building ORM objects."""
    return db.metadatas[None].tables[model.__tablename__]


_table = table_of(ImportedRow)


def recorded(model: str, old_ids: Iterable[int]) -> dict[int, tuple[int | None, bool]]:
    """The recorded rows among ``old_ids``: old id -> (new id, merged). One query per 1,000 ids."""
    ids = list(old_ids)
    out: dict[int, tuple[int | None, bool]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for old_id, new_id, merged in db.session.execute(
                sa.select(_table.c.old_id, _table.c.new_id, _table.c.merged)
                .where(_table.c.model == model, _table.c.old_id.in_(chunk))):
            out[old_id] = (new_id, bool(merged))
    return out


def all_recorded(model: str) -> dict[int, tuple[int | None, bool]]:
    """Every recorded row of a (small) model."""
    return {old_id: (new_id, bool(merged)) for old_id, new_id, merged in db.session.execute(
        sa.select(_table.c.old_id, _table.c.new_id, _table.c.merged).where(_table.c.model == model))}


def record(model: str, rows: Iterable[tuple[int, int | None, bool]]) -> None:
    """Record (old id, new id, merged) rows of ``model`` in the current transaction."""
    now = utcnow()
    values = [{"model": model, "old_id": old_id, "new_id": new_id, "merged": merged, "imported_at": now}
              for old_id, new_id, merged in rows]
    if values:
        db.session.execute(sa.insert(_table), values)


def pending_rows(report: ImportReport, model: str, batch: list[Row]) -> list[Row]:
    """The rows of a batch no earlier run recorded (the others are counted as imported earlier)."""
    done = recorded(model, [r.pk for r in batch])
    report.count(model, PREVIOUSLY, len(done))
    return [r for r in batch if r.pk not in done]
