"""The message form (to, method, subject, text) and the labels the messages pages show.

The blueprint hands the submitted data to :func:`read_message`, which checks it and returns a
:class:`~capx.forms.errors.Checked` with the service's :class:`~capx.services.messages.Draft`
(or the errors); the sender is always the logged-in user, never a field.
"""

from __future__ import annotations

from typing import Mapping

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired

from capx.forms.characters import MaxCharacters
from capx.forms.errors import Checked, FormErrors
from capx.forms.usernames import ValidUsername
from capx.services import messages as service
from capx.support.usernames import MAX_USERNAME_LENGTH
from capx.translations import lazy_msg

#: How each method, availability state and log status is called (lazy: shown in the page's
#: language), so no template builds a message key at run time.
METHOD_LABELS = {service.EMAIL: lazy_msg("messages-method-email"), service.TALK: lazy_msg("messages-method-talk")}
STATUS_LABELS = {service.AVAILABLE: lazy_msg("messages-status-available"),
                 service.NOT_FOUND: lazy_msg("messages-status-not-found"),
                 service.EMAIL_UNAVAILABLE: lazy_msg("messages-status-email-unavailable"),
                 service.LOCKED: lazy_msg("messages-status-locked"),
                 service.SELF: lazy_msg("messages-status-self"),
                 service.CHECK_FAILED: lazy_msg("messages-status-check-failed")}
LOG_STATUS_LABELS = {"sent": lazy_msg("messages-log-status-sent"), "failed": lazy_msg("messages-log-status-failed")}


class MessageForm(FlaskForm):
    """To, method, subject and text (the sender is always the logged-in user)."""

    recipient = StringField(lazy_msg("messages-field-to"), validators=[
        DataRequired(message=lazy_msg("form-error-required")),
        MaxCharacters(MAX_USERNAME_LENGTH),
        ValidUsername()])
    method = SelectField(lazy_msg("messages-field-method"),
                         choices=[SelectChoice(method, label) for method, label in METHOD_LABELS.items()],
                         validate_choice=True)
    subject = StringField(lazy_msg("messages-field-subject"), validators=[
        DataRequired(message=lazy_msg("form-error-required")),
        MaxCharacters(service.SUBJECT_MAX)])
    text = TextAreaField(lazy_msg("messages-field-text"), validators=[
        DataRequired(message=lazy_msg("form-error-required")),
        MaxCharacters(service.TEXT_MAX)])


def message_form(recipient: str) -> MessageForm:
    """The empty Write form, the recipient filled in (``?username=``), email preselected."""
    return MessageForm(formdata=None, recipient=service.normalize(recipient), method=service.EMAIL)


def edited_form(data: Mapping[str, str]) -> MessageForm:
    """The form as submitted, back from the confirmation step to be edited: no errors shown."""
    form = MessageForm(formdata=data)
    form.validate()
    for name in ("recipient", "method", "subject", "text"):
        form[name].errors = []
    return form


def read_message(data: Mapping[str, str]) -> Checked[service.Draft]:
    """The submitted message, checked (a valid user name, a known method, required subject and
    text within their lengths)."""
    form = MessageForm(formdata=data)
    if not form.validate():
        return Checked(None, FormErrors.of_form(form), form)
    draft = service.Draft(recipient=form.recipient.data or "", method=form.method.data or "",
                          subject=form.subject.data or "", text=form.text.data or "")
    return Checked(draft, FormErrors(), form)
