"""Explore's count: exact up to 10,000 (COUNT_CAP), "more than 10,000" beyond, in every query shape
(walked, driven, by name, from the stored statistics), kept only while nothing it depends on changed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Profile, ProfileCapacity, User
from capx.services.explore import planner, search
from capx.support import stamps
from tests.conftest import html_text, statements_run
from tests.explore_helpers import BASE_TIME, ids, person


@pytest.fixture()
def viewer(app: Any, make_user: Any, login: Any, client: Any) -> Any:
    """A logged-in user without capacities (in no result unless incomplete profiles are asked for)."""
    user = make_user("Viewer")
    login(client, user)
    return user


def count_text(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.headers.get("Location"))
    found = re.search(r'class="explore-count" role="status">([^<]*)<', html_text(response))
    assert found is not None
    return found.group(1)


def add_people(app: Any, start: int, number: int, capacity: int) -> None:
    """``number`` people knowing ``capacity``, inserted in three statements (10,000 in well under a
    second on SQLite), numbered from ``start``."""
    with app.app_context():
        now = BASE_TIME
        db.session.execute(sa.insert(User), [
            {"central_id": 7_000_000 + i, "username": f"Bulk {i}", "is_staff": False, "is_locked": False,
             "session_generation": 0, "created_at": now} for i in range(start, start + number)])
        users = db.session.scalars(sa.select(User.id).where(User.central_id >= 7_000_000 + start,
                                                           User.central_id < 7_000_000 + start + number)).all()
        db.session.execute(sa.insert(Profile), [
            {"user_id": uid, "show_wikidata_photo": False, "show_wikidata_item": False, "is_public": False,
             "updated_at": now + dt.timedelta(seconds=i), "search_name": f"bulk {start + i}"}
            for i, uid in enumerate(users)])
        profiles = db.session.scalars(sa.select(Profile.id).where(Profile.user_id.in_(
            sa.select(User.id).where(User.central_id >= 7_000_000 + start)))).all()
        db.session.execute(sa.insert(ProfileCapacity),
                           [{"profile_id": pid, "capacity_id": capacity, "kind": "known"} for pid in profiles])
        db.session.commit()


def test_the_real_cap_exact_up_to_ten_thousand_then_more(app: Any, client: Any, viewer: Any) -> None:
    """9,999 and 10,000 matches are counted exactly; 10,001 say "More than 10,000 profiles", walked
    (no filter) and driven (one capacity) alike."""
    assert search.COUNT_CAP == 10_000
    budgeting, = ids(app, "capacity", "budgeting")
    add_people(app, 0, 9_999, budgeting)
    for url in ("/feed", f"/feed?capacity={budgeting}"):
        assert count_text(client, url) == "9,999 profiles"
    add_people(app, 9_999, 1, budgeting)
    for url in ("/feed", f"/feed?capacity={budgeting}"):
        assert count_text(client, url) == "10,000 profiles"
    add_people(app, 10_000, 1, budgeting)
    for url in ("/feed", f"/feed?capacity={budgeting}"):
        assert count_text(client, url) == "More than 10,000 profiles"


@pytest.fixture()
def small_cap(client: Any, monkeypatch: Any) -> int:
    """A cap of 5 (one profile a page, so the page's own lookahead, page + 4, is 5 too)."""
    monkeypatch.setitem(client.application.config, "CAPX_EXPLORE_PER_PAGE", 1)
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    return 5


@pytest.mark.parametrize("url", [
    "/feed",                              # walked, counted over profiles
    "/feed?include_incomplete=1&name=marta",  # the name: walked or driven by a gram
    "/feed?capacity={budgeting}",          # driven: counted by the page's own query
    "/feed?capacity={budgeting}&exchange=sharer&language=pt",  # driven, with probes
])
def test_exact_at_the_cap_more_than_past_it(app: Any, client: Any, make_user: Any, viewer: Any, small_cap: int,
                                            url: str) -> None:
    budgeting, = ids(app, "capacity", "budgeting")
    url = url.format(budgeting=budgeting)
    expected = {4: "4 profiles", 5: "5 profiles", 6: "More than 5 profiles"}
    made = 0
    for wanted, text in expected.items():
        while made < wanted:
            person(app, make_user, f"Marta {made}", known=["budgeting"], available=["budgeting"],
                   languages=[("pt", 3)], minutes=made)
            made += 1
        assert count_text(client, url) == text, (url, wanted)
    # a locked account is never counted
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == "Marta 0").values(is_locked=True))
        db.session.commit()
    assert count_text(client, url) == "5 profiles"


