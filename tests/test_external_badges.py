"""Badges earned elsewhere (issue 17 §3): the badges job imports WikiLearn assertions and Let's
Connect badges from recorded answers: first run, unchanged run, a service down (nothing lost),
partial failure, alternative accounts, removal only on a complete answer, picture copies (size
cap, types), the badges page, the picture route and the data export."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from capx.clients.external_badges import ExternalBadgeError, WikiLearnClient, fetch_image
from capx.extensions import db
from capx.models import EXTERNAL, Badge, BadgeImage, Profile, UserBadge
from tests.conftest import add_recorded, html_text

WL = "https://learn.wiki/api/badges/v1/assertions/user"
LC = "https://letsconn.toolforge.org/user-badges/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
IMAGES = {
    "https://learn.wiki/media/badge_classes/ip101_badge_Xk3PqA2.png": (PNG, "image/png"),
    "https://learn.wiki/media/badge_classes/cv101_badge_b7QeW0s.png": (SVG, "image/svg+xml"),  # refused
    "https://letsconn.toolforge.org/media/badges/learner.png": (PNG, "image/png"),
}


def wikilearn(rsps, sample: str, username: str, **overrides: Any) -> None:
    add_recorded(rsps, "learnwiki-badge-assertions", sample, url=f"{WL}/{username.replace(' ', '%20')}/",
                 **overrides)


def nobody_else(rsps) -> None:
    """Every other person is unknown to both services (registered last: specific answers first);
    the picture refused on an earlier run is asked again."""
    rsps.add("GET", "https://learn.wiki/media/badge_classes/cv101_badge_b7QeW0s.png", body=SVG,
             content_type="image/svg+xml")
    rsps.add("GET", re.compile(re.escape(WL) + r"/.*"), status=404, json={"detail": "Not found."})
    rsps.add("GET", LC, status=404, body="")


def pictures(rsps) -> None:
    for url, (body, content_type) in IMAGES.items():
        if "cv101" not in url:  # nobody_else answers it
            rsps.add("GET", url, body=body, content_type=content_type)


def run_job(app, exit_code: int = 0) -> Any:
    """The badges job; it exits 1 on the first run of a source's outage (one alert per outage)."""
    result = app.test_cli_runner().invoke(args=["capx", "badges"])
    assert result.exit_code == exit_code, result.output
    return result


def external(app, user) -> dict[str, tuple[str, str | None, Any]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Badge.name, Badge.source, UserBadge.assertion_url, UserBadge.issued_at)
            .join(UserBadge, UserBadge.badge_id == Badge.id)
            .where(UserBadge.user_id == user.id, Badge.kind == EXTERNAL)).all()
        return {name: (source, url, issued) for name, source, url, issued in rows}


def calls_to(rsps, prefix: str) -> int:
    return sum(c.request.url.startswith(prefix) for c in rsps.calls)


@pytest.fixture()
def ana(make_user):
    return make_user("Ana Exemplo")


def answer_ana(rsps) -> None:
    wikilearn(rsps, "two-assertions", "Ana Exemplo")
    add_recorded(rsps, "letsconnect-user-badges", "user-with-badges")
    pictures(rsps)
    nobody_else(rsps)


def test_first_run_imports_both_sources_and_copies_pictures(app, ana, mocked_http):
    answer_ana(mocked_http)
    result = run_job(app)
    badges = external(app, ana)
    assert set(badges) == {"Introduction to Wikimedia Projects", "Copyright and Free Licenses",
                           "Let's Connect Learner", "Let's Connect Sharer"}
    source, url, issued = badges["Introduction to Wikimedia Projects"]
    assert source == "wikilearn" and url == "https://api.badgr.io/public/assertions/7qLmV2xRT0e9pW3kZcYd1A"
    assert issued.replace(microsecond=0).isoformat() == "2024-11-03T15:42:07"  # MariaDB keeps whole seconds
    assert badges["Let's Connect Learner"][1] == "https://letsconn.toolforge.org/badge/9f2c4a7e1b/"
    assert "wikilearn: 1 people asked, 1 answered in full" in result.output
    assert "2 badges added" in result.output
    assert "badge pictures: 2 copied, 1 could not be copied" in result.output
    with app.app_context():
        stored = {db.session.get(Badge, i.badge_id).name: i.content_type
                  for i in db.session.scalars(sa.select(BadgeImage))}
    assert stored == {"Introduction to Wikimedia Projects": "image/png", "Let's Connect Learner": "image/png"}


