"""Values read from submitted text (form fields, query strings), forgiving what a person or a
forged request may send."""

from __future__ import annotations


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
