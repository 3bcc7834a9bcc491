"""The public organization list (/organization_list): visibility, name search, filters, pagination, cards."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import html_text
from tests.explore_helpers import card_names, ids, organization


@pytest.fixture()
def orgs(app: Any, make_user: Any) -> dict[str, int]:
    manager = make_user("Manager")
    return {
        "wmb": organization(app, {"en": "Wiki Movement Brazil", "pt-br": "Wiki Movimento Brasil"}, manager=manager,
                            available=["press-release"], known=["press-release"], territories=["BRA"],
                            logo="WMB_logo.svg", acronym="WMB"),
        "wmde": organization(app, {"en": "Wikimedia Germany", "de": "Wikimedia Deutschland"}, manager=manager,
                             wanted=["budgeting"], territories=["DEU"], acronym="WMDE"),
        "lac": organization(app, {"en": "Latin American Wikimedians"}, manager=manager, known=["communication"],
                            territories=["LAC"]),
        # no manager: hidden everywhere in the list
        "ghost": organization(app, {"en": "Ghost Wikimedians of Brazil"}, available=["press-release"],
                              territories=["BRA"]),
    }


def names(client: Any, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.headers.get("Location"))
    return card_names(html_text(response))


def test_public_and_only_organizations_with_a_manager(client: Any, orgs: dict[str, int]) -> None:
    assert names(client, "/organization_list") == ["Latin American Wikimedians", "Wiki Movement Brazil",
                                                    "Wikimedia Germany"]


@pytest.mark.parametrize(("query", "expected"), [
    # name in any of the organization's languages, ignoring case
    ("name=brazil", ["Wiki Movement Brazil"]),
    ("name=BRASIL", ["Wiki Movement Brazil"]),
    ("name=deutschland", ["Wikimedia Germany"]),
    ("name=ghost", []),
    # exchange types
    ("exchange=learner", ["Wikimedia Germany"]),
    ("exchange=sharer", ["Wiki Movement Brazil"]),
    ("exchange=proficient", ["Latin American Wikimedians", "Wiki Movement Brazil"]),
    # territories: regions include their countries
    ("territory=LAC", ["Latin American Wikimedians", "Wiki Movement Brazil"]),
    ("territory=BRA", ["Wiki Movement Brazil"]),
    ("territory=NWE", ["Wikimedia Germany"]),
])
def test_filters(client: Any, orgs: dict[str, int], query: str, expected: list[str]) -> None:
    assert names(client, f"/organization_list?{query}") == expected


@pytest.mark.parametrize(("code", "exchange", "expected"), [
    ("communication", "", ["Latin American Wikimedians", "Wiki Movement Brazil"]),  # Press release is under it
    ("communication", "&exchange=sharer", ["Wiki Movement Brazil"]),
    ("organisational-skills", "", ["Wikimedia Germany"]),  # Budgeting, two levels down
    ("organisational-skills", "&exchange=sharer", []),
    ("press-release", "&territory=LAC", ["Wiki Movement Brazil"]),
])
def test_capacity_filter_with_descendants(app: Any, client: Any, orgs: dict[str, int], code: str, exchange: str,
                                          expected: list[str]) -> None:
    (capacity,) = ids(app, "capacity", code)
    assert names(client, f"/organization_list?capacity={capacity}{exchange}") == expected


def test_name_in_the_interface_language_with_english_fallback(client: Any, orgs: dict[str, int]) -> None:
    html = html_text(client.get("/organization_list?uselang=pt-br"))
    assert "Wiki Movimento Brasil" in html
    assert "Wikimedia Germany" in html  # no Portuguese name: English
    assert "Wikimedia Deutschland" not in html


def test_cards_show_logo_tags_capacities_territory_and_link(client: Any, orgs: dict[str, int]) -> None:
    html = html_text(client.get("/organization_list?name=brazil"))
    assert "https://commons.wikimedia.org/wiki/Special:FilePath/WMB_logo.svg?width=128" in html
    assert '<span class="tag tag--sharer">Sharer</span>' in html
    assert "Press release" in html and "Brazil" in html
    assert f'href="/organization_profile/{orgs["wmb"]}"' in html
    assert "Save" not in html.split('explore-results"')[1]  # no save toggles for anonymous visitors


def test_logged_in_visitors_get_save_toggles(client: Any, orgs: dict[str, int], make_user: Any, login: Any) -> None:
    login(client, make_user("Reader"))
    html = html_text(client.get("/organization_list?name=brazil"))
    assert f'action="/saved/organization/{orgs["wmb"]}"' in html
    # Regression: the toggle said only "Save"; with many cards, screen readers need to hear whose.
    assert 'Save<span class="visually-hidden">: Wiki Movement Brazil</span>' in html


def test_form_submission_and_legacy_links_redirect_to_canonical(app: Any, client: Any, orgs: dict[str, int]) -> None:
    (communication,) = ids(app, "capacity", "communication")
    (lac,) = ids(app, "territory", "LAC")
    response = client.get("/organization_list", query_string=[
        ("name", ""), ("capacity__present", "1"), ("capacityId", str(communication)), ("territory", str(lac)),
        ("territory_q", "")])
    assert response.headers["Location"] == f"/organization_list?capacity={communication}&territory=LAC"


def test_pagination(client: Any, orgs: dict[str, int], monkeypatch: Any, app: Any) -> None:
    monkeypatch.setitem(app.config, "CAPX_EXPLORE_PER_PAGE", 2)
    first = html_text(client.get("/organization_list"))
    assert card_names(first) == ["Latin American Wikimedians", "Wiki Movement Brazil"]
    assert "3 organizations" in first
    assert 'href="/organization_list?page=2"' in first
    assert names(client, "/organization_list?page=2") == ["Wikimedia Germany"]
    assert client.get("/organization_list?page=5").headers["Location"] == "/organization_list?page=2"


def test_chips_and_clear_all(app: Any, client: Any, orgs: dict[str, int]) -> None:
    html = html_text(client.get("/organization_list?name=wiki&territory=LAC"))
    assert 'href="/organization_list?territory=LAC"' in html  # removes the name
    assert 'href="/organization_list?name=wiki"' in html  # removes the territory
    assert 'href="/organization_list">' in html  # clear all


def test_the_exact_count_up_to_ten_thousand(app: Any, client: Any, make_user: Any, monkeypatch: Any) -> None:
    """Issue 18: the organization list says exactly how many organizations match up to 10,000 (it
    used to stop at "more than 100"), and "more than 10,000" beyond."""
    from capx.extensions import db
    from capx.models import Organization, OrganizationManager, OrganizationName
    from capx.services.explore import search

    manager = make_user("Many Orgs Manager")
    with app.app_context():
        for i in range(130):
            org = Organization()
            db.session.add(org)
            db.session.flush()
            db.session.add_all([OrganizationName(organization_id=org.id, lang="en", name=f"Org {i:03d}"),
                                OrganizationManager(organization_id=org.id, user_id=manager.id)])
        db.session.commit()
    assert "130 organizations" in html_text(client.get("/organization_list"))
    assert "10 organizations" in html_text(client.get("/organization_list?name=Org 12"))
    monkeypatch.setattr(search, "ORGANIZATION_COUNT_CAP", 120)
    assert "More than 120 organizations" in html_text(client.get("/organization_list"))
