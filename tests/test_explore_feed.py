"""Explore (/feed): every filter alone and combined, region semantics, descendants, pagination, links."""

from __future__ import annotations

from typing import Any

import pytest
from flask import request

from capx.extensions import db
from capx.forms.explore import read_profile_filters
from capx.services import explore as service
from capx.services.capacities import capacity_tree
from capx.services.explore import planner, search
from tests.conftest import html_text, statements_run
from tests.explore_helpers import card_names, ids, organization, person


@pytest.fixture()
def viewer(app: Any, make_user: Any, login: Any, client: Any) -> Any:
    """A logged-in user without capacities (so not in the results unless incomplete ones are asked for)."""
    user = make_user("Viewer")
    login(client, user)
    return user


@pytest.fixture()
def people(app: Any, make_user: Any, viewer: Any) -> dict[str, Any]:
    """A small population; the minute numbers fix the "newest first" order (higher = newer)."""
    wmb = organization(app, {"en": "Wiki Movement Brazil"}, acronym="WMB")
    return {
        "wmb": wmb,
        # offers Press release (child of Communication) in Brazil, speaks Portuguese
        "Ana": person(app, make_user, "Ana Souza", known=["press-release"], available=["press-release"],
                      territories=["BRA"], languages=[("pt", 6)], affiliations=[wmb], minutes=50),
        # wants Communication itself, in the LAC region (no country), speaks Spanish
        "Bruno": person(app, make_user, "Bruno Lima", wanted=["communication"], territories=["LAC"],
                        languages=[("es", 4), ("pt", 0)], minutes=40),
        # knows Budgeting (grandchild of Organisational skills) in Germany
        "Carla": person(app, make_user, "Carla Weber", known=["budgeting"], territories=["DEU"],
                        languages=[("en", 3)], minutes=30, alt="CarlaAlt"),
        # offers Budgeting and Social media in Argentina, speaks Portuguese (basic)
        "Dayo": person(app, make_user, "Dayo Okafor", known=["budgeting", "social-media"],
                       available=["budgeting", "social-media"], territories=["ARG"], languages=[("pt", 1)],
                       minutes=20),
        # no capacity at all: incomplete
        "Eun": person(app, make_user, "Eun Kim", territories=["BRA"], languages=[("pt", 5)], minutes=60),
        # locked: never shown
        "Farah": person(app, make_user, "Farah Locked", known=["press-release"], available=["press-release"],
                        territories=["BRA"], languages=[("pt", 6)], minutes=70, locked=True),
    }


def refresh(app: Any) -> None:
    """Run the statistics job (Explore then estimates its filters from the stored counts)."""
    from capx.services.statistics import forget_filter_value_counts, refresh_statistics

    with app.app_context():
        refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
        db.session.remove()
    forget_filter_value_counts()


def names(client: Any, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.headers.get("Location"))
    return card_names(html_text(response))


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    response = client.get("/feed?capacity=1")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_no_filter_lists_complete_profiles_newest_first(client: Any, people: dict[str, Any]) -> None:
    assert names(client, "/feed") == ["Ana Souza", "Bruno Lima", "Carla Weber", "Dayo Okafor"]


def test_include_incomplete_adds_profiles_without_capacities(client: Any, people: dict[str, Any]) -> None:
    got = names(client, "/feed?include_incomplete=1")
    # the viewer's profile was just created: the newest
    assert got == ["Viewer", "Eun Kim", "Ana Souza", "Bruno Lima", "Carla Weber", "Dayo Okafor"]
    assert "Farah Locked" not in got


