"""iCalendar output: RFC 5545 structure, folding and escaping, parsed back line by line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capx.models import Event
from capx.services import ical
from tests.orgs_helpers import make_event, make_org


def unfold(text: str) -> list[str]:
    """Content lines of an iCalendar body (RFC 5545 §3.1), checking CRLF and octet limits."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    lines: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    """VEVENTs as dicts of property name → unescaped value (and the calendar as item 0)."""
    components: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    stack: list[str] = []
    for line in unfold(text):
        name, _, value = line.partition(":")
        prop = name.split(";")[0]
        if prop == "BEGIN":
            stack.append(value)
            current = {}
            components.append(current)
        elif prop == "END":
            assert stack.pop() == value
        else:
            assert current is not None
            current[prop] = unescape(value) if prop in ("SUMMARY", "DESCRIPTION", "LOCATION", "X-WR-CALNAME",
                                                        "CATEGORIES") else value
    assert not stack
    return components


def test_escape_and_fold_units() -> None:
    assert ical.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    long = "SUMMARY:" + "é" * 100  # two octets each: folds must not split a character
    folded = ical.fold_line(long)
    assert all(len(p.encode()) <= 75 for p in folded.split("\r\n"))
    assert "".join(p[1:] if i else p for i, p in enumerate(folded.split("\r\n"))) == long
    assert ical.fold_line("short") == "short"


def test_single_event_ics(app: Any, client: Any, make_user: Any) -> None:
    manager = make_user("Manager One")
    org = make_org(app, name="Wikimedia, Exemplo; Org", managers=(manager,))
    title = "Editathon, part 1; with \\ backslash and a long title " + "ção " * 20
    event_id = make_event(app, org, title=title, start=dt.datetime(2030, 3, 10, 17, 0), hours=3,
                          time_zone="America/Sao_Paulo", location="Av. Paulista, 1000; São Paulo",
                          description="Line one\nLine two, with comma")
    response = client.get(f"/events/{event_id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.get_data(as_text=True)
    calendar, vevent = parse(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"].startswith("-//")
    assert vevent["UID"] == f"event-{event_id}@capx.test"
    assert vevent["DTSTART"] == "20300310T170000Z" and vevent["DTEND"] == "20300310T200000Z"
    assert dt.datetime.strptime(vevent["DTSTAMP"], "%Y%m%dT%H%M%SZ")
    assert vevent["SUMMARY"] == title
    assert vevent["LOCATION"] == "Av. Paulista, 1000; São Paulo"
    assert "Line one\nLine two, with comma" in vevent["DESCRIPTION"]
    assert "Wikimedia, Exemplo; Org" in vevent["DESCRIPTION"]
    assert f"http://capx.test/events/{event_id}" in vevent["DESCRIPTION"]
    assert vevent["URL"] == "https://example.org/event"


def test_feed_honours_filters(app: Any, client: Any, make_user: Any) -> None:
    manager = make_user("Manager One")
    org = make_org(app, managers=(manager,))
    soon = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) + dt.timedelta(days=2)
    online = make_event(app, org, title="Online one", start=soon, format="online")
    make_event(app, org, title="In person one", start=soon, format="in-person")
    make_event(app, org, title="Past one", start=soon - dt.timedelta(days=30))
    everything = parse(client.get("/events.ics").get_data(as_text=True))
    assert sorted(c["SUMMARY"] for c in everything[1:]) == ["In person one", "Online one"]
    filtered = parse(client.get("/events.ics?format=online").get_data(as_text=True))
    assert [c["UID"] for c in filtered[1:]] == [f"event-{online}@capx.test"]
    empty = parse(client.get("/events.ics?q=nothing-matches").get_data(as_text=True))
    assert len(empty) == 1 and empty[0]["X-WR-CALNAME"] == "Capacity Exchange events"


@pytest.mark.parametrize("path", ["/events.ics", "/events"])
def test_public_without_login(app: Any, client: Any, path: str) -> None:
    assert client.get(path).status_code == 200


def test_calendar_function_directly(app: Any) -> None:
    event = Event(id=7, title="T", url="https://e.org", start_at=dt.datetime(2030, 1, 1, 9), version=3,
                  end_at=dt.datetime(2030, 1, 1, 10), format="online", updated_at=dt.datetime(2029, 12, 1))
    body = ical.calendar([(event, "https://capx.test/events/7", "Org")], "capx.test", "Cal",
                         now=dt.datetime(2029, 12, 2, 8, 30))
    _, vevent = parse(body)
    assert vevent["DTSTAMP"] == "20291202T083000Z" and vevent["SEQUENCE"] == "2"
    assert vevent["LAST-MODIFIED"] == "20291201T000000Z"
