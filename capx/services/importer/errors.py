"""The one error the importer raises for a file it cannot take."""

from __future__ import annotations


class ImportFileError(ValueError):
    """The export is malformed: truncated, not dumpdata JSON, an unknown model, a field of the wrong
    type, or a reference to a row that is not in the file. The message names the row."""


def row_label(position: int, model: str | None, pk: object) -> str:
    """How an error names a row: its position in the file (1 = first object), model and pk."""
    return f"row {position} ({model or '?'} pk {pk!r})"
