"""Factories shared by the organization and event tests."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import sqlalchemy as sa

from capx.clients.diff import DiffClient
from capx.extensions import db
from capx.models import Event, Organization, OrganizationManager, OrganizationName, utcnow
from capx.services.news import NewsSummary, fetch_news


def make_org(app: Any, name: str = "Wikimedia Exemplo", managers: tuple[Any, ...] = (), acronym: str | None = None,
             **kwargs: Any) -> int:
    with app.app_context():
        org = Organization(acronym=acronym, **kwargs)
        org.names.append(OrganizationName(lang="en", name=name))
        db.session.add(org)
        db.session.flush()
        for user in managers:
            db.session.add(OrganizationManager(organization_id=org.id, user_id=user.id))
        db.session.commit()
        return org.id


def make_event(app: Any, org_id: int, title: str = "Editathon", start: dt.datetime | None = None,
               hours: int = 2, **kwargs: Any) -> int:
    with app.app_context():
        start = start or (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
        kwargs.setdefault("url", "https://example.org/event")
        kwargs.setdefault("format", "online")
        event = Event(organization_id=org_id, title=title, start_at=start, end_at=start + dt.timedelta(hours=hours),
                      **kwargs)
        db.session.add(event)
        db.session.commit()
        return event.id


def run_fetch_news(echo: Callable[[str], None] = lambda _line: None) -> NewsSummary:
    """The fetch-news job as ``flask capx fetch-news`` runs it (in an app context): tag by tag, each committed."""
    summary = NewsSummary()
    for _slug in fetch_news(DiffClient(), summary, echo=echo):
        db.session.commit()
    return summary


def capacity_ids(app: Any, n: int = 3) -> list[int]:
    """Some capacities: a root and two of its descendants."""
    from capx.models import Capacity

    with app.app_context():
        root = db.session.scalar(sa.select(Capacity).where(Capacity.parent_id.is_(None)).order_by(Capacity.id))
        child = db.session.scalar(sa.select(Capacity).where(Capacity.parent_id == root.id).order_by(Capacity.id))
        grandchild = db.session.scalar(sa.select(Capacity).where(Capacity.parent_id == child.id).order_by(Capacity.id))
        ids = [root.id, child.id] + ([grandchild.id] if grandchild else [])
        return ids[:n]
