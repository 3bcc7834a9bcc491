"""The issue's "done when", through the UI: staff make a user manager of an affiliate; that user
fills the profile, adds an event that appears on /events and in the .ics feed, and the
organization's Diff posts appear on its page from stored data."""

from __future__ import annotations

from typing import Any

import responses

from tests.conftest import add_recorded, html_text
from tests.orgs_helpers import make_org, run_fetch_news


def test_done_when(app: Any, client: Any, login: Any, make_user: Any, mocked_http: responses.RequestsMock) -> None:
    staff = make_user("Staff Person", is_staff=True)
    ana = make_user("Ana Exemplo")
    org = make_org(app, name="Wikimedia Exemplo", acronym="WMEX")

    # hidden while it has no manager
    login(client, ana)
    assert client.get(f"/organization_profile/{org}").status_code == 404

    login(client, staff)
    response = client.post(f"/organization_profile/{org}/managers", data={"action": "add", "username": "Ana_Exemplo"})
    assert response.status_code == 302

    login(client, ana)
    page = html_text(client.get(f"/organization_profile/{org}"))
    assert f"/organization_profile/{org}/edit" in page
    response = client.post(f"/organization_profile/{org}/edit", data={
        "version": "1", "loaded": "{}", "name_en": "Wikimedia Exemplo", "acronym": "WMEX",
        "logo": "https://commons.wikimedia.org/wiki/File:WMEX logo.svg",
        "report_url": "https://meta.wikimedia.org/wiki/Wikimedia_Exemplo/Reports",
        "diff_tags": "Capacity Exchange", "contact_email": "team@example.org",
        "name_lang-0": "pt-br", "name_text-0": "Wikimédia Exemplo",
    })
    assert response.status_code == 302

    response = client.post(f"/organization_profile/{org}/events/new", data={
        "title": "CapX editathon", "url": "https://example.org/editathon", "start": "2031-05-02T10:00",
        "end": "2031-05-02T12:00", "time_zone": "America/Sao_Paulo", "format": "online", "location": "",
        "territory_id": "", "description": "Learn together.", "image": ""})
    assert response.status_code == 302
    event_id = int(response.headers["Location"].rsplit("/", 1)[1])

    anonymous = app.test_client()
    assert "CapX editathon" in html_text(anonymous.get("/events"))
    feed = anonymous.get(f"/events.ics?organization={org}").get_data(as_text=True)
    assert f"UID:event-{event_id}@capx.test" in feed and "DTSTART:20310502T130000Z" in feed

    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "posts-by-tag-fields")
    with app.app_context():
        run_fetch_news()
    calls = len(mocked_http.calls)
    page = html_text(client.get(f"/organization_profile/{org}"))
    assert "The Capacity Exchange, one year on" in page
    assert len(mocked_http.calls) == calls  # the page read stored data only
    assert "Special:FilePath/WMEX_logo.svg" in page and "team@example.org" in page
