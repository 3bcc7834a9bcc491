"""Explore (/feed), saved profiles (/feed/saved) and the organization list in a real browser.

One live server for the whole module, on its own database with a hand-built population whose
answers are known (the session's demo server has random people who could match any filter), and
three cards per page so that a handful of people already spans several pages. Filtering is
driven once without JavaScript (the pickers' server-side search step) and once with it (the
type-ahead), the issue's "Done when" link is followed to the saved list, the organization list is
searched, and every page passes axe in light and dark, English and Arabic, at 360 and 1280 px.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from capx import create_app
from capx.extensions import db
from capx.models import SavedOrganization, SavedProfile, User
from tests.browser.conftest import axe_check, log_in, open_page, serve
from tests.conftest import test_config as build_test_config
from tests.explore_helpers import ids, organization, person
from tests.helpers import create_user

PER_PAGE = 3

#: Everyone with a capacity, newest update first (what /feed lists without filters).
EVERYONE = ["Ana Souza", "Beto Ramos", "Caio Prado", "Duda Neves", "Ema Costa", "Fabi Lopes", "Gil Mota"]
#: /feed?capacity=<Communication>&exchange=sharer&territory=LAC&language=pt
DONE_WHEN = ["Ana Souza", "Beto Ramos", "Caio Prado"]
#: Visible organizations (alphabetical by English name); a fourth one has no manager.
ORGANIZATIONS = ["Andes Knowledge Group", "Nordic Archive Society", "Wiki Network Brazil"]
HIDDEN = "Hidden Press Collective"
#: Saved Ana Souza, Gil Mota and Wiki Network Brazil.
READER = "Rita Reader"


@dataclass
class Site:
    """The module's live server and the ids its tests need."""

    url: str
    communication: int  # the capacity's id (Press release and Storytelling are under it)


def _user_factory(app: Any) -> Any:
    """``make_user`` for this module's own database (the conftest fixture serves the test database)."""
    counter = {"n": 0}

    def make_user(username: str, **kwargs: Any) -> User:
        counter["n"] += 1
        return create_user(app, username, 700_000 + counter["n"], **kwargs)

    return make_user


def _populate(app: Any) -> None:
    """People whose answers to the tests' filters are known (minutes: higher is newer, listed first)."""
    make_user = _user_factory(app)
    # The link: sharers of Communication (or a descendant) in Latin America, speaking Portuguese.
    person(app, make_user, "Ana Souza", known=["press-release"], available=["press-release"], territories=["BRA"],
           languages=[("pt", 6)], minutes=90)
    person(app, make_user, "Beto Ramos", available=["communication"], wanted=["budgeting"], territories=["LAC"],
           languages=[("pt", 3), ("en", 2)], minutes=80)
    person(app, make_user, "Caio Prado", available=["storytelling"], territories=["ARG"],
           languages=[("es", 6), ("pt", 2)], minutes=70)
    # Each misses exactly one condition of that link.
    person(app, make_user, "Duda Neves", wanted=["press-release"], territories=["BRA"], languages=[("pt", 6)],
           minutes=60)  # a learner, not a sharer
    person(app, make_user, "Ema Costa", available=["press-release"], territories=["PRT"], languages=[("pt", 6)],
           minutes=50)  # in Europe
    person(app, make_user, "Fabi Lopes", available=["social-media"], territories=["MEX"],
           languages=[("es", 6), ("pt", 0)], minutes=40)  # Portuguese "not proficient"
    person(app, make_user, "Gil Mota", available=["budgeting"], known=["budgeting"], territories=["BRA"],
           languages=[("pt", 6)], minutes=30)  # another capacity
    person(app, make_user, "Hana Locked", available=["press-release"], territories=["BRA"], languages=[("pt", 6)],
           minutes=100, locked=True)  # locked accounts are never listed
    person(app, make_user, "Ivo Incomplete", territories=["BRA"], languages=[("pt", 6)], minutes=110)  # no capacity

    manager = make_user("Olga Manager")
    brazil = organization(app, {"en": "Wiki Network Brazil", "pt-br": "Rede Wiki Brasil"}, manager=manager,
                 available=["press-release"], known=["press-release"], territories=["BRA"], acronym="WNB")
    organization(app, {"en": "Andes Knowledge Group", "es": "Grupo Conocimiento Andino"}, manager=manager,
                 known=["budgeting"], territories=["PER"])
    organization(app, {"en": "Nordic Archive Society"}, manager=manager, wanted=["storytelling"],
                 territories=["SWE"])
    # No manager: hidden from the list whatever it matches.
    organization(app, {"en": "Hidden Press Collective"}, available=["press-release"], territories=["BRA"])

    # Someone whose saved list has people and an organization (for the axe checks of /feed/saved).
    reader = make_user(READER)
    with app.app_context():
        names = {u.username: u.id for u in db.session.scalars(sa.select(User))}
        db.session.add_all([SavedProfile(owner_id=reader.id, saved_user_id=names[n]) for n in ("Ana Souza", "Gil Mota")])
        db.session.add(SavedOrganization(owner_id=reader.id, organization_id=brazil))
        db.session.commit()


