"""The full walk (issue 9): every page as a new user meets it, logged out and then logged in through
the development login, in English and in Arabic (right to left), in the light and the dark theme, at
360 and 1280 pixels wide.

Every page is checked the same way (:meth:`Walker.check`): axe-core finds no violation; ``<html lang
dir>`` and the theme class are the visitor's choice; at 360 px nothing scrolls sideways (the page
is no wider than the viewport; intentional scrollers such as the home's suggestion rows scroll
inside themselves); the page answered 200 and no script failed. Each page is saved as
``test-artifacts/walk/<nn>-<page>-<lang>-<theme>-<width>.png``.

Time: one live server and data set (the session's), one browser, one page per combination. The
four combinations of a language walk side by side: each walk is a generator that yields at every
page to check, and axe is started on all four pages before the first result is collected, so the
renderers (one process per browser context) use every core. Problems are collected along the walk
and reported together at the end, so one run lists everything to fix; a step that cannot go on (a
missing link, a save that did not show) fails at once.

Meta-Wiki, which the message page asks about the recipient, is answered from the recorded
responses in ``tests/fixtures/api/`` (``responses`` patches this process, where the live server
runs).
"""

from __future__ import annotations

import copy
import json
import re
import struct
import zlib
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, WANTED, Capacity, CapacityText, Event, EventCapacity, MentorshipProgram,
                         MentorshipProgramCapacity, MessageLog, Organization, OrganizationCapacity,
                         OrganizationManager, OrganizationName, Profile, ProfileCapacity, User)
from capx.services.capacities import bump_tree_stamp
from capx.services.profiles import BIO_MAX
from tests.browser.conftest import ARTIFACTS, axe_collect, axe_start, format_violations, screenshot
from tests.conftest import recorded

API = "https://meta.wikimedia.org/w/api.php"
WIDTHS = {360: "phone", 1280: "desktop"}
THEMES = ("light", "dark")

#: None when the page is no wider than the viewport; else its width and what sticks out (for the
#: report), leaving out what sits inside an element that scrolls or clips horizontally.
OVERFLOW_SCRIPT = """() => {
    const root = document.documentElement;
    if (root.scrollWidth <= window.innerWidth) return null;
    const inScroller = el => {
        for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
            if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX)) return true;
        }
        return false;
    };
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1) && !inScroller(el)) {
            const cls = typeof el.className === 'string' && el.className.trim()
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
            wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} [${Math.round(r.left)}..${Math.round(r.right)}]`);
        }
    }
    return {scrollWidth: root.scrollWidth, wide: wide.slice(0, 8)};
}"""


#: Every element and line of text drawn outside the card (``.card``) it belongs to, at most 8: a
#: long capacity chip or a grid column wider than its card is cut off or spills over its neighbour,
#: which the page-wide check cannot see when the card sits in a wide page. An element that scrolls
#: or clips its content is compared itself, not what it holds; what is clipped away on purpose
#: (``.visually-hidden``) or not shown is left out. Boxes compare as the screen shows them, so the
#: same check holds right to left.
CARD_OVERFLOW_SCRIPT = """() => {
    const slack = 1;
    const found = [];
    const name = el => {
        const cls = typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
        return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls}`;
    };
    const outside = (r, box) => r.width > 0 && r.height > 0 && (r.left < box.left - slack
        || r.right > box.right + slack || r.top < box.top - slack || r.bottom > box.bottom + slack);
    const span = r => `[${Math.round(r.left)}..${Math.round(r.right)} x ${Math.round(r.top)}..${Math.round(r.bottom)}]`;
    for (const card of document.querySelectorAll('.card')) {
        const box = card.getBoundingClientRect();
        if (!box.width || !box.height) continue;
        const title = (card.querySelector('.card__title, h2, h3, h4') || card).textContent.trim().slice(0, 40);
        const report = (what, r) => found.push(`${what} ${span(r)} outside the card ${name(card)} "${title}" ${span(box)}`);
        const visit = parent => {
            for (const node of parent.childNodes) {
                if (node.nodeType === Node.TEXT_NODE) {
                    if (!node.textContent.trim()) continue;
                    const range = document.createRange();
                    range.selectNodeContents(node);
                    for (const r of range.getClientRects()) {
                        if (outside(r, box)) { report(`text "${node.textContent.trim().slice(0, 30)}" in ${name(parent)}`, r); break; }
                    }
                    continue;
                }
                if (node.nodeType !== Node.ELEMENT_NODE || !node.checkVisibility({visibilityProperty: true})) continue;
                const style = getComputedStyle(node);
                if (style.clip !== 'auto' || style.clipPath !== 'none') continue;  // drawn clipped: .visually-hidden
                const r = node.getBoundingClientRect();
                if (outside(r, box)) { report(name(node), r); continue; }  // not its contents as well
                const clips = ['auto', 'scroll', 'hidden', 'clip'];
                if (!clips.includes(style.overflowX) && !clips.includes(style.overflowY)) visit(node);
            }
        };
        visit(card);
        if (found.length >= 8) break;
    }
    return found.slice(0, 8);
}"""

