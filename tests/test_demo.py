"""`flask capx seed-demo`: deterministic synthetic profiles, idempotent."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from capx.extensions import db
from capx.models import (OrganizationCapacity, OrganizationManager, OrganizationTerritory, Profile, ProfileCapacity,
                         ProfileLanguage, ProfileTerritory, User)
from capx.devtools.demo import DEMO_CENTRAL_BASE, seed_demo
from capx.services.reference import load_reference


def snapshot() -> dict[str, Any]:
    users = db.session.execute(sa.select(User.central_id, User.username, User.registered_at)
                               .order_by(User.central_id)).all()
    by_user = dict(db.session.execute(sa.select(Profile.id, User.central_id).join(User)).all())

    def rows(model: Any, *cols: Any) -> list[tuple[Any, ...]]:
        return sorted((by_user[r[0]], *r[1:]) for r in db.session.execute(sa.select(model.profile_id, *cols)).all())

    return {
        "users": [tuple(u) for u in users],
        "bios": sorted((by_user[p.id], p.bio or "") for p in db.session.scalars(sa.select(Profile))),
        "capacities": rows(ProfileCapacity, ProfileCapacity.capacity_id, ProfileCapacity.kind),
        "languages": rows(ProfileLanguage, ProfileLanguage.language_id, ProfileLanguage.proficiency),
        "territories": rows(ProfileTerritory, ProfileTerritory.territory_id),
        "managers": sorted(db.session.execute(sa.select(OrganizationManager.organization_id, User.central_id)
                                              .join(User, User.id == OrganizationManager.user_id)).all()),
    }


def wipe_demo() -> None:
    for model in (OrganizationManager, OrganizationCapacity, OrganizationTerritory):
        db.session.execute(sa.delete(model))
    for model in (ProfileCapacity, ProfileLanguage, ProfileTerritory):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(Profile))
    db.session.execute(sa.delete(User))
    db.session.commit()


def test_seed_is_deterministic_and_idempotent(app: Flask) -> None:
    with app.app_context():
        load_reference(echo=lambda _l: None)
        db.session.commit()
        lines: list[str] = []
        summary = seed_demo(40, seed=7, echo=lines.append, managed_organizations=5)
        assert summary.created == 40 and summary.organizations_managed == 5
        assert any("40 of 40" in line for line in lines)
        first = snapshot()
        assert len(first["users"]) == 40
        assert all(central_id <= DEMO_CENTRAL_BASE for central_id, _, _ in first["users"])
        assert len(first["capacities"]) > 40 and first["languages"] and first["territories"]

        again = seed_demo(40, seed=7, echo=lambda _l: None, managed_organizations=5)
        assert again.created == 0 and again.existing == 40
        assert snapshot() == first

        # Same seed on an empty database: the same people with the same profiles.
        wipe_demo()
        seed_demo(40, seed=7, echo=lambda _l: None, managed_organizations=5)
        assert snapshot() == first

        # A different seed gives different people.
        wipe_demo()
        seed_demo(40, seed=8, echo=lambda _l: None, managed_organizations=5)
        assert snapshot()["users"] != first["users"]


def test_growing_keeps_the_first_profiles(app: Flask) -> None:
    with app.app_context():
        seed_demo(10, seed=3, echo=lambda _l: None, managed_organizations=0)
        small = snapshot()["users"]
        summary = seed_demo(25, seed=3, echo=lambda _l: None, managed_organizations=0)
        assert summary.created == 15 and summary.existing == 10
        users = snapshot()["users"]
        assert len(users) == 25
        assert set(small) <= set(users)


def test_cli(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["capx", "seed-demo", "--profiles", "12", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "12 created" in result.output
    result = runner.invoke(args=["capx", "seed-demo", "--profiles", "12", "--seed", "2"])
    assert "0 created, 12 already there" in result.output


def test_demo_data_shows_on_the_landing_page(app: Flask, client: Any) -> None:
    with app.app_context():
        load_reference(echo=lambda _l: None)
        db.session.commit()
        seed_demo(15, seed=1, echo=lambda _l: None, managed_organizations=3)
    body = client.get("/").get_data(as_text=True)
    # 3 organizations given managers, and the 4 pilot mentorship organizations of the showcase.
    assert "15 Wikimedians" in body and "7 organizations" in body


def test_replicate_copies_profiles_inside_the_database(app: Flask, monkeypatch: Any) -> None:
    from capx.models import ProfileAffiliation, ProfileProject
    from capx.devtools import demo
    from capx.devtools.demo import replicate_demo

    monkeypatch.setattr(demo, "REPLICATION_CHUNK", 7)  # several chunks per round, the last one short
    with app.app_context():
        seed_demo(20, seed=5, echo=lambda _l: None, managed_organizations=2, showcase=False)
        before = snapshot()
        lines: list[str] = []
        assert replicate_demo(50, base=20, echo=lines.append) == 30
        assert lines[-1].endswith("(50 of 50)")
        after = snapshot()
        assert len(after["users"]) == 50
        copies = {DEMO_CENTRAL_BASE - n - 20 * k: (n, k) for k in (1, 2) for n in range(1, 21) if 20 * k + n <= 50}
        originals = {central: name for central, name, _ in before["users"]}
        for central, name, _ in after["users"]:
            if central in copies:
                n, k = copies[central]
                assert name == f"{originals[DEMO_CENTRAL_BASE - n]} r{k}"
        # Copy n of round k has exactly original n's capacities, languages and territories.
        for key in ("capacities", "languages", "territories"):
            for central, *rest in after[key]:
                if central in copies:
                    n, _k = copies[central]
                    assert (DEMO_CENTRAL_BASE - n, *rest) in before[key]
            copied = [row for row in after[key] if row[0] in copies]
            assert len(copied) == sum(1 for row in before[key] if row[0] >= DEMO_CENTRAL_BASE - 20) \
                + sum(1 for row in before[key] if row[0] >= DEMO_CENTRAL_BASE - 10)
        profile = db.session.scalar(sa.select(Profile).join(User).where(User.central_id == DEMO_CENTRAL_BASE - 23))
        assert profile.search_name.endswith(" r1") and profile.updated_at is not None
        # Every copy has exactly the grams of its own folded names (the Explore name search).
        from capx.models import ProfileNameGram
        from capx.models.people import name_grams
        grams: dict[int, set[str]] = {}
        for gram, profile_id in db.session.execute(sa.select(ProfileNameGram.gram, ProfileNameGram.profile_id)):
            grams.setdefault(profile_id, set()).add(gram)
        for profile_id, search_name in db.session.execute(sa.select(Profile.id, Profile.search_name)):
            assert grams.get(profile_id, set()) == name_grams(search_name), search_name
        for model in (ProfileAffiliation, ProfileProject):  # every link table is copied
            total = db.session.scalar(sa.select(sa.func.count()).select_from(model))
            originals_rows = db.session.scalar(sa.select(sa.func.count()).select_from(model).join(
                Profile, Profile.id == model.profile_id).join(User).where(User.central_id >= DEMO_CENTRAL_BASE - 20))
            assert total >= originals_rows
        # Idempotent: nothing more to copy.
        assert replicate_demo(50, base=20, echo=lambda _l: None) == 0
        assert len(snapshot()["users"]) == 50
