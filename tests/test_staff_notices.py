"""Issue 17 §5: staff are e-mailed about new bug reports and capacity suggestions, through a real
SMTP server (aiosmtpd) started by the test; a relay that is down or silent never loses a report."""

from __future__ import annotations

import email
import logging
import socket
import time
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from capx.clients.mail import MailClient, MailError, one_line
from capx.extensions import db
from capx.models import BugReport

STAFF = "capx-staff@example.org"


class Inbox:
    """What the test SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture()
def mail_config(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    def configure(port: int, to: str = STAFF) -> None:
        monkeypatch.setitem(app.config, "CAPX_STAFF_EMAIL", to)
        monkeypatch.setitem(app.config, "CAPX_SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "CAPX_SMTP_PORT", port)
        monkeypatch.setitem(app.config, "CAPX_MAIL_FROM", "capx.notices@toolforge.org")
        monkeypatch.setitem(app.config, "CAPX_SMTP_TIMEOUT", 1.0)
    return configure


def file_report(client: Any, **data: str) -> Any:
    form = {"title": "The map is blank", "description": "My private e-mail is ana@example.org", "type": "error"}
    form.update(data)
    return client.post("/report_bug", data=form)


def report_count(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(BugReport)) or 0


def wait_for(inbox: Inbox, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_bug_report_reaches_staff(app: Any, client: Any, login: Any, make_user: Any, smtp_server: Any,
                                    mail_config: Any) -> None:
    inbox, port = smtp_server
    mail_config(port)
    login(client, make_user("Ana Exemplo"))
    assert file_report(client).status_code == 302
    wait_for(inbox, 1)
    [message] = inbox.messages
    assert inbox.recipients == [[STAFF]] and message["From"] == "capx.notices@toolforge.org"
    assert message["Subject"] == "[CapX] New bug report: The map is blank"
    body = message.get_payload(decode=True).decode()
    with app.app_context():
        report_id = db.session.scalar(sa.select(BugReport.id))
    assert "Type: error" in body and "Title: The map is blank" in body
    assert f"http://capx.test/report_bug/{report_id}" in body
    # Never private data: neither the description nor who filed it.
    assert "ana@example.org" not in body and "Ana Exemplo" not in body


def test_a_capacity_suggestion_reaches_staff(app: Any, client: Any, login: Any, make_user: Any, smtp_server: Any,
                                             mail_config: Any) -> None:
    inbox, port = smtp_server
    mail_config(port)
    login(client, make_user("Bruno Exemplo"))
    response = client.post("/capacity/suggest", data={"title": "Podcasting", "description": "Audio shows",
                                                      "reason": "Bruno's private reason", "parent": ""})
    assert response.status_code == 302
    wait_for(inbox, 1)
    [message] = inbox.messages
    assert message["Subject"] == "[CapX] New capacity suggestion: Podcasting"
    body = message.get_payload(decode=True).decode()
    assert "http://capx.test/capacity/suggestions" in body and "private reason" not in body


def test_relay_down_loses_nothing(app: Any, client: Any, login: Any, make_user: Any, mail_config: Any,
                                  caplog: pytest.LogCaptureFixture) -> None:
    mail_config(free_port())  # nothing listens there
    login(client, make_user("Carla Exemplo"))
    with caplog.at_level(logging.WARNING, logger="capx.services.staff_notices"):
        assert file_report(client).status_code == 302
    assert report_count(app) == 1
    assert "staff notice not sent (unreachable)" in caplog.text and "the bug report is stored" in caplog.text


def test_silent_relay_times_out_quickly() -> None:
    with socket.socket() as listener:  # accepts connections and never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        started = time.monotonic()
        with pytest.raises(MailError) as caught:
            MailClient("127.0.0.1", listener.getsockname()[1], "capx@example.org", timeout=0.5).send(
                STAFF, "subject", "body")
    assert caught.value.code == "timeout" and time.monotonic() - started < 3


def test_timeout_never_exceeds_five_seconds() -> None:
    assert MailClient(timeout=60).timeout == 5.0


def test_no_address_no_mail(app: Any, client: Any, login: Any, make_user: Any, smtp_server: Any,
                            mail_config: Any) -> None:
    inbox, port = smtp_server
    mail_config(port, to="")
    login(client, make_user("Dora Exemplo"))
    assert file_report(client).status_code == 302
    time.sleep(0.2)
    assert inbox.messages == [] and report_count(app) == 1


def test_titles_cannot_inject_headers() -> None:
    assert one_line("Broken\r\nBcc: victim@example.org", 200) == "Broken Bcc: victim@example.org"


def test_check_config_reports_the_mail_settings(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from capx.devtools.config_check import check_configuration

    monkeypatch.setitem(app.config, "CAPX_STAFF_EMAIL", "")
    lines = {c.name: c for c in check_configuration(app)}
    assert lines["staff e-mail"].status == "warn"
    monkeypatch.setitem(app.config, "CAPX_STAFF_EMAIL", STAFF)
    lines = {c.name: c for c in check_configuration(app)}
    assert lines["staff e-mail"].status == "ok" and "mail.tools.wmcloud.org:25" in lines["staff e-mail"].detail

