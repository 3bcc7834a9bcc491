"""Whether the database answers, for the health check that monitoring polls."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from capx.extensions import db

log = logging.getLogger(__name__)


def database_answers() -> bool:
    """True when the main database runs ``SELECT 1``; after a failure the session is rolled back,
    so the request can still answer."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable" here
        log.info("health check: database unreachable: %s", exc)
        db.session.rollback()
        return False
    return True
