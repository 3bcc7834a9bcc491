"""Accounts of the previous platform: matched by central id, looked up on Meta-Wiki when the export
has none (recorded answers), locked when that fails and never matched by name at login; people
already in CapX keep CapX's values."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from capx.clients.meta_wiki import Identity
from capx.extensions import db
from capx.models import KeptProfileData, Profile, ProfileCapacity, ProfileLanguage, User
from tests.conftest import add_recorded
from tests.import_helpers import account_rows, fresh_database, import_file, write_export

pytestmark = pytest.mark.mutates_reference


@pytest.fixture(autouse=True)
def fresh(app: Any) -> None:
    fresh_database(app)


def run(app: Any, tmp_path: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    result = import_file(app, write_export(tmp_path / "export.json", rows), "--report", str(tmp_path / "r.json"),
                         skill_map=False)
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))


def user_named(app: Any, name: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == name))
        db.session.expunge(user)
        return user


def test_the_social_auth_uid_is_the_central_id(app: Any, tmp_path: Any) -> None:
    report = run(app, tmp_path, account_rows(7, "Ana Exemplo", uid="12345678", staff=True)
                 + account_rows(8, "Bruno Exemplo", uid="222", active=False))
    ana, bruno = user_named(app, "Ana Exemplo"), user_named(app, "Bruno Exemplo")
    assert (ana.central_id, ana.is_staff, ana.is_locked) == (12345678, True, False)
    assert (bruno.central_id, bruno.is_locked) == (222, True)  # locked on the old platform: locked here
    assert report["models"]["social_django.usersocialauth"]["merged"] == 2


def test_an_account_without_uid_is_looked_up_on_meta_wiki(app: Any, tmp_path: Any, mocked_http: Any) -> None:
    add_recorded(mocked_http, "meta-globaluserinfo", "by-name")
    report = run(app, tmp_path, account_rows(7, "Ana Exemplo"))
    ana = user_named(app, "Ana Exemplo")
    assert (ana.central_id, ana.is_locked) == (12345678, False)
    assert ana.registered_at.year == 2015  # Meta-Wiki's registration date
    assert any("central id 12345678 found on Meta-Wiki" in n["detail"] for n in report["notes"])


@pytest.mark.parametrize("sample", ["missing-name", "error-invalid-name", "http-error"])
def test_an_account_meta_wiki_cannot_identify_is_imported_locked(app: Any, tmp_path: Any, mocked_http: Any,
                                                                  sample: str) -> None:
    names = {"missing-name": "Nonexistent Example User 4821", "error-invalid-name": "Bad#Name",
             "http-error": "Ana Exemplo"}
    if sample == "http-error":
        add_recorded(mocked_http, "meta-globaluserinfo", "by-name", status=503, json={})
    else:
        add_recorded(mocked_http, "meta-globaluserinfo", sample)
    report = run(app, tmp_path, account_rows(7, names[sample]))
    user = user_named(app, names[sample])
    assert user.central_id is None and user.is_locked
    assert any("imported locked" in n["detail"] for n in report["notes"])


def test_an_unidentified_account_is_never_matched_by_name_at_login(app: Any, tmp_path: Any, mocked_http: Any) -> None:
    from capx.services.accounts import login_from_identity

    add_recorded(mocked_http, "meta-globaluserinfo", "missing-name")
    run(app, tmp_path, account_rows(7, "Nonexistent Example User 4821"))
    imported = user_named(app, "Nonexistent Example User 4821")
    with app.app_context():
        user = login_from_identity(Identity(central_id=4821, username="Nonexistent Example User 4821",
                                            registered_at=None, blocked=False, email_verified=True, grants=()), None)
        db.session.commit()
        assert user.id != imported.id and user.central_id == 4821
        old = db.session.get(User, imported.id)
        assert old.central_id is None and old.is_locked and old.username != user.username


def test_a_person_already_in_capx_keeps_capx_values(app: Any, tmp_path: Any, make_user: Any) -> None:
    existing = make_user("Ana Exemplo", central_id=12345678)
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == existing.id))
        profile.bio = "My CapX bio"
        db.session.commit()
    rows = account_rows(7, "Ana Exemplo", uid="12345678", staff=True, about="My old bio", wiki_alt="Ana Alt",
                        skills_known=[1], skills_available=[1], pronoun="she-her")
    report = run(app, tmp_path, rows + skill_rows() + language_rows())
    with app.app_context():
        users = list(db.session.scalars(sa.select(User)))
        assert len(users) == 1 and not users[0].is_staff  # CapX's values win ...
        profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == existing.id))
        assert profile.bio == "My CapX bio" and profile.alt_account == "Ana Alt"  # ... old ones fill what is empty
        assert {c.kind for c in profile.capacities} == {"known", "available"}  # nobody loses a capacity
        assert db.session.get(KeptProfileData, profile.id).pronoun == "she-her"
    assert report["models"]["users.customuser"]["merged"] == 1
    conflicts = [n["detail"] for n in report["notes"] if n["kind"] == "conflict"]
    assert any("staff" in c for c in conflicts) and any("bio" in c for c in conflicts)


def skill_rows() -> list[dict[str, Any]]:
    return [{"model": "skills.skill", "pk": 1, "fields": {"skill_wikidata_item": "Q29", "skill_type": None,
                                                          "skill_date_of_creation": "2024-02-09T13:47:39Z"}}]


def language_rows() -> list[dict[str, Any]]:
    return [{"model": "users.language", "pk": 4,
             "fields": {"language_name": "English", "language_autonym": "English", "language_code": "en"}},
            {"model": "users.languageproficiency", "pk": 1, "fields": {"profile": 7, "language": 4, "proficiency": "n"}}]


def test_a_skill_that_matches_nothing_becomes_a_capacity_under_its_parent(app: Any, tmp_path: Any) -> None:
    rows = account_rows(7, "Ana Exemplo", uid="1", skills_known=[500])
    rows += [{"model": "skills.skill", "pk": 400, "fields": {"skill_wikidata_item": "Q900000400", "skill_type": None,
                                                             "skill_date_of_creation": "2024-02-09T13:47:39Z"}},
             {"model": "skills.skill", "pk": 500, "fields": {"skill_wikidata_item": "Q900000500", "skill_type": 400,
                                                             "skill_date_of_creation": "2024-02-09T13:47:39Z"}}]
    report = run(app, tmp_path, rows)
    from capx.models import Capacity

    with app.app_context():
        child = db.session.get(Capacity, 500)
        assert child.parent_id == 400 and child.wikidata_qid == "Q900000500" and child.code == "skill-500"
        assert db.session.scalar(sa.select(ProfileCapacity.capacity_id)) == 500  # nobody loses a capacity
    assert sum(1 for n in report["notes"] if n["kind"] == "new-capacity") == 2


def test_languages_are_matched_by_code_with_their_level(app: Any, tmp_path: Any) -> None:
    run(app, tmp_path, account_rows(7, "Ana Exemplo", uid="1") + language_rows())
    with app.app_context():
        row = db.session.scalar(sa.select(ProfileLanguage))
        assert row.language.code == "en" and row.proficiency == 6  # native
