"""`flask capx load-reference`: the reference data in the database, loaded idempotently."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from capx.extensions import db
from capx.models import (Avatar, Capacity, CapacityText, Language, Organization, OrganizationName, OrganizationType,
                         Territory, WikimediaProject)
from capx.services.reference import load_reference
from capx.services.reference_names import language_name, territory_name

MODELS = (Capacity, CapacityText, Territory, Language, WikimediaProject, Avatar, OrganizationType, Organization,
          OrganizationName)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every reference table, as plain tuples."""
    out = {}
    for model in MODELS:
        table = model.__table__
        out[table.name] = sorted(tuple(row) for row in db.session.execute(sa.select(table)).all())
    return out


def test_counts(app: Flask) -> None:
    with app.app_context():
        load_reference(echo=lambda _l: None)  # organizations are emptied between tests
        db.session.commit()
        count = lambda model, *where: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))  # noqa: E731
        assert count(Capacity) == 134
        assert count(Capacity, Capacity.parent_id.is_(None)) == 7
        assert count(Territory, Territory.parent_id.is_(None)) == 8
        assert count(Territory, Territory.parent_id.is_not(None)) > 150
        assert count(WikimediaProject) == 16
        assert count(Avatar) == 21
        assert count(Organization) == 186
        assert count(Language) > 100
        rtl = db.session.scalar(sa.select(Language).where(Language.code == "ar"))
        assert rtl.direction == "rtl" and rtl.autonym == "العربية"


def test_second_load_changes_nothing(app: Flask) -> None:
    with app.app_context():
        load_reference(echo=lambda _l: None)
        db.session.commit()
        before = snapshot()
        lines: list[str] = []
        summary = load_reference(echo=lines.append)
        db.session.commit()
        assert summary.total == 0
        assert lines == ["reference data already up to date"]
        assert snapshot() == before


def test_cli_twice(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["capx", "load-reference"])
    with app.app_context():
        before = snapshot()
    result = runner.invoke(args=["capx", "load-reference"])
    assert result.exit_code == 0
    assert "already up to date" in result.output
    with app.app_context():
        assert snapshot() == before


@pytest.mark.mutates_reference
def test_reload_repairs_without_deleting(app: Flask) -> None:
    with app.app_context():
        cap = db.session.scalar(sa.select(Capacity).where(Capacity.parent_id.is_(None)).order_by(Capacity.position))
        original_color = cap.color
        cap.color = "#000000"
        db.session.commit()
        summary = load_reference(echo=lambda _l: None)
        db.session.commit()
        assert summary.changed.get("capacities") == 1
        assert db.session.get(Capacity, cap.id).color == original_color


@pytest.mark.mutates_reference
def test_reload_keeps_names_from_a_better_source(app: Flask) -> None:
    with app.app_context():
        text = db.session.scalar(sa.select(CapacityText).where(CapacityText.lang == "en"))
        text.name, text.name_source = "Name from Metabase", "metabase"
        db.session.commit()
        load_reference(echo=lambda _l: None)
        db.session.commit()
        assert db.session.get(CapacityText, (text.capacity_id, "en")).name == "Name from Metabase"


def test_localized_names(app: Flask) -> None:
    with app.test_request_context("/?uselang=pt-br"):
        brazil = db.session.scalar(sa.select(Territory).where(Territory.iso2 == "BR"))
        assert territory_name(brazil, "pt-br") == "Brasil"
        assert territory_name(brazil, "en") == "Brazil"
        german = db.session.scalar(sa.select(Language).where(Language.code == "de"))
        assert language_name(german, "pt-br") == "alemão"
        assert language_name(german, "en") == "German"
