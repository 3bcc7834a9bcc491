"""Bug reports: filing, the reporter's list, and the staff triage.

Who may see a report is decided here (:func:`visible_report`): its reporter and staff, nobody
else. Reporters cannot change a report once filed; staff change its status and reply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from capx.extensions import db
from capx.models import REPORT_STATUSES, REPORT_TYPES, BugReport, User, utcnow
from capx.services.filing_limits import FilingLimits, LimitReached, limit_reached
from capx.support.pagination import Page, make_page


@dataclass(frozen=True)
class NewReport:
    """A report as a reporter files it (checked by capx.forms.reports)."""

    title: str
    description: str
    type: str


@dataclass(frozen=True)
class TriageDecision:
    """What staff decide about a report: its status, and the reply the reporter reads (or none)."""

    status: str
    reply: str | None


def filing_limit_reached(reporter: User, limits: FilingLimits, now: dt.datetime) -> LimitReached | None:
    """Whether ``reporter`` filed as many reports as ``limits`` allow (staff never do)."""
    return limit_reached(reporter, BugReport.reporter_id, BugReport.created_at, limits, now)


def file_report(reporter: User, new: NewReport) -> BugReport:
    """Store a new report (status New) and flush; the caller commits."""
    if new.type not in REPORT_TYPES:
        raise ValueError(f"unknown report type {new.type!r}")
    report = BugReport(reporter_id=reporter.id, title=new.title.strip(), description=new.description.strip(),
                       type=new.type, status="new")
    db.session.add(report)
    db.session.flush()
    return report


def reports_of(reporter: User) -> list[BugReport]:
    """The reporter's own reports, newest first (one query)."""
    return list(db.session.scalars(sa.select(BugReport).where(BugReport.reporter_id == reporter.id)
                                   .order_by(BugReport.created_at.desc(), BugReport.id.desc())))


def visible_report(viewer: User, report_id: int) -> BugReport | None:
    """The report when ``viewer`` may see it (reporter or staff), else None (same answer as
    for a report that does not exist, so nobody learns that it does)."""
    report = db.session.get(BugReport, report_id)
    if report is None or not (viewer.is_staff or report.reporter_id == viewer.id):
        return None
    return report


def triage_list(status: str | None, page_number: int, per_page: int = 30) -> tuple[Page, list[BugReport], dict[str, int]]:
    """Reports for staff, filtered by status, oldest open first; with the count per status."""
    counts = dict(db.session.execute(sa.select(BugReport.status, sa.func.count()).group_by(BugReport.status))
                  .all())
    query = sa.select(BugReport).options(joinedload(BugReport.reporter))
    if status in REPORT_STATUSES:
        query = query.where(BugReport.status == status)
    total = sum(counts.get(s, 0) for s in REPORT_STATUSES) if status not in REPORT_STATUSES else counts.get(status, 0)
    page = make_page(page_number, per_page, total)
    rows = list(db.session.scalars(query.order_by(BugReport.created_at.desc(), BugReport.id.desc())
                                   .offset(page.offset).limit(per_page)))
    return page, rows, {s: counts.get(s, 0) for s in REPORT_STATUSES}


def triage(report: BugReport, staff: User, decision: TriageDecision) -> None:
    """Staff set the status and the reply (an empty reply removes it), flushed; the caller commits."""
    if decision.status not in REPORT_STATUSES:
        raise ValueError(f"unknown status {decision.status!r}")
    report.status = decision.status
    report.staff_reply = (decision.reply or "").strip() or None
    report.triaged_by_id = staff.id
    report.updated_at = utcnow()
    db.session.flush()
