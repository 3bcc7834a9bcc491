"""The length rule of every text field: a character is a code point, as Python's ``len`` counts it."""

from __future__ import annotations

from typing import Any

from wtforms import Field
from wtforms.validators import Length

from capx.translations import lazy_msg


class MaxCharacters(Length):
    """At most ``limit`` characters, counted as Python counts them (code points), on the server.

    Use it instead of WTForms' ``Length``, which also writes ``maxlength`` on the rendered field.
    Browsers count that in UTF-16 units, where an emoji or any character beyond the Basic
    Multilingual Plane is two, so the box stopped typing at half a text the server accepts (500
    emoji of a 1,000-character report). This one renders no limit: the server's is the only one,
    and its message says it. Line breaks count one, as the page's counter (capx.js) shows them: the
    CR LF a browser sends becomes LF.
    """

    def __init__(self, limit: int, message: Any = None) -> None:
        super().__init__(max=limit, message=message or lazy_msg("form-error-too-long", limit))
        self.field_flags: dict[str, Any] = {}

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and "\r\n" in field.data:
            field.data = field.data.replace("\r\n", "\n")
        super().__call__(form, field)
