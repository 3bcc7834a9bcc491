"""The Data Analytics dashboard on hand-built data with known answers: totals, region roll-up,
languages and capacities by region, learners and sharers per category, CSV, and the map."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Capacity, Language, MessageLog, Organization, OrganizationManager,
                         OrganizationName, ProfileCapacity, ProfileLanguage, ProfileTerritory, Territory, User,
                         utcnow)
from capx.services import statistics as stats
from tests.conftest import html_text, statements_run


def _ids(model: Any, column: Any, values: list[str]) -> dict[str, int]:
    return dict(db.session.execute(sa.select(column, model.id).where(column.in_(values))).all())


@pytest.fixture()
def world(app, make_user) -> dict[str, Any]:
    """Five people, one of them locked, in known places with known languages and capacities."""
    ana, bruno, chidi, locked, dana = (make_user(n) for n in ("Ana", "Bruno", "Chidi", "Locked", "Dana"))
    with app.app_context():
        t = _ids(Territory, Territory.code, ["LAC", "BRA", "ARG", "NGA", "SSA", "NWE"])
        lang = _ids(Language, Language.code, ["en", "pt-br", "es", "yo"])
        roots = list(db.session.scalars(sa.select(Capacity).where(Capacity.parent_id.is_(None)).order_by(Capacity.position)))
        r1, r2 = roots[0].id, roots[1].id
        children = list(db.session.scalars(sa.select(Capacity.id).where(Capacity.parent_id == r1).order_by(Capacity.id)))
        c1, c2, c4 = children[:3]
        c3 = db.session.scalar(sa.select(Capacity.id).where(Capacity.parent_id == r2).order_by(Capacity.id))
        pid = {u.username: db.session.scalar(sa.select(User).where(User.id == u.id)).profile.id
               for u in (ana, bruno, chidi, locked, dana)}
        old = utcnow() - dt.timedelta(days=100)
        db.session.execute(sa.update(User).where(User.id.in_([chidi.id, dana.id])).values(created_at=old))
        db.session.execute(sa.update(User).where(User.id == locked.id).values(is_locked=True))
        rows = [
            # Ana lists both Brazil and its region: she counts once for LAC.
            ProfileTerritory(profile_id=pid["Ana"], territory_id=t["BRA"], position=0),
            ProfileTerritory(profile_id=pid["Ana"], territory_id=t["LAC"], position=1),
            ProfileTerritory(profile_id=pid["Bruno"], territory_id=t["ARG"]),
            ProfileTerritory(profile_id=pid["Chidi"], territory_id=t["NGA"]),
            ProfileTerritory(profile_id=pid["Locked"], territory_id=t["BRA"]),
            ProfileLanguage(profile_id=pid["Ana"], language_id=lang["pt-br"]),
            ProfileLanguage(profile_id=pid["Ana"], language_id=lang["en"], position=1),
            ProfileLanguage(profile_id=pid["Bruno"], language_id=lang["es"]),
            ProfileLanguage(profile_id=pid["Chidi"], language_id=lang["en"]),
            ProfileLanguage(profile_id=pid["Chidi"], language_id=lang["yo"], position=1),
            ProfileLanguage(profile_id=pid["Locked"], language_id=lang["pt-br"]),
            ProfileLanguage(profile_id=pid["Dana"], language_id=lang["en"]),
            ProfileCapacity(profile_id=pid["Ana"], capacity_id=c1, kind=KNOWN),
            ProfileCapacity(profile_id=pid["Ana"], capacity_id=c1, kind=AVAILABLE),
            ProfileCapacity(profile_id=pid["Ana"], capacity_id=c2, kind=WANTED),
            ProfileCapacity(profile_id=pid["Ana"], capacity_id=c4, kind=WANTED),
            ProfileCapacity(profile_id=pid["Bruno"], capacity_id=c1, kind=KNOWN),
            ProfileCapacity(profile_id=pid["Bruno"], capacity_id=c3, kind=WANTED),
            ProfileCapacity(profile_id=pid["Chidi"], capacity_id=c2, kind=KNOWN),
            ProfileCapacity(profile_id=pid["Chidi"], capacity_id=c2, kind=AVAILABLE),
            ProfileCapacity(profile_id=pid["Locked"], capacity_id=c1, kind=KNOWN),
            MessageLog(sender_id=ana.id, recipient_username="Bruno", method="email", status="sent"),
            MessageLog(sender_id=ana.id, recipient_username="Chidi", method="talk", status="sent"),
            MessageLog(sender_id=bruno.id, recipient_username="Ana", method="email", status="failed"),
        ]
        db.session.add_all(rows)
        for n, managers in enumerate(([ana.id], [bruno.id, chidi.id], [])):
            org = Organization(acronym=f"O{n}")
            db.session.add(org)
            db.session.flush()
            db.session.add(OrganizationName(organization_id=org.id, lang="en", name=f"Org {n}"))
            db.session.add_all(OrganizationManager(organization_id=org.id, user_id=u) for u in managers)
        db.session.commit()
        countries_in_lac = db.session.scalar(sa.select(sa.func.count()).select_from(Territory)
                                             .where(Territory.parent_id == t["LAC"]))
        capacities = db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))
    return {"ana": ana, "t": t, "lang": lang, "c1": c1, "c2": c2, "c3": c3, "c4": c4, "r1": r1, "r2": r2,
            "countries_in_lac": countries_in_lac, "capacities": capacities}


def test_statistics_known_answers(app, world) -> None:
    t, lang = world["t"], world["lang"]
    with app.app_context():
        stats.refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
        overview = stats.overview()
        assert overview.totals == {"users": 4, "new-users": 2, "messages-sent": 2, "organizations": 2,
                                   "capacities": world["capacities"]}
        # Region roll-up: countries count for their region, each person once.
        assert overview.region_users == {t["LAC"]: 2, t["SSA"]: 1}
        assert overview.region_countries[t["LAC"]] == world["countries_in_lac"]
        assert stats.language_by_region(lang["en"]) == ({t["LAC"]: 1, t["SSA"]: 1}, 3)
        assert stats.language_by_region(lang["pt-br"]) == ({t["LAC"]: 1}, 1)  # the locked user is left out
        assert stats.capacity_by_region(world["c1"], KNOWN) == ({t["LAC"]: 2}, 2)
        assert stats.capacity_by_region(world["c1"], AVAILABLE) == ({t["LAC"]: 1}, 1)
        assert stats.capacity_by_region(world["c1"], "all") == ({t["LAC"]: 2}, 2)
        assert stats.capacity_by_region(world["c2"], "all") == ({t["LAC"]: 1, t["SSA"]: 1}, 2)
        assert stats.capacity_by_region(world["c2"], WANTED) == ({t["LAC"]: 1}, 1)
        # Learners and sharers per root category, each person once per category.
        assert overview.root_learners == {world["r1"]: 1, world["r2"]: 1}
        assert overview.root_sharers == {world["r1"]: 2}
        assert stats.top_languages(t["LAC"]) == sorted([(lang["en"], 1), (lang["pt-br"], 1), (lang["es"], 1)],
                                                       key=lambda x: x[0])
        top = stats.top_capacities(t["LAC"])
        assert top[0] == {"capacity_id": world["c1"], "all": 2, KNOWN: 2, AVAILABLE: 1, WANTED: 0}


@pytest.mark.parametrize("values, classes, legend", [
    ({"a": 0, "b": 1, "c": 5, "d": 8}, {"a": 0, "b": 1, "c": 3, "d": 4}, [(1, 1, 2), (2, 3, 4), (3, 5, 6), (4, 7, 8)]),
    ({"a": 1, "b": 2}, {"a": 2, "b": 4}, [(2, 1, 1), (4, 2, 2)]),
    ({"a": 0, "b": 0}, {"a": 0, "b": 0}, []),
    ({"a": 100, "b": 25, "c": 26}, {"a": 4, "b": 1, "c": 2}, [(1, 1, 25), (2, 26, 50), (3, 51, 75), (4, 76, 100)]),
])
def test_density_classes(values: dict[str, int], classes: dict[str, int], legend: list[tuple[int, int, int]]) -> None:
    assert stats.density_classes(values) == (classes, legend)


def test_dashboard_page(app, client, login, world) -> None:
    login(client, world["ana"])
    # No refresh beforehand: the page computes the figures when there are none.
    text = html_text(client.get("/data_analytics_dashboard?region=LAC"))
    assert 'class="data-total__value">4<' in text and 'class="data-total__value">2<' in text
    card = text.split('id="region-card"')[1].split("</section>")[0]
    assert "Latin America" in card and f"<dd>{world['countries_in_lac']}</dd>" in card and "<dd>2</dd>" in card
    assert "Portuguese (Brazil) (1)" in card and "Spanish (1)" in card
    assert "2 known, 1 available, 0 wanted" in card
    # Every region is a focusable link with a title; the selected one is marked.
    assert text.count('class="data-map__region') == 8
    assert "<title>Latin America &amp; Caribbean: 2</title>" in text
    assert ('href="/data_analytics_dashboard?region=LAC#region-card" '
            'class="data-map__region data-map__region--selected" aria-current="true"') in text
    # The table equivalent to the map.
    assert "The map as a table" in text
    assert 'transform="rotate(180' not in text


def test_south_up_and_tabs(client, login, world) -> None:
    login(client, world["ana"])
    south = html_text(client.get("/data_analytics_dashboard?orient=south"))
    assert south.count('transform="rotate(180 500 250)"') == 8 and "Show the map north up" in south
    languages = html_text(client.get(f"/data_analytics_dashboard?tab=languages&language={world['lang']['en']}"))
    assert "Speakers of English by territory" in languages and 'aria-current="page">Languages' in languages
    assert "<title>Sub-Saharan Africa: 1</title>" in languages
    capacities = html_text(client.get(f"/data_analytics_dashboard?tab=capacities&capacity={world['c1']}&type=known"))
    assert "Users who know" in capacities and "<title>Latin America &amp; Caribbean: 2</title>" in capacities
    # Unknown values fall back to defaults instead of failing.
    assert client.get("/data_analytics_dashboard?tab=nope&type=bad&capacity=x&language=99999999&region=ZZ").status_code == 200


def _csv(client, query: str) -> list[list[str]]:
    response = client.get(f"/data_analytics_dashboard?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_downloads(client, login, world) -> None:
    login(client, world["ana"])
    territories = _csv(client, "format=csv&table=territories")
    assert territories[0] == ["rank", "code", "Territory", "Users", "Countries"]
    assert territories[1][:4] == ["1", "LAC", "Latin America & Caribbean", "2"]
    assert territories[2][:4] == ["2", "SSA", "Sub-Saharan Africa", "1"]
    assert len(territories) == 9
    languages = _csv(client, "format=csv&table=languages")
    assert languages[0] == ["code", "Language", "Users"]
    assert languages[1] == ["en", "English", "3"]
    assert {row[0]: row[2] for row in languages[1:]} == {"en": "3", "pt-br": "1", "es": "1", "yo": "1"}
    capacities = _csv(client, "format=csv&table=capacities")
    assert capacities[0] == ["id", "Category", "Learners", "Sharers"]
    by_id = {row[0]: row[2:] for row in capacities[1:]}
    assert by_id[str(world["r1"])] == ["1", "2"] and by_id[str(world["r2"])] == ["1", "0"]
    assert len(capacities) == 1 + 7
    known_map = _csv(client, f"format=csv&table=map&tab=capacities&capacity={world['c1']}&type=known")
    assert {row[0]: row[2] for row in known_map[1:]} == {"CEECA": "0", "ESEAP": "0", "LAC": "2", "MENA": "0",
                                                          "NA": "0", "NWE": "0", "SA": "0", "SSA": "0"}
    english_map = _csv(client, f"format=csv&table=map&tab=languages&language={world['lang']['en']}")
    assert {row[0]: row[2] for row in english_map[1:] if row[2] != "0"} == {"LAC": "1", "SSA": "1"}
    assert client.get("/data_analytics_dashboard?format=csv&table=secrets").status_code == 404


def _stored(app) -> int:
    from capx.models import Statistic

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Statistic))


def test_stored_figures_are_shown_until_the_next_refresh(app, client, login, world, make_user) -> None:
    login(client, world["ana"])
    # Nothing stored yet: the page computes the figures itself, and a GET stores nothing.
    assert 'class="data-total__value">4<' in html_text(client.get("/data_analytics_dashboard"))
    make_user("Newcomer")
    assert 'class="data-total__value">5<' in html_text(client.get("/data_analytics_dashboard"))
    assert _stored(app) == 0
    # Once the job stored them, the page reads them until the next refresh.
    with app.app_context():
        stats.refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
    make_user("Latecomer")
    assert 'class="data-total__value">5<' in html_text(client.get("/data_analytics_dashboard"))
    with app.app_context():
        stats.refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
    assert 'class="data-total__value">6<' in html_text(client.get("/data_analytics_dashboard"))


def test_refresh_command(app, world) -> None:
    from capx.cli import capx_cli

    result = app.test_cli_runner().invoke(capx_cli, ["refresh-statistics"])
    assert result.exit_code == 0 and "figures" in result.output
    assert _stored(app) > 0


def test_dashboard_is_public_and_read_only(client, world) -> None:
    """Visitors who are not logged in see the dashboard, its tabs and its CSV (issue 18); it has no form that writes."""
    response = client.get("/data_analytics_dashboard?region=LAC")
    assert response.status_code == 200
    text = html_text(response)
    assert 'class="data-total__value">4<' in text and "Latin America" in text
    assert 'method="post"' not in text.split('<main')[1].split('</main>')[0].lower()
    assert 'href="/data_analytics_dashboard"' in text  # the header's link, for visitors too
    for tab in ("languages", "capacities"):
        assert client.get(f"/data_analytics_dashboard?tab={tab}").status_code == 200
    csv_response = client.get("/data_analytics_dashboard?format=csv&table=territories")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert client.post("/data_analytics_dashboard").status_code in (400, 405)


def test_queries_do_not_grow_with_the_data(app, client, login, world, make_user) -> None:
    login(client, world["ana"])

    def count(url: str) -> int:
        with statements_run(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    url = "/data_analytics_dashboard?region=LAC&tab=capacities"
    with app.app_context():
        stats.refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
    client.get(url)
    before = count(url)
    for n in range(15):
        user = make_user(f"Extra {n}")
        with app.app_context():
            pid = db.session.get(User, user.id).profile.id
            db.session.add(ProfileTerritory(profile_id=pid, territory_id=world["t"]["BRA"]))
            db.session.add(ProfileLanguage(profile_id=pid, language_id=world["lang"]["es"]))
            db.session.commit()
    with app.app_context():
        stats.refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
    assert count(url) == before
    assert before <= 20


@pytest.mark.parametrize("lang, expected", [("en", "1,234,567"), ("pt-br", "1.234.567")])
def test_numbers_follow_the_interface_language(app, lang: str, expected: str) -> None:
    from capx.blueprints.data import format_count

    with app.test_request_context(f"/data_analytics_dashboard?uselang={lang}"):
        assert format_count(1234567) == expected
        assert format_count(12) == "12"


@pytest.mark.parametrize("lang, text", [("pt-br", "Análise de dados"), ("ar", "تحليلات البيانات")])
def test_dashboard_in_other_languages(client, login, world, lang: str, text: str) -> None:
    login(client, world["ana"])
    for query in ("", "&tab=languages&region=SSA", "&tab=capacities&type=wanted&region=LAC&orient=south"):
        response = client.get(f"/data_analytics_dashboard?uselang={lang}{query}")
        assert response.status_code == 200 and text in html_text(response)