@pytest.fixture(scope="module")
def site(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app with its own SQLite database (migrated, reference data, the population above)."""
    import flask_migrate

    from capx.services.reference import load_reference

    folder = tmp_path_factory.mktemp("explore-live")
    app = create_app(build_test_config(f"sqlite:///{folder / 'capx.sqlite'}", f"sqlite:///{folder / 'lc.sqlite'}",
                                       SERVER_NAME=None, TESTING=False, CAPX_EXPLORE_PER_PAGE=PER_PAGE,
                                       # Styles and scripts from the browser's cache, not revalidated on every page.
                                       SEND_FILE_MAX_AGE_DEFAULT=3600))
    with app.app_context():
        flask_migrate.upgrade()
        load_reference(echo=lambda _line: None)
        db.session.commit()
        db.session.remove()
    _populate(app)
    (communication,) = ids(app, "capacity", "communication")
    with serve(app) as url:
        yield Site(url, communication)


@pytest.fixture()
def pages(browser: Any, site: Site) -> Iterator[Any]:
    """``pages(viewport=..., theme=..., javascript=...)``: fresh pages on the module's server."""
    opened: list[Any] = []

    def factory(viewport: str = "desktop", theme: str = "light", javascript: bool = True) -> Any:
        page = open_page(browser, site.url, viewport=viewport, theme=theme, javascript=javascript)
        opened.append(page)
        return page

    yield factory
    for page in opened:
        page.context.close()



def query(page: Any) -> list[tuple[str, str]]:
    """The current address's query parameters, in order."""
    return parse_qsl(urlsplit(page.url).query)


def card_names(page: Any) -> list[str]:
    """The names on the result cards, in order."""
    return [name.strip() for name in page.locator(".explore-results .card__title").all_inner_texts()]


def chip_labels(page: Any) -> list[str]:
    """The active-filter chips' labels."""
    return [text.strip() for text in page.locator(".explore-active .chip > span").all_inner_texts()]


def result_count(page: Any) -> str:
    return page.inner_text(".explore-count")


def open_filters(page: Any) -> None:
    """Open the filter panel (a <details>: closed while no filter is active)."""
    if page.get_attribute("details.explore-panel", "open") is None:
        page.click("details.explore-panel > summary")


def pick_without_javascript(page: Any, picker: str, text: str, choice: str, enter: bool = False) -> None:
    """The pickers' search step: type, press the picker's Search button or Enter in its box (a
    round trip), tick a result."""
    page.fill(f"#picker-{picker}-q", text)
    with page.expect_navigation():
        if enter:
            page.press(f"#picker-{picker}-q", "Enter")
        else:
            page.click(f"#picker-{picker} button[name=picker_search]")
    assert ("picker_search", "_enter" if enter else picker) in query(page)
    page.locator(f"#picker-{picker} .picker__results").get_by_role("checkbox", name=choice, exact=True).check()


def pick_with_javascript(page: Any, picker: str, text: str, choice: str, keyboard: bool = False) -> None:
    """The type-ahead: type, then click the option (or arrow down to it and press Enter)."""
    page.fill(f"#picker-{picker}-q", text)
    option = page.locator(f"#picker-{picker}-listbox").get_by_role("option", name=choice, exact=True)
    option.wait_for()
    assert page.get_attribute(f"#picker-{picker}-q", "aria-expanded") == "true"
    # The listbox opens under the search box, on its own row (it used to squeeze between the box
    # and its Search button, shrinking the box as one typed).
    box = page.locator(f"#picker-{picker}-q").bounding_box()
    listbox = page.locator(f"#picker-{picker}-listbox").bounding_box()
    assert listbox["y"] >= box["y"] + box["height"] and abs(listbox["x"] - box["x"]) < 1, (box, listbox)
    if keyboard:
        options = page.locator(f"#picker-{picker}-listbox [role=option]").all_inner_texts()
        options = [" ".join(text.split()) for text in options]  # the detail is on a line of its own
        for _ in range(options.index(choice) + 1):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")  # adds the chip; does not submit the form
    else:
        option.click()
    chosen = page.locator(f"#picker-{picker} .picker__selected").get_by_role("checkbox", name=choice.split(" (")[0])
    assert chosen.is_checked()
    assert page.get_attribute(f"#picker-{picker}-q", "aria-expanded") == "false"


def save_toggle(page: Any, name: str, saved: bool = False) -> Any:
    """The save toggle of ``name``'s card: "Save" or "Saved (remove)", with whom it saves for screen readers."""
    label = "Saved (remove)" if saved else "Save"
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(label)} ?: {re.escape(name)}$"))


