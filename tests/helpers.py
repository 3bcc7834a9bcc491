"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Capacity, Profile, User, utcnow


def capacity_id(app: Any, code: str) -> int:
    """The id of the capacity with this directory code."""
    with app.app_context():
        found = db.session.scalar(sa.select(Capacity.id).where(Capacity.code == code))
    assert found is not None, code
    return found


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
