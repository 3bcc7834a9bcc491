"""Issue 17 §4 in a real browser: an organizer fills an event from a Wikidata Q-id and from a
WikiLearn course address, with JavaScript (in place) and without (the form re-rendered filled in),
reviews it and saves it. Wikidata and WikiLearn answer with recorded responses (``responses``
patches this process, where the live server runs)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import responses

from capx.devtools.demo import demo_username
from capx.devtools.demo_showcase import pilot_manager_number
from tests.browser.conftest import axe_check, log_in, open_page, screenshot
from tests.browser.test_organizations import managed_organization, own_errors
from tests.conftest import add_recorded, recorded

WD = "https://www.wikidata.org/w/api.php"
COURSE = "course-v1:WikimediaFoundation+IP101+2024"
COURSE_URL = f"https://learn.wiki/courses/{COURSE}/about"


def answer_wikidata(rsps: responses.RequestsMock) -> None:
    for name, ids in (("event-item-labels-descriptions-claims", "Q131000123"), ("place-and-country", "Q114|Q3870")):
        rsps.add("GET", WD, json=recorded("wikidata-event-item", name)["response"]["body"],
                 match=[responses.matchers.query_param_matcher({"ids": ids}, strict_match=False)])


def answer_course(rsps: responses.RequestsMock, title: str) -> None:
    body = copy.deepcopy(recorded("learnwiki-course", "course-detail-anonymous")["response"]["body"])
    body["name"] = title
    rsps.add("GET", f"https://learn.wiki/api/courses/v1/courses/{COURSE}/", json=body)
    add_recorded(rsps, "learnwiki-course", "course-image-png")  # the course's picture, copied on save


def fill_in(page: Any, link: str, javascript: bool) -> None:
    page.fill("#f-fill_link", link)
    if javascript:
        url = page.url
        page.get_by_role("button", name="Fill in", exact=True).click()
        page.wait_for_selector("#event-fill-status li:has-text('Filled in from the link')")
        assert page.url == url  # filled in place
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Fill in", exact=True).click()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_organizer_fills_events_from_links(browser: Any, live_server: str, mocked_http: responses.RequestsMock,
                                           javascript: bool) -> None:
    tag = "js" if javascript else "nojs"
    page = open_page(browser, live_server, javascript=javascript)
    try:
        log_in(page, demo_username(pilot_manager_number(0)))
        profile_url = managed_organization(page, "Language Diversity Hub")
        new_event = profile_url + "/events/new"

        # From a Wikidata Q-id: name, all-day dates in UTC, place, country, website.
        answer_wikidata(mocked_http)
        page.goto(new_event)
        fill_in(page, "Q131000123", javascript)
        assert page.input_value("#f-title") == "Wikimania 2025"
        assert page.input_value("#f-start") == "2025-08-06T00:00" and page.input_value("#f-end") == "2025-08-09T23:59"
        assert page.input_value("#f-location") == "Nairobi"
        assert page.locator("#f-territory_id option:checked").inner_text().strip().endswith("Kenya")
        assert "all day in UTC" in page.inner_text("#event-fill-status")
        if javascript:  # axe runs in the page: not without JavaScript
            axe_check(page, "event-fill-wikidata")
        title = f"Wikimania 2025 ({tag})"
        page.fill("#f-title", title)  # the organizer reviews and changes what they like
        page.check("input[name=format][value=in-person]")
        with page.expect_navigation():
            page.get_by_role("button", name="Save event").click()
        assert re.search(r"/events/\d+$", page.url), page.url
        assert page.get_by_role("heading", level=1).inner_text() == title

        # From a WikiLearn course address; the title typed first is kept, and said so.
        answer_course(mocked_http, f"Introduction to Wikimedia Projects ({tag})")
        page.goto(new_event)
        assert not page.is_visible("#event-course-image")  # no picture offered before a course gives one
        page.fill("#f-title", f"Our study group ({tag})")
        fill_in(page, COURSE_URL, javascript)
        assert page.input_value("#f-title") == f"Our study group ({tag})"
        status = page.inner_text("#event-fill-status")
        assert f"the link says: Introduction to Wikimedia Projects ({tag})" in status
        assert "Course picture" in status
        assert page.is_visible("#event-course-image") and page.is_checked("#f-course_image")
        assert "copied from WikiLearn when the event is saved" in page.inner_text("#event-course-image")
        assert page.input_value("#f-url") == COURSE_URL
        assert page.input_value("#f-start") == "2024-02-15T00:00" and page.input_value("#f-end") == "2024-12-31T23:59"
        assert page.is_checked("input[name=format][value=online]")
        if javascript:
            axe_check(page, "event-fill-course")
        with page.expect_navigation():
            page.get_by_role("button", name="Save event").click()
        assert page.get_by_role("heading", level=1).inner_text() == f"Our study group ({tag})"
        # The course's picture, as CapX's own copy (never loaded from learn.wiki).
        picture = page.locator("img.event-image")
        assert re.search(r"/events/\d+/course-image\?v=\d+$", picture.get_attribute("src") or "")
        if javascript:
            picture.evaluate("img => img.decode()")
            assert picture.evaluate("img => img.naturalWidth") == 4

        # A link that is not a Wikimedia one is refused, with the message beside the field.
        page.goto(new_event)
        page.fill("#f-fill_link", "javascript:alert(1)")
        if javascript:
            page.get_by_role("button", name="Fill in", exact=True).click()
            page.wait_for_selector("#event-fill-status .cdx-message--error")
            assert "This link cannot be used" in page.inner_text("#event-fill-status")
        else:
            with page.expect_navigation():
                page.get_by_role("button", name="Fill in", exact=True).click()
            assert page.locator("#f-fill_link").get_attribute("aria-invalid") == "true"
            assert "This link cannot be used" in page.inner_text("main")
        assert not own_errors(page), own_errors(page)
        screenshot(page, f"event-fill-{tag}")
    finally:
        page.context.close()