def submit_filters(page: Any) -> None:
    with page.expect_navigation():
        page.click(".explore-panel .form-actions button[type=submit]")


def remove_chip(page: Any, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=f"Remove filter: {label}", exact=True).click()


def follow(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).click()


def check_filter_walk(page: Any, site: Site) -> None:
    """The walk both modes share, from the results of the name "ra", Communication, Sharers, Latin
    America & Caribbean and Portuguese: chips, removing them, page links, the back button, Clear all."""
    # The canonical link: codes rather than the pickers' ids, no helper fields.
    assert query(page) == [("name", "ra"), ("capacity", str(site.communication)), ("exchange", "sharer"),
                           ("territory", "LAC"), ("language", "pt")]
    assert card_names(page) == ["Beto Ramos", "Caio Prado"]
    assert result_count(page) == "2 profiles"
    assert chip_labels(page) == ["Name: ra", "Communication", "Sharers", "Latin America & Caribbean", "Portuguese"]
    # The form shows what is chosen (the panel is open while filters are active).
    assert page.get_attribute("details.explore-panel", "open") is not None
    assert page.input_value("#explore-name") == "ra"
    assert page.is_checked("input[name=exchange][value=sharer]")
    filtered = page.url

    # Removing one chip keeps the others.
    remove_chip(page, "Name: ra")
    assert "name" not in dict(query(page))
    assert card_names(page) == DONE_WHEN
    remove_chip(page, "Portuguese")  # Fabi Lopes is "not proficient" in Portuguese: now she counts
    assert dict(query(page)) == {"capacity": str(site.communication), "exchange": "sharer", "territory": "LAC"}
    assert result_count(page) == "4 profiles"
    assert card_names(page) == DONE_WHEN  # three a page
    first_page = page.url

    # Pages: the links keep the filters.
    follow(page, "Next")
    assert dict(query(page)) == {"capacity": str(site.communication), "exchange": "sharer", "territory": "LAC",
                                 "page": "2"}
    assert card_names(page) == ["Fabi Lopes"]
    assert page.inner_text(".pagination [aria-current=page]") == "2"
    follow(page, "1")
    assert page.url == first_page and card_names(page) == DONE_WHEN

    # The back button returns to each previous result in turn.
    page.go_back()
    assert "page=2" in page.url and card_names(page) == ["Fabi Lopes"]
    page.go_back()
    assert page.url == first_page and result_count(page) == "4 profiles"
    page.go_back()
    assert card_names(page) == DONE_WHEN and result_count(page) == "3 profiles"
    page.go_back()
    assert page.url == filtered
    assert card_names(page) == ["Beto Ramos", "Caio Prado"]
    assert chip_labels(page)[0] == "Name: ra"

    # Clear all: everyone with a capacity, newest first, and no chips.
    with page.expect_navigation():
        page.locator(".explore-active").get_by_role("link", name="Clear all").click()
    assert page.url == site.url + "/feed"
    assert card_names(page) == EVERYONE[:PER_PAGE]
    assert result_count(page) == f"{len(EVERYONE)} profiles"
    assert chip_labels(page) == []
    page.go_back()
    assert page.url == filtered and card_names(page) == ["Beto Ramos", "Caio Prado"]


def test_filtering_without_javascript(pages: Any, site: Site) -> None:
    page = pages(viewport="phone", javascript=False)
    log_in(page, "Nina Nojs")
    page.goto("/feed")
    assert "js" not in (page.get_attribute("html", "class") or "").split()  # capx.js did not run
    assert card_names(page) == EVERYONE[:PER_PAGE]
    assert page.get_attribute("details.explore-panel", "open") is None

    page.fill("#explore-name", "ra")
    open_filters(page)  # a <details>: opens without JavaScript
    # Each search step is a round trip that keeps everything chosen so far.
    pick_without_javascript(page, "capacity", "communic", "Communication")
    page.check("input[name=exchange][value=sharer]")
    # Enter in a picker's box searches that picker (not the form's first button's).
    pick_without_javascript(page, "territory", "latin", "Latin America & Caribbean", enter=True)
    assert page.input_value("#explore-name") == "ra"
    assert page.is_checked("#picker-capacity .picker__selected input[value='%d']" % site.communication)
    assert page.is_checked("input[name=exchange][value=sharer]")
    pick_without_javascript(page, "language", "portug", "Portuguese (português)")
    submit_filters(page)
    check_filter_walk(page, site)

    # A picker chip unticked in the form removes that filter too.
    page.uncheck("#picker-territory .picker__selected input[type=checkbox]")
    submit_filters(page)
    assert "territory" not in dict(query(page))
    assert card_names(page) == ["Beto Ramos", "Caio Prado"]  # Ema Costa (Portugal) has no "ra"
    assert not page.js_errors, page.js_errors