@pytest.mark.parametrize(("query", "expected"), [
    # name: substring of the user name or alternative account, ignoring case
    ("name=souza", ["Ana Souza"]),
    ("name=SOUZA", ["Ana Souza"]),
    ("name=a", ["Ana Souza", "Bruno Lima", "Carla Weber", "Dayo Okafor"]),
    ("name=carlaalt", ["Carla Weber"]),
    ("name=%25", []),  # "%" is a character, not a wildcard
    ("name=locked", []),  # locked users never appear
    # exchange alone: anyone with a capacity of that kind
    ("exchange=learner", ["Bruno Lima"]),
    ("exchange=sharer", ["Ana Souza", "Dayo Okafor"]),
    ("exchange=proficient", ["Ana Souza", "Carla Weber", "Dayo Okafor"]),
    ("exchange=learner&exchange=sharer", ["Ana Souza", "Bruno Lima", "Dayo Okafor"]),
    # territory: a region matches itself and its countries; a country only itself
    ("territory=LAC", ["Ana Souza", "Bruno Lima", "Dayo Okafor"]),
    ("territory=BRA", ["Ana Souza"]),
    ("territory=ARG&territory=DEU", ["Carla Weber", "Dayo Okafor"]),
    ("territory=NWE", ["Carla Weber"]),
    ("territory=NA", []),
    # language: "not proficient" (0) does not count
    ("language=pt", ["Ana Souza", "Dayo Okafor"]),
    ("language=es", ["Bruno Lima"]),
    ("language=en&language=es", ["Bruno Lima", "Carla Weber"]),
    # include incomplete profiles with another filter
    ("territory=BRA&include_incomplete=1", ["Eun Kim", "Ana Souza"]),
])
def test_single_filters(client: Any, people: dict[str, Any], query: str, expected: list[str]) -> None:
    assert names(client, f"/feed?{query}") == expected


def test_affiliation_filter(client: Any, people: dict[str, Any]) -> None:
    assert names(client, f"/feed?affiliation={people['wmb']}") == ["Ana Souza"]


@pytest.mark.parametrize(("codes", "exchange", "expected"), [
    # a capacity finds itself and every descendant, never its ancestors
    (["communication"], [], ["Ana Souza", "Bruno Lima", "Dayo Okafor"]),
    (["press-release"], [], ["Ana Souza"]),
    (["organisational-skills"], [], ["Carla Weber", "Dayo Okafor"]),  # grandchild Budgeting
    (["finance"], [], ["Carla Weber", "Dayo Okafor"]),
    (["budgeting"], [], ["Carla Weber", "Dayo Okafor"]),
    # in the chosen exchange types only
    (["communication"], ["sharer"], ["Ana Souza", "Dayo Okafor"]),
    (["communication"], ["learner"], ["Bruno Lima"]),
    (["budgeting"], ["sharer"], ["Dayo Okafor"]),
    (["budgeting"], ["proficient"], ["Carla Weber", "Dayo Okafor"]),
    (["press-release"], ["learner"], []),
    # several capacities: any of them
    (["press-release", "budgeting"], ["sharer"], ["Ana Souza", "Dayo Okafor"]),
])
def test_capacity_filter_with_descendants(app: Any, client: Any, people: dict[str, Any], codes: list[str],
                                          exchange: list[str], expected: list[str]) -> None:
    query = "&".join([f"capacity={i}" for i in ids(app, "capacity", *codes)] + [f"exchange={e}" for e in exchange])
    assert names(client, f"/feed?{query}") == expected


@pytest.mark.parametrize("shape", ["walk", "drive", "statistics"])
@pytest.mark.parametrize(("query", "expected"), [
    ("capacity={communication}&exchange=sharer&territory=LAC&language=pt", ["Ana Souza", "Dayo Okafor"]),
    ("capacity={communication}&exchange=sharer&territory=BRA&language=pt", ["Ana Souza"]),
    ("capacity={communication}&territory=LAC&language=es", ["Bruno Lima"]),
    ("capacity={finance}&territory=LAC", ["Dayo Okafor"]),
    ("name=o&territory=LAC&exchange=sharer", ["Ana Souza", "Dayo Okafor"]),
    ("affiliation={wmb}&language=es", []),
])
def test_combined_filters_in_both_query_shapes(app: Any, client: Any, people: dict[str, Any], monkeypatch: Any,
                                               shape: str, query: str, expected: list[str]) -> None:
    """The same answers whether a filter drives the query from its index or the date index is walked,
    and whether the plan is chosen from live counts or from the statistics job's."""
    if shape == "walk":
        monkeypatch.setattr(planner, "choose_driver", lambda *_args: None)
    elif shape == "drive":
        monkeypatch.setattr(planner, "SELECTIVE", 10_000)
    else:
        refresh(app)
    communication, finance = ids(app, "capacity", "communication", "finance")
    url = "/feed?" + query.format(communication=communication, finance=finance, wmb=people["wmb"])
    assert names(client, url) == expected


