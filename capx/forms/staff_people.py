"""The staff overview of people: its filters from the query string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from capx.forms.errors import Checked, FormErrors
from capx.services.staff_people import SEARCH_MAX, Flag, PeopleFilter
from capx.translations import LazyMessage, lazy_msg

#: The yes/no filters: (query-string key, label).
FLAG_FILTERS: tuple[tuple[str, LazyMessage], ...] = (
    ("staff", lazy_msg("staff-people-filter-staff")),
    ("locked", lazy_msg("staff-people-filter-locked")),
    ("profile", lazy_msg("staff-people-filter-profile")),
)
FLAG_OPTIONS: tuple[tuple[str, LazyMessage], ...] = (
    ("", lazy_msg("staff-people-filter-any")), ("yes", lazy_msg("staff-people-filter-yes")),
    ("no", lazy_msg("staff-people-filter-no")),
)


@dataclass
class FilterForm:
    """The filters as typed (shown again above the results)."""

    q: str = ""
    staff: str = ""
    locked: str = ""
    profile: str = ""


def _flag(value: str) -> Flag:
    return {"yes": True, "no": False}.get(value)


def read_filter(args: Mapping[str, str]) -> Checked[PeopleFilter]:
    """The overview's filters: a name (at most SEARCH_MAX characters) and yes/no filters (anything
    else than yes or no means either)."""
    form = FilterForm(q=(args.get("q") or "").strip(),
                      **{key: v if (v := (args.get(key) or "")) in ("yes", "no") else "" for key, _ in FLAG_FILTERS})
    errors = FormErrors()
    if len(form.q) > SEARCH_MAX:
        errors.add("q", lazy_msg("staff-people-error-query-too-long", SEARCH_MAX))
        return Checked(None, errors, form)
    return Checked(PeopleFilter(query=form.q, staff=_flag(form.staff), locked=_flag(form.locked),
                                has_profile=_flag(form.profile)), errors, form)
