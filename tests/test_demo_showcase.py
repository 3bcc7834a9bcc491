"""The demo data (``flask capx seed-demo``) shows organizations, events, Diff news and the pilot
mentorship programs, is idempotent, keeps no private key, and the dashboard counts it right."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (DiffPost, Event, MentorshipApplication, MentorshipProgram, MentorshipQuestion, Organization,
                         OrganizationDetails, OrganizationManager, Profile, ProfileTerritory, Territory, User)
from capx.devtools.demo import seed_demo
from capx.devtools.demo_showcase import PILOT_PROGRAMS
from tests.conftest import html_text

TODAY = dt.datetime.now(dt.timezone.utc).date()


def _counts() -> dict[str, int]:
    def n(model: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))
    return {m.__name__: n(m) for m in (User, Organization, OrganizationManager, OrganizationDetails, Event, DiffPost,
                                       MentorshipProgram, MentorshipQuestion, MentorshipApplication)}


def test_seed_demo_shows_every_area_and_is_idempotent(app) -> None:
    with app.app_context():
        summary = seed_demo(40, echo=lambda _line: None, today=TODAY)
        first = _counts()
        seed_demo(40, echo=lambda _line: None, today=TODAY)
        assert _counts() == first
        assert summary.programs == 4 and summary.events == 24 and summary.organizations_filled >= 4
        programs = list(db.session.scalars(sa.select(MentorshipProgram)))
        # Found by English name or acronym (Wikimedia Brasil is the reference data's WMB), else created.
        assert {p.organization.acronym for p in programs} == {p["acronym"] for p in PILOT_PROGRAMS}
        for program in programs:
            assert program.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
            assert "PRIVATE" not in program.public_key_pem and len(program.key_fingerprint) == 64
            assert {q.role for q in program.questions} == {"mentor", "mentee"}
            # Every pilot organization has a manager, so its program is listed.
            assert db.session.scalar(sa.select(sa.exists().where(
                OrganizationManager.organization_id == program.organization_id)))
        statuses = {p.name: (p.registration_start <= TODAY <= p.registration_end, p.registration_start > TODAY)
                    for p in programs}
        assert sum(1 for open_, _ in statuses.values() if open_) == 2
        assert sum(1 for _, upcoming in statuses.values() if upcoming) == 1
        # Applications are encrypted for the program's own key.
        for a in db.session.scalars(sa.select(MentorshipApplication)):
            assert a.key_fingerprint == a.program.key_fingerprint
        upcoming_events = db.session.scalar(sa.select(sa.func.count()).select_from(Event)
                                            .where(Event.start_at > dt.datetime.combine(TODAY, dt.time())))
        assert upcoming_events >= 12


def test_demo_pages_show_the_showcase(app, client, login, make_user) -> None:
    with app.app_context():
        seed_demo(30, echo=lambda _line: None, today=TODAY)
        org_id = db.session.scalar(sa.select(OrganizationDetails.organization_id).order_by(
            OrganizationDetails.organization_id).limit(1))
        org_name = db.session.get(Organization, org_id).name_in(("en",))
    login(client, make_user("Visitor"))
    profile = html_text(client.get(f"/organization_profile/{org_id}"))
    assert "View document" in profile and "Read the report of activities" in profile
    events = html_text(client.get("/events"))
    assert "No events match" not in events and "/events.ics" in events
    mentorship = html_text(client.get("/mentorship"))
    for spec in PILOT_PROGRAMS:
        assert spec["name"] in mentorship
    assert mentorship.count("/apply/mentee") == 2  # the two open programs
    assert f"{org_name}: what we learned" in profile  # its Diff posts, from stored data


def test_dashboard_counts_and_shading_match_the_demo_data(app, client, login, make_user) -> None:
    with app.app_context():
        seed_demo(120, echo=lambda _line: None, today=TODAY)
        users = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_locked.is_(False)))
        organizations = db.session.scalar(sa.select(sa.func.count(sa.distinct(OrganizationManager.organization_id))))
        # Users per region, counted once whether they list the region or one of its countries.
        regions = dict(db.session.execute(sa.select(Territory.id, Territory.code).where(Territory.parent_id.is_(None))).all())
        parent = dict(db.session.execute(sa.select(Territory.id, Territory.parent_id)).all())
        per_region: dict[str, set[int]] = {code: set() for code in regions.values()}
        for profile_id, territory_id in db.session.execute(sa.select(ProfileTerritory.profile_id, ProfileTerritory.territory_id)
                                                           .join(Profile, Profile.id == ProfileTerritory.profile_id)):
            region = territory_id if parent[territory_id] is None else parent[territory_id]
            per_region[regions[region]].add(profile_id)
    viewer = make_user("Viewer")
    login(client, viewer)
    text = html_text(client.get("/data_analytics_dashboard"))
    # seed-demo refreshed the stored figures, so the viewer (made afterwards) is not counted yet.
    assert f'class="data-total__value">{users}<' in text
    assert f'class="data-total__value">{organizations}<' in text
    for code, profiles in per_region.items():
        assert f": {len(profiles)}</title>" in text.split(f'region={code}#region-card"')[1].split("</a>")[0]
    densest = max(per_region, key=lambda c: len(per_region[c]))
    region_link = text.split(f'region={densest}#region-card"')[1].split("</a>")[0]
    assert 'data-density="4"' in region_link  # the highest class of the legend
    # The same figures as a table, and the card by the region's link.
    card_page = html_text(client.get(f"/data_analytics_dashboard?region={densest}"))
    card = card_page.split('id="region-card"')[1].split("</section>")[0]
    assert f"<dd>{len(per_region[densest])}</dd>" in card
    assert re.search(r"<caption>The map as a table</caption>", card_page)
