"""Outgoing e-mail through an SMTP relay (Toolforge's: ``mail.tools.wmcloud.org``, port 25).

One message per call, a short timeout on every socket operation, and one error type: a relay that
is down, slow or refusing raises :class:`MailError`, which callers log and never let undo what
they already committed.
"""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from capx.clients.http import RemoteServiceError

#: The relay Toolforge's containers send through (they have no local mailer).
DEFAULT_HOST, DEFAULT_PORT = "mail.tools.wmcloud.org", 25
#: The most a message may wait on the relay, per socket operation (seconds).
MAX_TIMEOUT = 5.0


class MailError(RemoteServiceError):
    """The relay could not be reached, timed out or refused the message."""


def one_line(value: str, limit: int) -> str:
    """A header-safe line: line breaks and control characters become spaces, cut to ``limit``."""
    cleaned = "".join(" " if ord(ch) < 32 or ch in "\u2028\u2029\x7f" else ch for ch in value)
    return " ".join(cleaned.split())[:limit]


class MailClient:
    """Sends plain-text messages through one SMTP relay."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, sender: str = "",
                 timeout: float = MAX_TIMEOUT) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.timeout = min(timeout, MAX_TIMEOUT)

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one message; any failure raises :class:`MailError` ("timeout", "unreachable", "refused")."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = one_line(subject, 200)
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except (socket.timeout, TimeoutError) as exc:
            raise MailError(f"the mail relay {self.host} did not answer in time", "timeout") from exc
        except smtplib.SMTPServerDisconnected as exc:  # smtplib's way of saying a reply timed out, too
            code = "timeout" if "timed out" in str(exc) else "unreachable"
            raise MailError(f"the mail relay {self.host} stopped answering: {exc}", code) from exc
        except smtplib.SMTPException as exc:
            raise MailError(f"the mail relay {self.host} refused the message: {exc}", "refused") from exc
        except OSError as exc:
            raise MailError(f"the mail relay {self.host} is unreachable: {exc}", "unreachable") from exc

