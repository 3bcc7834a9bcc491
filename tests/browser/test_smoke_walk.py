"""A walk through the foundation in a real browser, with an accessibility check on every page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import axe_check, screenshot


def choose(page: Any, select: str, value: str) -> None:
    """Pick an option; the page reloads (capx.js submits the form, or the button does without JS)."""
    with page.expect_navigation():
        page.select_option(select, value)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_smoke_walk(new_page: Any, viewport: str, theme: str) -> None:
    page = new_page(viewport=viewport, theme=theme)
    tag = f"{viewport}-{theme}"

    # Landing page, with the demo figures.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Learn and share capacities across the Wikimedia movement"
    assert re.search(r"\b[3-9]\d Wikimedians", page.inner_text("main"))  # the demo profiles (and earlier walks)
    if theme == "dark":
        choose(page, "#theme-select", "dark")
        assert "theme-dark" in (page.locator("html").get_attribute("class") or "")
    axe_check(page, f"landing-{tag}")

    # Log in with the development login.
    page.goto("/login")
    axe_check(page, f"login-{tag}")
    page.fill("input[name=username]", "Ana Exemplo")
    with page.expect_navigation():
        page.click("form[action='/login/dev'] button[type=submit]")
    assert page.url.endswith("/home")
    assert "Ana Exemplo" in page.locator("h1").inner_text()
    axe_check(page, f"home-{tag}")

    # Switch to Portuguese: the texts change and the choice sticks.
    choose(page, "#uselang-select", "pt-br")
    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert "Boas-vindas" in page.locator("h1").inner_text()
    page.goto("/")
    assert "Aprenda e compartilhe" in page.locator("h1").inner_text()
    axe_check(page, f"landing-pt-br-{tag}")

    # Switch to Arabic: right to left.
    choose(page, "#uselang-select", "ar")
    html = page.locator("html")
    assert html.get_attribute("lang") == "ar" and html.get_attribute("dir") == "rtl"
    assert "تبادل القدرات" in page.inner_text("body")
    axe_check(page, f"landing-ar-{tag}")
    page.goto("/privacy_policy")
    axe_check(page, f"privacy-ar-{tag}")

    # An error page, then log out (a POST from the menu).
    page.goto("/no-such-page")
    axe_check(page, f"404-ar-{tag}")
    if page.locator("summary.site-nav__toggle").is_visible():
        page.click("summary.site-nav__toggle")
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    assert page.url.rstrip("/").endswith(page.url.split("/")[2])
    page.goto("/home")
    assert "/login" in page.url
    assert not page.js_errors, page.js_errors
    screenshot(page, f"end-{tag}")


def test_works_without_javascript(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport={"width": 360, "height": 740})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/")
        page.select_option("#uselang-select", "pt-br")
        with page.expect_navigation():
            page.click(".lang-form button[type=submit]")
        assert page.locator("html").get_attribute("lang") == "pt-br"
        assert "Aprenda e compartilhe" in page.locator("h1").inner_text()
        # (axe needs JavaScript in the page: the same pages are checked with it in the walk.)
        screenshot(page, "landing-nojs-pt-br")
    finally:
        context.close()
