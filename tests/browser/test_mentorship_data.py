"""Mentorship and the Data Analytics dashboard in a real browser: subscribing to a program, the map
by keyboard, and axe on every page."""

from __future__ import annotations

from typing import Any

import pytest

from capx.devtools.demo import demo_username
from capx.devtools.demo_showcase import pilot_manager_number
from tests.browser.conftest import axe_check, screenshot
from tests.browser.test_organizations import log_in, own_errors


@pytest.mark.parametrize("viewport, theme", [("desktop", "light"), ("phone", "dark")])
def test_subscribe_to_a_program_as_mentee(new_page: Any, viewport: str, theme: str) -> None:
    page = new_page(viewport=viewport, theme=theme)
    tag = f"{viewport}-{theme}"
    log_in(page, f"Mentee {tag}")
    page.goto("/mentorship")
    assert page.get_by_role("heading", level=1).inner_text() == "Mentorship programs"
    card = page.locator(".mentorship-card", has_text="EduWiki mentorship")
    assert "Open" in card.inner_text()
    axe_check(page, f"mentorship-{tag}")

    with page.expect_navigation():
        card.get_by_role("link", name="Subscribe as mentee").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Apply as mentee: EduWiki mentorship"
    axe_check(page, f"mentorship-apply-{tag}")

    # A required answer missing: refused, errors tied to the question, input kept.
    page.get_by_label("Your name").fill("Bia Souza")
    with page.expect_navigation():
        page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_label("Email address we can reach you at").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Your name").input_value() == "Bia Souza"
    axe_check(page, f"mentorship-apply-errors-{tag}")

    page.get_by_label("Email address we can reach you at").fill("bia@example.org")
    page.get_by_label("What do you want to learn, and why?").fill("How to run an education program.")
    page.get_by_label("1 to 3 years").check()
    page.get_by_label("Organizing events").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Subscribe").click()
    assert page.url.endswith("/mentorship")
    assert "Your application was sent" in page.inner_text("main")
    mine = page.locator("table", has_text="EduWiki mentorship")
    assert "Mentee" in mine.inner_text() and "How to run" not in page.content()
    axe_check(page, f"mentorship-applied-{tag}")
    assert not own_errors(page), own_errors(page)


def test_program_management_pages_pass_axe(new_page: Any) -> None:
    page = new_page()
    log_in(page, demo_username(pilot_manager_number(0)))
    page.goto("/mentorship/manage")
    axe_check(page, "mentorship-manage")
    with page.expect_navigation():
        page.get_by_role("link", name="Language Diversity Hub mentorship").click()
    assert page.get_by_role("heading", name="Public key").is_visible()
    axe_check(page, "mentorship-program")


@pytest.mark.parametrize("viewport, theme, lang", [("desktop", "light", "en"), ("phone", "dark", "en"),
                                                   ("desktop", "dark", "ar")])
def test_the_map_by_keyboard(new_page: Any, viewport: str, theme: str, lang: str) -> None:
    page = new_page(viewport=viewport, theme=theme)
    tag = f"{viewport}-{theme}-{lang}"
    log_in(page, f"Map reader {tag}")
    page.goto(f"/data_analytics_dashboard?uselang={lang}")
    axe_check(page, f"data-{tag}")
    assert page.locator("#region-card").count() == 0

    # Tab from the map's orientation link into the map: the first region link gets the focus.
    page.locator("a[href*='orient=south']").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('class') || ''")
    assert "data-map__region" in focused
    href = page.evaluate("document.activeElement.getAttribute('href')")
    region = href.split("region=")[1].split("#")[0]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"region={region}" in page.url
    card = page.locator("#region-card")
    assert card.is_visible()
    assert page.evaluate("document.activeElement.id") == "region-card"  # focus moved to the card
    assert page.locator(".data-map__region[aria-current='true']").count() == 1
    axe_check(page, f"data-card-{tag}")

    # The same figures as a table, and the list of region names reaches the card too.
    assert page.locator("table.cdx-table").first.is_visible()
    page.locator(".data-region-links a").last.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#region-card").is_visible()

    # Other map views by their tab links, still accessible.
    page.goto(f"/data_analytics_dashboard?tab=capacities&uselang={lang}")
    axe_check(page, f"data-capacities-{tag}")
    page.goto(f"/data_analytics_dashboard?tab=languages&orient=south&uselang={lang}")
    axe_check(page, f"data-languages-south-{tag}")
    assert not own_errors(page), own_errors(page)
    screenshot(page, f"data-end-{tag}")
