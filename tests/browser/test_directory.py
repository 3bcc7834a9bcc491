"""The Capacity Directory in a real browser: the three views with the keyboard only, search,
Add to Known, and an axe check of each page (light and dark, English and Arabic)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import axe_check, log_in


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => {
        const e = document.activeElement;
        const link = e && e.matches('[role=treeitem]') ? e.querySelector(':scope > a') : e;
        return {tag: e.tagName, role: e.getAttribute('role'), expanded: e.getAttribute('aria-expanded'),
                text: (link ? link.textContent : '').trim(), href: e.getAttribute('href') || '',
                inMain: !!e.closest('main')};
    }""")


def tab_to(page: Any, predicate: Any, limit: int = 60) -> dict[str, Any]:
    """Press Tab until the focused element matches; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if predicate(now):
            return now
    raise AssertionError("never reached by Tab")



@pytest.mark.parametrize("theme", ["light", "dark"])
def test_three_views_with_the_keyboard_only(new_page: Any, theme: str) -> None:
    page = new_page(theme=theme)
    page.goto("/capacity")
    assert page.locator(".directory-card").count() == 7
    axe_check(page, f"directory-cards-{theme}")

    # Cards: Tab to the first card's disclosure (past the header's), open it with Enter, Tab into its children.
    tab_to(page, lambda f: f["tag"] == "SUMMARY" and f["inMain"])
    page.keyboard.press("Enter")
    assert page.locator(".directory-card details").first.get_attribute("open") is not None
    now = tab_to(page, lambda f: f["tag"] == "A", limit=3)
    assert now["text"] == "Finance"
    axe_check(page, f"directory-cards-open-{theme}")

    # The tabs are plain links: go to the tree view with the keyboard.
    page.focus("a.tabs__tab[aria-current=page]")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Tree"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("view=tree")
    axe_check(page, f"directory-tree-{theme}")

    # Tree: one Tab stop; arrows move, Right opens, Left closes, Enter opens the capacity.
    now = tab_to(page, lambda f: f["role"] == "treeitem")
    assert now["text"] == "Organisational Skills" and now["expanded"] == "true"
    for key, expected in [("ArrowDown", {"text": "Finance", "expanded": "false"}), ("ArrowRight", {"expanded": "true"}),
                          ("ArrowDown", {"text": "Budgeting"}), ("ArrowLeft", {"text": "Finance"}),
                          ("ArrowLeft", {"expanded": "false"}), ("End", {"text": "Wikimedia Project"}),
                          ("Home", {"text": "Organisational Skills"})]:
        page.keyboard.press(key)
        now = focused(page)
        assert now == {**now, **expected}, key
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Finance"
    axe_check(page, f"directory-capacity-{theme}")

    # Thematic categories: the third tab, then a capacity from a category.
    page.goto("/capacity?view=tree")
    page.focus("a.tabs__tab[aria-current=page]")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("view=themes")
    assert page.locator(".directory-theme").count() == 3
    axe_check(page, f"directory-themes-{theme}")
    now = tab_to(page, lambda f: f["tag"] == "A" and "/capacity/" in f["href"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == now["text"]
    assert not page.js_errors, page.js_errors


def test_search_and_add_to_known_in_portuguese(new_page: Any) -> None:
    page = new_page(viewport="phone")
    log_in(page, "Rosa Exemplo")
    page.goto("/capacity")
    page.click("details.header-menu--settings > summary")  # the header's Language and theme menu
    with page.expect_navigation():
        page.select_option("#uselang-select", "pt-br")  # the interface language, kept on the account
    page.fill("#directory-q", "press")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "1 capacidade corresponde a “press”" in page.inner_text("main")
    axe_check(page, "directory-search-pt-br")
    with page.expect_navigation():
        page.click(".directory-path__hit a")
    assert page.locator("h1").inner_text() == "Press release"
    assert page.is_visible(".directory-translation-needed")
    axe_check(page, "directory-press-release-pt-br")
    with page.expect_navigation():
        page.click("button:has-text('Adicionar às conhecidas')")
    assert page.locator("[role=status]:has-text('Adicionada às conhecidas')").count() == 1
    page.goto("/profile?uselang=pt-br")
    assert "Press release" in page.inner_text("section[aria-labelledby=caps-known-heading]")
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_directory_pages_in_arabic(new_page: Any, theme: str) -> None:
    page = new_page(viewport="phone", theme=theme)
    log_in(page, f"Samir Exemplo {theme}")
    for path in ("/capacity", "/capacity?view=tree", "/capacity?view=themes", "/capacity?q=wiki",
                 "/capacity/suggest", "/capacity/suggestions/mine", "/translation"):
        page.goto(path + ("&" if "?" in path else "?") + "uselang=ar")
        assert page.get_attribute("html", "dir") == "rtl"
        axe_check(page, f"directory-ar-{theme}-{path.strip('/').replace('/', '-').replace('?', '-')}")
    page.goto("/capacity?uselang=ar")
    with page.expect_navigation():
        page.locator(".directory-card__head a").first.click()
    axe_check(page, f"directory-ar-{theme}-capacity-page")
    assert not page.js_errors, page.js_errors
