"""The database going away after a view answered (during the session's closing rollback) must not
turn the answer into a 500 (found by tests/faults/test_database_restart.py, which hit it by chance)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session


def test_rollback_failing_at_teardown_keeps_the_answer(app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_close = Session.close

    def dying_close(self: Session) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sa_exc.OperationalError("ROLLBACK", {}, Exception("Lost connection to MySQL server during query"))
        real_close(self)

    monkeypatch.setattr(Session, "close", dying_close)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert calls["n"] >= 1
    monkeypatch.setattr(Session, "close", real_close)
    assert client.get("/healthz").status_code == 200
