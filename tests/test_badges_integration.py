"""Badges move with the actions that earn them, not only with the daily job."""

from __future__ import annotations

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Badge, Organization, OrganizationName, User, UserBadge


def test_becoming_a_manager_earns_the_badge_at_once(app, make_user):
    from capx.services import organizations

    user = make_user("Future Manager")
    with app.app_context():
        org = Organization(acronym="TST")
        db.session.add(org)
        db.session.flush()
        db.session.add(OrganizationName(organization_id=org.id, lang="en", name="Test org"))
        organizations.add_manager(org, db.session.get(User, user.id))
        db.session.commit()
        badge = db.session.scalar(sa.select(UserBadge).join(Badge).where(UserBadge.user_id == user.id,
                                                                         Badge.code == "organization-manager"))
        assert badge is not None and badge.earned and badge.issued_at is not None
