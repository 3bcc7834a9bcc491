"""Issue 8's "done when", every step through the UI: staff make a partner manager of their
organization; the partner opens a program, uploads their public key (never the private one) and
writes the mentee form; a user applies as mentee; the partner downloads the encrypted applications
and decrypts them to CSV on their side with ``flask capx mentorship-decrypt``."""

from __future__ import annotations

import csv
import datetime as dt
import io

import sqlalchemy as sa

from capx.cli import capx_cli
from capx.extensions import db
from capx.models import MentorshipProgram, MentorshipQuestion
from tests.conftest import html_text
from tests.mentorship_helpers import make_key_pair
from tests.orgs_helpers import make_org


def test_partner_program_application_and_decryption(app, client, login, make_user, tmp_path) -> None:
    staff = make_user("Staff Sam", is_staff=True)
    partner = make_user("Partner Pat")
    applicant = make_user("Applicant Bia")
    org_id = make_org(app, "Language Diversity Example", acronym="LDHX")

    # Staff make the partner a manager of the organization.
    login(client, staff)
    assert client.post(f"/organization_profile/{org_id}/managers",
                       data={"action": "add", "username": "Partner Pat"}).status_code == 302

    # The partner opens a program whose registration is open today.
    login(client, partner)
    assert "/mentorship/manage" in html_text(client.get("/mentorship"))
    today = dt.datetime.now(dt.timezone.utc).date()
    created = client.post("/mentorship/manage/new", data={
        "organization_id": org_id, "name": "Small languages mentoring", "description": "Start a Wikipedia.",
        "format": "online", "location": "Online", "registration_start": (today - dt.timedelta(days=1)).isoformat(),
        "registration_end": (today + dt.timedelta(days=30)).isoformat(), "time_zone": "UTC", "form_language": "en"})
    assert created.status_code == 302, html_text(created)
    with app.app_context():
        pid = db.session.scalar(sa.select(MentorshipProgram.id).where(MentorshipProgram.name == "Small languages mentoring"))

    # Without a key nobody can apply yet.
    login(client, applicant)
    assert client.post(f"/mentorship/{pid}/apply/mentee", data={}).status_code == 409

    # The partner made their key pair on their own machine and uploads only the public key.
    _key, public_pem, private_pem = make_key_pair()
    login(client, partner)
    assert client.post(f"/mentorship/manage/{pid}/key", data={"public_key": public_pem}).status_code == 302
    for data in ({"role": "mentee", "kind": "short-text", "label": "Your language", "required": "y"},
                 {"role": "mentee", "kind": "email", "label": "E-mail", "required": "y"}):
        assert client.post(f"/mentorship/manage/{pid}/questions/new", data=data).status_code == 302
    with app.app_context():
        ids = dict(db.session.execute(sa.select(MentorshipQuestion.label, MentorshipQuestion.id)
                                      .where(MentorshipQuestion.program_id == pid)).all())
        assert "PRIVATE" not in db.session.get(MentorshipProgram, pid).public_key_pem

    # A user finds the open program and applies as mentee.
    login(client, applicant)
    index = html_text(client.get("/mentorship"))
    assert "Small languages mentoring" in index and f"/mentorship/{pid}/apply/mentee" in index
    form = html_text(client.get(f"/mentorship/{pid}/apply/mentee"))
    assert "Your language" in form and "E-mail" in form
    applied = client.post(f"/mentorship/{pid}/apply/mentee",
                          data={f"q{ids['Your language']}": "Kabiyè", f"q{ids['E-mail']}": "bia@example.org"})
    assert applied.status_code == 302
    assert "You applied as mentee" in html_text(client.get("/mentorship"))

    # The partner downloads the applications (still encrypted) and decrypts them on their side.
    login(client, partner)
    download = client.get(f"/mentorship/manage/{pid}/applications.json")
    assert download.status_code == 200 and "Kabiyè" not in download.get_data(as_text=True)
    (tmp_path / "private.pem").write_bytes(private_pem)
    (tmp_path / "applications.json").write_bytes(download.get_data())
    result = app.test_cli_runner().invoke(capx_cli, ["mentorship-decrypt", "--key", str(tmp_path / "private.pem"),
                                                     str(tmp_path / "applications.json")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert rows[0]["username"] == "Applicant Bia" and rows[0]["role"] == "mentee"
    assert rows[0]["mentee: Your language"] == "Kabiyè" and rows[0]["mentee: E-mail"] == "bia@example.org"

    # Someone who does not manage the organization cannot download.
    login(client, applicant)
    assert client.get(f"/mentorship/manage/{pid}/applications.json").status_code == 403


def test_programs_of_organizations_without_managers_are_hidden(app, client, login, make_user) -> None:
    """Like every list, mentorship leaves out organizations nobody manages (staff still see them)."""
    from tests.mentorship_helpers import make_org, make_program

    _key, public_pem, _private = make_key_pair()
    manager = make_user("Manager")
    visitor = make_user("Visitor")
    staff = make_user("Staff", is_staff=True)
    with app.app_context():
        shown = make_program(make_org("Managed Org", (manager.id,)), public_pem)
        hidden = make_program(make_org("Orphan Org"), public_pem)
        db.session.get(MentorshipProgram, hidden).name = "Orphan program"
        db.session.commit()
    login(client, visitor)
    index = html_text(client.get("/mentorship"))
    assert f"/mentorship/{shown}/apply/" in index and "Orphan program" not in index
    assert client.get(f"/mentorship/{hidden}/apply/mentee").status_code == 404
    login(client, staff)
    assert "Orphan program" in html_text(client.get("/mentorship"))
    assert client.get(f"/mentorship/{hidden}/apply/mentee").status_code == 200
