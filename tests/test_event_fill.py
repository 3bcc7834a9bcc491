"""Events: "Fill in from a link" (Wikidata, CampaignEvents, Meta-Wiki Event: pages, WikiLearn
courses) with and without JavaScript, bad links and answers, and the refresh-courses job."""

from __future__ import annotations

import copy
import html
import json
from typing import Any

import pytest
import requests
import responses
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from capx.extensions import db
from capx.forms.events import read_fill_link
from capx.models import Event, EventCourseFetch, Territory
from tests.conftest import add_recorded, recorded
from tests.orgs_helpers import make_event, make_org

WD = "https://www.wikidata.org/w/api.php"
COURSE = "course-v1:WikimediaFoundation+IP101+2024"
COURSE_API = f"https://learn.wiki/api/courses/v1/courses/{COURSE}/"
COURSE_URL = f"https://learn.wiki/courses/{COURSE}/about"
REGISTRATION = "https://meta.wikimedia.org/w/rest.php/campaignevents/v0/event_registration/"


@pytest.fixture()
def setup(app: Any, make_user: Any, client: Any, login: Any) -> dict[str, Any]:
    manager = make_user("Manager One")
    org = make_org(app, managers=(manager,))
    login(client, manager)
    return {"manager": manager, "org": org, "new": f"/organization_profile/{org}/events/new",
            "fill": f"/organization_profile/{org}/events/fill"}


def html_text(response: Any) -> str:
    """The page with its entities decoded (quotes in messages are written &#34;)."""
    return html.unescape(response.get_data(as_text=True))


def empty_form(**values: str) -> dict[str, str]:
    data = {"title": "", "url": "", "start": "", "end": "", "time_zone": "UTC", "location": "", "territory_id": "",
            "description": "", "image": ""}
    data.update(values)
    return data


def wikidata_event(rsps: responses.RequestsMock) -> None:
    for name, ids in (("event-item-labels-descriptions-claims", "Q131000123"), ("place-and-country", "Q114|Q3870")):
        rsps.add("GET", WD, json=recorded("wikidata-event-item", name)["response"]["body"],
                 match=[responses.matchers.query_param_matcher({"ids": ids, "action": "wbgetentities"},
                                                               strict_match=False)])


def territory_id(app: Any, iso2: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Territory.id).where(Territory.iso2 == iso2, Territory.parent_id.is_not(None)))


