"""The one error type of every form: translated messages per field.

Every way a form is checked (a WTForms class, a parse function of an area's form module, a rule
of a service that refuses an input) reports its problems as a :class:`FormErrors`: field name →
list of :class:`~capx.translations.LazyMessage`. Messages are lazy, so they are made without
knowing the page's language and shown in it when the template renders them
(``macros/forms.html``: ``error_list`` beside the field, ``error_summary`` at the top).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Iterable, Mapping, TypeVar

from capx.translations import LazyMessage, lazy_msg

T = TypeVar("T")


class FormErrors(dict[str, list[LazyMessage]]):
    """Per-field error messages (empty: the input is valid). A dict, so templates read
    ``errors.get('bio')`` or ``errors.bio`` and ``errors | length`` counts the fields in error."""

    def add(self, name: str, message: LazyMessage) -> None:
        """One more message for field ``name``."""
        self.setdefault(name, []).append(message)

    def merge(self, other: Mapping[str, Iterable[LazyMessage]]) -> FormErrors:
        """Add every message of ``other`` (another check of the same form); returns self."""
        for name, messages in other.items():
            for message in messages:
                self.add(name, message)
        return self

    @classmethod
    def of_form(cls, form: Any) -> FormErrors:
        """The errors of a validated WTForms form. Our validators give lazy messages; WTForms' own
        (a submitted value that is none of a select's choices) become ``form-error-invalid``."""
        errors = cls()
        for name, messages in form.errors.items():
            for message in messages:
                errors.add(name, message if isinstance(message, LazyMessage) else lazy_msg("form-error-invalid"))
        return errors


@dataclass
class Checked(Generic[T]):
    """What a form module returns for submitted data: the typed input for the service when the data
    is valid (else None), the errors per field, and the form to show again (a WTForms form, or the
    submitted values), so that nothing the user typed is lost."""

    value: T | None
    errors: FormErrors = field(default_factory=FormErrors)
    form: Any = None