#: Long names, so that the in-card check has something to catch: a capacity on every demo profile,
#: the managed organizations, the mentorship programs and the events, and an organization of its own.
LONG_CAPACITY = {
    "en": "Community health and safety: friendly space policies, conflict resolution and reporting harassment",
    "pt-br": "Saúde e segurança da comunidade: políticas de espaço amigável, resolução de conflitos e denúncias",
    "ar": "صحة المجتمع وسلامته: سياسات المساحات الآمنة وحل النزاعات والإبلاغ عن المضايقات",
}
LONG_ORGANIZATION = {
    "en": "Wikimedians of the Autonomous Communities of the Transcontinental Northern Archipelago User Group",
    "pt-br": "Grupo de Usuários Wikimedianos das Comunidades Autônomas do Arquipélago Setentrional Transcontinental",
    "ar": "مجموعة مستخدمي ويكيميديا في المجتمعات المستقلة لأرخبيل الشمال العابر للقارات",
}
#: What a walker suggests as a new capacity: every walker the same, so the staff queue holds
#: suggestions with one title (their regions must still have distinct names).
SUGGESTED_CAPACITY = "Friendly space policies for online and in-person Wikimedia events"


@pytest.fixture(scope="module")
def long_names(live_app: Any) -> Iterator[int]:
    """Put the long names into the live server's data for the walks; yields the long-named
    organization's id. Everything is removed afterwards, so later browser tests see the demo as seeded."""
    with live_app.app_context():
        root = db.session.scalars(sa.select(Capacity).where(Capacity.parent_id.is_(None))
                                  .order_by(Capacity.position, Capacity.id)).first()
        capacity = Capacity(code="walk-long-name", parent_id=root.id, position=10_000)
        db.session.add(capacity)
        db.session.flush()
        db.session.add_all(CapacityText(capacity_id=capacity.id, lang=lang, name=name, name_source="local")
                           for lang, name in LONG_CAPACITY.items())
        organization = Organization(acronym="WMNTAUG")
        db.session.add(organization)
        db.session.flush()
        db.session.add_all(OrganizationName(organization_id=organization.id, lang=lang, name=name)
                           for lang, name in LONG_ORGANIZATION.items())
        manager = db.session.scalars(sa.select(Profile.user_id).order_by(Profile.id)).first()
        db.session.add(OrganizationManager(organization_id=organization.id, user_id=manager))
        managed = set(db.session.scalars(sa.select(OrganizationManager.organization_id)))
        db.session.add_all(OrganizationCapacity(organization_id=org, capacity_id=capacity.id, kind=kind)
                           for org in managed for kind in (AVAILABLE, WANTED))
        db.session.add_all(ProfileCapacity(profile_id=profile, capacity_id=capacity.id, kind=kind)
                           for profile in db.session.scalars(sa.select(Profile.id)) for kind in (AVAILABLE, WANTED))
        db.session.add_all(MentorshipProgramCapacity(program_id=program, capacity_id=capacity.id)
                           for program in db.session.scalars(sa.select(MentorshipProgram.id)))
        db.session.add_all(EventCapacity(event_id=event, capacity_id=capacity.id)
                           for event in db.session.scalars(sa.select(Event.id)))
        bump_tree_stamp(db.session.connection())
        db.session.commit()
        capacity_id, organization_id = capacity.id, organization.id
        db.session.remove()
    yield organization_id
    with live_app.app_context():
        for model in (ProfileCapacity, OrganizationCapacity, MentorshipProgramCapacity, EventCapacity):
            db.session.execute(sa.delete(model).where(model.capacity_id == capacity_id))
        db.session.execute(sa.delete(Organization).where(Organization.id == organization_id))
        db.session.execute(sa.delete(CapacityText).where(CapacityText.capacity_id == capacity_id))
        db.session.execute(sa.delete(Capacity).where(Capacity.id == capacity_id))
        bump_tree_stamp(db.session.connection())
        db.session.commit()
        db.session.remove()

