"""The user-name field rule shared by every form that asks for a Wikimedia user name."""

from __future__ import annotations

from typing import Any

from wtforms import Field, ValidationError

from capx.support.usernames import is_valid_username, normalize_username
from capx.translations import lazy_msg


class ValidUsername:
    """A syntactically valid MediaWiki user name (not whether it exists); normalizes the field."""

    def __call__(self, _form: Any, field: Field) -> None:
        value = normalize_username(field.data or "")
        if not value:
            return
        if not is_valid_username(value):
            raise ValidationError(lazy_msg("form-error-username-invalid"))
        field.data = value
