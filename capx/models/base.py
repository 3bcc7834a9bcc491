"""Shared pieces of the models: table options, column types and time helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

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


def utcnow() -> dt.datetime:
    """Now in UTC as a naive datetime (how every timestamp is stored)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# Kinds of a capacity on a profile or an organization, in the users' words.
KNOWN, AVAILABLE, WANTED = "known", "available", "wanted"
CAPACITY_KINDS = (KNOWN, AVAILABLE, WANTED)
capacity_kind = sa.Enum(*CAPACITY_KINDS, name="capacity_kind", native_enum=False, length=10,
                        create_constraint=True)


#: The largest id a row can have: SQLite and MariaDB integers are signed 64-bit.
LARGEST_ID = 2**63 - 1
_LARGEST_ID_DIGITS = len(str(LARGEST_ID))


def parse_id(value: object) -> int | None:
    """An id read from submitted text (a path, a query string, a form field), or None when no row
    can have it: not a whole number in ASCII digits, not positive, or beyond 64 bits.

    Why not plain ``int()``: a number beyond 64 bits reaches the query and the database driver fails
    on it (``OverflowError`` on SQLite, a 500) instead of finding nothing, and ``int()`` itself
    refuses more than 4,300 digits with a ValueError.
    """
    text = value.strip() if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if not text.isascii() or not text.isdigit() or len(text) > _LARGEST_ID_DIGITS:
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ID else None
