"""The logged-in home: suggestion rows ranked on hand-built data with known answers, saved and
locked profiles excluded, a stable per-day tie order, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Capacity, Event, EventCapacity, Language, Organization,
                         OrganizationCapacity, OrganizationManager, OrganizationName, Profile, ProfileCapacity,
                         ProfileLanguage, SavedOrganization, SavedProfile, User, utcnow)
from capx.services import home
from tests.conftest import html_text, statements_run


@pytest.fixture(autouse=True)
def _fresh_popularity():
    home.forget_popular()
    yield
    home.forget_popular()


@pytest.fixture()
def ref(app):
    """Capacity and language ids from the reference data."""
    with app.app_context():
        caps = list(db.session.scalars(sa.select(Capacity.id).order_by(Capacity.id)))
        langs = dict(db.session.execute(sa.select(Language.code, Language.id)).all())
    return {"caps": caps, "langs": langs}


def person(app, make_user, name, capacities=(), languages=(), **user):
    """A user whose profile has (capacity id, kind) rows and language ids."""
    created = make_user(name, **user)
    with app.app_context():
        profile_id = db.session.scalar(sa.select(Profile.id).where(Profile.user_id == created.id))
        for cid, kind in capacities:
            db.session.add(ProfileCapacity(profile_id=profile_id, capacity_id=cid, kind=kind))
        for position, lid in enumerate(languages):
            db.session.add(ProfileLanguage(profile_id=profile_id, language_id=lid, position=position))
        db.session.commit()
    return created


def organization(app, name, capacities=(), managed=True, manager_id=None):
    with app.app_context():
        org = Organization(acronym=name[:3].upper())
        db.session.add(org)
        db.session.flush()
        db.session.add(OrganizationName(organization_id=org.id, lang="en", name=name))
        for cid, kind in capacities:
            db.session.add(OrganizationCapacity(organization_id=org.id, capacity_id=cid, kind=kind))
        if managed:
            db.session.add(OrganizationManager(organization_id=org.id, user_id=manager_id))
        db.session.commit()
        return org.id


def event(app, org_id, title, capacity_ids, start):
    with app.app_context():
        ev = Event(organization_id=org_id, title=title, url="https://example.org/e", start_at=start,
                   end_at=start + dt.timedelta(hours=2), format="online")
        db.session.add(ev)
        db.session.flush()
        for cid in capacity_ids:
            db.session.add(EventCapacity(event_id=ev.id, capacity_id=cid))
        db.session.commit()
        return ev.id


@pytest.fixture()
def world(app, make_user, ref):
    """The viewer offers c0, c1, c2, wants w0, w1, knows k0 and speaks en + pt-br; candidates with
    known numbers of matches around them."""
    c0, c1, c2, w0, w1, k0, x0 = ref["caps"][:7]
    en, pt = ref["langs"]["en"], ref["langs"]["pt-br"]
    viewer = person(app, make_user, "Viewer Person",
                    [(c, KNOWN) for c in (c0, c1, c2, k0)] + [(c, AVAILABLE) for c in (c0, c1, c2)]
                    + [(w0, WANTED), (w1, WANTED)], [en, pt])
    p = {
        "wants3": person(app, make_user, "Wants Three", [(c0, WANTED), (c1, WANTED), (c2, WANTED)]),
        "wants2": person(app, make_user, "Wants Two", [(c0, WANTED), (c2, WANTED), (x0, WANTED)]),
        "wants1a": person(app, make_user, "Wants One A", [(c1, WANTED)]),
        "wants1b": person(app, make_user, "Wants One B", [(c2, WANTED)]),
        "knows_only": person(app, make_user, "Knows Only", [(c0, KNOWN)]),
        "saved": person(app, make_user, "Saved Person", [(c0, WANTED), (c1, WANTED), (c2, WANTED), (w0, AVAILABLE)], [en, pt]),
        "locked": person(app, make_user, "Locked Person", [(c0, WANTED), (c1, WANTED), (w0, AVAILABLE)], [en, pt],
                         is_locked=True),
        "offers2": person(app, make_user, "Offers Two", [(w0, KNOWN), (w0, AVAILABLE), (w1, KNOWN), (w1, AVAILABLE)]),
        "offers1": person(app, make_user, "Offers One", [(w1, KNOWN), (w1, AVAILABLE)]),
        "knows_wanted": person(app, make_user, "Knows Wanted", [(w0, KNOWN)]),
        "both_langs": person(app, make_user, "Both Languages", [], [pt, en]),
        "one_lang": person(app, make_user, "One Language", [], [en]),
        "other_lang": person(app, make_user, "Other Language", [], [ref["langs"]["fr"]]),
    }
    with app.app_context():
        db.session.add(SavedProfile(owner_id=viewer.id, saved_user_id=p["saved"].id))
        db.session.commit()
    manager = p["other_lang"].id
    orgs = {
        "three": organization(app, "Org Three", [(c0, WANTED), (c1, WANTED), (w0, AVAILABLE)], manager_id=manager),
        "one": organization(app, "Org One", [(w1, AVAILABLE)], manager_id=manager),
        "unmanaged": organization(app, "Org Unmanaged", [(c0, WANTED), (c1, WANTED), (c2, WANTED)], managed=False),
        "saved": organization(app, "Org Saved", [(c0, WANTED)], manager_id=manager),
        "unrelated": organization(app, "Org Unrelated", [(x0, WANTED)], manager_id=manager),
    }
    with app.app_context():
        db.session.add(SavedOrganization(owner_id=viewer.id, organization_id=orgs["saved"]))
        db.session.commit()
    now = utcnow()
    events = {
        "two": event(app, orgs["one"], "Event Two Matches", [k0, w0, x0], now + dt.timedelta(days=20)),
        "soon": event(app, orgs["one"], "Event Soon", [c1], now + dt.timedelta(days=2)),
        "later": event(app, orgs["one"], "Event Later", [w1], now + dt.timedelta(days=9)),
        "past": event(app, orgs["one"], "Event Past", [c0, c1, w0], now - dt.timedelta(days=3)),
        "unrelated": event(app, orgs["one"], "Event Unrelated", [x0], now + dt.timedelta(days=1)),
    }
    return {"viewer": viewer, "people": p, "orgs": orgs, "events": events, "caps": (c0, c1, c2, w0, w1, k0, x0)}


def names(cards):
    return [c.username for c in cards]


def run_suggestions(app, viewer_id, now=None):
    with app.test_request_context():
        viewer = db.session.get(User, viewer_id)
        return home.suggestions(viewer, ["en"], now=now)


def test_people_who_want_what_you_offer(app, world):
    s = run_suggestions(app, world["viewer"].id)
    got = names(s.want_what_you_offer)
    assert got[:2] == ["Wants Three", "Wants Two"]
    assert sorted(got[2:]) == ["Wants One A", "Wants One B"]
    assert [c.matches for c in s.want_what_you_offer] == [3, 2, 1, 1]
    assert s.want_what_you_offer[1].capacity_ids == sorted(world["caps"][i] for i in (0, 2))


def test_people_who_offer_what_you_want(app, world):
    s = run_suggestions(app, world["viewer"].id)
    assert names(s.offer_what_you_want) == ["Offers Two", "Offers One"]
    assert [c.matches for c in s.offer_what_you_want] == [2, 1]


def test_people_who_speak_your_languages(app, world):
    s = run_suggestions(app, world["viewer"].id)
    assert names(s.speak_your_languages) == ["Both Languages", "One Language"]
    assert len(s.speak_your_languages[0].language_ids) == 2
    assert set(s.language_names) == set(s.speak_your_languages[0].language_ids)


def test_saved_locked_and_self_are_never_suggested(app, world):
    s = run_suggestions(app, world["viewer"].id)
    everyone = names(s.want_what_you_offer) + names(s.offer_what_you_want) + names(s.speak_your_languages)
    for excluded in ("Saved Person", "Locked Person", "Viewer Person"):
        assert excluded not in everyone


def test_organizations_with_a_manager(app, world):
    s = run_suggestions(app, world["viewer"].id)
    assert [(o.name, o.matches) for o in s.organizations] == [("Org Three", 3), ("Org One", 1)]
    three = s.organizations[0]
    c0, c1, _c2, w0, *_ = world["caps"]
    assert three.wants_ids == sorted([c0, c1]) and three.offers_ids == [w0]


def test_upcoming_events_on_known_or_wanted_capacities(app, world):
    s = run_suggestions(app, world["viewer"].id)
    # Two matches first; then one match each, soonest first; past and unrelated ones never.
    assert [e.title for e in s.events] == ["Event Two Matches", "Event Soon", "Event Later"]
    assert [e.matches for e in s.events] == [2, 1, 1]


def test_capacities_you_might_add(app, make_user, world, ref):
    popular, less, rare = ref["caps"][10:13]
    for i in range(3):
        person(app, make_user, f"Popular {i}", [(popular, KNOWN)])
    person(app, make_user, "Less 1", [(less, KNOWN)])
    person(app, make_user, "Less 2", [(less, KNOWN)])
    person(app, make_user, "Rare 1", [(rare, KNOWN)])
    s = run_suggestions(app, world["viewer"].id)
    ids = [c.id for c in s.capacities]
    mine = set(world["caps"][:6])
    assert not mine & set(ids)
    assert ids.index(popular) < ids.index(less) < ids.index(rare)
    assert [c.holders for c in s.capacities if c.id in (popular, less)] == [3, 2]


def test_capacities_you_might_add_read_the_statistics_once_computed(app, make_user, world, ref):
    """After the statistics job ran, popularity comes from its rows, not from a live count."""
    from capx.services.statistics import refresh_statistics

    popular, less = ref["caps"][10:12]
    for i in range(2):
        person(app, make_user, f"Popular {i}", [(popular, KNOWN)])
    person(app, make_user, "Less 1", [(less, KNOWN)])
    with app.app_context():
        refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
    for i in range(3):  # added after the job ran: not counted until its next run
        person(app, make_user, f"Later {i}", [(less, KNOWN)])
    s = run_suggestions(app, world["viewer"].id)
    ids = [c.id for c in s.capacities]
    assert ids.index(popular) < ids.index(less)
    assert [c.holders for c in s.capacities if c.id in (popular, less)] == [2, 1]


def test_ties_follow_a_stable_order_per_day(app, make_user, ref):
    c0 = ref["caps"][0]
    viewer = person(app, make_user, "Tie Viewer", [(c0, KNOWN), (c0, AVAILABLE)])
    for i in range(10):
        person(app, make_user, f"Tied {i}", [(c0, WANTED)])
    day1 = dt.datetime(2026, 3, 1, 9, 0)
    day1_later = dt.datetime(2026, 3, 1, 22, 0)
    day2 = dt.datetime(2026, 3, 2, 9, 0)
    first = names(run_suggestions(app, viewer.id, now=day1).want_what_you_offer)
    assert first == names(run_suggestions(app, viewer.id, now=day1_later).want_what_you_offer)
    second = names(run_suggestions(app, viewer.id, now=day2).want_what_you_offer)
    assert sorted(first) == sorted(second) and first != second
    # The SQL order is the documented hash order of (day, viewer, candidate).
    with app.app_context():
        profile_ids = dict(db.session.execute(sa.select(User.username, Profile.id).join(Profile, Profile.user_id == User.id)
                                              .where(User.username.like("Tied %"))).all())
    assert first == sorted(profile_ids, key=lambda n: home.tie_key(viewer.id, profile_ids[n], day1.date()))


def test_home_page_renders_rows_with_view_and_save(app, client, login, world):
    login(client, world["viewer"])
    page = html_text(client.get("/home"))
    assert "People who want what you offer" in page and "Upcoming events on your capacities" in page
    assert page.index("Wants Three") < page.index("Wants Two")
    assert 'href="/profile/Wants_Three"' in page
    assert f'action="/saved/profile/{world["people"]["wants3"].id}"' in page
    assert f'action="/saved/organization/{world["orgs"]["three"]}"' in page
    assert f'href="/organization_profile/{world["orgs"]["three"]}"' in page
    assert f'href="/events/{world["events"]["two"]}"' in page
    assert 'class="scroller" tabindex="0"' in page
    assert "Saved Person" not in page and "Locked Person" not in page and "Org Unmanaged" not in page
    assert "Add your territory" in page  # the welcome still says what the profile lacks


def test_saving_from_home_removes_the_card(app, client, login, world):
    login(client, world["viewer"])
    target = world["people"]["wants3"].id
    response = client.post(f"/saved/profile/{target}", data={"action": "save", "next": "/home"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    assert "Wants Three" not in html_text(client.get("/home"))


def test_empty_profile_gets_hints(app, client, login, make_user):
    user = make_user("Newcomer")
    login(client, user)
    page = html_text(client.get("/home"))
    assert "Mark some of your known capacities as available" in page
    assert "Add capacities you want to learn" in page
    assert "Add the languages you speak" in page


def _count_queries(app, client) -> int:
    with statements_run(app) as statements:
        assert client.get("/home").status_code == 200
    return len(statements)


def test_query_count_does_not_grow_with_candidates(app, client, login, make_user, world, ref):
    login(client, world["viewer"])
    client.get("/home")
    few = _count_queries(app, client)
    c0, c1, _c2, w0, w1, *_ = world["caps"]
    en = ref["langs"]["en"]
    for i in range(25):
        person(app, make_user, f"Extra {i}", [(c0, WANTED), (w1, AVAILABLE)], [en])
    with app.app_context():
        org_ids = [organization(app, f"Extra Org {i}", [(c1, WANTED)], manager_id=world["people"]["one_lang"].id)
                   for i in range(15)]
    for i in range(15):
        event(app, org_ids[0], f"Extra Event {i}", [w0], utcnow() + dt.timedelta(days=i + 1))
    many = _count_queries(app, client)
    assert many == few
    assert many <= 30
    page = html_text(client.get("/home"))
    assert len(re.findall(r'class="scroller__item card home-card"', page)) <= 6 * home.ROW_SIZE


def test_excluded_profiles_do_not_shorten_a_full_row(app, make_user, ref):
    c0 = ref["caps"][0]
    viewer = person(app, make_user, "Full Row Viewer", [(c0, KNOWN), (c0, AVAILABLE)])
    candidates = [person(app, make_user, f"Candidate {i}", [(c0, WANTED)]) for i in range(home.ROW_SIZE + 4)]
    locked = person(app, make_user, "Locked Candidate", [(c0, WANTED)], is_locked=True)
    with app.app_context():
        for saved in candidates[:3]:
            db.session.add(SavedProfile(owner_id=viewer.id, saved_user_id=saved.id))
        db.session.commit()
    shown = names(run_suggestions(app, viewer.id).want_what_you_offer)
    assert len(shown) == home.ROW_SIZE
    assert not {c.username for c in candidates[:3]} & set(shown)
    assert locked.username not in shown and viewer.username not in shown


# -- today's slice: rows of very common capacities rank a daily run of candidates ------------------

def _slice_members(condition_of, ids):
    """The ids among ``ids`` that the slice condition keeps (evaluated by SQLite, as SQL)."""
    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("x", sa.Integer))
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"x": i} for i in ids])
        condition = condition_of(table.c.x)
        return set(conn.scalars(sa.select(table.c.x).where(condition))) if condition is not None else None


@pytest.mark.parametrize(("rows", "max_profile_id"), [
    (0, 1000),                          # nothing matches
    (home.RANKED_ROWS_MAX, 1000),       # exactly the budget: rank everyone
    (home.RANKED_ROWS_MAX * 10, 0),     # no profiles counted yet
])
def test_no_slice_while_ranking_everyone_is_cheap(rows, max_profile_id):
    assert home.todays_slice(sa.column("x"), 7, dt.date(2026, 3, 1), rows, max_profile_id) is None


@pytest.mark.parametrize("viewer_id", range(1, 40))
def test_the_slice_is_a_run_of_ids_that_wraps_and_keeps_newcomers(viewer_id):
    day, top = dt.date(2026, 3, 1), 1000
    rows = home.RANKED_ROWS_MAX * 4  # a quarter of the ids
    kept = _slice_members(lambda x: home.todays_slice(x, viewer_id, day, rows, top), range(1, top + 51))
    low = 1 + home.tie_seed(viewer_id, day)[0] % top
    run = {(low - 1 + i) % top + 1 for i in range(top // 4)}
    assert kept == run | set(range(top + 1, top + 51))  # newer than the statistics: always in


def test_the_slice_moves_every_day():
    starts = {1 + home.tie_seed(5, dt.date(2026, 3, d))[0] % 1000 for d in range(1, 11)}
    assert len(starts) == 10


def test_a_common_capacity_ranks_only_todays_slice(app, make_user, ref, monkeypatch):
    """With the statistics counted and more matching rows than the budget, a row's candidates all
    come from today's slice, ranked by matches there; without statistics, everyone is ranked."""
    from capx.services.statistics import forget_filter_value_counts, refresh_statistics

    c0, c1 = ref["caps"][:2]
    viewer = person(app, make_user, "Slice Viewer", [(c0, KNOWN), (c0, AVAILABLE), (c1, KNOWN), (c1, AVAILABLE)])
    for i in range(30):
        person(app, make_user, f"Common {i}", [(c0, WANTED)] + ([(c1, WANTED)] if i % 3 == 0 else []))
    now = dt.datetime(2026, 3, 1, 9, 0)
    everyone = run_suggestions(app, viewer.id, now=now).want_what_you_offer
    assert len(everyone) == home.ROW_SIZE and everyone[0].matches == 2  # no statistics yet: exact
    monkeypatch.setattr(home, "RANKED_ROWS_MAX", 10)
    with app.app_context():
        refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
        rows = 30 + 10
        top = db.session.scalar(sa.select(sa.func.max(Profile.id)))
        profile_of = dict(db.session.execute(sa.select(User.username, Profile.id).join(Profile)).all())
    forget_filter_value_counts()
    newcomer = person(app, make_user, "Common Newcomer", [(c0, WANTED), (c1, WANTED)])
    shown = run_suggestions(app, viewer.id, now=now).want_what_you_offer
    kept = _slice_members(lambda x: home.todays_slice(x, viewer.id, now.date(), rows, top), range(1, top + 10))
    assert shown and {profile_of.get(c.username, top + 1) for c in shown} <= kept
    assert newcomer.username in names(shown)  # created after the refresh: always ranked
    matches = [c.matches for c in shown]
    assert matches == sorted(matches, reverse=True)


