"""The in-memory snapshot of territories, languages and avatars, and the stamps that guard it:
kept across requests while the "reference" stamp is unchanged, renewed by any ORM write to those
tables (flushed objects or bulk statements), never kept without a stamp, and read with one
query per request for all stamps together."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import CacheStamp, Language, Territory
from capx.services import reference_data as snapshot
from capx.support import stamps
from tests.conftest import statements_run


@pytest.fixture()
def stamped(app: Any) -> Any:
    """Every stamp set (tests empty the stamp table after each test), caches empty."""
    with app.app_context():
        stamps.ensure(db.session.connection())
        db.session.commit()
        snapshot.forget_reference_data()
        yield
        db.session.remove()
    snapshot.forget_reference_data()


def test_kept_while_the_stamp_is_unchanged(app: Any, stamped: Any) -> None:
    first = snapshot.reference_data()
    assert snapshot.reference_data() is first
    assert first.territory_codes["LAC"].parent_id is None
    brazil = first.territory_codes["BRA"]
    assert brazil.id in first.countries[first.territory_codes["LAC"].id]


def test_no_stamp_no_cache(app: Any) -> None:
    with app.app_context():
        db.session.execute(sa.delete(CacheStamp))
        db.session.commit()
        assert snapshot.reference_data() is not snapshot.reference_data()
        db.session.remove()


@pytest.mark.mutates_reference
def test_a_flushed_change_renews_it(app: Any, stamped: Any) -> None:
    before = snapshot.reference_data()
    language = db.session.scalar(sa.select(Language).where(Language.code == "pt-br"))
    language.english_name = "Portuguese (renamed for the test)"
    db.session.commit()
    after = snapshot.reference_data()
    assert after is not before
    assert after.language_codes["pt-br"].english_name == "Portuguese (renamed for the test)"


@pytest.mark.mutates_reference
def test_a_bulk_statement_renews_it(app: Any, stamped: Any) -> None:
    before = snapshot.reference_data()
    db.session.execute(sa.update(Territory).where(Territory.code == "BRA").values(name="Brazil (bulk)"))
    db.session.commit()
    assert snapshot.reference_data() is not before
    assert snapshot.reference_data().territory_codes["BRA"].name == "Brazil (bulk)"


@pytest.mark.mutates_reference
def test_a_rolled_back_write_keeps_the_stamp(app: Any, stamped: Any) -> None:
    stamp = stamps.stamp(stamps.REFERENCE)
    language = db.session.scalar(sa.select(Language).where(Language.code == "fr"))
    language.english_name = "Never committed"
    db.session.flush()
    db.session.rollback()
    assert stamps.stamp(stamps.REFERENCE) == stamp


def test_unrelated_writes_keep_the_stamp(app: Any, stamped: Any, make_user: Any) -> None:
    stamp = stamps.stamp(stamps.REFERENCE)
    make_user("Someone Unrelated")
    assert stamps.stamp(stamps.REFERENCE) == stamp


def test_ensure_sets_only_missing_stamps(app: Any, stamped: Any) -> None:
    kept = stamps.stamp(stamps.CAPACITIES)
    db.session.execute(sa.delete(CacheStamp).where(CacheStamp.name == stamps.REFERENCE))
    db.session.commit()
    assert stamps.stamp(stamps.REFERENCE) is None
    stamps.ensure(db.session.connection())
    db.session.commit()
    assert stamps.stamp(stamps.REFERENCE) is not None
    assert stamps.stamp(stamps.CAPACITIES) == kept


def test_labels_follow_the_interface_language(app: Any) -> None:
    with app.app_context():
        data = snapshot.load_reference_data()
    brazil, portuguese = data.territory_codes["BRA"].id, data.language_codes["pt-br"].id
    assert data.territory_label(brazil, "en") == "Brazil"
    assert data.language_label(portuguese, "en") == "Portuguese (Brazil)"
    assert data.territory_label(brazil, "pt-br") == "Brasil"
    assert data.language_label(portuguese, "pt-br") == "português (Brasil)"


def test_a_page_reads_every_stamp_with_one_query_and_no_reference_table(
        app: Any, client: Any, login: Any, make_user: Any) -> None:
    # Each request in its own app context, as in production (the stamped fixture would hold one).
    with app.app_context():
        stamps.ensure(db.session.connection())
        db.session.commit()
        db.session.remove()
    login(client, make_user("Snapshot Reader"))
    assert client.get("/feed?territory=LAC&language=pt-br").status_code == 200  # fills the caches
    with statements_run(app) as statements:
        assert client.get("/feed?territory=LAC&language=pt-br").status_code == 200
    assert sum("FROM cache_stamp" in s for s in statements) == 1
    assert not any(f"FROM {table}" in s for s in statements for table in ("territory", "language", "avatar"))
