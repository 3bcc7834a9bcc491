"""Meta-Wiki, Wikidata, Metabase, Commons, Diff and Let's Connect unreachable (ConnectionError) or
slow (requests.Timeout):

* every GET page still renders from stored data (walked as a logged-in user and as staff);
* actions that need a service say so clearly, keep what the user typed and store nothing half-done;
* jobs fail without changing stored data (a fingerprint of every table before and after), and
  succeed on the next run once the service is back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (BugReport, DiffPost, JobOutage, MessageLog, OrganizationDiffTag, Profile, User)
from tests.conftest import add_recorded, html_text
from tests.helpers import on_metabase
from tests.orgs_helpers import make_event, make_org
from tests.security.test_routes import app_rules, fingerprint, rule_url

pytestmark = pytest.mark.allow_network_errors

FAILURES = {"unreachable": requests.ConnectionError("connection refused"), "slow": requests.Timeout("read timed out")}
META_API = "https://meta.wikimedia.org/w/api.php"
ANY_URL = re.compile(r"https?://.*")


def services_down(rsps: responses.RequestsMock, failure: str) -> None:
    """Every remote call (any host, any method) fails the given way."""
    for method in (responses.GET, responses.POST, responses.HEAD):
        rsps.add(method, ANY_URL, body=FAILURES[failure])


def services_back(rsps: responses.RequestsMock) -> None:
    rsps.reset()


@pytest.fixture(params=sorted(FAILURES))
def failure(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture()
def stored(app: Any, make_user: Any) -> dict[str, Any]:
    """Some of everything, so the pages have stored data to show."""
    from capx.services.accounts import store_token
    from tests.mentorship_helpers import make_program

    user = make_user("Ana Exemplo", central_id=12345678)
    staff = make_user("Staff Member", is_staff=True)
    org = make_org(app, "Wikimedia Exemplo", managers=(user,))
    event = make_event(app, org, "Editathon")
    with app.app_context():
        store_token(db.session.get(User, user.id), "meta", ("a1b2c3d4e5f60718293a4b5c6d7e8f90",
                                                            "0123456789abcdef0123456789abcdef01234567"))
        db.session.add(OrganizationDiffTag(organization_id=org, slug="capacity-exchange", name="Capacity Exchange"))
        db.session.add(BugReport(reporter_id=user.id, title="Report", description="D", type="error", status="new"))
        db.session.add(MessageLog(sender_id=user.id, recipient_username="Bruno Exemplo", method="talk", status="sent"))
        db.session.commit()
        program = make_program(org, None)
    return {"user": user, "staff": staff, "org": org, "event": event, "program": program}


@pytest.mark.parametrize("who", ["user", "staff"])
def test_every_page_renders_from_stored_data(app: Any, client: Any, login: Any, mocked_http: Any,
                                             stored: dict[str, Any], failure: str, who: str) -> None:
    services_down(mocked_http, failure)
    login(client, stored[who])
    values = {"user_id": stored["user"].id, "username": "Ana_Exemplo", "organization_id": stored["org"],
              "event_id": stored["event"], "program_id": stored["program"], "role": "mentee",
              "kind": "capacity", "filename": "css/capx.css"}
    with app.app_context():
        values["report_id"] = db.session.scalar(sa.select(BugReport.id))
    failed = []
    for rule in app_rules(app, {"GET"}):
        if rule.endpoint in ("auth.oauth_callback", "translation.callback"):
            continue  # the end of a login with a remote service: nothing to render from stored data
        response = client.get(rule_url(rule, values))
        if response.status_code >= 500:
            failed.append((rule.rule, response.status_code))
    assert not failed, failed


def test_pages_show_stored_news_when_diff_is_down(app: Any, client: Any, login: Any, mocked_http: Any,
                                                  stored: dict[str, Any], failure: str) -> None:
    from capx.models import DiffPostTag, utcnow

    with app.app_context():
        post = DiffPost(link="https://diff.wikimedia.org/2026/01/01/stored/", title="Stored post",
                        published_at=utcnow(), excerpt="From the last good fetch")
        post.tags.append(DiffPostTag(slug="capacity-exchange"))
        db.session.add(post)
        db.session.commit()
    services_down(mocked_http, failure)
    login(client, stored["user"])
    page = html_text(client.get(f"/organization_profile/{stored['org']}"))
    assert "Stored post" in page


# -- actions that need a service say so ---------------------------------------------------------------

def _profile(app: Any, user_id: int) -> Profile:
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == user_id))
        db.session.expunge(profile)
        return profile


def test_profile_save_with_wikidata_down_saves_the_rest_and_says_so(app: Any, client: Any, login: Any,
                                                                     mocked_http: Any, stored: dict[str, Any],
                                                                     failure: str) -> None:
    services_down(mocked_http, failure)
    login(client, stored["user"])
    response = client.post("/profile/edit", data={"show_wikidata_photo": "1", "bio": "still saved", "save": "1"})
    assert response.status_code == 302
    assert _profile(app, stored["user"].id).bio == "still saved"
    assert "Wikidata could not be reached" in html_text(client.get("/profile"))


def test_alternative_account_check_with_meta_wiki_down(app: Any, client: Any, login: Any, mocked_http: Any,
                                                        stored: dict[str, Any], failure: str) -> None:
    services_down(mocked_http, failure)
    login(client, stored["user"])
    response = client.post("/profile/edit", data={"alt_account": "Ana Exemplo 2", "bio": "kept", "save": "1"})
    assert response.status_code == 422
    page = html_text(response)
    assert "Meta-Wiki could not be asked" in page and "kept" in page
    assert _profile(app, stored["user"].id).bio != "kept"


def test_message_with_meta_wiki_down(app: Any, client: Any, login: Any, mocked_http: Any,
                                     stored: dict[str, Any], failure: str) -> None:
    services_down(mocked_http, failure)
    login(client, stored["user"])
    form = {"recipient": "Bruno Exemplo", "method": "talk", "subject": "Hello", "text": "A text I wrote"}
    before = fingerprint(app)
    with app.app_context():
        sent_before = db.session.scalar(sa.select(sa.func.count()).select_from(MessageLog)
                                        .where(MessageLog.status == "sent"))
    for url in ("/message", "/message/send"):
        response = client.post(url, data=form)
        assert response.status_code == 422, url
        page = html_text(response)
        assert "Meta-Wiki" in page and ("could not connect" in page or "could not be asked" in page
                                        if failure == "unreachable" else "did not answer" in page), url
        if failure == "unreachable":
            assert "did not answer" not in page, url  # a refused connection is not a timeout (issue 19)
        assert "A text I wrote" in page  # the text is kept in the form
    after = fingerprint(app)
    # A send that reached no one may log a failed attempt (not counted towards the limit), nothing else.
    changed = {table for table in after if after[table] != before[table]}
    assert changed <= {"None:message_log"}, changed
    with app.app_context():
        # No new "sent" row (row ids do not restart between tests on MariaDB, so count them).
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageLog)
                                 .where(MessageLog.status == "sent")) == sent_before


def test_availability_check_with_meta_wiki_down(client: Any, login: Any, mocked_http: Any, stored: dict[str, Any],
                                                failure: str) -> None:
    services_down(mocked_http, failure)
    login(client, stored["user"])
    data = client.get("/message/availability?username=Bruno_Exemplo").get_json()
    assert data["status"] == "check-failed" and data["methods"] == []
    assert data["label"] == "Meta-Wiki could not be asked right now"


@pytest.mark.mutates_reference
def test_translation_save_with_metabase_down(app: Any, client: Any, login: Any, mocked_http: Any,
                                             stored: dict[str, Any], failure: str) -> None:
    cap_id = on_metabase(app, "budgeting")
    app.config.update(CAPX_METABASE_BOT_USER="CapxBot@capx", CAPX_METABASE_BOT_PASSWORD="bot-password-for-tests")
    try:
        services_down(mocked_http, failure)
        login(client, stored["user"])
        before = fingerprint(app)
        response = client.post("/translation", data={"capacity_id": cap_id, "lang": "pt-br", "name": "Orçamento",
                                                     "description": "Planejamento"})
        assert response.status_code == 400
        page = html_text(response)
        assert "Metabase cannot be reached right now. Your text was kept" in page
        assert "Orçamento" in page and "refused" not in page
        assert fingerprint(app) == before
    finally:
        app.config.update(CAPX_METABASE_BOT_USER="", CAPX_METABASE_BOT_PASSWORD="")


def test_lets_connect_import_with_lets_connect_down(app: Any, client: Any, login: Any, mocked_http: Any,
                                                    stored: dict[str, Any], failure: str) -> None:
    services_down(mocked_http, failure)
    login(client, stored["user"])
    before = fingerprint(app)
    response = client.post("/profile/lets-connect/import")
    assert response.status_code == 302
    assert "could not be reached" in html_text(client.get("/profile/edit"))
    assert fingerprint(app) == before


def test_login_with_meta_wiki_down(client: Any, mocked_http: Any, failure: str) -> None:
    services_down(mocked_http, failure)
    response = client.post("/login", data={"next": "/home"})
    assert response.status_code == 502
    assert "Meta-Wiki cannot be reached right now" in html_text(response)


# -- jobs ---------------------------------------------------------------------------------------------

def run_job(app: Any, name: str) -> Any:
    return app.test_cli_runner().invoke(args=["capx", *name.split()])


def fails_without_change(app: Any, mocked_http: Any, failure: str, job: str, says: str = "") -> Any:
    """Run ``job`` with the services down: it fails (saying ``says``) and changes nothing. Then bring the
    services back and return the fingerprint of before."""
    services_down(mocked_http, failure)
    before = fingerprint(app)
    result = run_job(app, job)
    assert result.exit_code == 1 and says in result.output
    assert fingerprint(app) == before
    services_back(mocked_http)
    return before


def _globaluserinfo(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    params = parse_qs(urlsplit(request.url).query)
    central = int(params["guiid"][0])
    body = {"batchcomplete": True, "query": {"globaluserinfo": {
        "home": "ptwiki", "id": central, "registration": "2015-03-12T14:30:55Z",
        "name": "Ana Renamed" if central == 12345678 else f"User {central}"}}}
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def test_sync_accounts_fails_without_change_then_succeeds(app: Any, mocked_http: Any, stored: dict[str, Any],
                                                          failure: str) -> None:
    fails_without_change(app, mocked_http, failure, "sync-accounts", says="failed")
    mocked_http.add_callback(responses.GET, META_API, callback=_globaluserinfo)
    result = run_job(app, "sync-accounts")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(User, stored["user"].id).username == "Ana Renamed"


@pytest.mark.mutates_reference
def test_sync_capacities_fails_without_change_then_succeeds(app: Any, mocked_http: Any, failure: str) -> None:
    from tests.test_directory_sync import mock_metabase

    before = fails_without_change(app, mocked_http, failure, "sync-capacities", says="nothing changed")
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    result = run_job(app, "sync-capacities")
    assert result.exit_code == 0, result.output
    assert fingerprint(app) != before


def test_fetch_news_fails_without_change_then_succeeds(app: Any, mocked_http: Any, stored: dict[str, Any],
                                                       failure: str) -> None:
    fails_without_change(app, mocked_http, failure, "fetch-news")
    with app.app_context():  # the outage is recorded, so the next failed run does not alert again
        assert db.session.get(JobOutage, "fetch-news") is not None
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "posts-by-tag-fields")
    result = run_job(app, "fetch-news")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)) > 0


@pytest.mark.parametrize("job", ["refresh-statistics", "badges --local-only"])
def test_local_jobs_need_no_remote_service(app: Any, mocked_http: Any, stored: dict[str, Any], failure: str,
                                           job: str) -> None:
    """These jobs work from stored data only: with every service down they run, twice, the same."""
    services_down(mocked_http, failure)
    result = run_job(app, job)
    assert result.exit_code == 0, result.output
    first = fingerprint(app)
    result = run_job(app, job)
    assert result.exit_code == 0, result.output
    assert not mocked_http.calls
    if job.startswith("badges"):
        assert fingerprint(app) == first  # idempotent


def test_badges_job_with_every_source_down_keeps_everything(app: Any, mocked_http: Any, stored: dict[str, Any],
                                                            failure: str) -> None:
    """The full badges job (WikiLearn and Let's Connect too): every source down, it still ends
    well (alerting once per outage), reports per source, and changes nothing a local-only run
    would not."""
    result = run_job(app, "badges --local-only")
    assert result.exit_code == 0, result.output
    first = fingerprint(app)
    services_down(mocked_http, failure)
    result = run_job(app, "badges")
    assert result.exit_code == 1, result.output  # the first run of an outage alerts (once)
    lines = {line.split(":")[0]: line for line in result.output.splitlines()}
    for source in ("wikilearn", "letsconnect"):
        assert "0 answered in full" in lines[source] and "0 removed" in lines[source]
    result = run_job(app, "badges")
    assert result.exit_code == 0 and "still failing since" in result.output  # later runs only log
    with app.app_context():
        db.session.execute(sa.delete(JobOutage))
        db.session.commit()
    assert fingerprint(app) == first


@pytest.fixture(autouse=True)
def _no_leftover_config(app: Any) -> Iterator[None]:
    yield
    app.config.update(CAPX_METABASE_BOT_USER="", CAPX_METABASE_BOT_PASSWORD="")
