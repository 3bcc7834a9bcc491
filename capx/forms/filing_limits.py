"""What a form page says when its author has filed as many items as the limits allow
(:mod:`capx.services.filing_limits`); the typed text stays in the form."""

from __future__ import annotations

from capx.services.filing_limits import DAY, HOUR, LimitReached
from capx.translations import LazyMessage, lazy_msg

REPORT_LIMIT_MESSAGES = {HOUR: "reports-error-limit-hour", DAY: "reports-error-limit-day"}
SUGGESTION_LIMIT_MESSAGES = {HOUR: "directory-suggest-error-limit-hour", DAY: "directory-suggest-error-limit-day"}


def limit_message(reached: LimitReached, messages: dict[str, str]) -> LazyMessage:
    """The translated explanation of a reached limit (``messages``: one of the tables above)."""
    return lazy_msg(messages[reached.period], reached.count)