@pytest.mark.parametrize("listed", [True, False])
@pytest.mark.parametrize("query", ["", "name=a", "territory=BRA", "include_incomplete=1"])
def test_locked_people_are_left_out_by_list_or_by_join(client: Any, people: dict[str, Any], monkeypatch: Any,
                                                       listed: bool, query: str) -> None:
    """Locked accounts are listed by id when few, joined from ``user`` when many: same answers."""
    if not listed:
        monkeypatch.setattr(planner, "LOCKED_LIST_MAX", 0)
    got = names(client, f"/feed?{query}")
    assert got and "Farah Locked" not in got


def test_old_capacity_id_links_keep_working(app: Any, client: Any, people: dict[str, Any]) -> None:
    (communication,) = ids(app, "capacity", "communication")
    response = client.get(f"/feed?capacityId={communication}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/feed?capacity={communication}"
    assert names(client, response.headers["Location"]) == ["Ana Souza", "Bruno Lima", "Dayo Okafor"]


def test_a_submitted_form_redirects_to_the_canonical_link(app: Any, client: Any, people: dict[str, Any]) -> None:
    (communication,) = ids(app, "capacity", "communication")
    (lac,) = ids(app, "territory", "LAC")
    (pt,) = ids(app, "language", "pt")
    response = client.get("/feed", query_string=[
        ("name", ""), ("capacity__present", "1"), ("capacity", str(communication)), ("capacity_q", ""),
        ("exchange", "sharer"), ("territory__present", "1"), ("territory", str(lac)), ("territory_q", ""),
        ("affiliation__present", "1"), ("affiliation_q", ""), ("language__present", "1"), ("language", str(pt)),
        ("language_q", ""), ("show", "wanted"), ("show", "available")])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/feed?capacity={communication}&exchange=sharer&territory=LAC&language=pt"


@pytest.mark.parametrize(("query", "canonical"), [
    ("capacity=999999", "/feed"),
    ("capacity=abc&territory=XXX&language=zz-unknown&exchange=nobody&affiliation=999999", "/feed"),
    ("page=1", "/feed"),
    ("page=0", "/feed"),
    ("page=abc", "/feed"),
    ("show=wanted&show=available", "/feed"),
    ("territory=LAC&territory=LAC", "/feed?territory=LAC"),
])
def test_unknown_and_default_values_are_dropped_from_links(client: Any, people: dict[str, Any], query: str,
                                                           canonical: str) -> None:
    response = client.get(f"/feed?{query}")
    assert response.status_code == 302
    assert response.headers["Location"] == canonical


def test_canonical_links_round_trip(app: Any, client: Any, people: dict[str, Any]) -> None:
    """A canonical link answers 200 directly, and the chips' and pagination's links are canonical too."""
    (communication,) = ids(app, "capacity", "communication")
    url = f"/feed?name=a&capacity={communication}&exchange=sharer&territory=LAC&language=pt&show=known"
    response = client.get(url)
    assert response.status_code == 200
    html = html_text(response)
    for link in (f"/feed?capacity={communication}&amp;exchange=sharer&amp;territory=LAC&amp;language=pt&amp;show=known",
                 f"/feed?name=a&amp;capacity={communication}&amp;territory=LAC&amp;language=pt&amp;show=known",
                 f"/feed?name=a&amp;capacity={communication}&amp;exchange=sharer&amp;language=pt&amp;show=known"):
        assert f'href="{link}"' in html
        assert client.get(link.replace("&amp;", "&")).status_code == 200
    assert 'href="/feed?show=known">' in html  # "Clear all" keeps the display toggles


def test_chips_name_every_active_filter(app: Any, client: Any, people: dict[str, Any]) -> None:
    (communication,) = ids(app, "capacity", "communication")
    html = html_text(client.get(f"/feed?name=souza&capacity={communication}&exchange=learner&territory=LAC"
                                f"&affiliation={people['wmb']}&language=pt&include_incomplete=1"))
    for label in ("Name: souza", "Communication", "Learners", "Latin America", "Wiki Movement Brazil", "Portuguese",
                  "Include incomplete profiles"):
        assert f"Remove filter: {label}" in html


def test_enter_in_a_picker_box_searches_it(client: Any, people: dict[str, Any]) -> None:
    """Without JavaScript, Enter in the territory box (the hidden first button) shows its
    candidates instead of applying the filters and dropping the typed text."""
    response = client.get("/feed?picker_search=_enter&name=&capacity__present=1&capacity_q="
                          "&territory__present=1&territory_q=brazil")
    assert response.status_code == 200
    html = html_text(response)
    assert 'name="territory" value="' in html.split('id="picker-territory"')[1].split("</fieldset>")[0]
    # Enter with every box empty applies the filters (the canonical link, without the helper fields).
    response = client.get("/feed?picker_search=_enter&name=ana&capacity__present=1&capacity_q=")
    assert response.status_code == 302 and response.headers["Location"].endswith("/feed?name=ana")


def test_no_js_picker_search_step_shows_candidates(client: Any, people: dict[str, Any]) -> None:
    response = client.get("/feed?territory=LAC&picker_search=territory&territory_q=brazil")
    assert response.status_code == 200
    html = html_text(response)
    assert 'name="territory"' in html and "Brazil" in html
    assert "Tick what you want to add" in html
    assert card_names(html) == ["Ana Souza", "Bruno Lima", "Dayo Okafor"]


def test_display_toggles_choose_the_capacities_on_cards(client: Any, people: dict[str, Any]) -> None:
    default = html_text(client.get("/feed?name=bruno"))
    assert "Wants to learn" in default and "Knows" not in default
    known_only = html_text(client.get("/feed?name=carla&show=known"))
    assert "Knows" in known_only and "Budgeting" in known_only
    hidden = html_text(client.get("/feed?name=carla"))
    assert "Budgeting" not in hidden  # Carla only knows it: not shown by default


def test_cards_show_tags_languages_territory_and_links(client: Any, people: dict[str, Any]) -> None:
    html = html_text(client.get("/feed?name=ana"))
    assert '<span class="tag tag--sharer">Sharer</span>' in html
    assert '<span class="tag tag--proficient">Proficient</span>' in html
    assert "tag--learner" not in html
    assert "Brazil" in html and "Portuguese" in html
    assert 'href="/profile/Ana_Souza"' in html
    assert "<bdi>Ana Souza</bdi>" in html
    assert f'action="/saved/profile/{people["Ana"].id}"' in html


def test_save_from_a_card_marks_it_saved(client: Any, people: dict[str, Any]) -> None:
    target = people["Ana"].id
    response = client.post(f"/saved/profile/{target}", data={"action": "save", "next": "/feed?name=ana"})
    assert response.headers["Location"] == "/feed?name=ana"
    html = html_text(client.get("/feed?name=ana"))
    assert 'aria-pressed="true"' in html


def test_save_toggles_on_cards_say_whom_they_save(client: Any, people: dict[str, Any]) -> None:
    """Regression: every card's toggle was a bare "Save", a row of identical buttons for screen readers."""
    client.post(f"/saved/profile/{people['Bruno'].id}", data={"action": "save"})
    html = html_text(client.get("/feed?territory=LAC"))
    assert 'Save<span class="visually-hidden">: <bdi>Ana Souza</bdi></span>' in html
    assert 'Saved (remove)<span class="visually-hidden">: <bdi>Bruno Lima</bdi></span>' in html
    assert html.count('class="visually-hidden">: <bdi>') == len(card_names(html)) == 3


def test_no_results_message(client: Any, people: dict[str, Any]) -> None:
    html = html_text(client.get("/feed?name=nobody-has-this-name"))
    assert "No profiles match these filters." in html
    assert card_names(html) == []


# -- pagination ------------------------------------------------------------------------------------

@pytest.fixture()
def per_page_2(app: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "CAPX_EXPLORE_PER_PAGE", 2)


def test_pages_split_results_and_keep_filters(client: Any, people: dict[str, Any], per_page_2: None) -> None:
    first = html_text(client.get("/feed?territory=LAC"))
    assert card_names(first) == ["Ana Souza", "Bruno Lima"]
    assert 'href="/feed?territory=LAC&amp;page=2"' in first
    assert "3 profiles" in first
    second = client.get("/feed?territory=LAC&page=2")
    assert card_names(html_text(second)) == ["Dayo Okafor"]
    assert 'href="/feed?territory=LAC"' in html_text(second)  # page 1 has no page parameter


def test_a_page_past_the_end_goes_to_the_last_page(client: Any, people: dict[str, Any], per_page_2: None) -> None:
    response = client.get("/feed?territory=LAC&page=9")
    assert response.status_code == 302
    assert response.headers["Location"] == "/feed?territory=LAC&page=2"


def test_a_page_past_the_end_of_nothing_goes_to_page_one(client: Any, people: dict[str, Any]) -> None:
    response = client.get("/feed?territory=NA&page=3")
    assert response.headers["Location"] == "/feed?territory=NA"


def test_exactly_one_full_page_has_no_pagination(client: Any, people: dict[str, Any], per_page_2: None) -> None:
    html = html_text(client.get("/feed?language=pt"))
    assert card_names(html) == ["Ana Souza", "Dayo Okafor"]
    assert 'class="pagination"' not in html


def test_capped_count_says_more_than(client: Any, people: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setitem(client.application.config, "CAPX_EXPLORE_PER_PAGE", 1)
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    # cap = max(1, 1 + 4) = 5; six profiles with include_incomplete exceed it
    html = html_text(client.get("/feed?include_incomplete=1"))
    assert "More than 5 profiles" in html
    assert 'href="/feed?include_incomplete=1&amp;page=5"' in html
    deep = client.get("/feed?include_incomplete=1&page=6")
    assert deep.status_code == 200  # counting goes further for deeper pages
    assert card_names(html_text(deep)) == ["Dayo Okafor"]


def test_no_js_affiliation_search_offers_organizations(client: Any, people: dict[str, Any]) -> None:
    html = html_text(client.get("/feed?picker_search=affiliation&affiliation_q=movement"))
    assert f'name="affiliation" value="{people["wmb"]}"' in html
    assert "Wiki Movement Brazil" in html


@pytest.mark.parametrize("lang", ["pt-br", "ar", "qqx"])
def test_pages_render_in_every_interface_language(client: Any, people: dict[str, Any], lang: str) -> None:
    for url in (f"/feed?territory=LAC&uselang={lang}", f"/feed/saved?uselang={lang}",
                f"/organization_list?uselang={lang}"):
        response = client.get(url)
        assert response.status_code == 200, url


def test_name_search_ignores_accents_and_follows_renames_and_alt_accounts(app: Any, make_user: Any, viewer: Any,
                                                                          client: Any) -> None:
    """The folded copy of the names (Profile.search_name) follows every change made through the ORM."""
    from capx.extensions import db
    from capx.models import Profile, User

    person(app, make_user, "José Müller", known=["budgeting"], minutes=10)
    assert names(client, "/feed?name=jose+muller") == ["José Müller"]
    assert names(client, "/feed?name=MÜLL") == ["José Müller"]
    assert names(client, "/feed?name=jos%C3%A9%0Amuller") == ["José Müller"]  # whitespace runs are one space
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "José Müller"))
        user.username = "Renamed Person"  # a global rename applied by sync-accounts
        db.session.commit()
    assert names(client, "/feed?name=muller") == []
    assert names(client, "/feed?name=renamed") == ["Renamed Person"]
    with app.app_context():
        profile = db.session.scalar(db.select(Profile).join(User).where(User.username == "Renamed Person"))
        profile.alt_account = "Ålternative"
        db.session.commit()
        assert profile.search_name == "renamed person\nalternative"
    assert names(client, "/feed?name=alternat") == ["Renamed Person"]
    assert names(client, "/feed?name=person%0Aalt") == []  # never across the two names