def test_unchanged_run_changes_nothing_and_fetches_no_picture_again(app, ana, mocked_http):
    answer_ana(mocked_http)
    run_job(app)
    before = external(app, ana)
    mocked_http.reset()
    answer_ana(mocked_http)
    result = run_job(app)
    assert external(app, ana) == before
    assert "0 badges added, 0 updated, 0 removed" in result.output
    assert calls_to(mocked_http, "https://learn.wiki/media/") == 1  # only the refused SVG is tried again
    assert calls_to(mocked_http, "https://letsconn.toolforge.org/media/") == 0


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("down", [requests.exceptions.ConnectTimeout("slow"), requests.exceptions.ConnectionError("x")])
def test_a_service_down_loses_nothing_and_the_run_goes_on(app, make_user, mocked_http, down):
    people = [make_user("Ana Exemplo")] + [make_user(f"Person {i}") for i in range(5)]
    answer_ana(mocked_http)
    run_job(app)
    before = external(app, people[0])
    mocked_http.reset()
    mocked_http.add("GET", re.compile(re.escape(WL) + r"/.*"), body=down)
    mocked_http.add("GET", LC, json=[])  # everyone, Ana too, now has no Let's Connect badge
    mocked_http.add("GET", "https://learn.wiki/media/badge_classes/cv101_badge_b7QeW0s.png", body=SVG,
                    content_type="image/svg+xml")
    result = run_job(app, exit_code=1)
    after = external(app, people[0])
    assert {k: v for k, v in after.items() if v[0] == "wikilearn"} == \
        {k: v for k, v in before.items() if v[0] == "wikilearn"}  # WikiLearn down: every badge stays
    assert not [k for k, v in after.items() if v[0] == "letsconnect"]  # a full 200 answer removes
    assert "wikilearn: DOWN (" in result.output and "warning: wikilearn was down" in result.output
    assert calls_to(mocked_http, WL) == 3  # given up after three failures in a row
    assert "letsconnect: 6 people asked" in result.output


@pytest.mark.allow_network_errors
def test_partial_failure_keeps_that_persons_badges_and_imports_the_others(app, make_user, mocked_http):
    ana, carla = make_user("Ana Exemplo"), make_user("Carla Exemplo")
    answer_ana(mocked_http)
    run_job(app)
    mocked_http.reset()
    mocked_http.add("GET", f"{WL}/Ana%20Exemplo/", status=502, body="<html>Bad gateway</html>")
    wikilearn(mocked_http, "item-missing-fields", "Carla Exemplo")
    add_recorded(mocked_http, "letsconnect-user-badges", "user-with-badges")
    add_recorded(mocked_http, "letsconnect-user-badges", "item-missing-fields")
    mocked_http.add("GET", re.compile(r"https://learn\.wiki/media/.*"), body=PNG, content_type="image/png")
    result = run_job(app)
    assert len(external(app, ana)) == 4  # her WikiLearn badges stay although WikiLearn failed for her
    assert set(external(app, carla)) == {"Wikidata Basics", "Let's Connect Learner"}  # the item without a name skipped
    assert "wikilearn: 2 people asked, 1 answered in full, 0 kept as they were (not found or not answered), 1 failed" \
        in result.output


def test_only_a_complete_answer_removes_and_alternative_accounts_count(app, make_user, mocked_http):
    main = make_user("Ana Main")
    with app.app_context():
        db.session.scalar(sa.select(Profile).where(Profile.user_id == main.id)).alt_account = "Ana Exemplo"
        db.session.commit()
    # Her alternative account holds the badges; her main account is unknown to WikiLearn (404).
    answer_ana(mocked_http)
    run_job(app)
    assert {n for n, v in external(app, main).items() if v[0] == "wikilearn"} == {
        "Introduction to Wikimedia Projects", "Copyright and Free Licenses"}
    # Both accounts answer, the alternative one with an empty list: still not complete (404 for the main one).
    mocked_http.reset()
    wikilearn(mocked_http, "no-assertions", "Ana Exemplo")
    add_recorded(mocked_http, "letsconnect-user-badges", "user-with-badges")
    nobody_else(mocked_http)
    run_job(app)
    assert len([v for v in external(app, main).values() if v[0] == "wikilearn"]) == 2
    # Both answer 200 with a list: what is no longer listed goes.
    mocked_http.reset()
    wikilearn(mocked_http, "no-assertions", "Ana Exemplo")
    wikilearn(mocked_http, "no-assertions", "Ana Main")
    add_recorded(mocked_http, "letsconnect-user-badges", "user-with-badges")
    nobody_else(mocked_http)
    result = run_job(app)
    assert not [v for v in external(app, main).values() if v[0] == "wikilearn"]
    assert "2 removed" in result.output


@pytest.mark.allow_network_errors
def test_malformed_answer_keeps_everything(app, ana, mocked_http):
    answer_ana(mocked_http)
    run_job(app)
    before = external(app, ana)
    mocked_http.reset()
    wikilearn(mocked_http, "malformed", "Ana Exemplo")
    add_recorded(mocked_http, "letsconnect-user-badges", "not-a-list")
    nobody_else(mocked_http)
    result = run_job(app, exit_code=1)  # nobody could be read at either source: an outage, alerted once
    assert "warning: wikilearn was down (every person failed)" in result.output
    assert external(app, ana) == before


