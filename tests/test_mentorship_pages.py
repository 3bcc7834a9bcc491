"""Mentorship pages: applying (server-side window, validation, once per role), the encryption
round trip through the download and the decrypt command, key freezing, and access control."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from capx.cli import capx_cli
from capx.extensions import db
from capx.models import MentorshipApplication, MentorshipProgram, MentorshipQuestion
from tests.conftest import html_text, statements_run
from tests.mentorship_helpers import make_key_pair, make_org, make_program, question_ids, today

# A question's input, by its name attribute: a bare "q1" can also occur inside a CSRF token.
QUESTION_FIELD = re.compile(r'name="q\d+"')


@pytest.fixture(scope="module")
def keys() -> tuple[Any, str, bytes]:
    return make_key_pair()


@pytest.fixture()
def setup(app, make_user, keys) -> dict[str, Any]:
    """A manager, a manager of another organization, a staff member, an applicant, and an open program."""
    manager = make_user("Manager Ana")
    other_manager = make_user("Other Manager")
    staff = make_user("Staff Sam", is_staff=True)
    applicant = make_user("Applicant Bia")
    with app.app_context():
        org = make_org("Wikimedia Brasil", (manager.id,))
        make_org("Wikimedia Other", (other_manager.id,))
        program = make_program(org, keys[1])
    return {"manager": manager, "other": other_manager, "staff": staff, "applicant": applicant, "org": org,
            "program": program}


def _post(client, url: str, data: Any, **kwargs: Any) -> Any:
    """POST form data with repeated fields (multiple choice) and a valid CSRF token."""
    if isinstance(data, MultiDict):
        data = MultiDict(data)
        data.add("csrf_token", client.csrf_token())
        return client.post(url, data=data, csrf=False, **kwargs)
    return client.post(url, data=data, **kwargs)


def _answers(app, program_id: int, **overrides: Any) -> MultiDict:
    with app.app_context():
        ids = question_ids(program_id)
    values = {"Your name": "Bia Souza", "Why do you want to join?": "Para aprender.\nLinha 2, com vírgula; e \"aspas\"",
              "Level": "Intermediate", "Projects": ["Wikidata", "Commons"], "E-mail": "bia@example.org",
              "Portfolio": "https://pt.wikipedia.org/wiki/Usuário:Bia"}
    values.update(overrides)
    data = []
    for label, value in values.items():
        for v in (value if isinstance(value, list) else [value]):
            data.append((f"q{ids[label]}", v))
    return MultiDict(data)


def _count_applications(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(MentorshipApplication))


# -- the round trip ---------------------------------------------------------------------------------

def test_apply_download_and_decrypt_round_trip(app, client, login, setup, keys, tmp_path) -> None:
    """A user applies as mentee; the manager downloads; the decrypt command restores every answer."""
    _key, _public_pem, private_pem = keys
    login(client, setup["applicant"])
    page = client.get(f"/mentorship/{setup['program']}/apply/mentee")
    assert page.status_code == 200 and "Why do you want to join?" in html_text(page)
    assert QUESTION_FIELD.search(html_text(page))
    response = _post(client, f"/mentorship/{setup['program']}/apply/mentee", _answers(app, setup["program"]))
    assert response.status_code == 302, html_text(response)

    with app.app_context():
        row = db.session.scalar(sa.select(MentorshipApplication))
        program = db.session.get(MentorshipProgram, setup["program"])
        assert row.role == "mentee" and row.applicant_id == setup["applicant"].id
        assert row.key_fingerprint == program.key_fingerprint and len(row.key_fingerprint) == 64
        # Nothing readable is stored.
        for secret in (b"Bia Souza", b"Para aprender", b"bia@example.org"):
            assert secret not in row.ciphertext and secret not in row.wrapped_key

    # "My applications" shows program, role and date, never the content.
    index = html_text(client.get("/mentorship"))
    assert "Language mentors" in index and "You applied as mentee" in index and "Para aprender" not in index

    login(client, setup["manager"])
    download = client.get(f"/mentorship/manage/{setup['program']}/applications.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "Bia Souza" not in download.get_data(as_text=True)
    document = json.loads(download.get_data(as_text=True))
    assert document["format"] == "capx-mentorship-v1" and len(document["applications"]) == 1

    (tmp_path / "private.pem").write_bytes(private_pem)
    (tmp_path / "download.json").write_bytes(download.get_data())
    runner = app.test_cli_runner()
    result = runner.invoke(capx_cli, ["mentorship-decrypt", "--key", str(tmp_path / "private.pem"),
                                      str(tmp_path / "download.json")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    row = rows[0]
    assert row["username"] == "Applicant Bia" and row["role"] == "mentee" and row["program"] == "Language mentors"
    assert row["mentee: Your name"] == "Bia Souza"
    assert row["mentee: Why do you want to join?"] == "Para aprender.\nLinha 2, com vírgula; e \"aspas\""
    assert row["mentee: Level"] == "Intermediate"
    assert row["mentee: Projects"] == "Wikidata\nCommons"
    assert row["mentee: E-mail"] == "bia@example.org"
    assert row["mentee: Portfolio"] == "https://pt.wikipedia.org/wiki/Usuário:Bia"


def test_decrypt_with_wrong_key_fails_and_says_why(app, client, login, setup, tmp_path) -> None:
    login(client, setup["applicant"])
    _post(client, f"/mentorship/{setup['program']}/apply/mentee", _answers(app, setup["program"]))
    login(client, setup["manager"])
    (tmp_path / "download.json").write_bytes(client.get(f"/mentorship/manage/{setup['program']}/applications.json").get_data())
    _other, _pub, other_private = make_key_pair()
    (tmp_path / "other.pem").write_bytes(other_private)
    result = app.test_cli_runner().invoke(capx_cli, ["mentorship-decrypt", "--key", str(tmp_path / "other.pem"),
                                                     str(tmp_path / "download.json")])
    assert result.exit_code == 1
    assert "not for this key" in result.stderr


def test_decrypt_with_passphrase_and_output_file(app, client, login, setup, keys, tmp_path, monkeypatch) -> None:
    from cryptography.hazmat.primitives import serialization

    key = keys[0]
    login(client, setup["applicant"])
    _post(client, f"/mentorship/{setup['program']}/apply/mentee", _answers(app, setup["program"]))
    login(client, setup["manager"])
    (tmp_path / "d.json").write_bytes(client.get(f"/mentorship/manage/{setup['program']}/applications.json").get_data())
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.BestAvailableEncryption(b"s3cret")))
    monkeypatch.setenv("PARTNER_PASS", "s3cret")
    result = app.test_cli_runner().invoke(capx_cli, ["mentorship-decrypt", "--key", str(tmp_path / "k.pem"),
                                                     "--passphrase-env", "PARTNER_PASS", "-o", str(tmp_path / "out.csv"),
                                                     str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    assert "Bia Souza" in (tmp_path / "out.csv").read_text(encoding="utf-8")


# -- applying: the window, validation, once per role --------------------------------------------------

@pytest.mark.parametrize("start_offset, end_offset", [(1, 5), (-5, -1)])  # upcoming, closed
def test_applying_outside_the_window_is_refused_on_the_server(app, client, login, make_user, keys,
                                                               start_offset: int, end_offset: int) -> None:
    user = make_user("Applicant")
    manager = make_user("Org Manager")
    with app.app_context():
        org = make_org("Org", (manager.id,))
        program = make_program(org, keys[1], start=today() + dt.timedelta(days=start_offset),
                               end=today() + dt.timedelta(days=end_offset))
    login(client, user)
    page = client.get(f"/mentorship/{program}/apply/mentee")
    assert "Registration for this program is not open" in html_text(page)
    assert not QUESTION_FIELD.search(html_text(page))
    response = _post(client, f"/mentorship/{program}/apply/mentee", _answers(app, program))
    assert response.status_code == 409
    assert _count_applications(app) == 0
    # The card offers no subscribe button either.
    assert f"/mentorship/{program}/apply/" not in html_text(client.get("/mentorship"))


def test_program_without_key_refuses_applications(app, client, login, make_user) -> None:
    user = make_user("Applicant")
    manager = make_user("Org Manager")
    with app.app_context():
        program = make_program(make_org("Org", (manager.id,)), None)
    login(client, user)
    response = _post(client, f"/mentorship/{program}/apply/mentee", _answers(app, program))
    assert response.status_code == 409 and "have not uploaded their key" in html_text(response)
    assert _count_applications(app) == 0


def test_invalid_answers_rerender_with_input_and_errors(app, client, login, setup) -> None:
    login(client, setup["applicant"])
    data = _answers(app, setup["program"], **{"E-mail": "bia-at-example", "Level": "Expert", "Your name": ""})
    response = _post(client, f"/mentorship/{setup['program']}/apply/mentee", data)
    text = html_text(response)
    assert response.status_code == 400
    assert "This question is required." in text
    assert "Enter an e-mail address" in text
    assert "Choose one of the options given." in text
    assert "bia-at-example" in text and "Para aprender." in text  # the input is kept
    assert 'aria-invalid="true"' in text
    assert _count_applications(app) == 0


def test_one_application_per_person_program_and_role(app, client, login, setup, keys) -> None:
    with app.app_context():
        db.session.add(MentorshipQuestion(program_id=setup["program"], role="mentor", kind="short-text",
                                          label="Experience", required=True, position=0))
        db.session.commit()
        mentor_q = question_ids(setup["program"], "mentor")["Experience"]
    login(client, setup["applicant"])
    url = f"/mentorship/{setup['program']}/apply/mentee"
    assert _post(client, url, _answers(app, setup["program"])).status_code == 302
    again = _post(client, url, _answers(app, setup["program"]))
    assert again.status_code == 409 and "already applied" in html_text(again)
    # The same person may also apply as mentor, once.
    assert client.post(f"/mentorship/{setup['program']}/apply/mentor", data={f"q{mentor_q}": "10 years"}).status_code == 302
    assert _count_applications(app) == 2
    index = html_text(client.get("/mentorship"))
    assert "You applied as mentor" in index and "You applied as mentee" in index
    assert "1 mentor, 1 mentee" in index


def test_unknown_role_or_program(client, login, setup) -> None:
    login(client, setup["applicant"])
    assert client.get(f"/mentorship/{setup['program']}/apply/teacher").status_code == 404
    assert client.get("/mentorship/999999/apply/mentee").status_code == 404


def test_apply_requires_login_and_csrf(app, client, login, setup) -> None:
    response = client.get(f"/mentorship/{setup['program']}/apply/mentee")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, setup["applicant"])
    assert client.post(f"/mentorship/{setup['program']}/apply/mentee", data=_answers(app, setup["program"]),
                       csrf=False).status_code == 400
    assert _count_applications(app) == 0


def test_deleting_the_applicant_deletes_their_applications(app, client, login, setup) -> None:
    from capx.models import User

    login(client, setup["applicant"])
    _post(client, f"/mentorship/{setup['program']}/apply/mentee", _answers(app, setup["program"]))
    with app.app_context():
        db.session.execute(sa.delete(User).where(User.id == setup["applicant"].id))
        db.session.commit()
    assert _count_applications(app) == 0


# -- program cards -------------------------------------------------------------------------------------

def test_cards_show_status_and_details(app, client, login, setup, keys) -> None:
    with app.app_context():
        make_program(setup["org"], keys[1], name="Future program", start=today() + dt.timedelta(days=3),
                     end=today() + dt.timedelta(days=9))
        make_program(setup["org"], keys[1], name="Past program", start=today() - dt.timedelta(days=9),
                     end=today() - dt.timedelta(days=3))
    login(client, setup["applicant"])
    text = html_text(client.get("/mentorship"))
    assert text.index("Language mentors") < text.index("Future program") < text.index("Past program")
    assert "Upcoming" in text and "Closed" in text and "Open" in text
    assert "Wikimedia Brasil" in text and "Online" in text and "0 mentors, 0 mentees" in text
    assert text.count("Subscribe as mentee") == 1
    assert "Manage" not in text.split("My applications")[0].replace("Manage mentorship", "")


def test_index_queries_are_bounded(app, client, login, setup, keys) -> None:
    login(client, setup["applicant"])

    def count() -> int:
        with statements_run(app) as statements:
            assert client.get("/mentorship").status_code == 200
        return len(statements)

    client.get("/mentorship")
    few = count()
    with app.app_context():
        for n in range(6):
            make_program(setup["org"], keys[1], name=f"Program {n}")
    assert count() == few


# -- management and access control ------------------------------------------------------------------------

ACTORS = ("anonymous", "user", "other", "manager", "staff")


def _as(client, login, setup, actor: str) -> None:
    if actor == "anonymous":
        return
    login(client, setup["applicant" if actor == "user" else actor])


@pytest.mark.parametrize("actor, expected", [("anonymous", 302), ("user", 403), ("other", 403), ("manager", 200),
                                             ("staff", 200)])
@pytest.mark.parametrize("path", ["/mentorship/manage/{id}", "/mentorship/manage/{id}/applications.json",
                                  "/mentorship/manage/{id}/questions/new?role=mentor"])
def test_management_pages_access(client, login, setup, actor: str, expected: int, path: str) -> None:
    _as(client, login, setup, actor)
    response = client.get(path.format(id=setup["program"]))
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("actor, allowed", [("user", False), ("other", False), ("manager", True), ("staff", True)])
def test_management_posts_access(app, client, login, setup, actor: str, allowed: bool) -> None:
    _as(client, login, setup, actor)
    pid = setup["program"]
    with app.app_context():
        qid = question_ids(pid)["Portfolio"]
    _new_key, new_pem, _ = make_key_pair()
    attempts = [
        (f"/mentorship/manage/{pid}/key", {"public_key": new_pem}),
        (f"/mentorship/manage/{pid}/questions/new", {"role": "mentor", "kind": "short-text", "label": "Q"}),
        (f"/mentorship/manage/{pid}/questions/{qid}", {"role": "mentee", "kind": "url", "label": "Site"}),
        (f"/mentorship/manage/{pid}/questions/{qid}/move", {"direction": "up"}),
        (f"/mentorship/manage/{pid}/questions/{qid}/delete", {}),
    ]
    for url, data in attempts:
        response = client.post(url, data=data)
        assert response.status_code == (302 if allowed else 403), url
    with app.app_context():
        labels = {q.label for q in db.session.scalars(sa.select(MentorshipQuestion))}
    assert ("Q" in labels) is allowed and ("Portfolio" in labels) is not allowed


def test_manage_list_access(client, login, setup) -> None:
    assert client.get("/mentorship/manage").status_code == 302
    login(client, setup["applicant"])
    assert client.get("/mentorship/manage").status_code == 403
    login(client, setup["other"])
    assert "Language mentors" not in html_text(client.get("/mentorship/manage"))
    login(client, setup["manager"])
    assert "Language mentors" in html_text(client.get("/mentorship/manage"))
    login(client, setup["staff"])
    assert "Language mentors" in html_text(client.get("/mentorship/manage"))


def test_missing_program_is_404_for_managers(client, login, setup) -> None:
    login(client, setup["staff"])
    assert client.get("/mentorship/manage/999999").status_code == 404


def test_manager_creates_program_with_questions_and_key(app, client, login, setup, keys) -> None:
    login(client, setup["manager"])
    form = {"organization_id": setup["org"], "name": "Commons mentoring", "description": "Photos.",
            "format": "hybrid", "location": "São Paulo", "registration_start": "2026-01-10",
            "registration_end": "2026-01-05", "time_zone": "America/Sao_Paulo", "form_language": "pt-br"}
    bad = client.post("/mentorship/manage/new", data=form)
    assert bad.status_code == 400 and "cannot be before the first day" in html_text(bad)
    assert "Commons mentoring" in html_text(bad)
    form["registration_end"] = "2026-02-10"
    created = client.post("/mentorship/manage/new", data=form)
    assert created.status_code == 302
    with app.app_context():
        program = db.session.scalar(sa.select(MentorshipProgram).where(MentorshipProgram.name == "Commons mentoring"))
        pid = program.id
        assert program.time_zone == "America/Sao_Paulo" and program.form_language == "pt-br"
        assert program.registration_start == dt.date(2026, 1, 10) and program.public_key_pem is None
    # A manager cannot create a program for an organization they do not manage.
    other_org = client.post("/mentorship/manage/new", data={**form, "organization_id": setup["org"] + 1})
    assert other_org.status_code in (400, 403)

    # Questions as data: a choice question needs options.
    url = f"/mentorship/manage/{pid}/questions/new"
    few = client.post(url, data={"role": "mentee", "kind": "single-choice", "label": "Nível", "options": "Único"})
    assert few.status_code == 400 and "at least two options" in html_text(few)
    assert client.post(url, data={"role": "mentee", "kind": "single-choice", "label": "Nível",
                                  "options": "Iniciante\nAvançado\n", "required": "y"}).status_code == 302
    assert client.post(url, data={"role": "mentee", "kind": "email", "label": "E-mail"}).status_code == 302
    with app.app_context():
        questions = list(db.session.scalars(sa.select(MentorshipQuestion).where(MentorshipQuestion.program_id == pid)
                                            .order_by(MentorshipQuestion.position)))
        assert [(q.label, q.kind, q.required, q.options) for q in questions] == [
            ("Nível", "single-choice", True, ["Iniciante", "Avançado"]), ("E-mail", "email", False, None)]
        second = questions[1].id
    client.post(f"/mentorship/manage/{pid}/questions/{second}/move", data={"direction": "up"})
    with app.app_context():
        order = list(db.session.scalars(sa.select(MentorshipQuestion.label).where(MentorshipQuestion.program_id == pid)
                                        .order_by(MentorshipQuestion.position)))
        assert order == ["E-mail", "Nível"]

    # The key as an uploaded file.
    response = client.post(f"/mentorship/manage/{pid}/key",
                           data={"public_key_file": (io.BytesIO(keys[1].encode()), "public.pem")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = html_text(client.get(f"/mentorship/manage/{pid}"))
    with app.app_context():
        assert db.session.get(MentorshipProgram, pid).key_fingerprint in page


def test_key_can_change_until_someone_applies_then_freezes(app, client, login, setup, keys) -> None:
    pid = setup["program"]
    login(client, setup["manager"])
    _k2, pem2, private2 = make_key_pair()
    # No applications yet: the key may change.
    assert client.post(f"/mentorship/manage/{pid}/key", data={"public_key": pem2}).status_code == 302
    assert client.post(f"/mentorship/manage/{pid}/key", data={"public_key": keys[1]}).status_code == 302
    with app.app_context():
        original = db.session.get(MentorshipProgram, pid).key_fingerprint
    # A private key is refused and never stored.
    refused = client.post(f"/mentorship/manage/{pid}/key", data={"public_key": private2.decode()})
    assert refused.status_code == 400 and "This is a private key" in html_text(refused)

    login(client, setup["applicant"])
    _post(client, f"/mentorship/{pid}/apply/mentee", _answers(app, pid))
    login(client, setup["staff"])
    frozen = client.post(f"/mentorship/manage/{pid}/key", data={"public_key": pem2})
    assert frozen.status_code == 400 and "can no longer change" in html_text(frozen)
    assert 'value="Language mentors"' in html_text(frozen)  # the program form is shown as stored
    # Uploading the same key again changes nothing and is accepted.
    assert client.post(f"/mentorship/manage/{pid}/key", data={"public_key": keys[1]}).status_code == 302
    with app.app_context():
        assert db.session.get(MentorshipProgram, pid).key_fingerprint == original
        stored = db.session.get(MentorshipProgram, pid).public_key_pem
    assert "PRIVATE" not in stored
    assert "can no longer change" in html_text(client.get(f"/mentorship/manage/{pid}"))


@pytest.mark.parametrize("lang, text", [("pt-br", "Programas de mentoria"), ("ar", "برامج الإرشاد")])
def test_pages_in_other_languages(client, login, setup, lang: str, text: str) -> None:
    login(client, setup["manager"])
    pid = setup["program"]
    assert text in html_text(client.get(f"/mentorship?uselang={lang}"))
    for url in (f"/mentorship/{pid}/apply/mentee", f"/mentorship/manage/{pid}", "/mentorship/manage",
                "/mentorship/manage/new", f"/mentorship/manage/{pid}/questions/new"):
        assert client.get(f"{url}?uselang={lang}").status_code == 200, url
