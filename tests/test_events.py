"""Events: managers' create/edit/delete/feature (access matrix and validators), time zones, the
public calendar's filters and pagination, and event pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.forms.events import FORMAT_LABELS
from capx.models import EVENT_FORMATS, Event, EventCapacity, Territory, utcnow
from tests.conftest import html_text, statements_run
from tests.orgs_helpers import capacity_ids, make_event, make_org


@pytest.fixture()
def setup(app: Any, make_user: Any) -> dict[str, Any]:
    manager = make_user("Manager One")
    staff = make_user("Staff Person", is_staff=True)
    other = make_user("Someone Else")
    org = make_org(app, managers=(manager,))
    return {"manager": manager, "staff": staff, "other": other, "org": org}


def event_form(**overrides: Any) -> dict[str, Any]:
    data = {"title": "Wiki Loves Editathon", "url": "https://example.org/editathon", "start": "2030-03-10T14:00",
            "end": "2030-03-10T17:30", "time_zone": "America/Sao_Paulo", "format": "hybrid",
            "location": "São Paulo, Brazil", "territory_id": "", "description": "Bring a laptop.\n\nSee you!",
            "image": ""}
    data.update(overrides)
    return data


def only_event(app: Any) -> Event:
    with app.app_context():
        event = db.session.scalar(sa.select(Event))
        db.session.expunge_all()
        return event


# -- create: access and time zone --------------------------------------------------------------

@pytest.mark.parametrize("who,status", [("manager", 302), ("staff", 302), ("other", 403)])
def test_create_access(app: Any, client: Any, login: Any, setup: dict, who: str, status: int) -> None:
    login(client, setup[who])
    url = f"/organization_profile/{setup['org']}/events/new"
    assert client.get(url).status_code == (200 if status == 302 else 403)
    assert client.post(url, data=event_form()).status_code == status
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == (1 if status == 302 else 0)


def test_create_anonymous_goes_to_login(client: Any, setup: dict) -> None:
    response = client.post(f"/organization_profile/{setup['org']}/events/new", data=event_form())
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_event_entered_in_sao_paulo_is_stored_in_utc(app: Any, client: Any, login: Any, setup: dict) -> None:
    bra = None
    caps = capacity_ids(app, 2)
    with app.app_context():
        bra = db.session.scalar(sa.select(Territory.id).where(Territory.code == "BRA"))
    login(client, setup["manager"])
    response = client.post(f"/organization_profile/{setup['org']}/events/new",
                           data=event_form(territory_id=str(bra), capacity=[str(c) for c in caps],
                                           image="https://commons.wikimedia.org/wiki/File:Editathon poster.jpg"))
    assert response.status_code == 302
    event = only_event(app)
    # São Paulo is UTC−3 (no daylight saving since 2019)
    assert event.start_at == dt.datetime(2030, 3, 10, 17, 0) and event.end_at == dt.datetime(2030, 3, 10, 20, 30)
    assert event.time_zone == "America/Sao_Paulo" and event.territory_id == bra
    assert event.image_file == "Editathon_poster.jpg"
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(EventCapacity.capacity_id))) == sorted(caps)
    page = html_text(client.get(response.headers["Location"]))
    assert 'datetime="2030-03-10T14:00:00-03:00"' in page and "America/Sao_Paulo" in page and "UTC-03:00" in page
    assert "Bring a laptop." in page and "Hybrid" in page
    # the edit form shows the wall-clock time as entered
    edit_page = html_text(client.get(f"/events/{event.id}/edit"))
    assert 'value="2030-03-10T14:00"' in edit_page and 'value="2030-03-10T17:30"' in edit_page


def test_daylight_saving_zone(app: Any, client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    client.post(f"/organization_profile/{setup['org']}/events/new",
                data=event_form(time_zone="Europe/Lisbon", start="2030-07-01T10:00", end="2030-07-01T11:00"))
    assert only_event(app).start_at == dt.datetime(2030, 7, 1, 9, 0)  # WEST = UTC+1 in summer


# -- validators ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides,message", [
    ({"title": ""}, "This field is required."),
    ({"title": "T" * 201}, "At most 200 characters."),
    ({"url": ""}, "This field is required."),
    ({"url": "example.org"}, "Enter a web address"),
    ({"url": "https://example.org/" + "a" * 490}, "Enter a web address"),
    ({"start": ""}, "This field is required."),
    ({"start": "tomorrow"}, "Enter a date and time."),
    ({"end": "2030-03-10T13:59"}, "The end must be after the start."),
    ({"time_zone": "Mars/Olympus_Mons"}, "Choose one of the options."),
    ({"format": "telepathic"}, "This field is required."),
    ({"format": ""}, "This field is required."),
    ({"location": "L" * 301}, "At most 300 characters."),
    ({"territory_id": "999999"}, "Choose one of the options."),
    ({"description": "D" * 5001}, "At most 5,000 characters."),
    ({"image": "https://example.org/a.jpg"}, "Give a link to a file on Wikimedia Commons."),
])
def test_event_validators(app: Any, client: Any, login: Any, setup: dict, overrides: dict, message: str) -> None:
    login(client, setup["manager"])
    response = client.post(f"/organization_profile/{setup['org']}/events/new", data=event_form(**overrides))
    assert response.status_code == 400
    page = html_text(response)
    assert message in page
    assert 'value="São Paulo, Brazil"' in page or overrides.get("location")  # input kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("overrides", [
    {"title": "T" * 200}, {"location": "L" * 300}, {"description": "D" * 5000},
    {"end": "2030-03-10T14:00"},  # zero length is fine
    {"format": "online"}, {"format": "in-person"}, {"url": "http://example.org"},
])
def test_event_boundaries_accepted(client: Any, login: Any, setup: dict, overrides: dict) -> None:
    login(client, setup["manager"])
    response = client.post(f"/organization_profile/{setup['org']}/events/new", data=event_form(**overrides))
    assert response.status_code == 302


# -- edit and delete -------------------------------------------------------------------------------

@pytest.mark.parametrize("who,status", [("manager", 302), ("staff", 302), ("other", 403)])
def test_edit_access(app: Any, client: Any, login: Any, setup: dict, who: str, status: int) -> None:
    event_id = make_event(app, setup["org"], title="Before")
    login(client, setup[who])
    assert client.get(f"/events/{event_id}/edit").status_code == (200 if status == 302 else 403)
    response = client.post(f"/events/{event_id}/edit", data=event_form(title="After", version="1"))
    assert response.status_code == status
    assert only_event(app).title == ("After" if status == 302 else "Before")


def test_manager_of_other_org_cannot_touch_events(app: Any, client: Any, login: Any, setup: dict) -> None:
    event_id = make_event(app, setup["org"])
    make_org(app, name="Other", managers=(setup["other"],))
    login(client, setup["other"])
    assert client.post(f"/events/{event_id}/edit", data=event_form(version="1")).status_code == 403
    assert client.post(f"/events/{event_id}/delete").status_code == 403
    assert client.get(f"/organization_profile/{setup['org']}/events").status_code == 403


@pytest.mark.parametrize("who,status", [("manager", 302), ("staff", 302), ("other", 403)])
def test_delete_access(app: Any, client: Any, login: Any, setup: dict, who: str, status: int) -> None:
    event_id = make_event(app, setup["org"])
    login(client, setup[who])
    assert client.get(f"/events/{event_id}/delete").status_code == 405
    assert client.post(f"/events/{event_id}/delete").status_code == status
    with app.app_context():
        assert (db.session.get(Event, event_id) is None) is (status == 302)


def test_unknown_event_404(client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    for url in ("/events/999", "/events/999.ics", "/events/999/edit"):
        assert client.get(url).status_code == 404
    assert client.post("/events/999/delete").status_code == 404
    assert client.get("/organization_profile/999/events/new").status_code == 404


def test_concurrent_event_edit_detected(app: Any, client: Any, login: Any, setup: dict) -> None:
    event_id = make_event(app, setup["org"], title="Original")
    other_browser = client.application.test_client()
    login(client, setup["manager"])
    login(other_browser, setup["staff"])
    page = html_text(client.get(f"/events/{event_id}/edit"))
    import html as html_lib

    mine = {"version": re.search(r'name="version" value="(\d+)"', page).group(1),
            "loaded": html_lib.unescape(re.search(r'name="loaded" value="([^"]*)"', page).group(1))}
    theirs_page = html_text(other_browser.get(f"/events/{event_id}/edit"))
    theirs = {"version": re.search(r'name="version" value="(\d+)"', theirs_page).group(1),
              "loaded": html_lib.unescape(re.search(r'name="loaded" value="([^"]*)"', theirs_page).group(1))}
    assert other_browser.post(f"/events/{event_id}/edit", data=event_form(title="Staff title", **theirs)).status_code == 302
    response = client.post(f"/events/{event_id}/edit", data=event_form(title="Manager title", **mine))
    assert response.status_code == 409
    body = html_text(response)
    assert "Staff title" in body and "Original" in body and 'value="Manager title"' in body
    assert only_event(app).title == "Staff title"


# -- featured --------------------------------------------------------------------------------------

def test_feature_up_to_four(app: Any, client: Any, login: Any, setup: dict) -> None:
    ids = [make_event(app, setup["org"], title=f"E{i}") for i in range(5)]
    login(client, setup["manager"])
    url = f"/organization_profile/{setup['org']}/events"
    response = client.post(url, data={"featured": [str(i) for i in ids]})
    assert response.status_code == 400 and "Choose at most 4 events." in html_text(response)
    assert client.post(url, data={"featured": [str(ids[3]), str(ids[0])]}).status_code == 302
    with app.app_context():
        positions = dict(db.session.execute(sa.select(Event.id, Event.featured_position)).all())
    assert positions[ids[3]] == 1 and positions[ids[0]] == 2 and positions[ids[1]] is None
    profile = html_text(client.get(f"/organization_profile/{setup['org']}"))
    assert profile.index(f"/events/{ids[3]}") < profile.index(f"/events/{ids[0]}")
    other_org = make_org(app, name="Other", managers=(setup["manager"],))
    foreign = make_event(app, other_org)
    assert client.post(url, data={"featured": [str(foreign)]}).status_code == 400


@pytest.mark.parametrize("who,status", [("manager", 200), ("staff", 200), ("other", 403)])
def test_manage_page_access(client: Any, login: Any, setup: dict, who: str, status: int) -> None:
    login(client, setup[who])
    assert client.get(f"/organization_profile/{setup['org']}/events").status_code == status
    assert client.post(f"/organization_profile/{setup['org']}/events", data={}).status_code == \
        (302 if status == 200 else 403)


# -- the calendar ---------------------------------------------------------------------------------

def titles(response: Any) -> list[str]:
    return re.findall(r'<h2 class="card__title" dir="auto"><a href="/events/\d+">([^<]+)</a>', html_text(response))


def test_calendar_is_public_and_upcoming_by_default(app: Any, client: Any, setup: dict) -> None:
    now = utcnow()
    make_event(app, setup["org"], title="Past", start=now - dt.timedelta(days=10))
    make_event(app, setup["org"], title="Ongoing", start=now - dt.timedelta(hours=1), hours=3)
    make_event(app, setup["org"], title="Later", start=now + dt.timedelta(days=20))
    make_event(app, setup["org"], title="Soon", start=now + dt.timedelta(days=1))
    response = client.get("/events")
    assert response.status_code == 200
    assert titles(response) == ["Ongoing", "Soon", "Later"]
    past = client.get(f"/events?from={(now - dt.timedelta(days=11)).date()}&to={(now - dt.timedelta(days=9)).date()}")
    assert titles(past) == ["Past"]


def test_hidden_organizations_events_are_left_out(app: Any, client: Any, login: Any, setup: dict) -> None:
    hidden = make_org(app, name="Hidden org")
    event_id = make_event(app, hidden, title="Secret")
    make_event(app, setup["org"], title="Public")
    assert titles(client.get("/events")) == ["Public"]
    assert "Secret" not in client.get("/events.ics").get_data(as_text=True)
    assert client.get(f"/events/{event_id}").status_code == 404
    assert client.get(f"/events/{event_id}.ics").status_code == 404
    assert "Hidden org" not in html_text(client.get("/events"))  # not in the organization filter
    login(client, setup["staff"])
    assert client.get(f"/events/{event_id}").status_code == 200


def test_filters(app: Any, client: Any, setup: dict) -> None:
    caps = capacity_ids(app, 3)
    root, child = caps[0], caps[1]
    with app.app_context():
        bra = db.session.scalar(sa.select(Territory).where(Territory.code == "BRA"))
        region_id, bra_id = bra.parent_id, bra.id
        elsewhere = db.session.scalar(sa.select(Territory.id).where(Territory.parent_id.is_not(None),
                                                                    Territory.parent_id != region_id))
    other_org = make_org(app, name="Other org", managers=(setup["manager"],))
    start = utcnow() + dt.timedelta(days=5)
    a = make_event(app, setup["org"], title="Child capacity online", start=start, format="online", territory_id=bra_id)
    b = make_event(app, setup["org"], title="Root capacity in person", start=start + dt.timedelta(days=1),
                   format="in-person", territory_id=region_id, description="A workshop about photos")
    make_event(app, other_org, title="Nothing hybrid", start=start + dt.timedelta(days=30), format="hybrid",
               territory_id=elsewhere, location="Lisbon 100%")
    with app.app_context():
        db.session.add_all([EventCapacity(event_id=a, capacity_id=child), EventCapacity(event_id=b, capacity_id=root)])
        db.session.commit()
    assert titles(client.get(f"/events?capacity={root}")) == ["Child capacity online", "Root capacity in person"]
    assert titles(client.get(f"/events?capacity={child}")) == ["Child capacity online"]
    assert titles(client.get("/events?format=hybrid")) == ["Nothing hybrid"]
    assert titles(client.get("/events?format=bogus")) == ["Child capacity online", "Root capacity in person",
                                                           "Nothing hybrid"]
    assert titles(client.get(f"/events?territory={region_id}")) == ["Child capacity online", "Root capacity in person"]
    assert titles(client.get(f"/events?territory={bra_id}")) == ["Child capacity online"]
    assert titles(client.get(f"/events?organization={other_org}")) == ["Nothing hybrid"]
    assert titles(client.get("/events?q=PHOTOS")) == ["Root capacity in person"]
    assert titles(client.get("/events?q=100%25")) == ["Nothing hybrid"]
    assert titles(client.get("/events?q=50%25")) == []
    to = (start + dt.timedelta(days=2)).date().isoformat()
    assert titles(client.get(f"/events?to={to}")) == ["Child capacity online", "Root capacity in person"]
    assert titles(client.get(f"/events?capacity={root}&format=in-person")) == ["Root capacity in person"]
    assert "No events match." in html_text(client.get("/events?q=zzzz"))
    # malformed values are ignored, not errors
    assert client.get("/events?capacity=x&from=notadate&territory=&page=-3").status_code == 200


def test_pagination_and_bounded_queries(app: Any, client: Any, setup: dict) -> None:
    start = utcnow() + dt.timedelta(days=1)
    caps = capacity_ids(app, 2)
    for i in range(45):
        event_id = make_event(app, setup["org"], title=f"Event {i:02d}", start=start + dt.timedelta(hours=i))
        with app.app_context():
            db.session.add_all([EventCapacity(event_id=event_id, capacity_id=c) for c in caps])
            db.session.commit()
    first = client.get("/events")
    assert titles(first) == [f"Event {i:02d}" for i in range(20)]
    assert "45 events" in html_text(first)
    third = client.get("/events?page=3")
    assert titles(third) == [f"Event {i:02d}" for i in range(40, 45)]
    assert titles(client.get("/events?page=99")) == titles(third)
    assert 'href="/events?page=2"' in html_text(first)

    with statements_run(app) as statements:
        client.get("/events?page=2")
    assert len(statements) <= 15, statements


def test_filter_links_keep_filters(app: Any, client: Any, setup: dict) -> None:
    start = utcnow() + dt.timedelta(days=1)
    for i in range(25):
        make_event(app, setup["org"], title=f"Online {i}", start=start + dt.timedelta(hours=i))
    page = html_text(client.get("/events?format=online"))
    assert 'href="/events?format=online&amp;page=2"' in page
    assert 'href="/events.ics?format=online"' in page


def test_event_page_is_public(app: Any, client: Any, setup: dict) -> None:
    event_id = make_event(app, setup["org"], title="Open <meetup>", description="Line one\n\nLine two <script>")
    page = html_text(client.get(f"/events/{event_id}"))
    assert "Open &lt;meetup&gt;" in page and "&lt;script&gt;" in page
    assert f"/events/{event_id}.ics" in page
    assert "/edit" not in page  # not a manager


def test_capacity_picker_search_without_javascript(app: Any, client: Any, login: Any, setup: dict) -> None:
    login(client, setup["manager"])
    response = client.post(f"/organization_profile/{setup['org']}/events/new",
                           data=event_form(title="Kept title", picker_search="capacity", capacity_q="comm"))
    assert response.status_code == 200
    page = html_text(response)
    assert 'value="Kept title"' in page and 'name="capacity" value=' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_feed_cache_headers(app: Any, client: Any, login: Any, setup: dict) -> None:
    response = client.get("/events.ics")
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert "Accept-Language" in response.headers["Vary"]
    login(client, setup["staff"])
    assert client.get("/events.ics").headers["Cache-Control"].startswith("private")


def test_featuring_does_not_conflict_with_an_open_edit(app: Any, client: Any, login: Any, setup: dict) -> None:
    event_id = make_event(app, setup["org"], title="Original")
    login(client, setup["manager"])
    page = html_text(client.get(f"/events/{event_id}/edit"))
    import html as html_lib

    loaded = {"version": re.search(r'name="version" value="(\d+)"', page).group(1),
              "loaded": html_lib.unescape(re.search(r'name="loaded" value="([^"]*)"', page).group(1))}
    assert client.post(f"/organization_profile/{setup['org']}/events", data={"featured": [str(event_id)]}).status_code == 302
    assert client.post(f"/events/{event_id}/edit", data=event_form(title="Edited", **loaded)).status_code == 302
    event = only_event(app)
    assert event.title == "Edited" and event.featured_position == 1


def test_format_is_required_and_says_so(app: Any, client: Any, login: Any, setup: dict) -> None:
    """The format has no default (a wrong one would be published unnoticed): the form marks it
    required, as it marks the other required fields, and refusing it keeps what was typed."""
    login(client, setup["manager"])
    url = f"/organization_profile/{setup['org']}/events/new"
    page = html_text(client.get(url))
    fieldset = re.search(r'<fieldset[^>]*>\s*<legend class="field__label">(.*?)</legend>(.*?)</fieldset>', page, re.S)
    assert fieldset and "Format" in fieldset.group(1) and "(required)" in fieldset.group(1)
    radios = re.findall(r'<input type="radio" name="format"[^>]*>', fieldset.group(2))
    assert len(radios) == 3 and all(" required" in r for r in radios) and not any("checked" in r for r in radios)
    title_label = re.search(r'<label class="field__label" for="f-title">(.*?)</label>', page, re.S)
    assert title_label and "(required)" in title_label.group(1)

    data = event_form()
    del data["format"]
    response = client.post(url, data=data)
    assert response.status_code == 400
    page = html_text(response)
    fieldset = re.search(r'<fieldset([^>]*)>\s*<legend class="field__label">.*?</legend>(.*?)</fieldset>', page, re.S)
    assert fieldset and 'aria-describedby="format-error"' in fieldset.group(1)
    assert 'id="format-error"' in fieldset.group(2) and "This field is required." in fieldset.group(2)
    assert 'value="Wiki Loves Editathon"' in page  # the rest is kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_every_format_has_a_label() -> None:
    """Labels come from Python (no message key is built in a template), in the formats' order."""
    assert tuple(FORMAT_LABELS) == EVENT_FORMATS
