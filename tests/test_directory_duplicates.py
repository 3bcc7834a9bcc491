"""Approving a capacity suggestion whose name a capacity already has (issue 19): equal after case
and accent folding in any language CapX holds, also when two staff approve at the same moment; the
staff member may reject it as a duplicate (linking the existing capacity) or approve it under
another name."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from capx import create_app
from capx.extensions import db
from capx.models import Capacity, CapacitySuggestion, CapacityText, User
from capx.services import directory as service
from capx.services.capacity_names import SameName
from capx.support import stamps
from tests.conftest import html_text
from tests.conftest import test_config as config_for_tests
from tests.helpers import capacity_id


def pending(app: Any, user: Any, title: str) -> int:
    with app.app_context():
        row = CapacitySuggestion(user_id=user.id, title=title, description="Something", status="pending")
        db.session.add(row)
        db.session.commit()
        return row.id


def approve(client: Any, suggestion_id: int, name: str) -> Any:
    return client.post(f"/capacity/suggestions/{suggestion_id}/approve", data={
        f"a{suggestion_id}-name": name, f"a{suggestion_id}-description": "", f"a{suggestion_id}-parent": "",
        f"a{suggestion_id}-note": ""})


def capacities_named(app: Any, folded: str) -> list[int]:
    from capx.services.capacities import fold

    with app.app_context():
        return sorted({cid for cid, name in db.session.execute(sa.select(CapacityText.capacity_id, CapacityText.name))
                       if fold(name) == folded})


@pytest.mark.mutates_reference
def test_two_suggestions_with_one_name_make_one_capacity(app: Any, client: Any, make_user: Any, login: Any) -> None:
    ana = make_user("Ana Exemplo")
    staff = make_user("Staff Member", is_staff=True)
    first, second = pending(app, ana, "Podcasting"), pending(app, ana, "podcasting")
    login(client, staff)
    assert approve(client, first, "Podcasting").status_code == 302
    response = approve(client, second, "PODCÁSTING ")
    assert response.status_code == 422
    page = html_text(response)
    existing = capacities_named(app, "podcasting")
    assert len(existing) == 1
    assert "A capacity with this name already exists" in page
    assert f'href="/capacity/{existing[0]}"' in page
    # Both ways out are offered: reject as a duplicate, or approve under another name (typed text kept).
    assert f'action="/capacity/suggestions/{second}/reject"' in page
    assert f'action="/capacity/suggestions/{second}/approve"' in page and 'value="PODCÁSTING "' in page
    with app.app_context():
        assert db.session.get(CapacitySuggestion, second).status == "pending"


@pytest.mark.mutates_reference
def test_reject_as_duplicate_links_the_existing_capacity(app: Any, client: Any, make_user: Any, login: Any) -> None:
    ana = make_user("Ana Exemplo")
    staff = make_user("Staff Member", is_staff=True)
    suggestion = pending(app, ana, "Communication")
    comm = capacity_id(app, "communication")
    login(client, staff)
    page = html_text(approve(client, suggestion, "communication"))
    assert f'name="r{suggestion}-duplicate_of" type="hidden" value="{comm}"' in page
    response = client.post(f"/capacity/suggestions/{suggestion}/reject", data={
        f"r{suggestion}-note": "Already in the directory", f"r{suggestion}-duplicate_of": str(comm)})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(CapacitySuggestion, suggestion)
        assert (row.status, row.capacity_id) == ("rejected", comm)
    login(client, ana)
    assert f'href="/capacity/{comm}"' in html_text(client.get("/capacity/suggestions/mine"))


@pytest.mark.mutates_reference
def test_approve_under_another_name(app: Any, client: Any, make_user: Any, login: Any) -> None:
    ana = make_user("Ana Exemplo")
    staff = make_user("Staff Member", is_staff=True)
    suggestion = pending(app, ana, "Communication")
    login(client, staff)
    assert approve(client, suggestion, "Communication").status_code == 422
    assert approve(client, suggestion, "Communication for chapters").status_code == 302
    assert len(capacities_named(app, "communication for chapters")) == 1


@pytest.mark.mutates_reference
def test_a_name_in_another_language_is_the_same_capacity(app: Any, client: Any, make_user: Any, login: Any) -> None:
    ana = make_user("Ana Exemplo")
    staff = make_user("Staff Member", is_staff=True)
    comm = capacity_id(app, "communication")
    with app.app_context():
        db.session.add(CapacityText(capacity_id=comm, lang="pt-br", name="Comunicação", name_source="local"))
        db.session.commit()
    suggestion = pending(app, ana, "Comunicacao")
    login(client, staff)
    response = client.post(f"/capacity/suggestions/{suggestion}/approve?uselang=pt-br", data={
        f"a{suggestion}-name": "comunicacao", f"a{suggestion}-description": "", f"a{suggestion}-parent": "",
        f"a{suggestion}-note": ""})
    assert response.status_code == 422
    from capx.translations import message

    assert str(message("directory-duplicate-title", (), "pt-br")) in html_text(response)


@pytest.mark.mutates_reference
def test_two_staff_approving_at_the_same_moment(app: Any, database_urls: tuple[str, str], make_user: Any) -> None:
    """Two approvals of one name in two sessions (two app instances, as two workers): the second
    waits for the first and finds its capacity, on SQLite and on MariaDB."""
    ana = make_user("Ana Exemplo")
    staff = make_user("Staff Member", is_staff=True)
    first, second = pending(app, ana, "Data journalism"), pending(app, ana, "Data Journalism")
    with app.app_context():
        stamps.ensure(db.session.connection())
        db.session.commit()
    other = create_app(config_for_tests(*database_urls))
    first_inside = threading.Event()
    results: dict[str, Any] = {}

    def run(instance: Any, suggestion_id: int, name: str, hold: bool) -> None:
        with instance.app_context():
            try:
                suggestion = db.session.get(CapacitySuggestion, suggestion_id)
                user = db.session.get(User, staff.id)
                db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))  # a snapshot, like a request's
                if not hold:
                    first_inside.wait(10)
                approval = service.Approval(name=name, description="", parent_id=None, note=None)
                outcome = service.approve_suggestion(suggestion, user, approval)
                if hold:
                    first_inside.set()
                    threading.Event().wait(0.8)  # the other approval starts meanwhile and must wait
                results[name] = outcome
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                results[name] = exc
                db.session.rollback()

    threads = [threading.Thread(target=run, args=(app, first, "Data journalism", True)),
               threading.Thread(target=run, args=(other, second, "data journalísm", False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(results["Data journalism"], Capacity), results
    assert isinstance(results["data journalísm"], SameName), results
    assert len(capacities_named(app, "data journalism")) == 1


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decided_suggestion_goes_back_to_the_queue(app: Any, client: Any, make_user: Any, login: Any,
                                                     decision: str) -> None:
    ana = make_user("Ana Exemplo")
    with app.app_context():
        row = CapacitySuggestion(user_id=ana.id, title="Podcasting", description="Something", status="rejected")
        db.session.add(row)
        db.session.commit()
        decided = row.id
    login(client, make_user("Staff Member", is_staff=True))
    response = client.post(f"/capacity/suggestions/{decided}/{decision}", data={}, follow_redirects=True)
    assert response.request.path == "/capacity/suggestions"
    assert "Someone already decided on this suggestion." in html_text(response)
    assert client.post(f"/capacity/suggestions/999999/{decision}", data={}).status_code == 404
    with app.app_context():
        assert db.session.get(CapacitySuggestion, decided).status == "rejected"
