"""Bug report forms: what a reporter files, and what staff decide about a report.

The worked example of docs/ARCHITECTURE.md ("How to add a feature"): the blueprint hands the
submitted data to :func:`read_report` / :func:`read_triage`, which check it and return a
:class:`~capx.forms.errors.Checked` with the service's typed input (:class:`NewReport`,
:class:`TriageDecision`) or the errors; the service applies the rules and flushes; the blueprint
commits once.
"""

from __future__ import annotations

from typing import Mapping

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired

from capx.forms import filing_limits
from capx.forms.characters import MaxCharacters
from capx.forms.errors import Checked, FormErrors
from capx.models import REPORT_STATUSES, REPORT_TYPES
from capx.models.reports import DESCRIPTION_MAX, REPLY_MAX, TITLE_MAX
from capx.services.filing_limits import LimitReached
from capx.services.reports import NewReport, TriageDecision
from capx.translations import LazyMessage, lazy_msg


#: What each report type and status is called (lazy: shown in the page's language). Templates use
#: these too (``report_type_labels``, ``report_status_labels``), so no message key is built at run time.
TYPE_LABELS = {"error": lazy_msg("reports-type-error"), "feature": lazy_msg("reports-type-feature"),
               "improvement": lazy_msg("reports-type-improvement"), "test-case": lazy_msg("reports-type-test-case")}
STATUS_LABELS = {"new": lazy_msg("reports-status-new"), "in-progress": lazy_msg("reports-status-in-progress"),
                 "done": lazy_msg("reports-status-done"), "wont-fix": lazy_msg("reports-status-wont-fix"),
                 "duplicate": lazy_msg("reports-status-duplicate")}


def limit_message(reached: LimitReached) -> LazyMessage:
    """The translated explanation of a reached filing limit (the typed text stays in the form)."""
    return filing_limits.limit_message(reached, filing_limits.REPORT_LIMIT_MESSAGES)


class ReportForm(FlaskForm):
    title = StringField(lazy_msg("reports-field-title"), validators=[
        DataRequired(message=lazy_msg("form-error-required")),
        MaxCharacters(TITLE_MAX)])
    description = TextAreaField(lazy_msg("reports-field-description"), validators=[
        DataRequired(message=lazy_msg("form-error-required")),
        MaxCharacters(DESCRIPTION_MAX)])
    type = SelectField(lazy_msg("reports-field-type"),
                       choices=[SelectChoice(t, TYPE_LABELS[t]) for t in REPORT_TYPES])


class TriageForm(FlaskForm):
    status = SelectField(lazy_msg("reports-field-status"),
                         choices=[SelectChoice(s, STATUS_LABELS[s]) for s in REPORT_STATUSES])
    reply = TextAreaField(lazy_msg("reports-field-reply"), validators=[
        MaxCharacters(REPLY_MAX)])


def report_form() -> ReportForm:
    """The empty Submit form."""
    return ReportForm(formdata=None)


def read_report(data: Mapping[str, str]) -> Checked[NewReport]:
    """The submitted report, checked (required title and description, their lengths, a known type)."""
    form = ReportForm(formdata=data)
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    report = NewReport(title=(form.title.data or "").strip(), description=(form.description.data or "").strip(),
                       type=form.type.data or REPORT_TYPES[0])
    return Checked(report, FormErrors(), form)


def triage_form(status: str, reply: str | None) -> TriageForm:
    """The triage form showing a report's current status and reply."""
    return TriageForm(formdata=None, status=status, reply=reply)


def read_triage(data: Mapping[str, str]) -> Checked[TriageDecision]:
    """The submitted triage decision, checked (a known status, the reply's length)."""
    form = TriageForm(formdata=data)
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    return Checked(TriageDecision(status=form.status.data or REPORT_STATUSES[0], reply=form.reply.data), FormErrors(), form)
