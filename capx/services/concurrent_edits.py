"""Two people editing the same thing at once (an organization's profile, an event).

Rows that people edit carry a ``version`` column (SQLAlchemy's version_id_col). An edit form sends
back the version it was loaded with: when the stored one moved meanwhile, someone else saved, and
the second editor is shown what changed instead of overwriting it (:func:`saved_meanwhile`). A save
landing between that check and the write is caught by the version column itself
(:func:`versioned_write` turns it into :class:`SavedMeanwhile`).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.orm.exc import StaleDataError

from capx.extensions import db


class SavedMeanwhile(Exception):
    """Someone else saved the row after this editor loaded it: nothing of this edit was written
    (the caller rolls back and shows what changed)."""


def saved_meanwhile(stored_version: int, loaded_version: int | None) -> bool:
    """Whether someone saved since the editor loaded the form (no version sent counts as such)."""
    return loaded_version != stored_version


@contextmanager
def versioned_write() -> Iterator[None]:
    """Around an edit's writes, which are flushed at its end: an UPDATE that finds the row's version
    moved raises :class:`SavedMeanwhile` (from the flush, or from a query's autoflush inside)."""
    try:
        yield
        db.session.flush()
    except StaleDataError as error:
        raise SavedMeanwhile() from error
