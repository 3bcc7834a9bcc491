"""The header (issue 19): at most seven main links in one row on a desktop, the person's own pages in
a personal menu, language and theme in a compact menu; all three are ``<details>`` disclosures that
open from the keyboard with and without JavaScript. In English, Portuguese and Arabic (right to
left), at 360, 768, 1280 and 1920 px, logged out and logged in: nothing in the header is drawn off
screen and the page does not scroll sideways, every control is a 44 px target, focus is visible,
and axe finds nothing with the menus open.

One page per language walks every width by resizing (no reload), so the whole file costs a few
page loads per language. Screenshots: ``test-artifacts/header/<lang>-<width>[-open].png``.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import User

from tests.browser.conftest import ARTIFACTS, axe_violations, format_violations, open_page

WIDTHS = (360, 768, 1280, 1920)
DESKTOP = 1120  # --min-width-breakpoint-desktop: from here the main links are a row
MAX_MAIN_LINKS = 7
HEIGHT = 800

#: What the header shows at the current width: its controls drawn beyond the viewport's edges,
#: controls smaller than 44 px, the page's width, and the main links (how many, on how many rows).
#: What is clipped to nothing on purpose (.visually-hidden) is left out.
HEADER_SCRIPT = """() => {
    const header = document.querySelector('.site-header');
    const width = window.innerWidth;
    const clipped = el => {
        for (let e = el; e && e !== header; e = e.parentElement) {
            const s = getComputedStyle(e);
            if (s.clipPath !== 'none' || s.clip !== 'auto') return true;
        }
        return false;
    };
    const shown = el => !!el && el.checkVisibility({visibilityProperty: true})
        && el.getBoundingClientRect().width > 0 && !clipped(el);
    const name = el => {
        const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
        return `${el.tagName.toLowerCase()}${cls} "${el.textContent.trim().slice(0, 30)}"`;
    };
    const drawn = [...header.querySelectorAll('*')].filter(shown);
    const offScreen = drawn.filter(el => {
        const r = el.getBoundingClientRect();
        return r.left < -1 || r.right > width + 1;
    }).map(el => `${name(el)} [${Math.round(el.getBoundingClientRect().left)}..${Math.round(el.getBoundingClientRect().right)}]`);
    const small = drawn.filter(el => el.matches('a, button, summary, select')).filter(el => {
        const r = el.getBoundingClientRect();
        return r.height < 43.5 || r.width < 43.5;
    }).map(el => `${name(el)} ${Math.round(el.getBoundingClientRect().width)}x${Math.round(el.getBoundingClientRect().height)}`);
    const links = [...header.querySelectorAll('.site-nav__link')].filter(shown);
    return {
        scrollWidth: document.documentElement.scrollWidth, offScreen, small,
        links: links.length, rows: new Set(links.map(l => Math.round(l.getBoundingClientRect().top))).size,
        toggle: shown(header.querySelector('summary.site-nav__toggle')),
    };
}"""

#: The focused element, whether its focus ring shows, and whether it is on screen.
FOCUS_SCRIPT = """() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {
        tag: el.tagName.toLowerCase(), cls: el.className || '', text: el.textContent.trim().slice(0, 40),
        ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
        onScreen: r.left >= -1 && r.right <= window.innerWidth + 1 && r.bottom > 0,
    };
}"""

PERSONAL = "details.header-menu--personal"
SETTINGS = "details.header-menu--settings"
NAV = "details.site-nav__menu"


def layout_problems(page: Any, width: int, logged_in: bool) -> list[str]:
    """What is wrong with the header at this width (an empty list when nothing)."""
    state = page.evaluate(HEADER_SCRIPT)
    where = f"{width} px, {'logged in' if logged_in else 'logged out'}"
    problems = []
    if state["scrollWidth"] > width:
        problems.append(f"{where}: the page is {state['scrollWidth']} px wide")
    if state["offScreen"]:
        problems.append(f"{where}: drawn off screen: {state['offScreen'][:5]}")
    if state["small"]:
        problems.append(f"{where}: smaller than 44 px: {state['small'][:5]}")
    if width >= DESKTOP:
        if state["toggle"] or not 1 <= state["links"] <= MAX_MAIN_LINKS or state["rows"] != 1:
            problems.append(f"{where}: {state['links']} main links on {state['rows']} rows (toggle shown: {state['toggle']})")
        if logged_in and state["links"] != MAX_MAIN_LINKS:
            problems.append(f"{where}: {state['links']} main links, expected the {MAX_MAIN_LINKS} of a logged-in visitor")
    elif not state["toggle"] or state["links"]:
        problems.append(f"{where}: the main links should sit behind the Menu button ({state['links']} shown)")
    return problems


def resize(page: Any, width: int, javascript: bool = True) -> None:
    """Resize, then let a frame pass: capx.js opens or closes the main menu when the width crosses
    the desktop breakpoint, as the browser reports it after the next layout."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    if javascript:
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def is_open(page: Any, selector: str) -> bool:
    return page.locator(selector).evaluate("el => el.open")


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUS_SCRIPT)


