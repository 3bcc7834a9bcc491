"""Ids: keeping the previous platform's ids, moving CapX's own rows out of their way, and handing
out new ids.

Capacities, organizations, events and badges keep their old ids, so old links
(``/capacity/<id>``, ``/organization_profile/<id>``, ``/events/<id>``), the ids Meta-Wiki's
Template:CapacityExchange reads, and published badge ids keep meaning the same thing. A CapX row
the old platform lacks (a shipped organization, a built-in badge) is moved above the highest old
id before the import writes anything that refers to it; a CapX row that matched an old one takes
that old id. Every column that refers to a moved row moves with it (found from the models'
foreign keys, so tables added later are covered).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from capx.extensions import db

#: Tables whose ids follow the previous platform's.
KEPT_ID_TABLES = ("capacity", "organization", "event", "badge")


def plan_moves(current_ids: Iterable[int], matched: dict[int, int], max_old_id: int) -> dict[int, int]:
    """Which current ids must change: a matched row takes its old id; an unmatched row at or below
    ``max_old_id`` moves above every id in use. Rows already where they belong are left out."""
    ids = sorted(set(current_ids))
    moves: dict[int, int] = {cur: old for cur, old in matched.items() if cur != old}
    next_free = max([max_old_id, *ids, *matched.values()], default=0) + 1
    for cur in ids:
        if cur in matched or cur > max_old_id:
            continue
        moves[cur] = next_free
        next_free += 1
    targets = list(moves.values())
    if len(set(targets)) != len(targets):
        raise ValueError("two rows would take the same id")  # two matches for one old id: a planning bug
    return moves


def referencing_columns(table_name: str) -> list[sa.Column]:
    """Every column of the main database that holds an id of ``table_name`` (its foreign keys)."""
    columns = []
    for table in db.metadatas[None].sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                columns.append(fk.parent)
    return columns


def _case(column: sa.Column, mapping: dict[int, int]) -> sa.Case:
    return sa.case(mapping, value=column)


def move_ids(table_name: str, moves: dict[int, int]) -> None:
    """Give rows of ``table_name`` new ids (``moves``: current -> new) and update every reference,
    in the caller's transaction (the caller commits).

    Foreign key checks are deferred to the commit (SQLite) or off for this connection while the
    ids change (MariaDB), since a row and the rows referring to it cannot change in one statement.
    Ids pass through a free range first, so swaps and chains (1→2, 2→3) never collide.
    """
    if not moves:
        return
    table = db.metadatas[None].tables[table_name]
    connection = db.session.connection()
    mysql = connection.dialect.name in ("mysql", "mariadb")
    if mysql:
        connection.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
    else:
        # The pragma lasts until the transaction ends, and Python's sqlite3 opens one only at the
        # first write: write nothing first, so the pragma lands inside this import's transaction.
        connection.execute(table.update().where(sa.false()).values(id=table.c.id))
        connection.execute(sa.text("PRAGMA defer_foreign_keys=ON"))
    try:
        top = connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
        offset = max(top, *moves.values(), *moves.keys()) + 1
        first = {cur: cur + offset for cur in moves}
        second = {cur + offset: new for cur, new in moves.items()}
        for step in (first, second):
            keys = list(step)
            for start in range(0, len(keys), 500):
                part = {k: step[k] for k in keys[start:start + 500]}
                connection.execute(table.update().where(table.c.id.in_(list(part))).values(id=_case(table.c.id, part)))
                for column in referencing_columns(table_name):
                    connection.execute(column.table.update().where(column.in_(list(part)))
                                       .values({column.name: _case(column, part)}))
    finally:
        if mysql:
            connection.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))


def align_id_counters(connection: sa.Connection, tables: Iterable[str]) -> None:
    """Make MariaDB's AUTO_INCREMENT of each table start above its highest id.

    InnoDB moves the counter up when a row is inserted with an explicit id, but not when an id is
    changed by UPDATE; a new row could then take an id a moved row holds. SQLite always hands out
    max(id) + 1, so there is nothing to do. ``ALTER TABLE`` commits by itself on MariaDB: call
    this after the import's last commit.
    """
    if connection.dialect.name not in ("mysql", "mariadb"):
        return
    meta = db.metadatas[None]
    for name in tables:
        table = meta.tables[name]
        top = connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
        quoted = connection.dialect.identifier_preparer.quote(name)
        connection.execute(sa.text(f"ALTER TABLE {quoted} AUTO_INCREMENT = {int(top) + 1}"))


class IdAllocator:
    """Hands out ids for new rows of one table: above the highest id in use when first asked.

    The import writes with explicit ids so the rows of a batch can refer to each other without a
    round trip per row. Nothing else writes during an import (it runs before the site is opened).
    """

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self._next: int | None = None

    def next(self) -> int:
        if self._next is None:
            table = db.metadatas[None].tables[self.table_name]
            self._next = (db.session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
        value = self._next
        self._next += 1
        return value

    def reset(self) -> None:
        """Ask the database again next time (after a rollback)."""
        self._next = None
