"""Explore's pages run a fixed number of SQL queries, whatever the page size or the data size."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import SavedProfile
from tests.conftest import statements_run
from tests.explore_helpers import ids, organization, person


def populate(app: Any, make_user: Any, start: int, count: int, org: int) -> None:
    for i in range(start, start + count):
        person(app, make_user, f"Person {i}", known=["press-release", "budgeting"], available=["press-release"],
               wanted=["social-media"], territories=["BRA", "ARG"][: 1 + i % 2], languages=[("pt", 5), ("en", 2)],
               affiliations=[org], minutes=i)


def queries_for(app: Any, client: Any, url: str, per_page: int, monkeypatch: Any) -> int:
    monkeypatch.setitem(app.config, "CAPX_EXPLORE_PER_PAGE", per_page)
    client.get(url)  # warm any per-process caches
    with statements_run(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


@pytest.mark.parametrize("url", [
    "/feed",
    "/feed?capacity={communication}&exchange=sharer&territory=LAC&language=pt&affiliation={org}",
    "/feed?name=person&show=known&show=wanted",
    "/feed?territory=BRA&page=2",
    "/organization_list?capacity={communication}&territory=LAC",
    "/feed/saved",
])
def test_queries_do_not_grow_with_page_or_data_size(app: Any, client: Any, make_user: Any, login: Any,
                                                    monkeypatch: Any, url: str) -> None:
    viewer = make_user("Viewer")
    login(client, viewer)
    manager = make_user("Manager")
    org = organization(app, {"en": "Wiki Movement Brazil"}, manager=manager, available=["press-release"],
                       territories=["BRA"])
    for i in range(6):
        organization(app, {"en": f"Group {i}"}, manager=manager, known=["press-release"], territories=["ARG"])
    (communication,) = ids(app, "capacity", "communication")
    url = url.format(communication=communication, org=org)

    populate(app, make_user, 0, 6, org)
    small = queries_for(app, client, url, 2, monkeypatch)
    populate(app, make_user, 6, 30, org)
    with app.app_context():
        from capx.models import User
        import sqlalchemy as sa

        for user_id in db.session.scalars(sa.select(User.id).where(User.username.like("Person %"))):
            db.session.add(SavedProfile(owner_id=viewer.id, saved_user_id=user_id))
        db.session.commit()
    bigger_page = queries_for(app, client, url, 2, monkeypatch)
    big = queries_for(app, client, url, 20, monkeypatch)
    # the saved list was empty at first (no card queries): compare the two full ones
    if url != "/feed/saved":
        assert small == big, (small, big)
    assert bigger_page == big, (bigger_page, big)
    assert big <= 15, big


@pytest.mark.parametrize("url", ["/feed?exchange=learner", "/feed?exchange=learner&exchange=sharer&territory=BRA"])
def test_the_exchange_probe_reads_a_profiles_own_capacities(app: Any, client: Any, make_user: Any, login: Any,
                                                            url: str) -> None:
    """"Has a capacity of this kind" is probed per profile through the primary key (profile_id
    first), never through the kind-first filter index: SQLite without statistics chose that one and
    a first page took 19 s at 20,000 profiles (planner._NotIndexed)."""
    login(client, make_user("Viewer"))
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "profile_capacity.kind" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        assert seen
        if engine.dialect.name != "sqlite":
            return  # MariaDB chooses the primary key from its own statistics
        for statement, parameters in seen:
            plan = " | ".join(row[-1] for row in db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "ix_profile_capacity_kind_capacity" not in plan, plan