@pytest.mark.parametrize(("estimates", "profiles", "expected"), [
    ([2_500], 1_000_000, 0),                   # few rows: always drive
    ([17_680], 1_000_000, 0),                  # one filter of 1.8 %: 17,680 rows beat ~6,800 profiles walked
    ([60_000], 1_000_000, None),               # one filter of 6 %: past the cap, walk (~2,000 profiles)
    ([5_500], 100_000, 0),                     # 5.5 %: 5,500 rows beat ~1,840 profiles walked (x 3.5)
    ([9_000], 100_000, None),                  # 9 %: ~1,350 profiles walked beat 9,000 rows
    ([17_680, 20_001, 20_001], 1_000_000, 0),  # three together: the walk would read over a million
    ([20_001, 20_001], 1_000_000, None),       # every filter broad: walk
    ([9_000, 4_000], 100_000, 1),              # the most selective one drives
])
def test_choose_driver_weighs_reading_the_filter_against_walking(estimates: list[int], profiles: int,
                                                                 expected: int | None) -> None:
    assert service.choose_driver(estimates, profiles, 101) == expected


@pytest.mark.parametrize(("estimate", "kept", "profiles", "expected"), [
    (4_493, None, 100_000, None),       # "silva": ~2,250 index entries walked beat 4,493 gram rows
    (2_909, None, 100_000, None),       # "lena": under SELECTIVE, and still the walk is cheaper
    (2_000, None, 100_000, 0),          # rare enough: drive
    (45_000, None, 1_000_000, None),    # past the cap: walk
    (2_909, 132, 100_000, 0),           # "lena costa": both words together keep ~130 profiles: drive
    (29_000, 1_300, 1_000_000, None),   # the same at a million: past the cap, walk
])
def test_a_name_alone_is_walked_unless_rare(estimate: int, kept: int | None, profiles: int,
                                            expected: int | None) -> None:
    """The name is checked in the walk index's entry, so walking costs less than driving its grams."""
    assert service.choose_driver([estimate], profiles, 101, service.NAME_WALK_COST,
                                 None if kept is None else [kept]) == expected


