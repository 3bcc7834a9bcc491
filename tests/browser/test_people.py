"""User profiles in a real browser: viewing and editing with and without JavaScript (the picker
type-ahead and its no-JavaScript search step), sharing by link and QR code, saving another
person's profile, and an axe check of every page on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import axe_check, log_in, screenshot

# A 1×1 transparent PNG served in place of Commons images (no network in tests).
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def offline_commons(page: Any) -> None:
    """Answer Commons image requests (avatars, Wikidata photographs) locally."""
    page.route(re.compile(r"^https://(upload|commons)\.wikimedia\.org/"),
               lambda route: route.fulfill(status=200, content_type="image/png", body=PIXEL))



def active(page: Any) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


@pytest.mark.parametrize(("viewport", "theme"), [("desktop", "light"), ("phone", "dark")])
def test_view_and_edit_a_profile_with_javascript(new_page: Any, viewport: str, theme: str) -> None:
    page = new_page(viewport=viewport, theme=theme)
    offline_commons(page)
    name = f"Pia Exemplo {viewport}"
    log_in(page, name)
    if theme == "dark":
        page.context.add_cookies([{"name": "capx_theme", "value": "dark", "url": page.url}])

    page.goto("/profile")
    assert "Write a few words about yourself." in page.inner_text("main")
    axe_check(page, f"profile-own-empty-{viewport}-{theme}")

    page.goto("/profile/edit")
    axe_check(page, f"profile-edit-{viewport}-{theme}")

    # Type-ahead: typing shows a listbox; arrow keys and Enter add a chip.
    page.fill("#picker-capacity_known-q", "press")
    page.wait_for_selector("#picker-capacity_known-listbox [role=option]")
    assert page.get_attribute("#picker-capacity_known-q", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert "Press release" in page.inner_text("#picker-capacity_known .picker__selected")
    assert active(page) == "picker-capacity_known-q"  # focus stays in the box for the next one
    axe_check(page, f"profile-edit-picked-{viewport}-{theme}")

    # "Import known capacities" copies them into Available (a server round trip).
    with page.expect_navigation():
        page.click("button[name=import_known]")
    assert "Press release" in page.inner_text("#picker-capacity_available .picker__selected")

    # A language added with the type-ahead gets its proficiency select at once (default Advanced).
    page.fill("#picker-language-q", "portug")
    page.wait_for_selector("#picker-language-listbox [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    proficiency = page.locator("#proficiency-fields select")
    assert proficiency.count() == 1 and proficiency.input_value() == "3"
    proficiency.select_option("6")

    # The bio counter counts down as one types (after a pause, for screen readers).
    page.fill("#bio", "Bibliotecária.\nEscrevo comunicados de imprensa.")
    page.wait_for_function("() => document.querySelector('#bio-counter').textContent === '1,953 of 2,000 characters left'")
    page.select_option("#bio_language", label="Portuguese")
    axe_check(page, f"profile-edit-filled-{viewport}-{theme}")

    with page.expect_navigation():
        page.locator("button[name=save]").first.click()
    assert page.url.endswith("/profile")
    main = page.inner_text("main")
    assert "Your profile was saved." in main
    assert "Press release" in page.inner_text("section[aria-labelledby=caps-known-heading]")
    assert "Press release" in page.inner_text("section[aria-labelledby=caps-available-heading]")
    assert "Portuguese – Native" in main
    bio = page.locator(".profile__bio")
    assert bio.get_attribute("lang") == "pt" and "Escrevo comunicados" in bio.inner_text()

    # Share: the link is visible as text and can be copied; the QR code shows and downloads.
    url_name = name.replace(" ", "_")
    assert page.input_value("#profile-link").endswith(f"/profile/{url_name}")
    assert page.is_visible("button[data-copy-target=profile-link]")
    page.click(".profile__actions summary")
    qr = page.locator("img.profile__qr")
    qr.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", qr.element_handle())
    assert page.get_attribute(".profile__actions a[download]", "href") == f"/profile/{url_name}/qr.png"
    axe_check(page, f"profile-own-filled-{viewport}-{theme}")

    # The same profile in Arabic, right to left.
    page.goto("/profile?uselang=ar")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("#profile-link", "dir") == "ltr"
    axe_check(page, f"profile-own-ar-{viewport}-{theme}")
    assert not page.js_errors, page.js_errors


def test_edit_a_profile_without_javascript(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 360, "height": 740})
    context.set_default_timeout(15_000)
    page = context.new_page()
    offline_commons(page)
    try:
        log_in(page, "Nico Exemplo")
        page.goto("/profile/edit")
        assert not page.is_visible(".char-counter")
        # The search step: type, press the picker's Search button, tick a result, save.
        page.fill("#picker-capacity_wanted-q", "storytel")
        with page.expect_navigation():
            page.click("#picker-capacity_wanted button[name=picker_search]")
        page.check("#picker-capacity_wanted .picker__results input[type=checkbox]")
        page.fill("#bio", "Kept across the search step")
        page.fill("#picker-language-q", "spanish")
        with page.expect_navigation():
            page.click("#picker-language button[name=picker_search]")
        assert page.input_value("#bio") == "Kept across the search step"
        page.locator("#picker-language .picker__results input[type=checkbox]").first.check()
        with page.expect_navigation():
            page.locator("button[name=save]").last.click()
        assert page.url.endswith("/profile")
        assert "Storytelling" in page.inner_text("section[aria-labelledby=caps-wanted-heading]")
        assert "Spanish – Advanced" in page.inner_text("section[aria-labelledby=languages-heading]")
        # Without JavaScript the copy button stays hidden; the link is there as text.
        assert not page.is_visible("button[data-copy-target=profile-link]")
        assert page.input_value("#profile-link").endswith("/profile/Nico_Exemplo")
        screenshot(page, "profile-nojs")
    finally:
        context.close()


def test_another_user_saves_the_profile(new_page: Any) -> None:
    owner = new_page()
    log_in(owner, "Olga Exemplo")
    owner.goto("/profile/badges")
    axe_check(owner, "badges")
    owner.goto("/profile/lets-connect")
    axe_check(owner, "lets-connect-form")
    owner.goto("/profile/delete")
    axe_check(owner, "profile-delete")

    visitor = new_page(theme="dark")
    offline_commons(visitor)
    log_in(visitor, "Vera Exemplo")
    visitor.goto("/profile/Olga_Exemplo")
    assert "Write a few words" not in visitor.inner_text("main")  # others' empty sections are hidden
    save = visitor.locator(".save-toggle button")
    assert save.get_attribute("aria-pressed") == "false"
    axe_check(visitor, "profile-other")
    with visitor.expect_navigation():
        save.click()
    assert visitor.url.endswith("/profile/Olga_Exemplo")
    assert visitor.locator(".save-toggle button").get_attribute("aria-pressed") == "true"
    axe_check(visitor, "profile-other-saved")
    assert not visitor.js_errors and not owner.js_errors, (visitor.js_errors, owner.js_errors)


@pytest.mark.parametrize(("viewport", "theme", "lang"), [("desktop", "light", "en"), ("phone", "dark", "ar")])
def test_kept_fields_and_imported_badges_of_a_moved_profile(new_page: Any, live_app: Any, viewport: str, theme: str,
                                                            lang: str) -> None:
    """A profile moved from the previous platform: its kept fields on the edit page, and badges of
    every kind (an old internal badge with a Commons picture, an external badge) on the badges page."""
    import sqlalchemy as sa

    from capx.extensions import db
    from capx.models import Badge, KeptProfileData, Profile, User, UserBadge, utcnow

    name = f"Moved Exemplo {viewport}"
    page = new_page(viewport=viewport, theme=theme)
    offline_commons(page)
    log_in(page, name)
    with live_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == name))
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))
        db.session.add(KeptProfileData(profile_id=profile.id, display_name="Moved", pronoun="they-them", team="Wiki team",
                                       contact=[{"display_name": "IRC", "value": "libera.chat #wikimedia-br"}],
                                       social=[{"display_name": "Mastodon", "value": "https://wikis.world/@moved"}],
                                       territories=["Svalbard"], updated_at=utcnow()))
        old = Badge(kind="internal", code=f"profile-sections-5-{viewport}", name="First steps", rule="profile-sections",
                    threshold=5, position=1001, image="CapX_-_Badge_-_1.svg")
        external = Badge(kind="external", source="wikilearn", name="Wikidata Basics", position=1010)
        db.session.add_all([old, external])
        db.session.flush()
        db.session.add(UserBadge(user_id=user.id, badge_id=external.id, progress=100, shown=True,
                                 assertion_url="https://api.badgr.io/public/assertions/x1", issued_at=utcnow()))
        db.session.commit()
    query = "?uselang=ar" if lang == "ar" else ""
    page.goto("/profile/edit" + query)
    assert "libera.chat #wikimedia-br" in page.inner_text("section.kept")
    axe_check(page, f"profile-edit-kept-{viewport}-{lang}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto("/profile/badges" + query)
    assert "Wikidata Basics" in page.inner_text("main") and "First steps" in page.inner_text("main")
    axe_check(page, f"badges-imported-{viewport}-{lang}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("viewport", "theme", "lang"), [("desktop", "light", "en"), ("phone", "dark", "ar")])
def test_a_public_profile_opens_from_its_share_link_and_qr_code(new_page: Any, viewport: str, theme: str,
                                                                 lang: str) -> None:
    """The owner makes the profile public on the edit page; a visitor who is not logged in opens
    the share link (the address the QR code holds) and sees it; a profile that is not public
    shows the page asking to log in, which comes back after logging in."""
    owner = new_page(viewport=viewport, theme=theme)
    name = f"Quinn Exemplo {viewport}"
    log_in(owner, name)
    owner.goto("/profile/edit")
    owner.fill("#bio", "Mapeadora de rios.")
    owner.check("input[name=is_public]")
    with owner.expect_navigation():
        owner.locator("button[name=save]").first.click()
    share = owner.input_value("#profile-link")
    qr = owner.get_attribute(".profile__qr", "src")
    assert qr and owner.request.get(qr).ok

    visitor = new_page(viewport=viewport, theme=theme)
    path = share.split("://", 1)[1].split("/", 1)[1]
    visitor.goto(f"/{path}?uselang={lang}")
    main = visitor.inner_text("main")
    assert "Mapeadora de rios." in main
    assert visitor.locator("meta[name=robots]").count() == 0
    assert visitor.request.get(qr).ok  # the QR code too, without login
    axe_check(visitor, f"profile-public-anonymous-{viewport}-{lang}")

    # Private again: the visitor gets the page asking to log in, and comes back after it.
    owner.goto("/profile/edit")
    owner.uncheck("input[name=is_public]")
    with owner.expect_navigation():
        owner.locator("button[name=save]").first.click()
    visitor.goto(f"/{path}?uselang={lang}")
    assert visitor.locator("meta[name=robots][content=noindex]").count() == 1
    assert "Mapeadora de rios." not in visitor.inner_text("main")
    axe_check(visitor, f"profile-login-to-see-{viewport}-{lang}")
    with visitor.expect_navigation():
        visitor.locator("main a[href^='/login?next=']").click()
    visitor.fill("input[name=username]", "Rui Exemplo")
    with visitor.expect_navigation():
        visitor.click("form[action='/login/dev'] button[type=submit]")
    assert visitor.url.split("?")[0].endswith(f"/{path}") and "Mapeadora de rios." in visitor.inner_text("main")
