"""Making a one-to-many collection (a relationship's list of link rows) hold exactly what a form asked for.

Rows whose key is still wanted are kept (and updated in place), the others removed, the missing
ones added in the asked order: an unchanged link is neither deleted nor inserted again, so an edit
touches only what changed and no unique key sees the same row twice in one flush.
"""

from __future__ import annotations

from typing import Callable, Hashable, MutableSequence, Sequence, TypeVar

R = TypeVar("R")
V = TypeVar("V")


def sync_rows(rows: MutableSequence[R], wanted: Sequence[V], *, row_key: Callable[[R], Hashable],
              value_key: Callable[[V], Hashable], build: Callable[[V, int], R],
              update: Callable[[R, V, int], None] | None = None) -> None:
    """Make ``rows`` hold one row per value of ``wanted`` (matched by key; ``wanted`` has no repeated
    keys). ``build(value, position)`` makes a missing row, ``update(row, value, position)`` refreshes
    a kept one (e.g. its position or a level); the position is the value's index in ``wanted``."""
    asked = {value_key(value): (position, value) for position, value in enumerate(wanted)}
    for row in list(rows):
        hit = asked.pop(row_key(row), None)
        if hit is None:
            rows.remove(row)
        elif update is not None:
            update(row, hit[1], hit[0])
    for position, value in sorted(asked.values(), key=lambda item: item[0]):
        rows.append(build(value, position))
