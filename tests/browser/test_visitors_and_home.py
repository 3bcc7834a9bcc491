"""Issue 18 in a real browser: the data dashboard for visitors who are not logged in, the footer's
User Guide and translatewiki.net links, "Add to my profile" on the home page's suggested
capacities and the capacity page's known / known-and-available choice; axe on each page, phone
and desktop, light and dark, left to right and right to left."""

from __future__ import annotations

from typing import Any

import pytest

from capx.config import TRANSLATEWIKI_URL, USER_GUIDE_URL
from tests.browser.conftest import axe_check, log_in
from tests.browser.test_organizations import own_errors

CASES = [("desktop", "light", "en"), ("phone", "dark", "ar")]


def opened(new_page: Any, viewport: str, theme: str, lang: str, user: str | None = None) -> tuple[Any, str]:
    """A page in this viewport and theme, logged in as ``user`` (with the case's tag, one account
    per case) when named; and the case's tag."""
    page = new_page(viewport=viewport, theme=theme)
    tag = f"{viewport}-{theme}-{lang}"
    if user:
        log_in(page, f"{user} {tag}")
    return page, tag


@pytest.mark.parametrize("viewport, theme, lang", CASES)
def test_the_dashboard_for_visitors(new_page: Any, viewport: str, theme: str, lang: str) -> None:
    page, tag = opened(new_page, viewport, theme, lang)
    page.goto(f"/data_analytics_dashboard?uselang={lang}")
    assert "/login" not in page.url
    assert page.locator(".data-total").count() == 5
    axe_check(page, f"visitor-data-{tag}")
    page.goto(f"/data_analytics_dashboard?tab=capacities&region=LAC&uselang={lang}")
    assert page.locator("#region-card").count() == 1
    axe_check(page, f"visitor-data-capacities-{tag}")
    footer = page.locator("footer.site-footer")
    assert footer.locator(f"a[href='{USER_GUIDE_URL}']").count() == 1
    assert footer.locator(f"a[href='{TRANSLATEWIKI_URL}']").count() == 1
    assert not own_errors(page), own_errors(page)


@pytest.mark.parametrize("viewport, theme, lang", CASES)
def test_add_a_suggested_capacity_from_home(new_page: Any, viewport: str, theme: str, lang: str) -> None:
    page, tag = opened(new_page, viewport, theme, lang, "Home Adder")
    page.goto(f"/home?uselang={lang}")
    assert page.locator("#totals-heading").count() == 1
    axe_check(page, f"home-add-{tag}")
    first = page.locator("section[aria-labelledby=capacities-heading] li.home-card").first
    name = first.locator(".card__title").inner_text().strip()
    with page.expect_navigation():
        first.locator("input[name=kind][value=known-available] + button, "
                      "form:has(input[name=kind][value=known-available]) button").first.click()
    assert "/home" in page.url
    assert page.locator("[role=status], .cdx-message--success").count() >= 1
    page.goto(f"/profile?uselang={lang}")
    assert name in page.inner_text("section[aria-labelledby=caps-known-heading]")
    assert not own_errors(page), own_errors(page)


@pytest.mark.parametrize("viewport, theme, lang", CASES)
def test_capacity_page_known_only_or_known_and_available(new_page: Any, viewport: str, theme: str, lang: str) -> None:
    page, tag = opened(new_page, viewport, theme, lang, "Capacity Adder")
    page.goto(f"/capacity?uselang={lang}")
    with page.expect_navigation():
        page.locator(".directory-card__head a").first.click()
    capacity_url = page.url
    assert page.locator("form:has(input[name=kind][value=known-available]) button").count() == 1
    with page.expect_navigation():
        page.locator("form:has(input[name=kind][value=known]) button").click()
    assert page.url == capacity_url
    assert page.locator(".tag--proficient[role=status]").count() == 1
    assert page.locator("form:has(input[name=kind][value=known]) button").count() == 0
    axe_check(page, f"capacity-added-known-{tag}")
    with page.expect_navigation():
        page.locator("form:has(input[name=kind][value=known-available]) button").click()
    assert page.locator(".tag--sharer[role=status]").count() == 1
    assert page.locator("form:has(input[name=kind][value=known-available])").count() == 0
    axe_check(page, f"capacity-added-available-{tag}")
    assert not own_errors(page), own_errors(page)
