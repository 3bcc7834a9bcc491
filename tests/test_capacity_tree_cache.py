"""The per-process cache of the capacity tree: used while the "capacities" stamp is unchanged,
rebuilt after any ORM write to the capacity tables (flushed objects and bulk statements), in
every language chain, and with the same one-stamp-query cost on every request."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import CacheStamp, Capacity, CapacityText
from capx.services import capacities
from tests.conftest import statements_run


def _first_capacity_id() -> int:
    return db.session.scalar(sa.select(Capacity.id).where(Capacity.parent_id.is_not(None)).order_by(Capacity.id))


@pytest.fixture()
def stamped(app):
    """A stamp in the database (tests empty the stamp table after each test)."""
    with app.app_context():
        capacities.bump_tree_stamp(db.session.connection())
        db.session.commit()
        capacities.forget_cached_trees()
        yield
        db.session.remove()


def test_cache_hit_while_stamp_unchanged(app, stamped):
    first = capacities.cached_tree(["en"])
    assert capacities.cached_tree(["en"]) is first
    assert capacities.cached_tree(["pt-br", "en"]) is not first  # one tree per language chain


def test_no_stamp_no_cache(app):
    with app.app_context():
        db.session.execute(sa.delete(CacheStamp))
        db.session.commit()
        assert capacities.tree_stamp() is None
        assert capacities.cached_tree(["en"]) is not capacities.cached_tree(["en"])
        db.session.remove()


@pytest.mark.mutates_reference
def test_flushed_text_change_renews_the_tree(app, stamped):
    cid = _first_capacity_id()
    before = capacities.cached_tree(["en"])
    stamp = capacities.tree_stamp()
    text = db.session.get(CapacityText, (cid, "en"))
    text.name = "Renamed for the cache test"
    db.session.commit()
    assert capacities.tree_stamp() != stamp
    after = capacities.cached_tree(["en"])
    assert after is not before
    assert after.name(cid) == "Renamed for the cache test"


@pytest.mark.mutates_reference
def test_new_translation_and_new_capacity_renew_the_tree(app, stamped):
    cid = _first_capacity_id()
    capacities.cached_tree(["pt-br", "en"])
    db.session.add(CapacityText(capacity_id=cid, lang="pt-br", name="Nome novo"))
    db.session.commit()
    assert capacities.cached_tree(["pt-br", "en"]).name(cid) == "Nome novo"
    parent = db.session.get(Capacity, cid)
    db.session.add(Capacity(code="cache-test-child", parent_id=parent.id, position=99))
    db.session.commit()
    tree = capacities.cached_tree(["en"])
    assert any(node.code == "cache-test-child" for node in tree.get(cid).children)


@pytest.mark.mutates_reference
def test_bulk_update_renews_the_tree(app, stamped):
    cid = _first_capacity_id()
    capacities.cached_tree(["en"])
    db.session.execute(sa.update(CapacityText).where(CapacityText.capacity_id == cid, CapacityText.lang == "en")
                       .values(name="Bulk renamed"))
    db.session.commit()
    assert capacities.cached_tree(["en"]).name(cid) == "Bulk renamed"


@pytest.mark.mutates_reference
def test_rolled_back_write_keeps_the_stamp(app, stamped):
    stamp = capacities.tree_stamp()
    text = db.session.get(CapacityText, (_first_capacity_id(), "en"))
    text.name = "Never committed"
    db.session.flush()
    db.session.rollback()
    assert capacities.tree_stamp() == stamp


def test_unrelated_writes_keep_the_stamp(app, stamped, make_user):
    stamp = capacities.tree_stamp()
    make_user("Someone Unrelated")
    assert capacities.tree_stamp() == stamp


def test_pages_use_the_cache(app, client, login, make_user):
    """A page reads the stamp, not the two capacity tables, once the tree is cached."""
    with app.app_context():
        capacities.bump_tree_stamp(db.session.connection())
        db.session.commit()
        db.session.remove()
    login(client, make_user("Cache Reader"))
    client.get("/home")
    with statements_run(app) as statements:
        assert client.get("/home").status_code == 200
    assert any("cache_stamp" in s for s in statements)
    assert not any("FROM capacity_text" in s for s in statements)
