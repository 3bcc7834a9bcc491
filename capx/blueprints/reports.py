"""Bug reports: Submit and Submissions tabs for everyone, a triage page for staff."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from capx.access import current_user, login_required, staff_required
from capx.extensions import db
from capx.forms import reports as forms
from capx.models import REPORT_STATUSES, BugReport, User, utcnow
from capx.models.reports import DESCRIPTION_MAX, REPLY_MAX, TITLE_MAX
from capx.services import reports as service
from capx.services.filing_limits import FilingLimits
from capx.support.pagination import requested_page
from capx.translations import LazyMessage

bp = Blueprint("reports", __name__)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"report_type_labels": forms.TYPE_LABELS, "report_status_labels": forms.STATUS_LABELS}


@bp.route("/report_bug", methods=["GET", "POST"])
@login_required
def index() -> Any:
    """The Submit tab: the form; a valid POST files the report and opens Submissions."""
    user = current_user()
    assert user is not None
    if request.method == "GET":
        return _submit_page(forms.report_form(), 200)
    checked = forms.read_report(request.form)
    if checked.value is None:
        return _submit_page(checked.form, 422)
    reached = service.filing_limit_reached(user, filing_limits(), utcnow())
    if reached is not None:
        db.session.rollback()
        return _submit_page(checked.form, 422, limit_error=forms.limit_message(reached))
    service.file_report(user, checked.value)
    db.session.commit()
    flash("reports-filed", "success")
    return redirect(url_for("reports.submissions"))


def filing_limits() -> FilingLimits:
    """Reports one person may file per hour and per day (CAPX_REPORT_LIMIT_HOUR / _DAY)."""
    return FilingLimits(per_hour=int(current_app.config.get("CAPX_REPORT_LIMIT_HOUR", 5)),
                        per_day=int(current_app.config.get("CAPX_REPORT_LIMIT_DAY", 20)))


def _submit_page(form: forms.ReportForm, status: int, limit_error: LazyMessage | None = None) -> tuple[str, int]:
    return render_template("reports/submit.html", form=form, title_max=TITLE_MAX,
                           description_max=DESCRIPTION_MAX, limit_error=limit_error), status


@bp.get("/report_bug/submissions")
@login_required
def submissions() -> str:
    """The Submissions tab: the user's own reports with status, dates and replies."""
    user = current_user()
    assert user is not None
    return render_template("reports/submissions.html", reports=service.reports_of(user))


def _visible_report_or_404(report_id: int) -> tuple[User, BugReport]:
    """The logged-in user and the report, when they may see it (reporter or staff); else 404."""
    user = current_user()
    assert user is not None
    found = service.visible_report(user, report_id)
    if found is None:
        abort(404)
    return user, found


@bp.get("/report_bug/<int:report_id>")
@login_required
def report(report_id: int) -> str:
    """One report, for its reporter and staff (404 for anyone else)."""
    user, found = _visible_report_or_404(report_id)
    form = forms.triage_form(found.status, found.staff_reply) if user.is_staff else None
    return render_template("reports/report.html", report=found, form=form, reply_max=REPLY_MAX)


@bp.get("/report_bug/triage")
@staff_required
def triage() -> str:
    """Staff: every report, filterable by status."""
    status = request.args.get("status") or None
    page, rows, counts = service.triage_list(status, requested_page(request.args))
    return render_template("reports/triage.html", page=page, rows=rows, counts=counts,
                           status=status if status in REPORT_STATUSES else None, statuses=REPORT_STATUSES)


@bp.post("/report_bug/<int:report_id>/triage")
@staff_required
def update(report_id: int) -> Any:
    """Staff: change the status and the reply."""
    user, found = _visible_report_or_404(report_id)
    checked = forms.read_triage(request.form)
    if checked.value is None:
        return render_template("reports/report.html", report=found, form=checked.form, reply_max=REPLY_MAX), 422
    service.triage(found, user, checked.value)
    db.session.commit()
    flash("reports-triaged", "success")
    return redirect(url_for("reports.report", report_id=found.id))
