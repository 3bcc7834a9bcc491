"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Capacity, Profile, User, utcnow


def capacity_id(app: Any, code: str) -> int:
    """The id of the capacity with this directory code."""
    with app.app_context():
        found = db.session.scalar(sa.select(Capacity.id).where(Capacity.code == code))
    assert found is not None, code
    return found


def on_metabase(app: Any, code: str) -> int:
    """Give the capacity ``code`` Metabase item Q70003, the one of the recorded Metabase samples
    (committed); its id."""
    with app.app_context():
        cap = db.session.scalar(sa.select(Capacity).where(Capacity.code == code))
        assert cap is not None
        cap.metabase_qid = "Q70003"
        db.session.commit()
        return cap.id


def create_user(app: Any, username: str, central_id: int, **kwargs: Any) -> User:
    """A user with an (empty) profile, committed, detached from the session (usable after it ends)."""
    with app.app_context():
        kwargs.setdefault("registered_at", utcnow())
        user = User(username=username, central_id=central_id, **kwargs)
        db.session.add(user)
        db.session.flush()
        db.session.add(Profile(user_id=user.id))
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


# -- access matrices (tests/security): the answer each actor must get -----------------------------

#: ``LOGIN``: a 302 to the login page (with ``next``); ``REDIRECT``: any other 302 (the action
#: happened); any other expected answer is a status code.
LOGIN, REDIRECT = "login", "redirect"


def matrix_cells(matrix: list[tuple[str, str, str, tuple[Any, ...]]], actors: tuple[str, ...]) -> list[Any]:
    """One pytest case per (row, actor) of an access matrix of (method, url, data kind, answers)."""
    return [pytest.param(method, url, kind, actor, expected[i], id=f"{method} {url} [{kind or '-'}] as {actor}")
            for method, url, kind, expected in matrix for i, actor in enumerate(actors)]


def assert_answer(response: Any, expected: Any) -> None:
    """The response is the ``expected`` answer of an access matrix cell."""
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302 and "/login?next=" in location, (response.status_code, location)
    elif expected == REDIRECT:
        assert response.status_code == 302 and "/login" not in location, (response.status_code, location)
    else:
        assert response.status_code == expected
