"""Lists of ids read in the same row as what they belong to (GROUP_CONCAT), on SQLite and MariaDB.

A card needs a few short lists (its capacities, languages, territories). Reading them as one
comma-separated column of the card's own row, instead of one query per relation, saves a round
trip to the database each, and most of the rows the driver would otherwise decode.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

#: Link rows are packed as position * POSITION + id, so a concatenated column keeps their order
#: (GROUP_CONCAT cannot order its values on SQLite 3.40).
POSITION = 1 << 20


def concat(value: Any, owner: Any) -> Any:
    """The values of the rows of ``owner`` (the correlation, e.g. ``link.profile_id == Profile.id``)
    as one comma-separated text, from a correlated subquery.

    Only the correlation is in the subquery's WHERE, so each owner's rows are read by the link
    table's primary key: with another equality there (``kind = 'known'``), SQLite without
    statistics reads the secondary index on it instead, every row of that kind for every card.
    Select rows with a CASE in ``value`` instead (NULLs are left out of the text)."""
    return sa.select(sa.func.group_concat(value)).where(owner).scalar_subquery()


def unpack(text: str | bytes | None) -> list[int]:
    """The integers of a GROUP_CONCAT column (MariaDB may return it as bytes), ascending."""
    if not text:
        return []
    if isinstance(text, bytes):
        text = text.decode("ascii")
    return sorted(int(part) for part in text.split(","))
