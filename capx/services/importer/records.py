"""The ``imported_row`` records: which old rows an earlier batch or run already wrote."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from capx.extensions import db
from capx.models import ImportedRow, utcnow



def table_of(model: type[Any]) -> sa.Table:
    """The table of a model, as a Core table: the import writes batches through Core statements
    (executemany), without building ORM objects."""
    return db.metadatas[None].tables[model.__tablename__]


def insert_all(model: type[Any], values: list[dict[str, Any]]) -> None:
    """Insert ``values`` into the model's table in one Core executemany (nothing when empty)."""
    if values:
        db.session.execute(sa.insert(table_of(model)), values)


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


#: How a range of rows is recorded in ``imported_row``: model ``<model>#range``, ``old_id`` the
#: first key and ``new_id`` the last key of a committed batch.
RANGE = "#range"


def recorded_ranges(model: str) -> list[tuple[int, int]]:
    """The key ranges of ``model`` committed by earlier runs, sorted."""
    return sorted((first, int(last or first)) for first, (last, _merged) in all_recorded(model + RANGE).items())


def record_range(model: str, first: int, last: int) -> None:
    """Record that every row of ``model`` with a key from ``first`` to ``last`` is done. Only for
    models whose rows come in increasing key order, where those rows are exactly one batch."""
    record(model + RANGE, [(first, last, False)])


def in_ranges(ranges: list[tuple[int, int]], starts: list[int], key: int) -> bool:
    """Whether ``key`` is in one of the sorted ``ranges`` (``starts``: their first keys)."""
    i = bisect_right(starts, key) - 1
    return i >= 0 and key <= ranges[i][1]


def update_by_id(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Update existing rows (each dict holds the ``id`` and every other NOT NULL column).

    On MariaDB an UPDATE batch goes to the server one statement at a time (a round trip per row:
    20,000 for the profiles of a large export); ``INSERT ... ON DUPLICATE KEY UPDATE`` goes as a few
    multi-row statements. SQLite runs in this process: a plain executemany UPDATE is as fast.
    """
    if not rows:
        return
    columns = [name for name in rows[0] if name != "id"]
    if db.session.get_bind().dialect.name in ("mysql", "mariadb"):
        upsert = mysql.insert(table)
        db.session.execute(upsert.on_duplicate_key_update({name: upsert.inserted[name] for name in columns}), rows)
        return
    params = [{"row_id": row["id"], **{name: row[name] for name in columns}} for row in rows]
    db.session.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                       .values({name: sa.bindparam(name) for name in columns}), params)
