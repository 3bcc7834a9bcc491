"""Reading the export as a stream of rows, whatever its size.

A ``dumpdata`` file is one JSON array; ``json.load`` of a 200 MB export would hold every object
at once (gigabytes of Python objects). ijson's C parser yields one object at a time, so memory
stays flat whatever the file size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson

from capx.services.importer.errors import ImportFileError, row_label


@dataclass(frozen=True)
class Row:
    """One object of the export: its position (1 = first), model, primary key and fields."""

    position: int
    model: str
    pk: int
    fields: dict[str, Any]

    @property
    def label(self) -> str:
        return row_label(self.position, self.model, self.pk)


def _first_character(path: Path) -> str:
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(64)
            if not chunk:
                return ""
            stripped = chunk.lstrip()
            if stripped:
                return stripped[:1].decode("ascii", errors="replace")


def read_rows(path: Path) -> Iterator[Row]:
    """Every object of the export in file order. Raises :class:`ImportFileError` naming the row
    for a truncated or invalid file, or an object that is not a dumpdata row."""
    if _first_character(path) != "[":
        raise ImportFileError(f"{path}: not a dumpdata export (a JSON array of rows was expected)")
    position = 0
    last: tuple[str | None, Any] = (None, None)
    with path.open("rb") as fh:
        try:
            for obj in ijson.items(fh, "item", use_float=True):
                position += 1
                if not isinstance(obj, dict) or not isinstance(obj.get("model"), str) \
                        or not isinstance(obj.get("fields"), dict):
                    raise ImportFileError(f"{row_label(position, None, None)}: not a dumpdata row "
                                          "(an object with model, pk and fields)")
                pk = obj.get("pk")
                if not isinstance(pk, int) or isinstance(pk, bool):
                    raise ImportFileError(f"{row_label(position, obj['model'], pk)}: the primary key is not an integer")
                last = (obj["model"], pk)
                yield Row(position, obj["model"], pk, obj["fields"])
        except ijson.JSONError as exc:
            after = f"after {row_label(position, *last)}" if position else "before the first row"
            # yajl reports a file that stops early as "premature EOF" (ijson's Python parser as incomplete).
            if "premature EOF" in str(exc) or "Incomplete" in str(exc):
                raise ImportFileError(f"{path}: the file ends in the middle of a row, {after} "
                                      "(a truncated export?)") from None
            raise ImportFileError(f"{path}: invalid JSON {after}: {str(exc).strip()}") from None
