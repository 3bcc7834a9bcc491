"""Messages through Meta-Wiki: write (with an availability check and a confirmation step), the
sent log, and a small JSON endpoint for the live availability check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for

from capx.access import current_user, login_required
from capx.clients.meta_wiki import meta_wiki_client
from capx.extensions import db
from capx.forms import messages as forms
from capx.forms.messages import MessageForm
from capx.language import msg_text
from capx.services import messages as service
from capx.services.accounts import load_token
from capx.support.pagination import requested_page
from capx.support.ratelimit import SharedLimit, TimedCache
from capx.support.usernames import MAX_USERNAME_LENGTH
from capx.translations import lazy_msg

bp = Blueprint("messages", __name__)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"message_method_labels": forms.METHOD_LABELS, "message_status_labels": forms.STATUS_LABELS,
            "message_log_status_labels": forms.LOG_STATUS_LABELS}


def _limits() -> service.MessageLimits:
    """The sending limits configured for this app (``CAPX_MESSAGE_LIMIT_HOUR`` / ``_DAY``)."""
    config = current_app.config
    return service.MessageLimits(per_hour=int(config.get("CAPX_MESSAGE_LIMIT_HOUR", 5)),
                                 per_day=int(config.get("CAPX_MESSAGE_LIMIT_DAY", 20)))

#: Every availability check asks Meta-Wiki (two calls): at most 30 checks a minute per user (live
#: checks and the confirmation step together), and the live check's answers are kept a minute per
#: user and name, so typing back and forth does not ask again.
CHECKS_PER_USER = SharedLimit("availability-checks", limit=30, window=60)  # shared by every worker
LIVE_CHECK_CACHE = TimedCache(ttl=60)


def _has_token() -> bool:
    """Whether this user can send: the login stored a Meta-Wiki access token (the development
    login and a token encrypted with a rotated key leave none)."""
    user = current_user()
    return user is not None and load_token(user.id, "meta") is not None


def _write(form: MessageForm, availability: service.Availability | None = None, error: str | None = None,
           status: int = 200) -> tuple[str, int]:
    return render_template("messages/write.html", form=form, availability=availability, error=error,
                           text_max=service.TEXT_MAX, subject_max=service.SUBJECT_MAX,
                           has_token=_has_token()), status


def _check(form: MessageForm) -> tuple[service.Availability | None, str | None]:
    """The availability check and the rules that come before a send; (availability, error key)."""
    user = current_user()
    assert user is not None
    limit = service.rate_limit_error(user, _limits())
    if limit:
        return None, limit
    if not _has_token():
        # Without a Meta-Wiki token nothing can be sent: say so before asking Meta-Wiki anything.
        return None, "messages-error-no-token"
    if not CHECKS_PER_USER.hit(user.id):
        return None, "messages-error-checks-limit"
    availability = service.check_availability(meta_wiki_client(), user, form.recipient.data or "")
    if availability.status == service.CHECK_FAILED:
        return availability, service.error_key(availability.error_code)
    if availability.status in (service.NOT_FOUND, service.SELF, service.LOCKED):
        form.recipient.errors = [lazy_msg(f"messages-status-{availability.status}")]
        return availability, None
    if availability.sender_blocked:
        return availability, "messages-error-blocked"
    if form.method.data not in availability.methods:
        form.method.errors = [lazy_msg("messages-error-email-unavailable")]
        return availability, None
    return availability, None


@bp.get("/message")
@login_required
def index() -> tuple[str, int]:
    """The Write tab; ``?username=`` fills in the recipient."""
    return _write(forms.message_form(request.args.get("username", "")))


@bp.post("/message")
@login_required
def review() -> tuple[str, int]:
    """Validate and check, then show the confirmation step (or the form again, with errors)."""
    if "edit" in request.form:
        return _write(forms.edited_form(request.form))
    checked = forms.read_message(request.form)
    form = checked.form
    if checked.value is None:
        return _write(form, status=422)
    availability, error = _check(form)
    if error or form.recipient.errors or form.method.errors:
        return _write(form, availability, error, status=422)
    assert availability is not None
    return render_template("messages/confirm.html", form=form, availability=availability), 200


@bp.post("/message/send")
@login_required
def send() -> Any:
    """Send after the confirmation: the same checks again, then Meta-Wiki, then the log."""
    user = current_user()
    assert user is not None
    checked = forms.read_message(request.form)
    form = checked.form
    if checked.value is None:
        return _write(form, status=422)
    # The service repeats every check (rate limit, availability, blocks) right before sending,
    # and logs a failed attempt when Meta-Wiki refused or the sender is blocked: kept either way.
    result = service.send_message(meta_wiki_client(), user, checked.value, _limits())
    db.session.commit()
    if not result.ok and result.code in ("not-found", "self", "recipient-locked"):
        form.recipient.errors = [lazy_msg(result.error or "messages-error-generic")]
        return _write(form, status=422)
    if not result.ok and result.code == "email-unavailable":
        form.method.errors = [lazy_msg(result.error or "messages-error-generic")]
        return _write(form, status=422)
    if not result.ok:
        return _write(form, None, result.error, status=422)
    flash("messages-sent-email" if form.method.data == service.EMAIL else "messages-sent-talk", "success")
    return redirect(url_for("messages.sent"))


@bp.get("/message/sent")
@login_required
def sent() -> str:
    """The Sent tab: the log, newest first."""
    user = current_user()
    assert user is not None
    page, rows = service.sent_log(user, requested_page(request.args))
    return render_template("messages/sent.html", page=page, rows=rows, error_key=service.error_key)


@bp.get("/message/availability")
@login_required
def availability() -> Response:
    """JSON for the live check: the recipient's state, its label, and the methods open."""
    user = current_user()
    assert user is not None
    name = (request.args.get("username") or "").strip()
    cache_key = (user.id, service.normalize(name))
    cached = LIVE_CHECK_CACHE.get(cache_key)
    if not name or len(name) > MAX_USERNAME_LENGTH:
        result = service.Availability(service.normalize(name), service.NOT_FOUND)
    elif isinstance(cached, service.Availability):
        result = cached
    elif not CHECKS_PER_USER.hit(user.id):
        response = jsonify(username=service.normalize(name), status=service.CHECK_FAILED,
                           label=msg_text("messages-error-checks-limit"), methods=[], sender_blocked=False,
                           blocked_label=None)
        response.status_code = 429
        response.headers["Retry-After"] = str(CHECKS_PER_USER.retry_after(user.id))
        return response
    else:
        result = service.check_availability(meta_wiki_client(), user, name)
        if result.status != service.CHECK_FAILED:
            LIVE_CHECK_CACHE.put(cache_key, result)
    label = msg_text(f"messages-status-{result.status}")
    return jsonify(username=result.username, status=result.status, label=label, methods=list(result.methods),
                   sender_blocked=result.sender_blocked,
                   blocked_label=msg_text("messages-error-blocked") if result.sender_blocked else None)