def placeholder_png(width: int = 160, height: int = 120, grey: int = 0x9A) -> bytes:
    """A plain grey PNG, 4:3 like most photographs (a 1-pixel image would show as a tall square)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([grey]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def offline_commons(context: Any) -> None:
    """Answer image requests to Wikimedia Commons (avatars, logos, event pictures) with a placeholder."""
    image = placeholder_png()
    context.route(re.compile(r"^https://(upload|commons)\.wikimedia\.org/"),
                  lambda route: route.fulfill(status=200, content_type="image/png", body=image))


def meta_wiki_answers(rsps: responses.RequestsMock) -> None:
    """Answer the availability check for any recipient and sender from the recorded samples.

    ``list=users`` gets Ana Exemplo's recorded row under each asked name (an existing account that
    takes email); ``meta=globaluserinfo`` gets the recorded "normal" account (not locked).
    """
    users_body = recorded("meta-list-users-emailable", "users-mixed")["response"]["body"]
    user_row = next(u for u in users_body["query"]["users"] if u.get("name") == "Ana Exemplo")
    global_body = recorded("meta-globaluserinfo", "normal")["response"]["body"]

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        params = parse_qs(urlsplit(request.url).query)
        if params.get("list") == ["users"]:
            body = copy.deepcopy(users_body)
            body["query"]["users"] = [{**user_row, "name": name, "userid": user_row["userid"] + i}
                                      for i, name in enumerate(params["ususers"][0].split("|"))]
        elif params.get("meta") == ["globaluserinfo"]:
            body = copy.deepcopy(global_body)
            body["query"]["globaluserinfo"]["name"] = params.get("guiuser", ["Ana Exemplo"])[0]
        else:
            return 500, {}, json.dumps({"error": f"the walk has no recorded answer for {request.url}"})
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    rsps.add_callback("GET", API, callback=answer)


class Walker:
    """One page walking the site in one language, theme and width; collects what it finds."""

    def __init__(self, page: Any, lang: str, theme: str, width: int) -> None:
        self.page, self.lang, self.theme, self.width = page, lang, theme, width
        self.step = 0
        self.problems: list[str] = []

    @property
    def tag(self) -> str:
        return f"{self.lang}-{self.theme}-{self.width}"

    def go(self, path: str, status: int = 200) -> None:
        """Open a path the way a link would, and insist on the status."""
        response = self.page.goto(path)
        assert response is not None and response.status == status, f"{path}: {response and response.status}"

    def click(self, locator: Any) -> None:
        """Follow a link or press a submit button, waiting for the next page."""
        with self.page.expect_navigation():
            locator.click()

    def choose(self, select: str, value: str) -> None:
        """Pick from a select of the header's Language and theme menu; capx.js submits its form and
        the page reloads."""
        self.open_menu("details.header-menu--settings")
        with self.page.expect_navigation():
            self.page.select_option(select, value)

    def open_menu(self, menu: str = "details.site-nav__menu") -> None:
        """Open a header disclosure (the main links sit behind Menu on a narrow screen)."""
        toggle = self.page.locator(f"{menu} > summary")
        if toggle.is_visible() and not self.page.locator(menu).evaluate("el => el.open"):
            toggle.click()

    def href(self, selector: str) -> str:
        """The first link matching ``selector`` (the walk follows what the page offers)."""
        link = self.page.locator(selector).first
        assert link.count(), f"no {selector} on {self.page.url}"
        return str(link.get_attribute("href"))

    def check(self, name: str) -> None:
        """The checks every page gets (axe was started by the driver), then its screenshot."""
        self.step += 1
        page, where = self.page, f"{self.step:02d}-{name} ({page_path(self.page.url)})"
        violations = axe_collect(page)
        if violations:
            self.problems.append(f"{where}: axe found {len(violations)} violation(s):\n{format_violations(violations)}")
        html = page.locator("html")
        lang, direction = html.get_attribute("lang"), html.get_attribute("dir")
        if (lang, direction) != (self.lang, "rtl" if self.lang == "ar" else "ltr"):
            self.problems.append(f"{where}: <html lang={lang!r} dir={direction!r}>")
        if f"theme-{self.theme}" not in (html.get_attribute("class") or "").split():
            self.problems.append(f"{where}: <html class={html.get_attribute('class')!r}>, not theme-{self.theme}")
        if self.width == 360:
            overflow = page.evaluate(OVERFLOW_SCRIPT)
            if overflow:
                self.problems.append(f"{where}: scrolls sideways, {overflow['scrollWidth']} px wide: "
                                     + ", ".join(overflow["wide"]))
        outside = page.evaluate(CARD_OVERFLOW_SCRIPT)
        if outside:
            self.problems.append(f"{where}: drawn outside its card:\n    " + "\n    ".join(outside))
        screenshot(page, f"walk/{self.step:02d}-{name}-{self.tag}")

    def script_errors(self) -> list[str]:
        """Script errors and failed requests (Commons images included: offline_commons answers them)."""
        return list(self.page.js_errors)


def page_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def walk(w: Walker, live_app: Any, long_organization: int) -> Iterator[str]:
    """The walk of one visitor: yields the name of each page to check once it is on it."""
    page = w.page
    lang = w.lang

    # -- logged out: what the site shows everyone --------------------------------------------------
    w.go("/")
    # A new visitor picks a theme and a language in the header; both stick from here on.
    w.choose("#theme-select", w.theme)
    if lang != "en":
        w.choose("#uselang-select", lang)
    if lang == "en":
        assert page.locator("h1").inner_text() == "Learn and share capacities across the Wikimedia movement"
        assert re.search(r"\b[1-9]\d* Wikimedians", page.inner_text("main")), "the landing page's figures"
    else:
        assert "تبادل القدرات" in page.inner_text("body")
    yield "landing"

    w.go("/capacity")
    yield "directory-anon"
    w.go(w.href(".directory-card__head a"))
    yield "capacity-anon"
    w.go("/organization_list")
    yield "organizations-anon"
    # Organization profiles are public and read-only: saving asks for a login.
    w.go(w.href(f".explore-results .card__title a[href$='/organization_profile/{long_organization}']"))
    assert page.locator(".org-profile__actions a[href^='/login?next=/organization_profile/']").count() == 1
    yield "organization-anon"
    w.go("/events")
    yield "events-anon"

    # Log in from the header: the development login creates the account and comes back here.
    w.click(page.locator(".site-header__login[href^='/login']"))
    yield "login"
    name = f"Walker {w.tag}"
    page.fill("input[name=username]", name)
    w.click(page.locator("form[action='/login/dev'] button[type=submit]"))
    assert page_path(page.url) == "/events", page.url

    # -- logged in -------------------------------------------------------------------------------
    w.go("/home")
    assert name in page.locator("h1").inner_text()
    yield "home"

    # The Capacity Directory in its three views, and a capacity.
    w.go("/capacity")
    assert page.locator(".directory-card").count() == 7
    root = w.href(".directory-card__head a")  # a top capacity: its people include its branches'
    yield "directory-cards"
    w.go("/capacity?view=tree")
    yield "directory-tree"
    w.go("/capacity?view=themes")
    yield "directory-themes"

    # A capacity the directory lacks: suggested from the directory, then listed among one's own.
    w.go("/capacity/suggest")
    yield "suggest"
    page.fill("input[name=title]", SUGGESTED_CAPACITY)
    page.fill("textarea[name=description]", "Policies that keep events welcoming, and how to apply them.")
    w.click(page.locator("form[action='/capacity/suggest'] button[type=submit]"))
    assert page_path(page.url) == "/capacity/suggestions/mine", page.url
    yield "my-suggestions"

    w.go(root)
    yield "capacity"

    # Explore with filters: the capacity's sharers (its link), and learners too (the filter panel).
    w.click(page.locator("a[href*='exchange=sharer']"))
    assert page.locator("details.explore-panel").get_attribute("open") is not None  # filters shown when active
    page.check("input[name=exchange][value=learner]")
    w.click(page.locator(".explore-panel .form-actions button[type=submit]"))
    query = parse_qs(urlsplit(page.url).query)
    assert query.get("exchange") == ["learner", "sharer"] and query.get("capacity"), page.url
    assert page.locator(".explore-results .card__title a").count() >= 1
    yield "explore-filtered"

    # A profile, saved for later.
    w.go(w.href(".explore-results .card__title a"))
    other = page_path(page.url)
    w.click(page.locator(".save-toggle button").first)
    assert page.locator(".save-toggle button").first.get_attribute("aria-pressed") == "true"
    yield "profile"
    talk = w.href("a[href^='/message?username=']")

    # Edit one's own profile and save: the change shows on the profile.
    w.go("/profile/edit")
    yield "profile-edit"
    # The mini bio at its limit, in characters beyond the Basic Multilingual Plane (two UTF-16 units
    # each): nothing stops the typing, the counter says none are left, and the server takes it.
    bio = f"Walking every page ({w.tag}). "
    bio += "🧭" * (BIO_MAX - len(bio))
    page.fill("#bio", bio)
    assert page.eval_on_selector("#bio", "el => Array.from(el.value).length") == BIO_MAX
    counter = page.locator("#bio-counter")
    page.wait_for_function("([el, text]) => el.textContent === text",
                           arg=[counter.element_handle(), str(counter.get_attribute("data-template")).replace("$1", "0")])
    assert "char-counter--over" not in (counter.get_attribute("class") or "")
    w.click(page.locator("button[name=save]").first)
    assert page_path(page.url) == "/profile", page.url
    assert page.locator(".cdx-message--success[role=status]").count() == 1
    assert page.locator(".profile__bio").inner_text() == bio
    yield "profile-own"

    # Saved profiles hold the one saved above.
    w.go("/feed/saved")
    assert page.locator(f".card__title a[href='{other}']").count() == 1
    yield "saved"

    w.go("/organization_list")
    assert page.locator(".explore-results .card__title a", has_text=LONG_ORGANIZATION[lang]).count() == 1
    yield "organizations"
    w.go(w.href(f".explore-results .card__title a[href$='/organization_profile/{long_organization}']"))
    yield "organization"
    w.go("/events")
    yield "events"
    w.go(w.href(".card__title a[href^='/events/']"))
    yield "event"

    # Messages: the Write tab for the profile's person (the live check asks Meta-Wiki), and the
    # Sent tab with a delivered and a failed message in the log.
    w.go(talk)
    page.wait_for_selector("#recipient-status .availability__label--available")
    yield "message-write"
    with live_app.app_context():
        sender = db.session.scalar(sa.select(User.id).where(User.username == name))
        db.session.add_all([
            MessageLog(sender_id=sender, recipient_username="Ana Exemplo", method="talk", status="sent",
                       talk_page_url="https://meta.wikimedia.org/w/index.php?diff=123"),
            MessageLog(sender_id=sender, recipient_username="Bruno Exemplo", method="email", status="failed",
                       error_code="noemail")])
        db.session.commit()
        db.session.remove()
    w.click(page.locator("a.tabs__tab[href='/message/sent']"))
    assert page.locator(".sent-log__item").count() == 2
    page.locator(".sent-log details summary").first.click()
    yield "message-sent"

    # A bug report's description takes 1,000 characters: 600 emoji (1,200 UTF-16 units) all stay.
    w.go("/report_bug")
    page.fill("#description", "🐛" * 600)
    assert page.eval_on_selector("#description", "el => Array.from(el.value).length") == 600
    page.wait_for_function("() => /^600 \\/ 1.000$/.test(document.querySelector('#description-counter').textContent)")
    yield "report-bug"
    w.go("/mentorship")
    yield "mentorship"
    w.go("/data_analytics_dashboard")
    yield "data"
    w.go("/translation")
    yield "translation"
    w.go("/privacy_policy")
    yield "privacy"
    w.go("/no-such-page", status=404)
    yield "not-found"

    # Staff moderate the suggestions: every walker suggested the same title (the walker becomes
    # staff here, as the staff list would make them).
    with live_app.app_context():
        db.session.execute(sa.update(User).where(User.username == name).values(is_staff=True))
        db.session.commit()
        db.session.remove()
    w.go("/capacity/suggestions")
    assert page.locator(".card__title", has_text=SUGGESTED_CAPACITY).count() >= 1
    yield "suggestion-queue"

    # Staff tools (issue 18): the people overview, a new organization, an organization's base
    # fields and its merge page, partner settings; then, the long-named organization a partner,
    # its badges: the walker creates one and gives it to themself, and finds it on their badges page.
    w.go("/staff/people?q=Walker")
    assert page.locator("tbody th", has_text=name).count() == 1
    yield "staff-people"
    w.go("/organizations/staff/new")
    yield "organization-new"
    w.go(f"/organization_profile/{long_organization}/base")
    yield "organization-base"
    w.go(f"/organization_profile/{long_organization}/merge")
    yield "organization-merge"
    with live_app.app_context():
        db.session.execute(sa.update(Organization).where(Organization.id == long_organization).values(is_partner=True))
        db.session.commit()
        db.session.remove()
    w.go(f"/organization_profile/{long_organization}/partner")
    yield "partner"
    w.go(f"/organization_profile/{long_organization}/badges")
    badge = f"Walker badge {w.tag}"
    page.fill("#f-name", badge)
    page.fill("#f-description", "A badge given by the walk.")
    w.click(page.locator("form[action$='/badges'] button[type=submit]"))
    yield "partner-badges"
    page.fill("#f-usernames", name)
    w.click(page.locator("form:has(input[name=action][value=assign]) button[type=submit]"))
    assert page.locator("fieldset label", has_text=name).count() == 1
    yield "partner-badge"
    w.go("/profile/badges")
    assert page.locator("main", has_text=badge).count() == 1

    if lang == "en":
        # Another language from the menu: the texts change and the choice sticks on the account.
        w.choose("#uselang-select", "pt-br")
        w.lang = "pt-br"
        w.go("/home")
        assert "Boas-vindas" in page.locator("h1").inner_text()
        w.go("/")
        assert "Aprenda e compartilhe" in page.locator("h1").inner_text()
        yield "landing"

    # Log out from the personal menu (a POST): the pages that need an account ask for a login again.
    w.open_menu("details.header-menu--personal")
    w.click(page.locator("form[action='/logout'] button"))
    w.go("/home")
    assert page_path(page.url).startswith("/login"), page.url


def run_side_by_side(walks: list[tuple[Walker, Iterator[str]]]) -> None:
    """Advance every walk to its next page and start axe there, then check each page in turn."""
    while walks:
        arrived = []
        for walker, steps in walks:
            name = next(steps, None)
            if name is not None:
                axe_start(walker.page)
                arrived.append((walker, steps, name))
        for walker, _steps, name in arrived:
            walker.check(name)
        walks = [(walker, steps) for walker, steps, _name in arrived]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_full_walk(new_page: Any, live_app: Any, long_names: int, mocked_http: responses.RequestsMock,
                   lang: str) -> None:
    for stale in (ARTIFACTS / "walk").glob("*.png"):  # an earlier run's pages, perhaps renumbered since
        if f"-{lang}-" in stale.name or (lang == "en" and "-pt-br-" in stale.name):
            stale.unlink()
    meta_wiki_answers(mocked_http)
    walkers = []
    for theme in THEMES:
        for width, viewport in WIDTHS.items():
            page = new_page(viewport=viewport, theme=theme)
            offline_commons(page.context)
            walkers.append(Walker(page, lang, theme, width))
    run_side_by_side([(w, walk(w, live_app, long_names)) for w in walkers])

    problems = []
    for w in walkers:
        problems += [f"[{w.theme}, {w.width} px] {p}" for p in w.problems]
        if w.script_errors():
            problems.append(f"[{w.theme}, {w.width} px] script errors or failed requests: {w.script_errors()}")
    if problems:
        pytest.fail(f"the {lang} walk found {len(problems)} problem(s):\n\n" + "\n\n".join(problems), pytrace=False)


def test_works_without_javascript(browser: Any, live_server: str) -> None:
    """The header's language picker, in its Language and theme menu, has a button for browsers
    without JavaScript (axe needs JavaScript in the page; the same pages are checked with it in the
    walk)."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport={"width": 360, "height": 740})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/")
        page.click("details.header-menu--settings > summary")  # a <details>: opens without JavaScript
        page.select_option("#uselang-select", "pt-br")
        with page.expect_navigation():
            page.click(".lang-form button[type=submit]")
        assert page.locator("html").get_attribute("lang") == "pt-br"
        assert "Aprenda e compartilhe" in page.locator("h1").inner_text()
        screenshot(page, "walk/landing-nojs-pt-br")
    finally:
        context.close()
