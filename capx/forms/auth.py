"""Login forms: continuing to Meta-Wiki, the development login, and what a failed login says."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired

from capx.forms.characters import MaxCharacters
from capx.forms.usernames import ValidUsername
from capx.support.usernames import MAX_USERNAME_LENGTH
from capx.translations import lazy_msg

#: Why a login did not work (``auth/failed.html``) or was refused (``auth/refused.html``).
FAILED_LABELS = {"busy": lazy_msg("login-failed-busy"), "expired": lazy_msg("login-failed-expired"),
                 "oauth": lazy_msg("login-failed-oauth"), "unreachable": lazy_msg("login-failed-unreachable")}
REFUSED_LABELS = {"blocked": lazy_msg("login-refused-blocked"), "locked": lazy_msg("login-refused-locked")}


class LoginForm(FlaskForm):
    """Continue to Meta-Wiki (a POST, so that starting a login is never a side effect of a GET)."""

    next = HiddenField()


class DevLoginForm(FlaskForm):
    """Development login: any user name, no password (only when CAPX_DEV_LOGIN=1 and not production)."""

    next = HiddenField()
    username = StringField(
        lazy_msg("login-dev-username"),
        validators=[DataRequired(message=lazy_msg("form-error-required")),
                    MaxCharacters(MAX_USERNAME_LENGTH, lazy_msg("form-error-username-invalid")),
                    ValidUsername()],
    )
