"""Events: the picture of a WikiLearn course, copied and served by CapX (never linked to learn.wiki).

Filling from a course carries the picture's address (with and without JavaScript); saving copies it
(size-capped, type checked) and the event page shows the copy from /events/<id>/course-image; a copy
that fails leaves the event saved and pending, and the refresh-courses job copies it later. The job
follows a changed course picture only while the event still uses the one fetched last time.
"""

from __future__ import annotations

import base64
import copy
import html
import re
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Event, EventCourseImage
from tests import test_event_fill
from tests.conftest import add_recorded, recorded, statements_run
from tests.orgs_helpers import make_event, make_org
from tests.test_event_fill import COURSE_API, COURSE_URL, html_text, run_job

#: The organization and its manager (logged in) of the fill tests.
setup = test_event_fill.setup

PICTURE = recorded("learnwiki-course", "course-detail-anonymous")["response"]["body"]["media"]["image"]["raw"]
PNG = base64.b64decode(recorded("learnwiki-course", "course-image-png")["response"]["body_base64"])
NEW_PICTURE = PICTURE.replace("ip101_course_image", "ip101_course_image_2025")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
      b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def event_data(**values: str) -> dict[str, str]:
    data = {"title": "Study group", "url": COURSE_URL, "start": "2030-02-15T10:00", "end": "2030-02-15T12:00",
            "time_zone": "UTC", "format": "online", "location": "", "territory_id": "", "description": "", "image": "",
            "course_image": PICTURE, "use_course_image": "1"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def answer_picture(mocked_http: Any, url: str = PICTURE, **overrides: Any) -> None:
    add_recorded(mocked_http, "learnwiki-course", "course-image-png", url=url, **overrides)


def course_answer(**media: Any) -> dict[str, Any]:
    body = copy.deepcopy(recorded("learnwiki-course", "course-detail-anonymous")["response"]["body"])
    body["media"]["image"].update(media)
    return body


def saved_event(client: Any, setup: dict, **values: str) -> int:
    response = client.post(setup["new"], data=event_data(**values))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def picture_row(app: Any, event_id: int) -> EventCourseImage | None:
    with app.app_context():
        row = db.session.get(EventCourseImage, event_id)
        db.session.expunge_all()
        return row


def shown_picture(client: Any, event_id: int) -> str | None:
    """The src of the event page's picture, or None."""
    match = re.search(r'<img class="event-image" src="([^"]+)"', client.get(f"/events/{event_id}").get_data(as_text=True))
    return html.unescape(match[1]) if match else None


# -- filling carries the picture ---------------------------------------------------------------------

def test_fill_without_javascript_carries_the_picture(client: Any, setup: dict, mocked_http: Any) -> None:
    add_recorded(mocked_http, "learnwiki-course", "course-detail-anonymous")
    response = client.post(setup["new"], data={**event_data(title="", url="", start="", end="", course_image="",
                                                            use_course_image=""), "fill_link": COURSE_URL, "fill": "1"})
    page, text = response.get_data(as_text=True), html_text(response)
    assert response.status_code == 200
    assert f'<input type="hidden" name="course_image" value="{html.escape(PICTURE)}">' in page
    assert re.search(r'name="use_course_image" value="1" checked', page)
    assert 'id="event-course-image" hidden' not in page
    assert "Use the course's picture" in text and "copied from WikiLearn when the event is saved" in text
    assert "Course picture" in text  # listed among the fields filled
    assert "<img" not in page.split('id="event-course-image"')[1].split("</div>")[0]  # nothing loaded from learn.wiki


def test_a_plain_form_hides_the_picture_box(client: Any, setup: dict) -> None:
    page = client.get(setup["new"]).get_data(as_text=True)
    assert 'id="event-course-image" hidden' in page and 'name="course_image" value=""' in page


@pytest.mark.parametrize("address", [
    "javascript:alert(1)",
    "https://evil.example/picture.png",
    "https://learn.wiki.evil.example/picture.png",
    "http://learn.wiki/asset-v1:x.png",
    "https://user@learn.wiki/asset-v1:x.png",
    "https://learn.wiki:8443/asset-v1:x.png",
    "//learn.wiki/asset-v1:x.png",
    "https://learn.wiki/" + "a" * 600 + ".png",
    "https://learn.wiki/asset v1.png",
])
def test_picture_addresses_outside_wikilearn_are_refused(app: Any, client: Any, setup: dict, address: str) -> None:
    response = client.post(setup["new"], data=event_data(course_image=address))
    assert response.status_code == 400
    text = html_text(response)
    assert "This picture cannot be used: only pictures of courses on WikiLearn (https) are copied." in text
    assert f'value="{address}"' in text  # shown again as sent
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_an_unticked_picture_is_not_used(app: Any, client: Any, setup: dict) -> None:
    event_id = saved_event(client, setup, course_image="javascript:alert(1)", use_course_image="")
    assert picture_row(app, event_id) is None and shown_picture(client, event_id) is None


# -- saving copies it; the copy is served by CapX --------------------------------------------------------

def test_save_copies_the_picture_and_the_page_shows_the_copy(app: Any, client: Any, setup: dict,
                                                             mocked_http: Any) -> None:
    answer_picture(mocked_http)
    event_id = saved_event(client, setup)
    row = picture_row(app, event_id)
    assert row is not None and row.copied and row.data == PNG and row.source_url == PICTURE
    src = shown_picture(client, event_id)
    assert src is not None and src.startswith(f"/events/{event_id}/course-image?v=")
    assert "learn.wiki/asset" not in client.get(f"/events/{event_id}").get_data(as_text=True)  # never linked
    for viewer in (client, app.test_client()):  # the manager, and anyone: the event is public
        picture = viewer.get(src)
        assert picture.status_code == 200 and picture.mimetype == "image/png" and picture.data == PNG
        assert picture.headers["Cache-Control"] == "private, max-age=86400"
        assert picture.headers["X-Content-Type-Options"] == "nosniff"
        assert picture.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # The edit form shows the picture in use; saving it unchanged fetches nothing again.
    edit = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert f'name="course_image" value="{html.escape(PICTURE)}"' in edit and 'value="1" checked' in edit
    version = re.search(r'name="version" value="(\d+)"', edit)[1]
    calls = len(mocked_http.calls)
    assert client.post(f"/events/{event_id}/edit", data=event_data(version=version)).status_code == 302
    assert len(mocked_http.calls) == calls and picture_row(app, event_id).data == PNG


def test_commons_image_wins_and_unticking_erases_the_copy(app: Any, client: Any, setup: dict,
                                                          mocked_http: Any) -> None:
    answer_picture(mocked_http)
    event_id = saved_event(client, setup, image="Example.jpg")
    assert shown_picture(client, event_id).startswith("https://commons.wikimedia.org/wiki/Special:FilePath/Example.jpg")
    assert picture_row(app, event_id).copied  # kept: clearing the Commons file brings it back
    with app.app_context():
        version = db.session.get(Event, event_id).version
    assert client.post(f"/events/{event_id}/edit", data=event_data(version=str(version))).status_code == 302
    assert shown_picture(client, event_id).startswith(f"/events/{event_id}/course-image")
    with app.app_context():
        version = db.session.get(Event, event_id).version
    client.post(f"/events/{event_id}/edit", data=event_data(version=str(version), use_course_image=""))
    assert picture_row(app, event_id) is None and shown_picture(client, event_id) is None
    assert client.get(f"/events/{event_id}/course-image").status_code == 404


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("answer", [
    {"body": requests.ConnectionError("learn.wiki down")},
    {"body": requests.Timeout("slow")},
    {"status": 404, "body": "missing", "content_type": "text/html"},
    {"body": PNG + b"\x00" * (10 * 1024 * 1024), "content_type": "image/png"},  # 10 MB: over the cap
    {"body": b"<html><script>alert(1)</script></html>", "content_type": "text/html"},  # not a picture
    {"body": b"<html>pretending</html>", "content_type": "image/png"},  # its bytes say otherwise
    {"body": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "content_type": "image/svg+xml"},
], ids=["down", "timeout", "404", "10MB", "html", "fake-png", "svg"])
def test_a_picture_not_copied_keeps_the_event_and_the_job_copies_it_later(
        app: Any, client: Any, setup: dict, mocked_http: Any, answer: dict[str, Any]) -> None:
    mocked_http.add("GET", PICTURE, **answer)
    response = client.post(setup["new"], data=event_data(), follow_redirects=True)
    assert response.status_code == 200
    assert "The event was saved." in html_text(response)
    assert "The course's picture could not be copied just now" in html_text(response)
    event_id = int(re.search(r"/events/(\d+)/edit", response.get_data(as_text=True))[1])
    row = picture_row(app, event_id)
    assert row is not None and not row.copied and row.data is None  # pending
    assert shown_picture(client, event_id) is None
    assert client.get(f"/events/{event_id}/course-image").status_code == 404
    # WikiLearn serves the picture again: the job copies it.
    mocked_http.replace("GET", PICTURE, body=PNG, content_type="image/png")
    mocked_http.add("GET", COURSE_API, json=course_answer())
    result = run_job(app)
    assert result.exit_code == 0, result.output
    assert "course pictures: 1 pending copied, 0 not copied" in result.output
    assert picture_row(app, event_id).data == PNG
    assert client.get(shown_picture(client, event_id)).data == PNG


@pytest.mark.allow_network_errors
def test_one_failing_picture_never_stops_the_job(app: Any, client: Any, setup: dict, mocked_http: Any) -> None:
    second = PICTURE.replace("IP101", "IP102")
    mocked_http.add("GET", PICTURE, body=requests.ConnectionError("down"))
    mocked_http.add("GET", second, body=requests.ConnectionError("down"))
    first_id = saved_event(client, setup, url="https://example.org/one")
    second_id = saved_event(client, setup, url="https://example.org/two", course_image=second)
    mocked_http.replace("GET", second, body=GIF, content_type="image/gif")
    result = run_job(app)
    assert result.exit_code == 0, result.output
    assert "course pictures: 1 pending copied, 1 not copied" in result.output
    assert not picture_row(app, first_id).copied and picture_row(app, second_id).content_type == "image/gif"


# -- the refresh-courses job: the picture follows the course, the organizer's choice stays -------------

@pytest.mark.allow_network_errors
def test_the_job_replaces_the_picture_only_while_it_is_the_one_fetched_last(
        app: Any, client: Any, setup: dict, mocked_http: Any) -> None:
    answer_picture(mocked_http)
    followed = saved_event(client, setup)
    chosen = saved_event(client, setup, title="Our own picture choice")
    mocked_http.add("GET", COURSE_API, json=course_answer())
    assert "0 updated" in run_job(app).output  # the first run records what the course says
    # The organizer of the second event stops using the picture.
    with app.app_context():
        version = db.session.get(Event, chosen).version
    client.post(f"/events/{chosen}/edit", data=event_data(title="Our own picture choice", version=str(version),
                                                            use_course_image=""))
    # The course gets a new picture, which WikiLearn cannot serve just now: the earlier copy stays.
    mocked_http.replace("GET", COURSE_API, json=course_answer(raw=NEW_PICTURE))
    mocked_http.add("GET", NEW_PICTURE, body=requests.Timeout("slow"))
    result = run_job(app)
    assert result.exit_code == 0 and "the course's new picture could not be copied (timeout)" in result.output
    assert picture_row(app, followed).source_url == PICTURE and picture_row(app, followed).data == PNG
    # Next run: the new picture is served; it replaces the copy of the event still using the old one.
    mocked_http.replace("GET", NEW_PICTURE, body=GIF, content_type="image/gif")
    result = run_job(app)
    assert f"event {followed}: image updated" in result.output, result.output
    row = picture_row(app, followed)
    assert (row.source_url, row.content_type, row.data) == (NEW_PICTURE, "image/gif", GIF)
    assert picture_row(app, chosen) is None  # the organizer's choice stays
    # The organizer now picks the old picture back by hand: later runs leave it.
    with app.app_context():
        version = db.session.get(Event, followed).version
    answer_picture(mocked_http)
    client.post(f"/events/{followed}/edit", data=event_data(version=str(version)))
    assert picture_row(app, followed).source_url == PICTURE
    mocked_http.replace("GET", COURSE_API, json=course_answer(raw=NEW_PICTURE.replace("2025", "2026")))
    assert "image updated" not in run_job(app).output
    assert picture_row(app, followed).source_url == PICTURE


def test_an_event_linking_to_a_course_without_a_picture_choice_gets_none(app: Any, mocked_http: Any,
                                                                         make_user: Any) -> None:
    event_id = make_event(app, make_org(app, managers=(make_user("Someone"),)), url=COURSE_URL)
    mocked_http.add("GET", COURSE_API, json=course_answer())
    run_job(app)
    mocked_http.replace("GET", COURSE_API, json=course_answer(raw=NEW_PICTURE))
    run_job(app)
    assert picture_row(app, event_id) is None  # never chosen: never copied


# -- who sees it ----------------------------------------------------------------------------------

def test_the_picture_follows_the_events_visibility(app: Any, client: Any, setup: dict, mocked_http: Any,
                                                   make_user: Any, login: Any) -> None:
    answer_picture(mocked_http)
    event_id = saved_event(client, setup)
    hidden_event = make_event(app, make_org(app, name="Hidden org"))  # no manager: hidden
    with app.app_context():
        db.session.add(EventCourseImage(event_id=hidden_event, source_url=PICTURE, content_type="image/png", data=PNG))
        db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get(f"/events/{hidden_event}/course-image").status_code == 404
    staff = app.test_client()
    login(staff, make_user("Staff Member", is_staff=True))
    assert staff.get(f"/events/{hidden_event}/course-image").status_code == 200
    assert anonymous.get(f"/events/{event_id}/course-image").status_code == 200
    client.post(f"/events/{event_id}/delete")
    assert anonymous.get(f"/events/{event_id}/course-image").status_code == 404
    assert picture_row(app, event_id) is None  # erased with the event
    assert anonymous.get("/events/999999/course-image").status_code == 404


def test_the_event_page_costs_no_more_queries(app: Any, client: Any, setup: dict, mocked_http: Any) -> None:
    answer_picture(mocked_http)
    with_picture = saved_event(client, setup)
    without = saved_event(client, setup, use_course_image="")
    counts = []
    for event_id in (with_picture, without):
        with statements_run(app) as statements:
            assert client.get(f"/events/{event_id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert not any("event_course_image.data" in s for s in statements)  # the bytes are not read for the page
