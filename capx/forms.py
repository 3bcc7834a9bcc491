"""Form helpers shared by every area: translated validators and user-name rules."""

from __future__ import annotations

import re
from typing import Any

from wtforms import Field, ValidationError

from capx.language import lazy_msg

#: Characters MediaWiki does not allow in user names ($wgLegalTitleChars and User::isValidUserName).
INVALID_USERNAME_CHARS = re.compile(r"[#<>\[\]|{}/@:\x00-\x1f\x7f]")
MAX_USERNAME_LENGTH = 85


def normalize_username(value: str) -> str:
    """A user name as MediaWiki stores it: underscores as spaces, first letter upper case."""
    value = re.sub(r"[_\s]+", " ", value or "").strip()
    return value[:1].upper() + value[1:]


class ValidUsername:
    """A syntactically valid MediaWiki user name (not whether it exists)."""

    def __call__(self, _form: Any, field: Field) -> None:
        value = normalize_username(field.data or "")
        if not value:
            return
        if len(value) > MAX_USERNAME_LENGTH or INVALID_USERNAME_CHARS.search(value):
            raise ValidationError(lazy_msg("form-error-username-invalid"))  # type: ignore[arg-type]
        field.data = value
