"""The Translate! page's request side: the page state (language, filter, sort, search), one
capacity's submitted name and description, and the labels and error messages the page shows.

:func:`read_translation` returns a :class:`~capx.forms.errors.Checked` with the service's
:class:`~capx.services.translation.NewTranslation`; :func:`save_errors` turns what Metabase
answered into the same :class:`~capx.forms.errors.FormErrors` (fields ``label``, ``description``
and ``row`` for the whole capacity).
"""

from __future__ import annotations

from typing import Mapping

from capx.forms.errors import Checked, FormErrors
from capx.services import translation as service
from capx.translations import LazyMessage, lazy_msg

#: How each filter and sort order is called (lazy: shown in the page's language).
FILTER_LABELS = {"all": lazy_msg("translation-filter-all"), "untranslated": lazy_msg("translation-filter-untranslated"),
                 "translated": lazy_msg("translation-filter-translated")}
SORT_LABELS = {"untranslated-first": lazy_msg("translation-sort-untranslated-first"),
               "az": lazy_msg("translation-sort-az"), "za": lazy_msg("translation-sort-za")}
assert tuple(FILTER_LABELS) == service.FILTERS and tuple(SORT_LABELS) == service.SORTS


def read_state(values: Mapping[str, str]) -> dict[str, str]:
    """The page state from the query (or a save's hidden fields): target language, search, filter,
    sort and one capacity; anything unknown falls back to the default."""
    lang = (values.get("lang") or "").strip().lower()
    filter_ = values.get("filter") or ""
    sort = values.get("sort") or ""
    return {"lang": lang, "q": (values.get("q") or "").strip()[:100],
            "filter": filter_ if filter_ in service.FILTERS else "all",
            "sort": sort if sort in service.SORTS else "untranslated-first",
            "capacity": (values.get("capacity") or "").strip()}


def read_capacity_id(data: Mapping[str, str]) -> int | None:
    """The capacity a save is for, or None when the field is no number (a bad request)."""
    try:
        return int(data.get("capacity_id", ""))
    except ValueError:
        return None


def typed_text(data: Mapping[str, str]) -> tuple[str, str]:
    """The submitted name and description as the page shows them again (a line break is one
    character, as the page counts it: browsers send CR LF)."""
    name = (data.get("name") or "").strip()
    description = (data.get("description") or "").replace("\r\n", "\n").strip()
    return name, description


def read_translation(data: Mapping[str, str], capacity_id: int, lang: str) -> Checked[service.NewTranslation]:
    """The submitted name and description, checked (each at most ``MAX_LABEL`` characters);
    ``form`` is the typed (name, description)."""
    name, description = typed_text(data)
    errors = FormErrors()
    if len(name) > service.MAX_LABEL:
        errors.add("label", lazy_msg("form-error-too-long", service.MAX_LABEL))
    if len(description) > service.MAX_LABEL:
        errors.add("description", lazy_msg("form-error-too-long", service.MAX_LABEL))
    if errors:
        return Checked(None, errors, (name, description))
    return Checked(service.NewTranslation(capacity_id, lang, name, description), errors, (name, description))


def save_errors(errors: Mapping[str, tuple[str, str]]) -> FormErrors:
    """What Metabase answered, per field ("label", "description", "row"): (code, its text).
    Metabase not answering is not Metabase refusing: that says it cannot be reached."""
    explained = FormErrors()
    for name, (code, text) in errors.items():
        explained.add(name, _explained(code, text))
    return explained


def _explained(code: str, text: str) -> LazyMessage:
    if code in ("timeout", "unreachable") or code.startswith("http-5"):
        return lazy_msg("translation-error-unavailable")
    if code == "not-configured":
        return lazy_msg("translation-error-not-configured")
    return lazy_msg("translation-error-metabase", text or code)


def not_configured() -> FormErrors:
    """The row error when neither a connected account nor the bot can write."""
    return save_errors({"row": ("not-configured", "")})

