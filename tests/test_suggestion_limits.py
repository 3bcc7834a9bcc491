"""How many capacity suggestions one person may send (issue 19: one account sent 20 in a row):
counted from the stored suggestions, so every worker and replica agrees; staff exempt."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import CapacitySuggestion, utcnow
from tests.conftest import html_text
from tests.limit_helpers import check_hourly_limit


def suggest(client: Any, **data: str) -> Any:
    form = {"title": "Podcasting", "description": "Making audio shows", "reason": "", "parent": "", **data}
    return client.post("/capacity/suggest", data=form)


def count(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CapacitySuggestion)) or 0


def backdate(app: Any, **delta: float) -> None:
    with app.app_context():
        for row in db.session.scalars(sa.select(CapacitySuggestion)):
            row.created_at = utcnow() - dt.timedelta(**delta)
        db.session.commit()


def test_hourly_suggestion_limit_keeps_the_typed_text(app: Any, client: Any, make_user: Any, login: Any) -> None:
    login(client, make_user("Ana Exemplo"))
    check_hourly_limit(lambda **data: suggest(client, **data), lambda: count(app), lambda **delta: backdate(app, **delta),
                       "You have sent 5 suggestions in the last hour, the most one person can send.")


def test_daily_suggestion_limit_translated(app: Any, client: Any, make_user: Any, login: Any, monkeypatch: Any) -> None:
    from capx.translations import message

    monkeypatch.setitem(app.config, "CAPX_SUGGESTION_LIMIT_HOUR", 10)
    monkeypatch.setitem(app.config, "CAPX_SUGGESTION_LIMIT_DAY", 2)
    login(client, make_user("Ana Exemplo"))
    assert [suggest(client, title=f"C{i}").status_code for i in range(2)] == [302, 302]
    backdate(app, hours=20)
    response = client.post("/capacity/suggest?uselang=pt-br", data={"title": "Terceira", "description": "Texto",
                                                                    "reason": "", "parent": ""})
    assert response.status_code == 422
    assert str(message("directory-suggest-error-limit-day", (2,), "pt-br")) in html_text(response)
    assert count(app) == 2


def test_staff_have_no_suggestion_limit(app: Any, client: Any, make_user: Any, login: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "CAPX_SUGGESTION_LIMIT_HOUR", 1)
    login(client, make_user("Staff Member", is_staff=True))
    assert [suggest(client, title=f"C{i}").status_code for i in range(3)] == [302] * 3
