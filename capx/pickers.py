"""Type-ahead pickers that work without JavaScript.

A picker is a set of checkboxes named after the field (``capacity_known``, ``territory``, ...):
chosen items are ticked chips, unticking removes one. Next to them a search box
(``<name>_q``) and a "Search" submit button (``picker_search=<name>``). Without JavaScript, the
button submits the whole form; the view sees :func:`searching` is true, re-renders the form with
everything the user typed, plus the matching items as unticked checkboxes to tick. With
JavaScript (capx.js), typing asks ``/api/suggest/<kind>?q=`` and picking an option adds the
ticked chip directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from werkzeug.datastructures import MultiDict

from capx.services import choices as choices_service
from capx.services.choices import Choice


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


@dataclass
class PickerState:
    """What a picker shows: chosen items, the search text, and candidates found by a search."""

    name: str
    kind: str
    selected: list[Choice]
    query: str = ""
    candidates: list[Choice] = field(default_factory=list)

    @property
    def selected_ids(self) -> list[int]:
        return [c.value for c in self.selected]


def searching(data: Mapping[str, str]) -> str | None:
    """The picker whose Search button was pressed (no-JavaScript search step), or None."""
    return data.get("picker_search") or None


def picker_state(name: str, kind: str, data: MultiDict[str, str] | None, initial_ids: list[int] | None = None,
                 limit: int = 30) -> PickerState:
    """Build a picker from submitted data (or the initial ids when nothing was submitted)."""
    if data is not None and (name in data or searching(data) or data.get(f"{name}__present")):
        ids = int_list(data.getlist(name))
    else:
        ids = list(initial_ids or [])
    state = PickerState(name, kind, choices_service.labels(kind, ids))
    if data is not None:
        state.query = (data.get(f"{name}_q") or "").strip()
        if searching(data) == name and state.query:
            chosen = set(ids)
            state.candidates = [c for c in choices_service.search(kind, state.query, limit=limit) if c.value not in chosen]
    return state
