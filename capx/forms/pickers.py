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
from typing import Mapping, Sequence

from werkzeug.datastructures import MultiDict

from capx.services import choices as choices_service
from capx.services.choices import Choice
from capx.support.values import int_list


@dataclass
class PickerState:
    """What a picker shows: chosen items, the search text, and candidates found by a search."""

    name: str
    kind: str
    selected: list[Choice]
    query: str = ""
    candidates: list[Choice] = field(default_factory=list)
    #: The text of this box's last search step, carried in the form (see :func:`searching`).
    last_search: str = ""

    @property
    def selected_ids(self) -> list[int]:
        return [c.value for c in self.selected]

    def read_search(self, data: Mapping[str, str], chain: Sequence[str], limit: int = 30) -> None:
        """Take the search text from submitted ``data`` and, on this picker's search step, the
        candidates (chosen items left out), labelled for the language ``chain``."""
        self.query = (data.get(f"{self.name}_q") or "").strip()[:100]
        self.last_search = (data.get(f"{self.name}_q_searched") or "")[:100]
        if searching(data) == self.name and self.query:
            self.last_search = self.query
            chosen = {c.value for c in self.selected}
            self.candidates = [c for c in choices_service.search(self.kind, self.query, chain, limit=limit)
                               if c.value not in chosen]


#: The value of the hidden first button of a form with pickers (macro ``enter_key``): Enter in a
#: text field "presses" a form's first submit button, so it tells that Enter was pressed.
ENTER = "_enter"


def searching(data: Mapping[str, str]) -> str | None:
    """The picker whose Search button was pressed (no-JavaScript search step), or None.

    After Enter (see ENTER), the picker whose search box holds new text: without JavaScript, Enter
    in a picker's box should search it, not submit the form and lose the text. A box keeps the
    text of its last search (``<name>_q_searched`` says which), so the box whose text differs from
    it is the one just typed into; failing that, the first box with text. Enter with every box
    empty submits the form as its main button would."""
    pressed = data.get("picker_search") or None
    if pressed != ENTER:
        return pressed
    boxes = {key.removesuffix("_q"): (data.get(key) or "").strip() for key in data
             if key.endswith("_q") and data.get(f"{key.removesuffix('_q')}__present")}
    typed = [name for name, text in boxes.items() if text]
    new = [name for name in typed if boxes[name] != (data.get(f"{name}_q_searched") or "")]
    return (new or typed)[0] if (new or typed) else None


def picker_state(name: str, kind: str, data: MultiDict[str, str] | None, initial_ids: list[int] | None = None,
                 *, chain: Sequence[str], limit: int = 30) -> PickerState:
    """Build a picker from submitted data (or the initial ids when nothing was submitted), its
    items labelled for the language ``chain``."""
    if data is not None and (name in data or searching(data) or data.get(f"{name}__present")):
        ids = int_list(data.getlist(name))
    else:
        ids = list(initial_ids or [])
    state = PickerState(name, kind, choices_service.labels(kind, ids, chain))
    if data is not None:
        state.read_search(data, chain, limit)
    return state
