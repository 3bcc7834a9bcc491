"""The version stamps of data that processes keep in memory (``capx.models.cache``).

Three kinds of data are cached per process across requests: the capacity tree ("capacities"), the
small reference tables that name things on every card ("reference": territories, languages,
avatars), and Explore's counts ("people": profiles, their capacities, territories, languages,
affiliations and name grams, and users, whose lock hides a profile). A cached structure is used
while the stamp it was built under is still the one in the database. Every request (every unit of
work with a :mod:`capx.support.scope`) reads all stamps with one primary-key query, the first time
it needs one, and keeps them until it writes a stamped table itself.

The session events below replace a stamp in the same transaction as any ORM write to one of its
tables (objects flushed, or bulk insert/update/delete statements), so a rolled-back write keeps the
old stamp and every process sees a committed change at its next request. Writes that bypass the
ORM session (raw SQL) must call :func:`bump` themselves.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session

from capx.extensions import db
from capx.models import (Avatar, CacheStamp, Capacity, CapacityText, Language, Profile, ProfileAffiliation,
                         ProfileCapacity, ProfileLanguage, ProfileNameGram, ProfileTerritory, Territory, User, utcnow)
from capx.support import scope

CAPACITIES = "capacities"
REFERENCE = "reference"
#: Anything that can change which profiles an Explore search finds: Explore keeps its counts
#: under it (capx.services.explore.search).
PEOPLE = "people"
_PEOPLE_MODELS: tuple[Any, ...] = (Profile, ProfileCapacity, ProfileTerritory, ProfileLanguage, ProfileAffiliation,
                                    ProfileNameGram, User)

#: Which stamp each cached table changes.
STAMP_OF_TABLE: dict[str, str] = {
    Capacity.__tablename__: CAPACITIES,
    CapacityText.__tablename__: CAPACITIES,
    Territory.__tablename__: REFERENCE,
    Language.__tablename__: REFERENCE,
    Avatar.__tablename__: REFERENCE,
    **{model.__tablename__: PEOPLE for model in _PEOPLE_MODELS},
}
_STAMP_OF_MODEL: dict[type, str] = {Capacity: CAPACITIES, CapacityText: CAPACITIES, Territory: REFERENCE,
                                    Language: REFERENCE, Avatar: REFERENCE, **{model: PEOPLE for model in _PEOPLE_MODELS}}
_SCOPE_KEY = "cache-stamps"


def _read_stamps() -> dict[str, str]:
    return {name: stamp for name, stamp in db.session.execute(sa.select(CacheStamp.name, CacheStamp.stamp))}


def stamp(name: str) -> str | None:
    """The current stamp called ``name``, or None when it was never set (then nothing may be cached).

    In a scope (a request), all stamps are read once (one query) and kept until it bumps one."""
    return scope.remember(_SCOPE_KEY, _read_stamps).get(name)


def bump(connection: sa.Connection, name: str) -> None:
    """Give stamp ``name`` a new random value, in the caller's transaction.

    Random rather than counted, so a stamp never comes back after a table was emptied and refilled.
    """
    table = cast(sa.Table, CacheStamp.__table__)  # a mapped class's table (typed as any FromClause)
    values = {"stamp": secrets.token_hex(16), "updated_at": utcnow()}
    result = connection.execute(sa.update(table).where(table.c.name == name).values(**values))
    if result.rowcount == 0:
        connection.execute(sa.insert(table).values(name=name, **values))
    scope.forget(lambda key: key == _SCOPE_KEY)


def ensure(connection: sa.Connection) -> None:
    """Set every stamp that is missing (a database filled before stamps existed caches nothing)."""
    present = set(connection.execute(sa.select(CacheStamp.name)).scalars())
    for name in sorted(set(STAMP_OF_TABLE.values()) - present):
        bump(connection, name)


def _stamp_connection(session: Session) -> sa.Connection:
    return session.connection(bind_arguments={"mapper": sa.inspect(CacheStamp)})


@sa.event.listens_for(Session, "after_flush")
def _stamp_after_flush(session: Session, _context: Any) -> None:
    """A flush that wrote rows of a cached table changes that table's stamp (same transaction)."""
    names = {_STAMP_OF_MODEL[type(obj)] for obj in itertools.chain(session.new, session.dirty, session.deleted)
             if type(obj) in _STAMP_OF_MODEL}
    for name in sorted(names):
        bump(_stamp_connection(session), name)


@sa.event.listens_for(Session, "do_orm_execute")
def _stamp_bulk_statements(state: ORMExecuteState) -> None:
    """Bulk INSERT/UPDATE/DELETE statements on a cached table change its stamp too."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = STAMP_OF_TABLE.get(getattr(getattr(state.statement, "table", None), "name", None) or "")
    if name is not None:
        bump(_stamp_connection(state.session), name)
