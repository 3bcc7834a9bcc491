"""Bug reports: Submit and Submissions tabs for everyone, a triage page for staff."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from capx.access import current_user, login_required, staff_required
from capx.extensions import db
from capx.models import REPORT_STATUSES, REPORT_TYPES
from capx.models.reports import DESCRIPTION_MAX, REPLY_MAX, TITLE_MAX
from capx.services import reports as service
from capx.support.pagination import requested_page
from capx.translations import lazy_msg

bp = Blueprint("reports", __name__)


class ReportForm(FlaskForm):
    title = StringField(lazy_msg("reports-field-title"), validators=[
        DataRequired(message=lazy_msg("form-error-required")),  # type: ignore[arg-type]
        Length(max=TITLE_MAX, message=lazy_msg("form-error-too-long", TITLE_MAX))])  # type: ignore[arg-type]
    description = TextAreaField(lazy_msg("reports-field-description"), validators=[
        DataRequired(message=lazy_msg("form-error-required")),  # type: ignore[arg-type]
        Length(max=DESCRIPTION_MAX, message=lazy_msg("form-error-too-long", DESCRIPTION_MAX))])  # type: ignore[arg-type]
    type = SelectField(lazy_msg("reports-field-type"),
                       choices=[SelectChoice(t, lazy_msg(f"reports-type-{t}")) for t in REPORT_TYPES])  # type: ignore[arg-type]


class TriageForm(FlaskForm):
    status = SelectField(lazy_msg("reports-field-status"),
                         choices=[SelectChoice(s, lazy_msg(f"reports-status-{s}")) for s in REPORT_STATUSES])  # type: ignore[arg-type]
    reply = TextAreaField(lazy_msg("reports-field-reply"), validators=[
        Length(max=REPLY_MAX, message=lazy_msg("form-error-too-long", REPLY_MAX))])  # type: ignore[arg-type]


@bp.route("/report_bug", methods=["GET", "POST"])
@login_required
def index() -> Any:
    """The Submit tab: the form; a valid POST files the report and opens Submissions."""
    user = current_user()
    assert user is not None
    form = ReportForm()
    if form.validate_on_submit():
        service.file_report(user, form.title.data or "", form.description.data or "", form.type.data or "error")
        db.session.commit()
        flash("reports-filed", "success")
        return redirect(url_for("reports.submissions"))
    status = 422 if request.method == "POST" else 200
    return render_template("reports/submit.html", form=form, title_max=TITLE_MAX,
                           description_max=DESCRIPTION_MAX), status


@bp.get("/report_bug/submissions")
@login_required
def submissions() -> str:
    """The Submissions tab: the user's own reports with status, dates and replies."""
    user = current_user()
    assert user is not None
    return render_template("reports/submissions.html", reports=service.reports_of(user))


@bp.get("/report_bug/<int:report_id>")
@login_required
def report(report_id: int) -> str:
    """One report, for its reporter and staff (404 for anyone else)."""
    user = current_user()
    assert user is not None
    found = service.visible_report(user, report_id)
    if found is None:
        abort(404)
    form = TriageForm(formdata=None, status=found.status, reply=found.staff_reply) if user.is_staff else None
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
    user = current_user()
    assert user is not None
    found = service.visible_report(user, report_id)
    if found is None:
        abort(404)
    form = TriageForm()
    if not form.validate():
        return render_template("reports/report.html", report=found, form=form, reply_max=REPLY_MAX), 422
    service.triage(found, user, form.status.data or "new", form.reply.data)
    db.session.commit()
    flash("reports-triaged", "success")
    return redirect(url_for("reports.report", report_id=found.id))
