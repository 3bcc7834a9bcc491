"""Shared pieces of the models: table options, column types and time helpers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from capx.extensions import db

if TYPE_CHECKING:
    from sqlalchemy.orm import DeclarativeBase

    class Model(DeclarativeBase):
        """What ``db.Model`` is to the type checker (Flask-SQLAlchemy builds it at run time)."""

else:
    #: The base class of every model (Flask-SQLAlchemy's ``db.Model``), under a name the type
    #: checker can follow.
    Model = db.Model

#: Every table is InnoDB with utf8mb4 on MariaDB (ToolsDB), whatever the database default.
TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def table_args(*items: Any) -> tuple[Any, ...]:
    """``__table_args__`` with our table options after the given constraints and indexes."""
    return (*items, TABLE_OPTIONS)


def exact_string(length: int) -> sa.types.TypeEngine[str]:
    """A string compared byte for byte on MariaDB.

    The table collation is case- and accent-insensitive (good for search), but MediaWiki user
    names are case-sensitive after the first letter and "José" is not "Jose": unique keys on such
    values need a binary collation.
    """
    return sa.String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


#: The bytes of a stored picture copy (badges, event course pictures): MEDIUMBLOB on MariaDB (a
#: plain BLOB holds 64 KiB only).
PICTURE_BYTES = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


def utcnow() -> dt.datetime:
    """Now in UTC as a naive datetime (how every timestamp is stored)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# Kinds of a capacity on a profile or an organization, in the users' words.
KNOWN, AVAILABLE, WANTED = "known", "available", "wanted"
CAPACITY_KINDS = (KNOWN, AVAILABLE, WANTED)
capacity_kind = sa.Enum(*CAPACITY_KINDS, name="capacity_kind", native_enum=False, length=10,
                        create_constraint=True)