def test_filtering_with_javascript(pages: Any, site: Site) -> None:
    page = pages(theme="dark")
    log_in(page, "Jonas Js")
    page.goto("/feed")
    assert "js" in page.get_attribute("html", "class").split()
    page.fill("#explore-name", "ra")
    open_filters(page)
    # The type-ahead adds chips in place: no round trip until the filters are submitted.
    pick_with_javascript(page, "capacity", "communic", "Communication")
    page.check("input[name=exchange][value=sharer]")
    pick_with_javascript(page, "territory", "latin", "Latin America & Caribbean")
    pick_with_javascript(page, "language", "portug", "Portuguese (português)", keyboard=True)
    assert page.url == site.url + "/feed"
    # The open listbox passes axe too.
    page.fill("#picker-affiliation-q", "wiki")
    page.locator("#picker-affiliation-listbox [role=option]").first.wait_for()
    axe_check(page, "explore-typeahead-open")
    page.keyboard.press("Escape")
    assert page.get_attribute("#picker-affiliation-q", "aria-expanded") == "false"
    page.fill("#picker-affiliation-q", "")
    submit_filters(page)
    check_filter_walk(page, site)

    # The save toggle on a card: a POST that comes back to the same results (no script takes it
    # over), its state told by aria-pressed and the label, each button naming whom it saves.
    filtered = page.url
    with page.expect_navigation():
        save_toggle(page, "Beto Ramos").click()
    assert page.url == filtered
    saved = save_toggle(page, "Beto Ramos", saved=True)
    assert saved.get_attribute("aria-pressed") == "true"
    assert save_toggle(page, "Caio Prado").get_attribute("aria-pressed") == "false"
    with page.expect_navigation():
        saved.click()
    assert page.url == filtered
    assert save_toggle(page, "Beto Ramos").get_attribute("aria-pressed") == "false"

    # The pickers' search step, reached by a link, passes axe with the script on.
    page.goto("/feed?capacity_q=communic&picker_search=capacity")
    assert page.locator("#picker-capacity .picker__results input[type=checkbox]").count() == 3
    axe_check(page, "explore-search-step")
    assert not page.js_errors, page.js_errors


