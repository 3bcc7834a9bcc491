"""The staff overview of people: search, filters, pages, and the CSV export (formula injection)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Profile, User
from capx.services import staff_people
from capx.services.staff_people import spreadsheet_safe
from tests.conftest import html_text


@pytest.fixture()
def staff(make_user: Any) -> Any:
    return make_user("Staff Person", is_staff=True)


def _csv(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_search_and_filters(app: Any, client: Any, login: Any, make_user: Any, staff: Any) -> None:
    make_user("Alice Exemplo")
    make_user("Bob Locked", is_locked=True)
    make_user("alicia Other")
    with app.app_context():
        db.session.add(User(username="No Profile Person"))
        db.session.commit()
    login(client, staff)
    page = html_text(client.get("/staff/people?q=ALIC"))
    assert "Alice Exemplo" in page and "alicia Other" in page and "Bob Locked" not in page
    page = html_text(client.get("/staff/people?locked=yes"))
    assert "Bob Locked" in page and "Alice Exemplo" not in page
    page = html_text(client.get("/staff/people?staff=yes"))
    assert "Staff Person" in page and "Alice Exemplo" not in page
    page = html_text(client.get("/staff/people?profile=no"))
    assert "No Profile Person" in page and "Alice Exemplo" not in page
    # Unknown filter values mean "either"; a search for % or _ is literal.
    assert "Alice Exemplo" in html_text(client.get("/staff/people?staff=maybe&locked=<x>"))
    assert "Alice Exemplo" not in html_text(client.get("/staff/people?q=%25"))


def test_pages(app: Any, client: Any, login: Any, make_user: Any, staff: Any) -> None:
    for i in range(staff_people.PER_PAGE + 5):
        make_user(f"Person {i:03d}")
    login(client, staff)
    first = client.get("/staff/people?q=Person%20")
    assert first.status_code == 200
    assert "Person 000" in html_text(first) and "Person 054" not in html_text(first)
    assert "page=2" in first.get_data(as_text=True)
    second = html_text(client.get("/staff/people?q=Person%20&page=2"))
    assert "Person 054" in second and "Person 000" not in second
    # Past the last page, or nonsense: a page that exists.
    assert "Person 054" in html_text(client.get("/staff/people?q=Person%20&page=999999"))
    assert client.get("/staff/people?page=-3").status_code == 200


def test_overlong_search_is_refused_and_kept(client: Any, login: Any, staff: Any) -> None:
    login(client, staff)
    response = client.get("/staff/people?q=" + "x" * 300)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="q-error"' in page and 'value="' + "x" * 300 in page
    assert client.get("/staff/people.csv?q=" + "x" * 300).status_code == 422


def test_xss_in_names_is_escaped(client: Any, login: Any, make_user: Any, staff: Any) -> None:
    make_user('<img src=x onerror="alert(1)">')
    login(client, staff)
    page = client.get("/staff/people?q=" + "<script>").get_data(as_text=True)
    assert "<script>" not in page.split("<body", 1)[1].replace("<script src=", "")
    assert "<img src=x" not in client.get("/staff/people").get_data(as_text=True)


@pytest.mark.parametrize("value, expected", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-1", "'-1"), ("@cmd", "'@cmd"), ("\t=x", "'\t=x"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""),
])
def test_spreadsheet_safe(value: str, expected: str) -> None:
    assert spreadsheet_safe(value) == expected


def test_export_neutralizes_formulas_and_follows_filters(app: Any, client: Any, login: Any, make_user: Any,
                                                          staff: Any) -> None:
    evil = make_user("=HYPERLINK(evil)")
    make_user("Bob Locked", is_locked=True)
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == evil.id))
        profile.bio = "@SUM(1+1) and more"
        db.session.commit()
    login(client, staff)
    response = client.get("/staff/people.csv?locked=no")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == list(staff_people.EXPORT_COLUMNS)
    by_name = {row[0]: row for row in rows[1:]}
    assert "'=HYPERLINK(evil)" in by_name and "Bob Locked" not in by_name
    assert by_name["'=HYPERLINK(evil)"][4] == "'@SUM(1+1) and more"
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_export_streams_in_batches(app: Any, client: Any, login: Any, make_user: Any, staff: Any,
                                   monkeypatch: Any) -> None:
    monkeypatch.setattr(staff_people, "EXPORT_BATCH", 3)
    for i in range(7):
        make_user(f"Batch {i}")
    login(client, staff)
    response = client.get("/staff/people.csv?q=Batch")
    assert response.is_streamed
    assert [row[0] for row in _csv(response)[1:]] == [f"Batch {i}" for i in range(7)]


@pytest.mark.parametrize("path", ["/staff/people", "/staff/people.csv"])
def test_only_staff(client: Any, login: Any, make_user: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    login(client, make_user("Not Staff"))
    assert client.get(path).status_code == 403
