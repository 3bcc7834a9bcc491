"""The organization visibility rule ("visible only while it has a manager"), written once in
capx.services.organizations, as a table: every form of the rule (the predicate, the SQL condition,
the id subquery, the query, the one-row checks) and the places that apply it agree on every row."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import Organization, OrganizationManager, User
from capx.services import home
from capx.services import organizations as rule
from capx.services.saved import save_organization
from tests.orgs_helpers import make_event, make_org

# (managers added, managers removed afterwards, visible?)
ROWS = [
    # never managed
    (0, 0, False),
    # one manager, two managers
    (1, 0, True),
    (2, 0, True),
    # every manager left again
    (1, 1, False),
    (2, 2, False),
    # one of two left
    (2, 1, True),
]


@pytest.mark.parametrize(("added", "removed", "expected"), ROWS)
def test_every_form_of_the_rule_agrees(app: Any, make_user: Any, client: Any, login: Any,
                                       added: int, removed: int, expected: bool) -> None:
    managers = [make_user(f"Manager {i}") for i in range(added)]
    org_id = make_org(app, "Wikimedia Exemplo", managers=tuple(managers))
    event_id = make_event(app, org_id)
    with app.app_context():
        for manager in managers[:removed]:
            db.session.execute(sa.delete(OrganizationManager).where(
                OrganizationManager.organization_id == org_id, OrganizationManager.user_id == manager.id))
        db.session.commit()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationManager)
                                  .where(OrganizationManager.organization_id == org_id))
        assert rule.visible_given(count) is expected
        assert (db.session.scalar(sa.select(rule.visible()).select_from(Organization)
                                  .where(Organization.id == org_id)) or False) is expected
        assert (org_id in set(db.session.scalars(rule.visible_organization_ids_subquery()))) is expected
        assert (org_id in {o.id for o in db.session.scalars(rule.visible_organizations_query())}) is expected
        assert rule.is_visible_id(org_id) is expected
        assert rule.is_visible(db.session.get(Organization, org_id)) is expected
        assert home.landing_figures().organizations == (1 if expected else 0)
    # The places that apply it: saving as a non-staff user, and the organization's event page.
    visitor = make_user("Visitor")
    with app.app_context():
        assert save_organization(db.session.get(User, visitor.id), org_id) is expected
        db.session.rollback()
    login(client, visitor)
    assert client.get(f"/events/{event_id}").status_code == (200 if expected else 404)


@pytest.mark.parametrize("managers", [0, 1, 2, 5])
def test_the_predicate(managers: int) -> None:
    assert rule.visible_given(managers) is (managers > 0)
