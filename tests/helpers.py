"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Capacity


def capacity_id(app: Any, code: str) -> int:
    """The id of the capacity with this directory code."""
    with app.app_context():
        found = db.session.scalar(sa.select(Capacity.id).where(Capacity.code == code))
    assert found is not None, code
    return found
