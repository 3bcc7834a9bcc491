"""Issue 7 in a real browser: sending a message (Meta-Wiki answered by recorded responses, which
`responses` serves to the live server too, since it runs in this process), filing and following
a bug report, the home's suggestion rows by keyboard, and an axe check of every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import responses
import sqlalchemy as sa
from playwright.sync_api import expect

from capx import create_app
from capx.extensions import db
from capx.models import AVAILABLE, WANTED, BugReport, OAuthToken, Profile, ProfileCapacity, User
from capx.services.accounts import store_token
from tests.browser.conftest import axe_check
from tests.conftest import add_recorded
from tests.conftest import test_config as config_for_tests
from tests.test_messages import RECIPIENT, SENDER, add_available, posts

TOKEN = ("a1b2c3d4e5f60718293a4b5c6d7e8f90", "0123456789abcdef0123456789abcdef01234567")


@pytest.fixture(scope="module")
def live_app(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app on the live server's database, to set up what no page can (an OAuth token, staff)."""
    # The live_server fixture made the newest "live" folder of this session.
    path = max(Path(tmp_path_factory.getbasetemp()).glob("live*/capx.sqlite"), key=lambda p: p.stat().st_mtime)
    app = create_app(config_for_tests(f"sqlite:///{path}", f"sqlite:///{path.parent / 'lc.sqlite'}",
                                      SERVER_NAME=None))
    yield app


def dev_login(page: Any, name: str, lang: str = "") -> None:
    page.goto("/login")
    page.fill("input[name=username]", name)
    with page.expect_navigation():
        page.click("form[action='/login/dev'] button[type=submit]")


