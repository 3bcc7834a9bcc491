"""Form helpers shared by every area: translated validators and user-name rules."""

from __future__ import annotations

import re
from typing import Any

from wtforms import Field, ValidationError
from wtforms.validators import Length

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


class MaxCharacters(Length):
    """At most ``limit`` characters, counted as Python counts them (code points), on the server.

    WTForms' ``Length`` also writes ``maxlength`` on the rendered field. Browsers count that in
    UTF-16 units, where an emoji or a character outside the Basic Multilingual Plane is two, so the
    box stopped typing at half a text the server accepts (500 emoji of a 1,000-character report).
    This one renders no limit: the server's is the only one, and its message says it. Line breaks
    count one, as the page's counter (capx.js) shows them: the CR LF a browser sends becomes LF.
    """

    def __init__(self, limit: int, message: Any = None) -> None:
        super().__init__(max=limit, message=message or lazy_msg("form-error-too-long", limit))
        self.field_flags: dict[str, Any] = {}

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and "\r\n" in field.data:
            field.data = field.data.replace("\r\n", "\n")
        super().__call__(form, field)
