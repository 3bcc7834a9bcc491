"""One name, one capacity (issue 19): names compared after case and accent folding, in any language
CapX holds, and the lock that keeps two approvals at the same moment from both creating one name."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from capx import create_app
from capx.extensions import db
from capx.models import Capacity, CapacityText
from capx.services.capacity_names import SameName, capacity_with_name, lock_capacity_writes, name_key
from capx.support import stamps
from tests.conftest import test_config as config_for_tests
from tests.helpers import capacity_id


def test_name_key_folds_case_accents_and_spaces() -> None:
    assert name_key("  Comunicação   Social ") == name_key("COMUNICACAO social") == "comunicacao social"
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("ﬁle") == name_key("file")  # compatibility forms (NFKD)
    assert name_key("Podcasting") != name_key("Podcast")


@pytest.mark.mutates_reference
def test_a_name_in_any_language_is_found(app: Any) -> None:
    comm = capacity_id(app, "communication")
    with app.app_context():
        db.session.add(CapacityText(capacity_id=comm, lang="pt-br", name="Comunicação", name_source="local"))
        db.session.commit()
        found = capacity_with_name("comunicacao")
        assert found == SameName(comm, "Comunicação", "pt-br")
        assert capacity_with_name("COMMUNICATION ").capacity_id == comm  # the English name
        assert capacity_with_name("Underwater basket weaving") is None
        db.session.rollback()


def _create(name: str) -> None:
    capacity = Capacity(code=name_key(name).replace(" ", "-"), parent_id=None, position=99, missing_upstream=False)
    db.session.add(capacity)
    db.session.flush()
    db.session.add(CapacityText(capacity_id=capacity.id, lang="en", name=name, name_source="local"))
    db.session.flush()


@pytest.mark.mutates_reference
def test_two_writers_at_the_same_moment_see_each_other(app: Any, database_urls: tuple[str, str]) -> None:
    """Two approvals in two sessions of two app instances (two workers): the second waits for the
    first and finds its capacity although its own snapshot started before (MariaDB's REPEATABLE
    READ), on SQLite and on MariaDB."""
    with app.app_context():
        stamps.ensure(db.session.connection())  # the lock row (always there after the migrations)
        db.session.commit()
    other = create_app(config_for_tests(*database_urls))
    first_holds_the_lock = threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        with app.app_context():
            try:
                lock_capacity_writes()
                results["first saw"] = capacity_with_name("Data journalism")
                _create("Data journalism")
                first_holds_the_lock.set()
                threading.Event().wait(0.8)  # the second starts meanwhile and must wait
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertions
                results["first error"] = exc
                first_holds_the_lock.set()
                db.session.rollback()

    def second() -> None:
        with other.app_context():
            try:
                db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))  # a snapshot, as a request has
                first_holds_the_lock.wait(10)
                lock_capacity_writes()
                results["second saw"] = capacity_with_name("DATA JOURNALÍSM")
                db.session.rollback()
            except Exception as exc:  # noqa: BLE001
                results["second error"] = exc
                db.session.rollback()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert "first error" not in results and "second error" not in results, results
    assert results["first saw"] is None
    assert isinstance(results["second saw"], SameName) and results["second saw"].name == "Data journalism"