def test_count_query_shapes_agree(app: Any, make_user: Any, viewer: Any) -> None:
    """The count read from link rows alone, the count over profiles and the count with ``user``
    joined (past LOCKED_LIST_MAX locked accounts) give the same number, locked accounts left out."""
    from flask import request

    from capx.forms.explore import read_profile_filters
    from capx.services.capacities import capacity_tree

    for i in range(7):
        person(app, make_user, f"Sharer {i}", available=["budgeting"], locked=i < 2, minutes=i)
    budgeting, = ids(app, "capacity", "budgeting")
    url = f"/feed?capacity={budgeting}&exchange=sharer"
    with app.test_request_context(url):
        tree = capacity_tree(["en"])
        filters = read_profile_filters(request.args, tree)
        plan = planner.SearchPlans(filters, tree).plan(100)
        assert plan.driven is not None
        listed = planner.not_locked()
        assert len(listed.profile_ids) == 2 and not listed.join_user
        joined = planner.Unlocked([User.is_locked.is_not(True)], True, [])
        link_only = planner.count_query(plan, listed, False, 100)
        over_profiles = planner.count_query(plan, listed, True, 100)  # as for a name
        with_user = planner.count_query(plan, joined, False, 100)
        assert "FROM profile_capacity" in str(link_only) and "FROM profile " not in str(link_only)
        assert db.session.execute(sa.select(link_only, over_profiles, with_user)).one() == (5, 5, 5)
        assert db.session.scalar(sa.select(planner.count_query(plan, listed, False, 3))) == 4  # cap + 1


def test_without_a_filter_the_statistics_say_more_than(app: Any, client: Any, make_user: Any, viewer: Any,
                                                       small_cap: int) -> None:
    """With the job's count of profiles with a capacity at least twice the cap, no count runs;
    below that, the page counts (exactly)."""
    from tests.test_explore_feed import refresh

    for i in range(8):
        person(app, make_user, f"Known {i}", known=["budgeting"], minutes=i)
    refresh(app)  # 8 < 2 x 5: counted
    assert count_text(client, "/feed") == "More than 5 profiles"
    with statements_run(app) as statements:
        assert count_text(client, "/feed?include_incomplete=1") == "More than 5 profiles"
    assert any("count(*)" in s for s in statements)
    for i in range(8, 10):
        person(app, make_user, f"Known {i}", known=["budgeting"], minutes=i)
    refresh(app)  # 10 >= 2 x 5
    with statements_run(app) as statements:
        assert count_text(client, "/feed") == "More than 5 profiles"
    assert not any("count(*)" in s for s in statements)


def test_a_walked_count_is_kept_until_a_profile_changes(app: Any, client: Any, make_user: Any, viewer: Any) -> None:
    """The walk's count is kept under the "people" stamp: the same search again runs no count, and
    any write to a profile, its links or a user (here: a capacity added, an account locked) makes
    the next page count again, exactly."""
    for i in range(3):
        person(app, make_user, f"Walker {i}", known=["budgeting"], minutes=i)
    assert count_text(client, "/feed") == "3 profiles"
    with statements_run(app) as statements:
        assert count_text(client, "/feed") == "3 profiles"
    assert not any("count(*)" in s for s in statements)
    newcomer = make_user("Newcomer")  # no capacity yet: not in the results
    assert count_text(client, "/feed") == "3 profiles"
    budgeting, = ids(app, "capacity", "budgeting")
    with app.app_context():
        profile_id = db.session.scalar(sa.select(Profile.id).where(Profile.user_id == newcomer.id))
        db.session.add(ProfileCapacity(profile_id=profile_id, capacity_id=budgeting, kind="known"))
        db.session.commit()
    assert count_text(client, "/feed") == "4 profiles"
    with app.app_context():
        db.session.get(User, newcomer.id).is_locked = True
        db.session.commit()
    assert count_text(client, "/feed") == "3 profiles"
    # a change of the capacity tree (a filter's descendants) counts again too
    with statements_run(app) as statements:
        assert count_text(client, "/feed") == "3 profiles"
    assert not any("count(*)" in s for s in statements)
    with app.app_context():
        stamps.bump(db.session.connection(), stamps.CAPACITIES)
        db.session.commit()
    with statements_run(app) as statements:
        assert count_text(client, "/feed") == "3 profiles"
    assert any("count(*)" in s for s in statements)
