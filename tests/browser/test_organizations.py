"""Organizations in a real browser: a manager edits the profile and creates an event, which shows
on /events; every page passes axe."""

from __future__ import annotations

import re
from typing import Any

import pytest

from capx.devtools.demo import demo_username
from capx.devtools.demo_showcase import pilot_manager_number
from tests.browser.conftest import axe_check, log_in, screenshot


def own_errors(page: Any) -> list[str]:
    """Script errors and failed requests of the app itself: images from Wikimedia Commons
    (logos, avatars) cannot load where the tests run offline."""
    return [e for e in page.js_errors if "commons.wikimedia.org" not in e]



def managed_organization(page: Any, name: str) -> str:
    """The manager's own profile lists the organizations they manage: open one, return its URL."""
    page.goto("/profile")
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).click()
    assert re.search(r"/organization_profile/\d+$", page.url)
    return page.url


@pytest.mark.parametrize("viewport, theme", [("desktop", "light"), ("phone", "dark")])
def test_manager_edits_the_profile_and_creates_an_event(new_page: Any, viewport: str, theme: str) -> None:
    page = new_page(viewport=viewport, theme=theme)
    tag = f"{viewport}-{theme}"
    # The demo's Language Diversity Hub is managed by demo profile 1.
    log_in(page, demo_username(pilot_manager_number(0)))
    profile_url = managed_organization(page, "Language Diversity Hub")
    assert page.get_by_role("heading", level=1).inner_text() == "Language Diversity Hub"
    axe_check(page, f"org-profile-{tag}")

    # Edit: a translated name and a contact, saved at once.
    with page.expect_navigation():
        page.get_by_role("link", name="Edit organization profile").click()
    axe_check(page, f"org-edit-{tag}")
    page.select_option("#name_lang-0", "pt-br")
    page.fill("#name_text-0", f"Centro de Diversidade Linguística {tag}")
    page.fill("#f-contact_email", f"team-{tag}@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Save profile").first.click()
    assert page.url == profile_url
    assert f"team-{tag}@example.org" in page.inner_text("main")
    page.goto(profile_url + "?uselang=pt-br")
    assert page.get_by_role("heading", level=1).inner_text() == f"Centro de Diversidade Linguística {tag}"
    page.goto(profile_url + "?uselang=en")

    # A wrong value is refused with the error next to its field, and the input kept.
    page.goto(profile_url + "/edit")
    page.fill("#f-report_url", "https://example.org/report")
    with page.expect_navigation():
        page.get_by_role("button", name="Save profile").first.click()
    assert page.locator("#f-report_url").get_attribute("aria-invalid") == "true"
    assert page.input_value("#f-report_url") == "https://example.org/report"
    axe_check(page, f"org-edit-error-{tag}")

    # Create an event; it shows on /events and in the calendar feed.
    page.goto(profile_url)
    with page.expect_navigation():
        page.get_by_role("link", name="Manage events").click()
    axe_check(page, f"org-events-{tag}")
    with page.expect_navigation():
        page.get_by_role("link", name="Add an event").click()
    axe_check(page, f"event-new-{tag}")
    title = f"Browser edit-a-thon {tag}"
    page.fill("#f-title", title)
    page.fill("#f-url", "https://meta.wikimedia.org/wiki/Browser_editathon")
    page.fill("#f-start", "2031-05-02T10:00")
    page.fill("#f-end", "2031-05-02T12:30")
    page.select_option("#f-time_zone", "America/Sao_Paulo")
    page.check("input[name=format][value=online]")
    page.fill("#f-description", "Learn to edit together.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save event").click()
    assert re.search(r"/events/\d+$", page.url), page.url
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert "America/Sao_Paulo" in page.inner_text("main")
    axe_check(page, f"event-page-{tag}")

    page.goto("/events?q=" + title.replace(" ", "+") + "&from=2031-05-01")
    assert page.get_by_role("link", name=title).is_visible()
    axe_check(page, f"events-{tag}")
    feed = page.request.get("/events.ics?q=" + title.replace(" ", "+") + "&from=2031-05-01").text()
    assert f"SUMMARY:{title}" in feed and "DTSTART:20310502T130000Z" in feed
    assert not own_errors(page), own_errors(page)
    screenshot(page, f"org-end-{tag}")


def test_organization_pages_in_arabic_pass_axe(new_page: Any) -> None:
    page = new_page(viewport="phone")
    log_in(page, demo_username(pilot_manager_number(1)))
    managed_organization(page, "EduWiki Hub")
    page.goto(page.url + "?uselang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "تعديل" not in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("link", name="عدّل الملف التعريفي للمنظمة").is_visible()
    axe_check(page, "org-profile-ar")
    page.goto("/events?uselang=ar")
    assert page.get_by_role("heading", level=1).inner_text() == "الفعاليات"
    axe_check(page, "events-ar")
