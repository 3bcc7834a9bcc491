"""One name, one capacity: capacity names compared as people read them, and the lock that makes
the comparison hold when two staff members approve suggestions at the same moment.

Two names are the same when they are equal after case and accent folding (Unicode NFKD, combining
marks stripped, casefolded) with runs of spaces collapsed: "Comunicação  social" is
"COMUNICACAO SOCIAL". A name is compared with every name CapX holds for a capacity, in every
language (``capacity_text``), not only English.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from capx.extensions import db
from capx.models import CapacityText
from capx.services.capacities import bump_tree_stamp, fold


def name_key(name: str) -> str:
    """The form in which two capacity names are compared."""
    return " ".join(fold(name).split())


@dataclass(frozen=True)
class SameName:
    """An existing capacity holding the name (``name`` as stored, in language ``lang``)."""

    capacity_id: int
    name: str
    lang: str


def lock_capacity_writes() -> None:
    """Wait for any other transaction writing capacities to end, and keep them waiting until this
    one ends (commit or rollback).

    The lock is the row of the capacities' cache stamp, which every write to the capacity tables
    replaces anyway (:mod:`capx.support.stamps`): updating it first makes a second approval wait
    here until the first commits. On SQLite the update starts the one write transaction the
    database allows at a time, which has the same effect.
    """
    bump_tree_stamp(db.session.connection())


def capacity_with_name(name: str) -> SameName | None:
    """The capacity already holding ``name`` in some language, compared by :func:`name_key`.

    The read locks what it reads (``LOCK IN SHARE MODE`` on MariaDB), so it sees the latest
    committed names even when the transaction's snapshot is older (REPEATABLE READ): after
    :func:`lock_capacity_writes`, a capacity another approval committed a moment ago is found.
    """
    key = name_key(name)
    rows = db.session.execute(sa.select(CapacityText.capacity_id, CapacityText.name, CapacityText.lang)
                              .where(CapacityText.name.is_not(None))
                              .order_by(CapacityText.capacity_id, CapacityText.lang)
                              .with_for_update(read=True))
    for capacity_id, text, lang in rows:
        if text and name_key(text) == key:
            return SameName(capacity_id, text, lang)
    return None