def with_token(app: Any, name: str) -> None:
    """What the Meta-Wiki login stores (the development login stores none)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == name))
        store_token(user, "meta", TOKEN)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("viewport, theme", [("desktop", "light"), ("phone", "dark")])
def test_send_a_message_by_email(new_page: Any, live_app: Any, mocked_http: responses.RequestsMock,
                                 viewport: str, theme: str) -> None:
    page = new_page(viewport=viewport, theme=theme)
    dev_login(page, SENDER)
    with live_app.app_context():  # an earlier run may have stored one
        db.session.execute(sa.delete(OAuthToken).where(
            OAuthToken.user_id == sa.select(User.id).where(User.username == SENDER).scalar_subquery()))
        db.session.commit()
        db.session.remove()

    # Without a Meta-Wiki token, the Write tab says that sending needs one.
    page.goto("/message")
    assert "needs a login with your Wikimedia account" in page.inner_text("main")
    axe_check(page, f"message-no-token-{viewport}-{theme}")

    with_token(live_app, SENDER)
    add_available(mocked_http)  # list=users and the global lock, for every check
    page.goto("/message?username=Ana_Exemplo")
    assert page.input_value("#recipient") == RECIPIENT
    assert page.input_value("#message-from") == SENDER
    # The live check (messages.js) shows the recipient's state.
    page.wait_for_selector(".availability__label--available")
    page.fill("#subject", "Budgeting")
    page.fill("#text", "Hello Ana, let us talk.")
    expect(page.locator("#text-counter")).to_contain_text("23")  # the character counter follows
    axe_check(page, f"message-write-{viewport}-{theme}")
    with page.expect_navigation():
        page.click("button.cdx-button--primary")

    # The confirmation step: what will happen, and that it cannot be undone.
    main = page.inner_text("main")
    assert "sent by email to" in main and "This cannot be undone." in main
    assert posts(mocked_http) == []
    axe_check(page, f"message-confirm-{viewport}-{theme}")
    add_recorded(mocked_http, "meta-tokens-csrf", "csrf-logged-in")
    add_recorded(mocked_http, "meta-emailuser", "success", match_params=False)
    with page.expect_navigation():
        page.click("button[formaction='/message/send']")

    assert page.url.endswith("/message/sent")
    [sent] = posts(mocked_http)
    assert sent["action"] == ["emailuser"] and sent["subject"] == ["[Capacity Exchange] Budgeting"]
    main = page.inner_text("main")
    assert "Your email was sent." in main and "To Ana Exemplo" in main
    # Details on demand, by keyboard.
    page.focus(".sent-log summary")
    page.keyboard.press("Enter")
    assert page.locator(".sent-log details").first.get_attribute("open") is not None
    axe_check(page, f"message-sent-{viewport}-{theme}")


@pytest.mark.parametrize("viewport, theme, lang", [("desktop", "dark", "en"), ("phone", "light", "ar")])
def test_file_and_follow_a_bug_report(new_page: Any, live_app: Any, viewport: str, theme: str, lang: str) -> None:
    page = new_page(viewport=viewport, theme=theme)
    reporter = f"Reporter {viewport}"
    dev_login(page, reporter)
    query = "?uselang=ar" if lang == "ar" else ""
    page.goto("/report_bug" + query)
    axe_check(page, f"report-submit-{viewport}-{theme}-{lang}")
    page.fill("#title", "The map stays grey")
    page.fill("#description", "On Android the tiles never load.")
    page.select_option("#type", "improvement")
    with page.expect_navigation():
        page.click("button.cdx-button--primary")
    assert "/report_bug/submissions" in page.url
    assert "The map stays grey" in page.inner_text("main")
    axe_check(page, f"report-submissions-{viewport}-{theme}-{lang}")

    # The team triages it; the reporter sees the new status and the reply.
    with live_app.app_context():
        report = db.session.scalar(sa.select(BugReport).join(User, User.id == BugReport.reporter_id)
                                   .where(User.username == reporter))
        report.status, report.staff_reply = "in-progress", "We can see it too."
        db.session.commit()
        report_id = report.id
        db.session.remove()
    page.goto("/report_bug/submissions" + query)
    page.focus(".report-list summary")
    page.keyboard.press("Enter")
    main = page.inner_text("main")
    assert ("In progress" if lang == "en" else "قيد العمل") in main and "We can see it too." in main
    axe_check(page, f"report-followed-{viewport}-{theme}-{lang}")
    page.goto(f"/report_bug/{report_id}" + query)
    axe_check(page, f"report-page-{viewport}-{theme}-{lang}")


def test_staff_triage_pages(new_page: Any, live_app: Any) -> None:
    page = new_page()
    dev_login(page, "Triage Lead")
    with live_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "Triage Lead"))
        user.is_staff = True
        db.session.commit()
        db.session.remove()
    page.goto("/report_bug/triage")
    axe_check(page, "report-triage")
    link = page.locator("table.cdx-table tbody a").first
    if link.count():
        with page.expect_navigation():
            link.click()
        page.select_option("#status", "done")
        axe_check(page, "report-triage-form")
        with page.expect_navigation():
            page.click("button.cdx-button--primary")
        assert "The report was updated." in page.inner_text("main")


@pytest.mark.parametrize("viewport, theme, lang", [("desktop", "light", "en"), ("phone", "dark", "en"),
                                                   ("phone", "light", "ar")])
def test_home_rows_by_keyboard(new_page: Any, live_app: Any, viewport: str, theme: str, lang: str) -> None:
    # A viewer who offers and wants what others want and offer.
    with live_app.app_context():
        wanted = db.session.scalar(sa.select(ProfileCapacity.capacity_id).where(ProfileCapacity.kind == WANTED)
                                   .group_by(ProfileCapacity.capacity_id).order_by(sa.func.count().desc()))
        offered = db.session.scalar(sa.select(ProfileCapacity.capacity_id).where(ProfileCapacity.kind == AVAILABLE)
                                    .group_by(ProfileCapacity.capacity_id).order_by(sa.func.count().desc()))
        db.session.remove()
    name = f"Home Viewer {viewport} {theme} {lang}"
    page = new_page(viewport=viewport, theme=theme)
    dev_login(page, name)
    with live_app.app_context():
        profile_id = db.session.scalar(sa.select(Profile.id).join(User, User.id == Profile.user_id)
                                       .where(User.username == name))
        db.session.add_all([ProfileCapacity(profile_id=profile_id, capacity_id=wanted, kind=AVAILABLE),
                            ProfileCapacity(profile_id=profile_id, capacity_id=offered, kind=WANTED)])
        db.session.commit()
        db.session.remove()
    page.goto("/home" + ("?uselang=ar" if lang == "ar" else ""))
    row = page.locator("#want-what-you-offer-heading + ul.scroller")
    assert row.count() == 1 and row.locator("li").count() >= 1
    axe_check(page, f"home-{viewport}-{theme}-{lang}")

    # The row is reachable with Tab, scrolls with the arrow keys, and nothing moves by itself.
    page.focus("body")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('#want-what-you-offer-heading + ul.scroller')"):
            break
    else:
        pytest.fail("the row never got the keyboard focus")
    start = row.evaluate("el => el.scrollLeft")
    page.wait_for_timeout(300)
    assert row.evaluate("el => el.scrollLeft") == start  # no automatic movement
    overflows = row.evaluate("el => el.scrollWidth > el.clientWidth")
    if overflows:
        page.keyboard.press("ArrowLeft" if lang == "ar" else "ArrowRight")
        for _ in range(20):
            if row.evaluate("el => el.scrollLeft") != start:
                break
            page.wait_for_timeout(100)
        assert row.evaluate("el => el.scrollLeft") != start
    # The first card's link is the next stop; Enter opens the profile.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('li.home-card') !== null")
    assert focused
    href = page.evaluate("document.activeElement.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(href)
