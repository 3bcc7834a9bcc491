"""The planner's statistics (capx/support/planner_stats.py): the commands that load many rows
gather them, and with them SQLite probes a profile's capacities through the primary key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from capx.extensions import db
from tests.helpers import forget_planner_statistics

#: Explore's exchange probe (planner._probe with an exchange filter and nothing else), as SQL.
EXCHANGE_PROBE = ("SELECT profile.id FROM profile WHERE (SELECT 1 FROM profile_capacity "
                  "WHERE profile_capacity.profile_id = profile.id AND profile_capacity.kind IN ('wanted') LIMIT 1) "
                  "IS NOT NULL LIMIT 10001")


def _sqlite(app: Flask) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


def _probe_plan() -> str:
    """The plan on a new connection: SQLite reads the statistics when a connection loads the schema."""
    engine = sa.create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            return " | ".join(str(row[-1]) for row in conn.execute(sa.text("EXPLAIN QUERY PLAN " + EXCHANGE_PROBE)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["seed-demo", "--profiles", "40"], ["refresh-statistics"]])
def test_commands_that_load_or_refresh_gather_statistics(app: Flask, command: list[str]) -> None:
    runner = app.test_cli_runner()
    if command[0] != "seed-demo":
        assert runner.invoke(args=["capx", "seed-demo", "--profiles", "40"]).exit_code == 0
        with app.app_context():
            if _sqlite(app):
                forget_planner_statistics(db.session.connection())
                db.session.commit()
    result = runner.invoke(args=["capx", *command])
    assert result.exit_code == 0, result.output
    if not _sqlite(app):
        return  # MariaDB keeps its own statistics: the command only has to run (ANALYZE TABLE)
    with app.app_context():
        analyzed = set(db.session.scalars(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1")))
        assert {"profile", "profile_capacity", "profile_language"} <= analyzed
        assert "USING COVERING INDEX sqlite_autoindex_profile_capacity_1 (profile_id=?)" in _probe_plan()


def test_without_statistics_sqlite_probes_through_the_kind_index(app: Flask) -> None:
    """Why the statistics matter: the plan the 19-second page had (support/planner_stats.py)."""
    if not _sqlite(app):
        pytest.skip("SQLite's planner")
    assert app.test_cli_runner().invoke(args=["capx", "seed-demo", "--profiles", "40"]).exit_code == 0
    with app.app_context():
        forget_planner_statistics(db.session.connection())
        db.session.commit()
        assert "ix_profile_capacity_kind_capacity (kind=?)" in _probe_plan()
