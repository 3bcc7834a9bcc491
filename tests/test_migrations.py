"""The Alembic migrations build exactly the models' schema, and can be undone and redone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from capx import create_app
from capx.extensions import db
from tests.conftest import test_config as config_for_tests


def differences(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, metadata)


def test_models_match_migrations(app: Flask) -> None:
    """No pending autogenerate change on the test database (SQLite, or MariaDB in CI)."""
    with app.app_context():
        for bind_key, engine in db.engines.items():
            diff = differences(engine, db.metadatas[bind_key])
            assert diff == [], f"models and migrations differ on bind {bind_key!r}: {diff}"


def test_head_is_applied(app: Flask) -> None:
    with app.app_context():
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert current == script.get_current_head()


def test_downgrade_and_upgrade_again(tmp_path: Path, app: Flask) -> None:
    other = create_app(config_for_tests(f"sqlite:///{tmp_path / 'm.sqlite'}", f"sqlite:///{tmp_path / 'lc.sqlite'}"))
    with other.app_context():
        flask_migrate.upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"user", "profile", "capacity", "territory", "oauth_token"} <= tables
        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert differences(db.engine, db.metadata) == []
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def test_user_foreign_keys_say_what_happens_on_delete(app: Flask) -> None:
    """DEVELOPING.md: every foreign key to user.id is CASCADE or SET NULL."""
    loose = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "user" and fk.ondelete not in ("CASCADE", "SET NULL"):
                loose.append(f"{table.name}.{fk.parent.name}")
    assert loose == []


@pytest.mark.parametrize("table", ["user", "profile", "profile_capacity"])
def test_tables_exist_with_indexes(app: Flask, table: str) -> None:
    with app.app_context():
        inspector = sa.inspect(db.engine)
        assert table in inspector.get_table_names()
        if table == "profile_capacity":
            names = {ix["name"] for ix in inspector.get_indexes(table)}
            assert "ix_profile_capacity_kind_capacity" in names


def test_upgrading_sqlite_keeps_rows_that_refer_to_altered_tables(tmp_path: Path) -> None:
    """SQLite alters a column by copying its table; the old table's DROP must not cascade.

    Migration 0010 changes `user.central_id` (a batch copy of `user`); with foreign keys enforced
    during the migration, every profile, manager role and event below the users was deleted.
    """
    other = create_app(config_for_tests(f"sqlite:///{tmp_path / 'k.sqlite'}", f"sqlite:///{tmp_path / 'lc.sqlite'}"))
    with other.app_context():
        flask_migrate.upgrade(revision="0114_name_grams")
        with db.engine.begin() as conn:
            _insert_filled(conn, "user", {"id": 1, "username": "Ana", "central_id": 7})
            _insert_filled(conn, "profile", {"id": 1, "user_id": 1})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM profile").scalar() == 1
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def _insert_filled(conn: sa.Connection, table: str, given: dict[str, Any]) -> None:
    """Insert one row, giving every NOT NULL column without a default a value of its type."""
    values = dict(given)
    for column in sa.inspect(conn).get_columns(table):
        if column["name"] in values or column["nullable"] or column.get("default") is not None:
            continue
        kind = column["type"]
        if isinstance(kind, (sa.Integer, sa.Boolean, sa.Numeric)):
            values[column["name"]] = 0
        elif isinstance(kind, (sa.DateTime, sa.Date)):
            values[column["name"]] = "2026-01-01 00:00:00"
        else:
            values[column["name"]] = "x"
    conn.execute(sa.table(table, *map(sa.column, values)).insert().values(**values))