def event_count(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0


# -- which links are read ---------------------------------------------------------------------------

@pytest.mark.parametrize("link, kind, ref", [
    ("Q131000123", "wikidata", "Q131000123"),
    ("q42", "wikidata", "Q42"),
    ("https://www.wikidata.org/wiki/Q131000123", "wikidata", "Q131000123"),
    ("http://www.wikidata.org/entity/Q42", "wikidata", "Q42"),
    ("1432", "registration", "1432"),
    ("https://meta.wikimedia.org/wiki/Special:RegisterForEvent/1432", "registration", "1432"),
    ("https://meta.wikimedia.org/wiki/Event:CapX_Skills_Fair_2025", "meta-page", "Event:CapX Skills Fair 2025"),
    ("Event:CapX Skills Fair 2025", "meta-page", "Event:CapX Skills Fair 2025"),
    (COURSE_URL, "wikilearn", COURSE),
    (f"https://learn.wiki/learning/course/{COURSE}/home", "wikilearn", COURSE),
])
def test_links_read(link: str, kind: str, ref: str) -> None:
    checked = read_fill_link(MultiDict({"fill_link": link}))
    assert checked.value is not None and (checked.value.kind, checked.value.ref) == (kind, ref)


@pytest.mark.parametrize("link", [
    "javascript:alert(1)", "JavaScript://www.wikidata.org/%0aalert(1)", "data:text/html,<b>x</b>",
    "https://example.org/wiki/Q42", "https://www.wikidata.org.example.org/wiki/Q42",
    "https://user@www.wikidata.org/wiki/Q42", "https://www.wikidata.org:8443/wiki/Q42",
    "https://www.wikidata.org/wiki/Property:P31", "https://meta.wikimedia.org/wiki/Main_Page",
    "https://learn.wiki/courses/", "ftp://learn.wiki/courses/" + COURSE, "Q0", "0", "x" * 600,
    "https://www.wikidata.org/wiki/Q42\nQ43",
])
def test_links_refused(link: str) -> None:
    checked = read_fill_link(MultiDict({"fill_link": link}))
    assert checked.value is None and "fill_link" in checked.errors


# -- without JavaScript: the form re-rendered filled in ----------------------------------------------

def test_fill_from_wikidata_qid_without_javascript(app: Any, client: Any, setup: dict, mocked_http: Any) -> None:
    wikidata_event(mocked_http)
    response = client.post(setup["new"], data={**empty_form(), "fill_link": "Q131000123", "fill": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="Wikimania 2025"' in page
    assert 'value="2025-08-06T00:00"' in page and 'value="2025-08-09T23:59"' in page
    assert 'value="Nairobi"' in page and 'value="https://wikimania.wikimedia.org/wiki/2025:Wikimania"' in page
    assert f'<option value="{territory_id(app, "KE")}" selected' in page
    assert "all day in UTC" in html_text(response)
    assert event_count(app) == 0  # reviewed first, saved by the organizer


def test_typed_input_is_kept_and_shown(app: Any, client: Any, setup: dict, mocked_http: Any) -> None:
    wikidata_event(mocked_http)
    response = client.post(setup["new"], data={**empty_form(title="Our Wikimania watch party",
                                                             start="2025-08-06T10:00"),
                                               "fill_link": "https://www.wikidata.org/wiki/Q131000123", "fill": "1"})
    page, text = response.get_data(as_text=True), html_text(response)
    assert 'value="Our Wikimania watch party"' in page and 'value="2025-08-06T10:00"' in page
    assert 'Kept what you typed in "Title"; the link says: Wikimania 2025' in text
    assert "Kept what you typed in \"Time zone\"" not in text  # same zone: nothing to say
    assert 'value="2025-08-09T23:59"' in page  # the empty end was filled


def test_fill_then_save(app: Any, client: Any, setup: dict, mocked_http: Any) -> None:
    wikidata_event(mocked_http)
    filled = client.post(setup["new"], data={**empty_form(), "fill_link": "Q131000123", "fill": "1"})
    assert filled.status_code == 200
    data = empty_form(title="Wikimania 2025", url="https://wikimania.wikimedia.org/wiki/2025:Wikimania",
                      start="2025-08-06T00:00", end="2025-08-09T23:59", location="Nairobi",
                      territory_id=str(territory_id(app, "KE")))
    assert client.post(setup["new"], data={**data, "format": "in-person"}).status_code == 302
    assert event_count(app) == 1


def test_fill_from_registration(app: Any, client: Any, setup: dict, mocked_http: Any) -> None:
    add_recorded(mocked_http, "meta-campaignevents-registration", "registration-anonymous-hybrid")
    response = client.post(setup["new"], data={**empty_form(), "fill": "1",
                                               "fill_link": "https://meta.wikimedia.org/wiki/Special:RegisterForEvent/1432"})
    page = response.get_data(as_text=True)
    assert 'value="CapX Capacity Exchange Meetup 2025"' in page
    # Wall-clock times in the event's own zone, with that zone chosen.
    assert 'value="2025-09-20T14:00"' in page and 'value="2025-09-20T18:00"' in page
    assert '<option value="America/Sao_Paulo" selected' in page
    assert 'value="hybrid" required checked' in page
    assert 'value="Rua Exemplo, 123, São Paulo - SP"' in page
    assert f'<option value="{territory_id(app, "BR")}" selected' in page
    assert "https://meta.wikimedia.org/wiki/Event:CapX_Capacity_Exchange_Meetup_2025" in page


def test_fill_from_meta_event_page(client: Any, setup: dict, mocked_http: Any) -> None:
    add_recorded(mocked_http, "meta-query-page", "event-page-exists")
    response = client.post(setup["new"], data={**empty_form(), "fill": "1",
                                               "fill_link": "https://meta.wikimedia.org/wiki/Event:CapX_Skills_Fair_2025"})
    page = response.get_data(as_text=True)
    assert 'value="CapX Lusophone Skills Fair 2025"' in page
    assert 'value="https://meta.wikimedia.org/wiki/Event:CapX_Lusophone_Skills_Fair_2025"' in page


# -- with JavaScript: the JSON answer --------------------------------------------------------------

def test_fill_json_from_wikilearn_course(client: Any, setup: dict, mocked_http: Any) -> None:
    add_recorded(mocked_http, "learnwiki-course", "course-detail-anonymous")
    response = client.post(setup["fill"], data={**empty_form(title="Typed"), "fill_link": COURSE_URL})
    assert response.status_code == 200
    answer = response.get_json()
    picture = "https://learn.wiki/asset-v1:WikimediaFoundation+IP101+2024+type@asset+block@ip101_course_image.png"
    assert answer["fields"] == {"url": COURSE_URL, "start": "2024-02-15T00:00", "end": "2024-12-31T23:59",
                                "format": "online",
                                "description": "A self-paced tour of the Wikimedia projects, their communities and how "
                                               "to start contributing.",
                                "course_image": picture, "use_course_image": "1"}  # copied when the event is saved
    assert any("Introduction to Wikimedia Projects" in m for m in answer["messages"])  # the typed title kept
    assert any("Course picture" in m for m in answer["messages"])


def test_fill_json_needs_a_manager_and_csrf(app: Any, client: Any, setup: dict, make_user: Any, login: Any) -> None:
    assert client.post(setup["fill"], data={"fill_link": "Q1"}, csrf=False).status_code == 400
    login(client, make_user("Not A Manager"))
    assert client.post(setup["fill"], data={"fill_link": "Q1"}).status_code == 403


# -- links that cannot be read ----------------------------------------------------------------------

@pytest.mark.parametrize("link, register, message", [
    ("999999", lambda r: add_recorded(r, "meta-campaignevents-registration", "registration-not-found"), "Nothing was found"),
    ("1210", lambda r: add_recorded(r, "meta-campaignevents-registration", "registration-deleted"), "Nothing was found"),
    ("https://learn.wiki/courses/course-v1:WikimediaFoundation+XX999+2030/about",
     lambda r: add_recorded(r, "learnwiki-course", "course-not-found"), "Nothing was found"),
    ("Event:No such event", lambda r: add_recorded(r, "meta-query-page", "event-page-missing"), "Nothing was found"),
    ("Q999999999", lambda r: add_recorded(r, "wikidata-event-item", "item-missing", match_params=False), "Nothing was found"),
    ("Q5", lambda r: r.add("GET", WD, body=requests.Timeout()), "Wikidata could not be read just now"),
    ("Q5", lambda r: r.add("GET", WD, status=503, json={}), "Wikidata could not be read just now"),
    ("Q5", lambda r: r.add("GET", WD, body="<html>not json</html>"), "Wikidata could not be read just now"),
    ("javascript:alert(1)", lambda r: None, "This link cannot be used"),
    ("https://evil.example/wiki/Q5", lambda r: None, "This link cannot be used"),
    ("", lambda r: None, "Enter a link"),
])
@pytest.mark.allow_network_errors
def test_unreadable_links(app: Any, client: Any, setup: dict, mocked_http: Any, link: str, register: Any,
                          message: str) -> None:
    register(mocked_http)
    response = client.post(setup["new"], data={**empty_form(title="Mine"), "fill_link": link, "fill": "1"})
    assert response.status_code == 422
    assert message in html_text(response) and 'value="Mine"' in response.get_data(as_text=True)
    answer = client.post(setup["fill"], data={**empty_form(), "fill_link": link})
    assert answer.status_code == 422 and message in answer.get_json()["error"]
    assert event_count(app) == 0


@pytest.mark.allow_network_errors
def test_huge_answer_is_refused(client: Any, setup: dict, mocked_http: Any) -> None:
    mocked_http.add("GET", COURSE_API, body=b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}',
                    content_type="application/json")
    response = client.post(setup["fill"], data={**empty_form(), "fill_link": COURSE_URL})
    assert response.status_code == 422 and "WikiLearn could not be read" in response.get_json()["error"]


def test_html_and_impossible_dates_are_cleaned(client: Any, setup: dict, mocked_http: Any) -> None:
    sample = copy.deepcopy(recorded("learnwiki-course", "course-detail-anonymous")["response"]["body"])
    sample.update(name='<img src=x onerror="alert(1)">Intro <b>to</b>\n Wikimedia', start="2024-02-30T00:00:00Z",
                  short_description="<script>steal()</script><p>First</p><p>Second &amp; last</p>")
    mocked_http.add("GET", COURSE_API, json=sample)
    response = client.post(setup["fill"], data={**empty_form(), "fill_link": COURSE_URL})
    fields = response.get_json()["fields"]
    assert fields["title"] == "Intro to Wikimedia"
    assert "<" not in fields["description"] and "First" in fields["description"] and "Second & last" in fields["description"]
    assert "start" not in fields and "end" not in fields  # an impossible start: no dates at all


def test_wikidata_month_precision_gives_no_dates(client: Any, setup: dict, mocked_http: Any) -> None:
    body = copy.deepcopy(recorded("wikidata-event-item", "event-item-labels-descriptions-claims")["response"]["body"])
    entity = body["entities"]["Q131000123"]
    entity["claims"]["P580"] = recorded("wikidata-event-item", "event-item-month-precision")["response"]["body"][
        "entities"]["Q131000456"]["claims"]["P580"]
    entity["claims"]["P582"][0]["mainsnak"]["datavalue"]["value"]["time"] = "+2025-02-30T00:00:00Z"
    del entity["claims"]["P276"], entity["claims"]["P17"]
    mocked_http.add("GET", WD, json=body)
    fields = client.post(setup["fill"], data={**empty_form(), "fill_link": "Q131000123"}).get_json()["fields"]
    assert fields["title"] == "Wikimania 2025" and "start" not in fields and "end" not in fields


# -- the refresh-courses job ------------------------------------------------------------------------

def course_answer(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(recorded("learnwiki-course", "course-detail-anonymous")["response"]["body"])
    body.update(changes)
    return body


def run_job(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["capx", "refresh-courses"])


@pytest.fixture()
def course_event(app: Any, make_user: Any) -> int:
    import datetime as dt
    org = make_org(app, managers=(make_user("Course Organizer"),))
    return make_event(app, org, title="Introduction to Wikimedia Projects", url=COURSE_URL,
                      start=dt.datetime(2024, 2, 15), hours=24 * 320,
                      description="A self-paced tour of the Wikimedia projects, their communities and how to start "
                                  "contributing.")


def stored(app: Any, event_id: int) -> Event:
    with app.app_context():
        event = db.session.get(Event, event_id)
        db.session.expunge_all()
        return event


def test_refresh_first_run_records_then_follows_the_course(app: Any, course_event: int, mocked_http: Any) -> None:
    mocked_http.add("GET", COURSE_API, json=course_answer())
    first = run_job(app)
    assert first.exit_code == 0, first.output
    assert "1 event(s) linking to a course, 0 updated, 0 failed" in first.output
    with app.app_context():
        record = db.session.get(EventCourseFetch, course_event)
        assert record is not None and json.loads(record.fetched)["title"] == "Introduction to Wikimedia Projects"
    version = stored(app, course_event).version
    # Unchanged course: nothing written.
    assert "0 updated" in run_job(app).output and stored(app, course_event).version == version
    # The course is renamed and moved: the event follows.
    mocked_http.replace("GET", COURSE_API, json=course_answer(name="Wikimedia Projects 101", start="2024-03-01T12:00:00Z"))
    result = run_job(app)
    assert "1 updated" in result.output, result.output
    event = stored(app, course_event)
    assert event.title == "Wikimedia Projects 101" and event.start_at.isoformat() == "2024-03-01T12:00:00"


def test_refresh_keeps_the_organizers_edits(app: Any, course_event: int, mocked_http: Any) -> None:
    mocked_http.add("GET", COURSE_API, json=course_answer())
    run_job(app)
    with app.app_context():
        db.session.get(Event, course_event).title = "Our own title"
        db.session.commit()
    mocked_http.replace("GET", COURSE_API, json=course_answer(name="Renamed", short_description="New text"))
    assert "1 updated" in run_job(app).output
    event = stored(app, course_event)
    assert event.title == "Our own title" and event.description == "New text"


@pytest.mark.allow_network_errors
def test_refresh_with_wikilearn_down_loses_nothing(app: Any, course_event: int, mocked_http: Any,
                                                   make_user: Any) -> None:
    mocked_http.add("GET", COURSE_API, json=course_answer())
    run_job(app)
    other = make_event(app, make_org(app, name="Another org"), url=COURSE_URL.replace("IP101", "IP102"))
    mocked_http.replace("GET", COURSE_API, body=requests.ConnectionError("down"))
    mocked_http.add("GET", COURSE_API.replace("IP101", "IP102"), json=course_answer(name="Second course"))
    result = run_job(app)
    assert result.exit_code == 1 and "could not be read (unreachable)" in result.output
    assert "2 event(s) linking to a course, 0 updated, 1 failed" in result.output  # the other one recorded
    assert stored(app, course_event).title == "Introduction to Wikimedia Projects"
    with app.app_context():
        assert json.loads(db.session.get(EventCourseFetch, course_event).fetched)["title"] == \
            "Introduction to Wikimedia Projects"
        assert db.session.get(EventCourseFetch, other) is not None
