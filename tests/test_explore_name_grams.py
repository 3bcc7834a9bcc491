"""Name search's grams (ProfileNameGram): the database cuts the same grams as Python does, every
ORM write and bulk seeding keeps them current, and a name search finds the same people whether
its rarest gram drives the query or the date index is walked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Profile, ProfileNameGram, User
from capx.models.people import name_grams
from capx.services.explore import planner
from tests.conftest import html_text, statements_run
from tests.explore_helpers import card_names, person


def stored_grams(app: Any) -> dict[str, set[str]]:
    """Each user name's stored grams."""
    with app.app_context():
        out: dict[str, set[str]] = {}
        for username, gram in db.session.execute(
                sa.select(User.username, ProfileNameGram.gram)
                .join(Profile, Profile.user_id == User.id)
                .join(ProfileNameGram, ProfileNameGram.profile_id == Profile.id)):
            out.setdefault(username, set()).add(gram)
        return out


def expected_grams(app: Any) -> dict[str, set[str]]:
    with app.app_context():
        return {username: name_grams(search_name) for username, search_name in db.session.execute(
            sa.select(User.username, Profile.search_name).join(Profile, Profile.user_id == User.id))
            if name_grams(search_name)}


@pytest.mark.parametrize("username", [
    "Ana",                    # one gram
    "Al",                     # too short for any
    "José Müller",            # accents folded first, then cut
    "ÅÅÅÅ Straße",            # repeated grams stored once; ß folds to ss
    "Ольга Иванова",          # non-Latin scripts
    "李小龍 ∑ emoji 😀 name",  # CJK, symbols and characters outside the BMP (utf8mb4)
])
def test_the_database_cuts_the_grams_python_cuts(app: Any, make_user: Any, username: str) -> None:
    make_user(username)
    assert stored_grams(app).get(username, set()) == expected_grams(app).get(username, set())


def test_grams_follow_renames_alternative_accounts_and_deletion(app: Any, make_user: Any) -> None:
    user = make_user("Original Name")
    with app.app_context():
        db.session.get(User, user.id).username = "Renamed Person"
        db.session.commit()
    assert stored_grams(app)["Renamed Person"] == name_grams("renamed person")
    with app.app_context():
        db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id)).alt_account = "Alt Account"
        db.session.commit()
    grams = stored_grams(app)["Renamed Person"]
    assert grams == name_grams("renamed person\nalt account")
    assert "n\na" not in grams and not any("\n" in g for g in grams)  # never across the two names
    with app.app_context():
        db.session.delete(db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id)))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileNameGram)) == 0


def test_demo_seeding_and_copies_write_grams(app: Any, monkeypatch: Any) -> None:
    from capx.devtools import demo

    with app.app_context():
        demo.seed_demo(30, echo=lambda _line: None, showcase=False)
        monkeypatch.setattr(demo, "REPLICATION_CHUNK", 7)
        demo.replicate_demo(60, base=30, echo=lambda _line: None)
    stored, expected = stored_grams(app), expected_grams(app)
    assert len(expected) == 60
    assert stored == expected


@pytest.fixture()
def crowd(app: Any, make_user: Any, login: Any, client: Any) -> None:
    """One rare name among many people sharing common grams."""
    login(client, make_user("Viewer"))
    for i in range(12):
        person(app, make_user, f"Maria Silva {i}", known=["budgeting"], minutes=i)
    person(app, make_user, "Zygmunt Quorx", known=["budgeting"], minutes=30)
    person(app, make_user, "Maria Quorxson", known=["budgeting"], minutes=40)
    person(app, make_user, "Incomplete Quorx", minutes=50)


@pytest.mark.parametrize("shape", ["gram", "walk"])
@pytest.mark.parametrize(("query", "expected"), [
    ("quorx", ["Maria Quorxson", "Zygmunt Quorx"]),
    ("ZYGMUNT QUORX", ["Zygmunt Quorx"]),
    ("gmunt qu", ["Zygmunt Quorx"]),         # across the space inside a name
    ("silva 1", ["Maria Silva 11", "Maria Silva 10", "Maria Silva 1"]),
    ("aria q", ["Maria Quorxson"]),
    ("qu", ["Maria Quorxson", "Zygmunt Quorx"]),  # shorter than a gram: always the walk
    ("quorxz", []),
])
def test_name_search_finds_the_same_people_in_both_shapes(app: Any, client: Any, crowd: None, monkeypatch: Any,
                                                          shape: str, query: str, expected: list[str]) -> None:
    if shape == "walk":
        monkeypatch.setattr(planner, "choose_driver", lambda *_args: None)
    response = client.get("/feed?" + urlencode({"name": query}))
    assert response.status_code == 200
    assert card_names(html_text(response)) == expected


def test_a_rare_name_drives_from_its_rarest_gram(app: Any, client: Any, crowd: None) -> None:
    with statements_run(app) as statements:
        assert card_names(html_text(client.get("/feed?name=zygmunt"))) == ["Zygmunt Quorx"]
    ids_query = next(s for s in statements if "ORDER BY profile.updated_at DESC" in s)
    assert "profile_name_gram" in ids_query


def test_with_statistics_the_rarest_gram_comes_from_the_stored_counts(app: Any, client: Any, crowd: None,
                                                                     make_user: Any) -> None:
    """After the job, each gram's profile count is stored; a name search reads those few rows
    instead of counting, and a gram the job has not seen (a newer name) counts as rare."""
    from capx.services.statistics import forget_filter_value_counts, name_gram_counts, refresh_statistics

    with app.app_context():
        refresh_statistics()
        db.session.commit()  # the job commits (the service flushes)
        counts = name_gram_counts(["quo", "mar", "zzz"])
        db.session.remove()
    forget_filter_value_counts()
    assert counts == {"quo": 3, "mar": 13}  # the three Quorx names; twelve Marias and Maria Quorxson
    person(app, make_user, "Newer Vwxyz", known=["budgeting"], minutes=60)
    with statements_run(app) as statements:
        assert card_names(html_text(client.get("/feed?name=vwxyz"))) == ["Newer Vwxyz"]
        assert card_names(html_text(client.get("/feed?name=quorx"))) == ["Maria Quorxson", "Zygmunt Quorx"]
    # the page's own count rides on its ids query (SELECT profile.id, count ...); no other count runs
    assert not any("count(*)" in s.lower() and not s.startswith("SELECT profile.id") for s in statements)
    assert sum("FROM name_gram_count" in s for s in statements) == 2


def test_a_names_words_count_as_independent_for_the_walk(app: Any, crowd: None) -> None:
    """Two common words together keep far fewer profiles than the rarest gram says: the walk's
    share multiplies each word's own share, the driven rows stay the rarest gram's."""
    from capx.services.statistics import filter_value_counts, forget_filter_value_counts, refresh_statistics

    with app.app_context():
        refresh_statistics()
        db.session.commit()
    forget_filter_value_counts()
    with app.test_request_context():
        profiles = filter_value_counts().profiles
        both = planner._name_filter("Maria Silva")
        one = planner._name_filter("silva")
    assert both.estimate == 12 and one.estimate == 12  # "sil": the twelve Maria Silvas
    assert both.kept == int(13 / profiles * 12 / profiles * profiles) < 12  # "mar" 13 × "sil" 12
    assert one.kept == 12
    forget_filter_value_counts()
