"""The hidden fields of an edit form that tell a save made by someone else meanwhile.

An edit form carries the row's ``version`` and ``loaded``, the snapshot (field → readable value) of
what its editor saw. When the version moved (capx.services.concurrent_edits), the page shows, field
by field, what the editor loaded next to what is stored now (:func:`changed_since`), keeps what
they typed, and takes the stored snapshot as the new ``loaded``: saving again is a deliberate
overwrite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from capx.support.values import parse_id
from capx.translations import LazyMessage


def submitted_version(data: Mapping[str, str]) -> int | None:
    """The version the form was loaded with (None when missing or malformed)."""
    return parse_id(data.get("version"))


def loaded_snapshot(data: Mapping[str, str]) -> dict[str, str]:
    """The snapshot the form was loaded with (empty when missing or malformed)."""
    try:
        value = json.loads(data.get("loaded") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def encode_snapshot(values: Mapping[str, str]) -> str:
    """A snapshot as the ``loaded`` field's value."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class FieldChange:
    """A field someone else changed: its label, what this editor loaded and what is stored now."""

    label: LazyMessage
    loaded: str
    stored: str


def changed_since(loaded: Mapping[str, str], stored: Mapping[str, str],
                  labels: Mapping[str, LazyMessage]) -> list[FieldChange]:
    """The fields (in the order of ``labels``) whose stored value differs from what the editor loaded."""
    return [FieldChange(label, loaded.get(key, ""), stored.get(key, ""))
            for key, label in labels.items() if loaded.get(key, "") != stored.get(key, "")]