def test_done_when_a_link_finds_people_to_save(pages: Any, site: Site) -> None:
    """The issue's "Done when": open the link, save two of the people, find them in /feed/saved."""
    page = pages(viewport="phone")
    log_in(page, "Sara Saver")
    link = f"/feed?capacity={site.communication}&exchange=sharer&territory=LAC&language=pt"
    page.goto(link)
    assert page.url == site.url + link  # already canonical: no redirect
    assert card_names(page) == DONE_WHEN
    assert result_count(page) == "3 profiles"
    for name in ("Ana Souza", "Caio Prado"):
        with page.expect_navigation():
            save_toggle(page, name).click()
        assert page.url == site.url + link
        assert save_toggle(page, name, saved=True).get_attribute("aria-pressed") == "true"
    assert save_toggle(page, "Beto Ramos").get_attribute("aria-pressed") == "false"

    page.goto("/feed/saved")
    assert card_names(page) == ["Caio Prado", "Ana Souza"]  # most recently saved first
    assert page.get_by_role("link", name="View profile – Ana Souza").get_attribute("href") == "/profile/Ana_Souza"
    with page.expect_navigation():
        page.get_by_role("button", name="Remove – Caio Prado", exact=True).click()
    assert page.url == site.url + "/feed/saved"
    assert card_names(page) == ["Ana Souza"]

    page.goto(link)
    assert save_toggle(page, "Ana Souza", saved=True).is_visible()
    assert save_toggle(page, "Caio Prado").is_visible()
    # Links of the current platform (?capacityId=) lead to the same results under the new link.
    page.goto(f"/feed?capacityId={site.communication}&exchange=sharer&territory=LAC&language=pt")
    assert page.url == site.url + link and card_names(page) == DONE_WHEN

    # The list is private: someone else has an empty one, and no address shows Sara's.
    other = pages()
    log_in(other, "Otto Other")
    other.goto("/feed/saved?user=Sara_Saver")
    assert card_names(other) == []
    assert "You have not saved any profiles yet." in other.inner_text("main")
    assert not page.js_errors and not other.js_errors, (page.js_errors, other.js_errors)


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_organization_list(pages: Any, site: Site, javascript: bool) -> None:
    page = pages(viewport="desktop" if javascript else "phone", javascript=javascript)  # public: no login
    page.goto("/organization_list")
    assert card_names(page) == ORGANIZATIONS
    assert HIDDEN not in page.inner_text("main")
    assert result_count(page) == "3 organizations"

    # The name search finds an organization by any of its names; the card shows the English one.
    for text, expected in (("rede wiki", "Wiki Network Brazil"), ("CONOCIMIENTO", "Andes Knowledge Group")):
        page.fill("#explore-name", text)
        with page.expect_navigation():
            page.press("#explore-name", "Enter")
        assert query(page) == [("name", text)]
        assert card_names(page) == [expected]
        assert chip_labels(page) == [f"Name: {text}"]
    remove_chip(page, "Name: CONOCIMIENTO")
    assert page.url == site.url + "/organization_list" and card_names(page) == ORGANIZATIONS

    # A capacity finds what is under it (Press release is under Communication); the hidden
    # organization offers Press release too, and stays hidden.
    open_filters(page)
    pick = pick_with_javascript if javascript else pick_without_javascript
    pick(page, "capacity", "communic", "Communication")
    submit_filters(page)
    assert query(page) == [("capacity", str(site.communication))]
    assert card_names(page) == ["Nordic Archive Society", "Wiki Network Brazil"]  # Storytelling, Press release
    assert HIDDEN not in page.inner_text("main")
    # With an exchange type: Nordic Archive Society wants to learn Storytelling.
    page.check("input[name=exchange][value=learner]")
    submit_filters(page)
    assert query(page) == [("capacity", str(site.communication)), ("exchange", "learner")]
    assert card_names(page) == ["Nordic Archive Society"]
    assert chip_labels(page) == ["Communication", "Learners"]
    # A territory: a region includes its countries (Brazil is in Latin America), none wants to learn.
    pick(page, "territory", "latin", "Latin America & Caribbean")
    submit_filters(page)
    assert card_names(page) == [] and "No organizations match these filters." in page.inner_text("main")
    remove_chip(page, "Learners")
    assert card_names(page) == ["Wiki Network Brazil"]
    with page.expect_navigation():
        page.locator(".explore-active").get_by_role("link", name="Clear all").click()
    assert card_names(page) == ORGANIZATIONS
    assert not page.js_errors, page.js_errors


@pytest.fixture(scope="module")
def reader_session(browser: Any, site: Site) -> Any:
    """The cookies of a logged-in READER (one login for all the axe checks)."""
    page = open_page(browser, site.url)
    log_in(page, READER)
    state = page.context.storage_state()
    page.context.close()
    return state


#: Every language, theme and width meets every other one once (pairwise), so four runs cover them.
AXE_CASES = [("en", "light", "desktop"), ("en", "dark", "phone"), ("ar", "light", "phone"), ("ar", "dark", "desktop")]


@pytest.mark.parametrize(("lang", "theme", "viewport"), AXE_CASES)
def test_pages_pass_axe(browser: Any, site: Site, reader_session: Any, lang: str, theme: str, viewport: str) -> None:
    page = open_page(browser, site.url, viewport=viewport, theme=theme, storage_state=reader_session)
    try:
        # Explore with filters, their chips, a saved card and page links.
        page.goto(f"/feed?name=a&capacity={site.communication}&exchange=sharer&territory=LAC&uselang={lang}")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.inner_text("h1") == {"en": "Explore", "ar": "استكشف"}[lang]
        assert page.locator(".explore-active .chip").count() == 4
        assert page.locator(".explore-results .card").count() == PER_PAGE
        assert page.locator(".pagination").count() == 1
        assert page.locator(".save-toggle [aria-pressed=true]").count() == 1  # Ana Souza
        axe_check(page)
        # Saved people and organizations.
        page.goto(f"/feed/saved?uselang={lang}")
        assert page.locator(".explore-results .card").count() == 3
        axe_check(page)
        # The organization list with a filter.
        page.goto(f"/organization_list?capacity={site.communication}&uselang={lang}")
        assert page.locator(".explore-active .chip").count() == 1
        assert page.locator(".explore-results .card").count() == 2
        axe_check(page)
        assert not page.js_errors, page.js_errors
    finally:
        page.context.close()
