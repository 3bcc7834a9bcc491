"""Bug reports: filing, privacy (reporter and staff only), no editing by reporters, staff triage."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import BugReport
from tests.conftest import html_text, statements_run
from tests.limit_helpers import check_hourly_limit


@pytest.fixture()
def reporter(make_user):
    return make_user("Ana Exemplo")


def file(client, **data):
    form = {"title": "Save button does nothing", "description": "On /profile/edit the button does nothing.",
            "type": "error", **data}
    return client.post("/report_bug", data=form)


def reports(app) -> list[BugReport]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(BugReport).order_by(BugReport.id)))
        db.session.expunge_all()
        return rows


def test_needs_login(client):
    assert client.get("/report_bug").status_code == 302
    assert client.get("/report_bug/submissions").status_code == 302


def test_submit_tab(client, login, reporter):
    login(client, reporter)
    page = html_text(client.get("/report_bug"))
    for text in ("Title", "Description", "Error", "New feature", "Improvement", "Test case", "Submit bug report",
                 'href="/report_bug/submissions"'):
        assert text in page


def test_file_a_report_and_follow_it(app, client, login, reporter):
    login(client, reporter)
    response = file(client, type="improvement")
    assert response.status_code == 302 and response.headers["Location"].endswith("/report_bug/submissions")
    [report] = reports(app)
    assert (report.reporter_id, report.status, report.type) == (reporter.id, "new", "improvement")
    page = html_text(client.get("/report_bug/submissions"))
    assert "Thank you! Your report was sent." in page
    assert "Save button does nothing" in page and "New" in page and "Improvement" in page


@pytest.mark.parametrize("data, error", [
    ({"title": ""}, "This field is required."),
    ({"title": "x" * 201}, "200 characters"),
    ({"description": "x" * 1001}, "1,000 characters"),
    ({"description": ""}, "This field is required."),
    ({"type": "complaint"}, "Not a valid choice"),
])
def test_limits_are_enforced(app, client, login, reporter, data, error):
    login(client, reporter)
    response = file(client, **data)
    assert response.status_code == 422
    assert error in html_text(response)
    assert reports(app) == []


def test_limits_accept_the_maximum(app, client, login, reporter):
    login(client, reporter)
    assert file(client, title="t" * 200, description="d" * 1000, type="test-case").status_code == 302
    assert len(reports(app)) == 1


def test_csrf_required(app, client, login, reporter):
    login(client, reporter)
    response = client.post("/report_bug", data={"title": "x", "description": "y", "type": "error"}, csrf=False)
    assert response.status_code == 400
    assert reports(app) == []


def test_report_is_private(app, client, login, reporter, make_user):
    login(client, reporter)
    file(client, title="Private problem")
    [report] = reports(app)
    assert client.get(f"/report_bug/{report.id}").status_code == 200

    other = make_user("Bruno Exemplo")
    login(client, other)
    assert client.get(f"/report_bug/{report.id}").status_code == 404
    assert client.get("/report_bug/999999").status_code == 404
    assert "Private problem" not in html_text(client.get("/report_bug/submissions"))
    assert client.get("/report_bug/triage").status_code == 403
    assert client.post(f"/report_bug/{report.id}/triage", data={"status": "done"}).status_code == 403

    staff = make_user("Staff Member", is_staff=True)
    login(client, staff)
    page = html_text(client.get(f"/report_bug/{report.id}"))
    assert "Private problem" in page and "<bdi>Ana Exemplo</bdi>" in page


def test_reporter_cannot_edit_or_withdraw(app, client, login, reporter):
    login(client, reporter)
    file(client)
    [report] = reports(app)
    assert client.post(f"/report_bug/{report.id}/triage", data={"status": "wont-fix", "reply": "x"}).status_code == 403
    assert client.post(f"/report_bug/{report.id}", data={"title": "changed"}).status_code == 405
    page = html_text(client.get(f"/report_bug/{report.id}"))
    assert "<form method=\"post\" action=\"/report_bug/" not in page
    [unchanged] = reports(app)
    assert (unchanged.status, unchanged.title, unchanged.staff_reply) == ("new", report.title, None)


def test_staff_triage(app, client, login, reporter, make_user):
    login(client, reporter)
    file(client, title="First")
    file(client, title="Second", type="feature")
    first, second = reports(app)
    staff = make_user("Staff Member", is_staff=True)
    login(client, staff)
    page = html_text(client.get("/report_bug/triage"))
    assert "First" in page and "Second" in page and "New (2)" in page

    response = client.post(f"/report_bug/{first.id}/triage", data={"status": "done", "reply": "Fixed in the last release."})
    assert response.status_code == 302
    updated = reports(app)[0]
    assert (updated.status, updated.staff_reply, updated.triaged_by_id) == ("done", "Fixed in the last release.", staff.id)
    assert updated.updated_at >= updated.created_at

    page = html_text(client.get("/report_bug/triage?status=done"))
    assert "First" in page and "Second" not in page
    assert client.post(f"/report_bug/{second.id}/triage", data={"status": "closed"}).status_code == 422

    login(client, reporter)
    page = html_text(client.get("/report_bug/submissions"))
    assert "Done" in page and "Fixed in the last release." in page and "Replied" in page


def test_reports_go_with_the_reporter(app, reporter, client, login):
    from capx.models import User

    login(client, reporter)
    file(client)
    with app.app_context():
        db.session.execute(sa.delete(User).where(User.id == reporter.id))
        db.session.commit()
    assert reports(app) == []


def test_staff_leaving_keeps_the_report(app, client, login, reporter, make_user):
    from capx.models import User

    login(client, reporter)
    file(client)
    [report] = reports(app)
    staff = make_user("Staff Member", is_staff=True)
    login(client, staff)
    client.post(f"/report_bug/{report.id}/triage", data={"status": "in-progress", "reply": ""})
    with app.app_context():
        db.session.execute(sa.delete(User).where(User.id == staff.id))
        db.session.commit()
    [kept] = reports(app)
    assert kept.status == "in-progress" and kept.triaged_by_id is None


def test_triage_page_query_count_does_not_grow(app, client, login, make_user):
    staff = make_user("Staff Member", is_staff=True)
    reporters = [make_user(f"Reporter {i}") for i in range(12)]

    def add(n):
        with app.app_context():
            for i in range(n):
                db.session.add(BugReport(reporter_id=reporters[i % len(reporters)].id, title=f"R{i}",
                                         description="d", type="error"))
            db.session.commit()

    def count():
        with statements_run(app) as statements:
            assert client.get("/report_bug/triage").status_code == 200
        return len(statements)

    login(client, staff)
    add(2)
    few = count()
    add(20)
    assert count() == few


# -- how many one person may file (issue 19: one account filed 30 reports in a row) ---------------

def _backdate(app, reporter_id, **delta):
    import datetime as dt

    from capx.models import utcnow

    with app.app_context():
        for report in db.session.scalars(sa.select(BugReport).where(BugReport.reporter_id == reporter_id)):
            report.created_at = utcnow() - dt.timedelta(**delta)
        db.session.commit()


def test_hourly_report_limit_keeps_the_typed_text(app, client, login, reporter):
    login(client, reporter)
    check_hourly_limit(lambda **data: file(client, **data), lambda: len(reports(app)),
                       lambda **delta: _backdate(app, reporter.id, **delta),
                       "You have sent 5 reports in the last hour, the most one person can send.")


def test_daily_report_limit_and_its_translation(app, client, login, reporter, monkeypatch):
    from capx.translations import message

    monkeypatch.setitem(app.config, "CAPX_REPORT_LIMIT_HOUR", 50)
    monkeypatch.setitem(app.config, "CAPX_REPORT_LIMIT_DAY", 3)
    login(client, reporter)
    for i in range(3):
        assert file(client, title=f"Report {i}").status_code == 302
    _backdate(app, reporter.id, hours=23)
    response = client.post("/report_bug?uselang=pt-br", data={"title": "Quarto", "description": "Texto", "type": "error"})
    assert response.status_code == 422
    assert str(message("reports-error-limit-day", (3,), "pt-br")) in html_text(response)
    assert len(reports(app)) == 3
    _backdate(app, reporter.id, hours=25)
    assert file(client).status_code == 302


def test_staff_have_no_report_limit(app, client, login, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "CAPX_REPORT_LIMIT_HOUR", 1)
    login(client, make_user("Staff Member", is_staff=True))
    assert [file(client, title=f"R{i}").status_code for i in range(3)] == [302] * 3


def test_report_limit_is_counted_in_the_database(app, client, login, reporter, database_urls):
    """Another worker or replica (another app on the same database) counts the same reports."""
    from capx import create_app
    from capx.support import caches
    from tests.conftest import CapxClient
    from tests.conftest import test_config as config_for_tests

    other_app = create_app(config_for_tests(*database_urls))
    other_app.test_client_class = CapxClient
    other = other_app.test_client()
    login(client, reporter)
    login(other, reporter)
    for i in range(5):
        assert file(client if i % 2 else other, title=f"R{i}").status_code == 302
        caches.reset_all()
    assert file(other).status_code == 422 and file(client).status_code == 422


def test_report_limit_settings():
    from capx.config import ConfigError, load_settings

    config = load_settings({}).flask_config()
    assert (config["CAPX_REPORT_LIMIT_HOUR"], config["CAPX_REPORT_LIMIT_DAY"]) == (5, 20)
    assert (config["CAPX_SUGGESTION_LIMIT_HOUR"], config["CAPX_SUGGESTION_LIMIT_DAY"]) == (5, 20)
    config = load_settings({"CAPX_REPORT_LIMIT_HOUR": "2", "CAPX_REPORT_LIMIT_DAY": "9"}).flask_config()
    assert (config["CAPX_REPORT_LIMIT_HOUR"], config["CAPX_REPORT_LIMIT_DAY"]) == (2, 9)
    with pytest.raises(ConfigError):
        load_settings({"CAPX_SUGGESTION_LIMIT_DAY": "0"})