def log_in(page: Any, name: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", name)
    with page.expect_navigation():
        page.click("form[action='/login/dev'] button[type=submit]")


def make_staff(app: Any, name: str) -> None:
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == name).values(is_staff=True))
        db.session.commit()
        db.session.remove()


def choose_language(page: Any, lang: str) -> None:
    """From the header's Language and theme menu (capx.js sends the form on change)."""
    page.locator(f"{SETTINGS} > summary").click()
    with page.expect_navigation():
        page.select_option("#uselang-select", lang)
    assert page.locator("html").get_attribute("lang") == lang


def check_keyboard(page: Any, width: int) -> list[str]:
    """Open and close the menus from the keyboard, with capx.js: Tab order, Enter, Escape, a click
    elsewhere, one menu open at a time. Returns what went wrong."""
    problems: list[str] = []
    where = f"{width} px"
    page.locator(".site-header__brand").focus()
    page.keyboard.press("Tab")
    if "header-menu__toggle" not in focused(page)["cls"]:
        problems.append(f"{where}: Tab from the brand reached {focused(page)}, not the Language and theme button")
    page.keyboard.press("Tab")
    state = focused(page)
    if "header-menu__toggle" not in state["cls"] or not state["ring"]:
        problems.append(f"{where}: the personal menu button is not focused with a visible ring: {state}")
    page.keyboard.press("Enter")
    if not is_open(page, PERSONAL):
        return problems + [f"{where}: Enter did not open the personal menu"]
    page.keyboard.press("Tab")
    state = focused(page)
    if state["tag"] != "a" or not state["ring"] or not state["onScreen"]:
        problems.append(f"{where}: Tab into the open personal menu reached {state}")
    page.keyboard.press("Escape")
    if is_open(page, PERSONAL) or "header-menu__toggle" not in focused(page)["cls"]:
        problems.append(f"{where}: Escape left the personal menu open or did not return focus to its button")
    page.keyboard.press("Enter")
    page.locator(f"{SETTINGS} > summary").click()
    if is_open(page, PERSONAL) or not is_open(page, SETTINGS):
        problems.append(f"{where}: opening Language and theme did not close the personal menu")
    page.mouse.click(width // 2, HEIGHT - 20)  # somewhere in the page, away from the header
    if is_open(page, SETTINGS):
        problems.append(f"{where}: a click elsewhere left the Language and theme menu open")
    if width < DESKTOP:
        toggle = page.locator(f"{NAV} > summary")
        toggle.focus()
        page.keyboard.press("Enter")
        first = page.locator(".site-nav__link").first
        box = first.bounding_box()
        if not is_open(page, NAV) or box is None or box["x"] < 0 or box["x"] + box["width"] > width:
            problems.append(f"{where}: Enter on Menu did not show the main links on screen ({box})")
        page.keyboard.press("Escape")
        if is_open(page, NAV):
            problems.append(f"{where}: Escape left the main menu open")
    return problems


@pytest.mark.parametrize("lang", ["en", "pt-br", "ar"])
def test_header_at_every_width(browser: Any, live_server: str, live_app: Any, lang: str) -> None:
    problems: list[str] = []
    page = open_page(browser, live_server)
    try:
        page.set_viewport_size({"width": 1280, "height": HEIGHT})
        page.goto("/")
        if lang != "en":
            choose_language(page, lang)
        for width in WIDTHS:
            resize(page, width)
            problems += layout_problems(page, width, logged_in=False)
            if not page.locator(".site-header__login").is_visible():
                problems.append(f"{width} px, logged out: no Log in link")

        page.set_viewport_size({"width": 1280, "height": HEIGHT})
        log_in(page, f"Header walker with a long name {lang}")
        # Staff: the longest personal menu (their pages under their own heading) must fit too.
        make_staff(live_app, f"Header walker with a long name {lang}")
        page.goto("/home")
        assert page.locator(f"{PERSONAL} a[href='/staff/people']").count() == 1
        assert page.locator("html").get_attribute("lang") == lang  # the choice stuck
        for width in WIDTHS:
            resize(page, width)
            problems += layout_problems(page, width, logged_in=True)
            screenshot_viewport(page, f"header/{lang}-{width}")
            problems += check_keyboard(page, width)
            # Open, each menu stays on screen and axe finds nothing (at the two walk widths).
            page.locator(f"{PERSONAL} > summary").click()
            problems += [f"{p} (personal menu open)" for p in layout_problems(page, width, logged_in=True)]
            screenshot_viewport(page, f"header/{lang}-{width}-open")
            if width in (360, 1280):
                violations = axe_violations(page)
                if violations:
                    problems.append(f"{width} px, personal menu open: axe:\n{format_violations(violations)}")
                page.locator(f"{SETTINGS} > summary").click()
                problems += [f"{p} (settings open)" for p in layout_problems(page, width, logged_in=True)]
                violations = axe_violations(page)
                if violations:
                    problems.append(f"{width} px, settings open: axe:\n{format_violations(violations)}")
            page.keyboard.press("Escape")
            page.goto("/home")  # every menu closed again
        assert not page.js_errors, page.js_errors
        storage = page.context.storage_state()
    finally:
        page.context.close()

    problems += check_without_javascript(browser, live_server, storage, lang)
    assert not problems, f"the header in {lang}:\n" + "\n".join(problems)


def screenshot_viewport(page: Any, name: str) -> None:
    """The top of the page (the header and an open menu), not the whole page."""
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def check_without_javascript(browser: Any, live_server: str, storage: Any, lang: str) -> list[str]:
    """The same session without JavaScript: the menus open with Enter, the main links are a row on
    a desktop, the language changes with the form's button, and Log out is a POST that works."""
    problems: list[str] = []
    page = open_page(browser, live_server, javascript=False, storage_state=storage)
    try:
        page.set_viewport_size({"width": 1280, "height": HEIGHT})
        page.goto("/home")
        problems += [f"{p} (no JavaScript)" for p in layout_problems(page, 1280, logged_in=True)]
        resize(page, 360, javascript=False)
        problems += [f"{p} (no JavaScript)" for p in layout_problems(page, 360, logged_in=True)]
        for menu in (NAV, SETTINGS, PERSONAL):
            page.locator(f"{menu} > summary").focus()
            page.keyboard.press("Enter")
            if not is_open(page, menu):
                problems.append(f"no JavaScript: Enter did not open {menu}")
            problems += [f"{p} (no JavaScript, {menu} open)" for p in layout_problems(page, 360, logged_in=True)
                         if "behind the Menu button" not in p]
            page.keyboard.press("Enter")  # the focus is still on the summary: closes it again
            if is_open(page, menu):
                problems.append(f"no JavaScript: a second Enter did not close {menu}")
        # The language form's own button sends it.
        other = "pt-br" if lang != "pt-br" else "en"
        page.locator(f"{SETTINGS} > summary").click()
        page.select_option("#uselang-select", other)
        with page.expect_navigation():
            page.click(".lang-form button[type=submit]")
        if page.locator("html").get_attribute("lang") != other:
            problems.append(f"no JavaScript: the language form did not switch to {other}")
        # Log out: a POST with the CSRF token, from the personal menu.
        page.locator(f"{PERSONAL} > summary").click()
        logout = page.locator(f"{PERSONAL} form[method=post][action='/logout']")
        if logout.locator("input[name=csrf_token]").count() != 1:
            problems.append("no JavaScript: the Log out form has no CSRF token")
        with page.expect_navigation():
            logout.locator("button[type=submit]").click()
        page.goto("/home")
        if "/login" not in page.url:
            problems.append(f"no JavaScript: still logged in after Log out ({page.url})")
        screenshot_viewport(page, f"header/{lang}-360-nojs-logged-out")
    finally:
        page.context.close()
    return problems