def test_badges_page_profile_picture_route_and_export(app, ana, client, login, mocked_http):
    answer_ana(mocked_http)
    run_job(app)
    login(client, ana)
    page = html_text(client.get("/profile/badges"))
    assert "Introduction to Wikimedia Projects" in page and "Completed the course Introduction" in page
    assert "Issued by another Wikimedia platform (WikiLearn)" in page and "issued on Nov 3, 2024" in page
    assert "https://learn.wiki/media" not in page and "letsconn.toolforge.org/media" not in page  # never hot-linked
    with app.app_context():
        intro = db.session.scalar(sa.select(Badge.id).where(Badge.name == "Introduction to Wikimedia Projects"))
        copyright_ = db.session.scalar(sa.select(Badge.id).where(Badge.name == "Copyright and Free Licenses"))
    assert f'src="/badges/{intro}/image"' in page and f'src="/badges/{copyright_}/image"' not in page
    assert 'href="https://api.badgr.io/public/assertions/7qLmV2xRT0e9pW3kZcYd1A"' in page
    picture = client.get(f"/badges/{intro}/image")
    assert picture.status_code == 200 and picture.mimetype == "image/png" and picture.data == PNG
    assert picture.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in picture.headers["Content-Security-Policy"]
    assert client.get(f"/badges/{copyright_}/image").status_code == 404
    # Choosable like the others: hide one, the profile shows the rest.
    response = client.post("/profile/badges", data={"display": [str(intro)]})
    assert response.status_code == 302
    profile = html_text(client.get("/profile"))
    assert "Introduction to Wikimedia Projects" in profile and "Copyright and Free Licenses" not in profile
    data = json.loads(client.get("/profile/export").data)
    exported = {b["name"]: b for b in data["badges"]}
    assert exported["Copyright and Free Licenses"]["source"] == "wikilearn"
    assert exported["Copyright and Free Licenses"]["shown"] is False
    assert exported["Let's Connect Learner"]["assertion_url"] == "https://letsconn.toolforge.org/badge/9f2c4a7e1b/"


# -- clients ------------------------------------------------------------------------------------

def test_wikilearn_client_answers(mocked_http):
    wikilearn(mocked_http, "two-assertions", "Ana Exemplo")
    wikilearn(mocked_http, "no-assertions", "Bruno Exemplo")
    wikilearn(mocked_http, "user-unknown-or-not-shared", "No Such User")
    client = WikiLearnClient()
    badges = client.badges("Ana Exemplo")
    assert [b.key for b in badges] == ["course-v1wikimediafoundationip1012024_honor_4e1b9c7",
                                       "course-v1wikimediafoundationcv1012024_honor_91d0a5e"]
    assert badges[0].image_url == "https://learn.wiki/media/badge_classes/ip101_badge_Xk3PqA2.png"
    assert client.badges("Bruno Exemplo") == []
    assert client.badges("No Such User") is None


def test_wikilearn_client_follows_pages(mocked_http):
    wikilearn(mocked_http, "paged-first", "Dora Exemplo")
    add_recorded(mocked_http, "learnwiki-badge-assertions", "paged-second")
    assert [b.name for b in WikiLearnClient().badges("Dora Exemplo")] == ["Page one badge", "Page two badge"]


@pytest.mark.allow_network_errors
def test_wikilearn_client_errors(mocked_http):
    wikilearn(mocked_http, "malformed", "Ana Exemplo")
    with pytest.raises(ExternalBadgeError) as info:
        WikiLearnClient().badges("Ana Exemplo")
    assert info.value.code == "badjson"
    mocked_http.add("GET", f"{WL}/Bruno%20Exemplo/", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(ExternalBadgeError) as info:
        WikiLearnClient().badges("Bruno Exemplo")
    assert info.value.code == "timeout"
    mocked_http.add("GET", f"{WL}/Carla%20Exemplo/", status=503, body="down")
    with pytest.raises(ExternalBadgeError) as info:
        WikiLearnClient().badges("Carla Exemplo")
    assert info.value.code == "http-503"


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("body, content_type, headers, code", [
    (SVG, "image/svg+xml", {}, "type"),
    (b"<html>not a picture</html>", "image/png", {}, "type"),  # the content is not what the type says
    (PNG + b"\x00" * 2000, "image/png", {}, "too-large"),  # streamed past the cap
    (PNG, "image/png", {"Content-Length": "999999"}, "too-large"),
    (PNG, "text/html", {}, "type"),
])
def test_fetch_image_refuses(mocked_http, body, content_type, headers, code):
    mocked_http.add("GET", "https://img.example/x.png", body=body, content_type=content_type, headers=headers,
                    auto_calculate_content_length="Content-Length" not in headers)
    with pytest.raises(ExternalBadgeError) as info:
        fetch_image("https://img.example/x.png", 1024)
    assert info.value.code == code


def test_fetch_image_accepts_png_and_refuses_plain_http(mocked_http):
    mocked_http.add("GET", "https://img.example/ok.png", body=PNG, content_type="image/png")
    assert fetch_image("https://img.example/ok.png", 1024).data == PNG
    with pytest.raises(ExternalBadgeError):
        fetch_image("http://img.example/ok.png", 1024)
