"""Staff hear of new bug reports and capacity suggestions by e-mail (CAPX_STAFF_EMAIL).

The message says what arrived (its kind, type and title) and links to it; nothing private (no
description, no reporter, no address) goes out. It is sent after the report or suggestion is
committed, through the SMTP relay with a timeout of at most five seconds; a relay that fails is
logged and never loses what was filed (:func:`notify_staff` never raises for it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from capx.clients.mail import DEFAULT_HOST, DEFAULT_PORT, MAX_TIMEOUT, MailClient, MailError, one_line

log = logging.getLogger(__name__)

TITLE_MAX = 150


@dataclass(frozen=True)
class StaffNotice:
    """What staff are told: ``kind`` ("bug report", "capacity suggestion"), the item's type and
    title as filed, and the link to it."""

    kind: str
    type: str
    title: str
    link: str

    def subject(self) -> str:
        return one_line(f"[CapX] New {self.kind}: {self.title}", 200)

    def body(self) -> str:
        return (f"A new {self.kind} was filed on CapX.\n\n"
                f"Type: {one_line(self.type, 60)}\n"
                f"Title: {one_line(self.title, TITLE_MAX)}\n"
                f"Open it: {one_line(self.link, 500)}\n\n"
                "-- \nSent by CapX to CAPX_STAFF_EMAIL; the details are on the page linked above.\n")


def mail_client_from(config: Mapping[str, Any]) -> MailClient:
    """The relay client of the app's configuration (CAPX_SMTP_HOST / _PORT / _TIMEOUT, CAPX_MAIL_FROM)."""
    return MailClient(str(config.get("CAPX_SMTP_HOST") or DEFAULT_HOST), int(config.get("CAPX_SMTP_PORT") or DEFAULT_PORT),
                      str(config.get("CAPX_MAIL_FROM") or ""), float(config.get("CAPX_SMTP_TIMEOUT") or MAX_TIMEOUT))


def notify_staff(config: Mapping[str, Any], kind: str, type_: str, title: str, link: str) -> bool:
    """E-mail CAPX_STAFF_EMAIL about a new item (call it after the commit). False when no address
    is configured or the relay failed (logged); it never raises for a mail problem."""
    to = str(config.get("CAPX_STAFF_EMAIL") or "").strip()
    if not to:
        return False
    notice = StaffNotice(kind, type_, one_line(title, TITLE_MAX), link)
    try:
        mail_client_from(config).send(to, notice.subject(), notice.body())
    except MailError as exc:
        log.warning("staff notice not sent (%s): %s; the %s is stored", exc.code, exc, kind)
        return False
    except (ValueError, TypeError) as exc:  # a malformed address in the configuration
        log.warning("staff notice not sent (bad configuration: %s); the %s is stored", exc, kind)
        return False
    return True