def test_estimates_come_from_the_statistics_without_a_query(app: Any, client: Any, people: dict[str, Any]) -> None:
    """Once the job has counted, a filter's estimate is the sum of its values' stored counts (the
    region's countries, the capacity's descendants in the chosen kinds), and no counting query runs."""
    communication, = ids(app, "capacity", "communication")
    refresh(app)
    url = f"/feed?capacity={communication}&exchange=sharer&territory=LAC&language=pt"
    with app.test_request_context(url):
        tree = capacity_tree(["en"])
        filters = read_profile_filters(request.args, tree)
        estimates, profiles = planner._estimates(planner._link_filters(filters, tree))
    # sharers of Communication or its descendants: Ana (press release) and Dayo (social media);
    # the locked Farah is not counted. LAC and its countries: Ana, Bruno, Dayo, Eun, Farah.
    # Portuguese, any level (the dashboard's figure): Ana, Bruno, Dayo, Eun.
    assert estimates == [2, 5, 4]
    assert profiles == 6  # unlocked users: the five unlocked people and the viewer
    with statements_run(app) as statements:
        assert names(client, url) == ["Ana Souza", "Dayo Okafor"]
    # the page's own count rides on its ids query (SELECT profile.id, count ...); no other count runs
    assert not any("count(*)" in s.lower() and not s.startswith("SELECT profile.id") for s in statements)
