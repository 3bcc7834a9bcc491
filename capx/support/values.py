"""Values read from submitted text (form fields, query strings), forgiving what a person or a
forged request may send."""

from __future__ import annotations

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


def int_list(values: list[str]) -> list[int]:
    """Integers from form values, ignoring anything malformed, keeping order, no repeats."""
    out: list[int] = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number not in out:
            out.append(number)
    return out