def test_add_a_suggested_capacity_from_home(app, client, login, make_user, world, ref):
    """Issue 18: each suggested capacity has "Add to Known" and "Add to Known and Available" buttons
    (POST with CSRF, no JavaScript needed) that come back to the home page."""
    popular = ref["caps"][10]
    for i in range(2):
        person(app, make_user, f"Knows Popular {i}", [(popular, KNOWN)])
    login(client, world["viewer"])
    page = html_text(client.get("/home"))
    assert f'action="/capacity/{popular}/add"' in page
    assert 'name="kind" value="known"' in page and 'name="kind" value="known-available"' in page
    response = client.post(f"/capacity/{popular}/add", data={"kind": "known-available", "next": "/home#capacities-heading"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home#capacities-heading")
    with app.app_context():
        profile_id = db.session.get(User, world["viewer"].id).profile.id
        kinds = set(db.session.scalars(sa.select(ProfileCapacity.kind).where(
            ProfileCapacity.profile_id == profile_id, ProfileCapacity.capacity_id == popular)))
    assert kinds == {KNOWN, AVAILABLE}
    page = html_text(client.get("/home"))
    assert "Added to your Known and Available capacities." in page
    assert f'action="/capacity/{popular}/add"' not in page  # no longer suggested
    assert client.post(f"/capacity/{popular}/add", data={"kind": "known"}, csrf=False).status_code == 400


def test_home_shows_the_dashboard_totals(app, client, login, world):
    """Issue 18: the data dashboard's totals also on the logged-in home, with a link to the dashboard;
    before the statistics job's first run, none (the home never computes them for a request)."""
    from capx.services.statistics import refresh_statistics

    login(client, world["viewer"])
    assert 'id="totals-heading"' not in html_text(client.get("/home"))
    with app.app_context():
        refresh_statistics()
        db.session.commit()
    page = html_text(client.get("/home"))
    section = page.split('id="totals-heading"')[1].split("</section>")[0]
    for label in ("users", "organizations", "capacities in the directory"):
        assert label.lower() in section.lower()
    assert 'href="/data_analytics_dashboard"' in section
    assert 'class="home-total__value">' in section
