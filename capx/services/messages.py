"""Messages between Wikimedians, sent through Meta-Wiki with the sender's own OAuth token.

The subject and the text go straight to Meta-Wiki and are never stored: the log keeps only who,
to whom, how, when, and how it went (``MessageLog``). Every failure, whether a check made here or
an error Meta-Wiki answered, ends as a :class:`SendResult` with an error key (a translatable
message) and, once a send was attempted, a failed log row; nothing raises to the view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import quote

import sqlalchemy as sa

from capx.clients.meta_wiki import MetaWikiClient, MetaWikiError, WikiUser
from capx.extensions import db
from capx.models import MessageLog, User, utcnow
from capx.services import badges
from capx.services.accounts import load_token
from capx.support.pagination import Page, make_page

EMAIL, TALK = "email", "talk"
SUBJECT_PREFIX = "[Capacity Exchange]"
TALK_SUMMARY = "New message via Capacity Exchange"
SUBJECT_MAX = 150
TEXT_MAX = 5000

# Recipient states shown by the availability check.
AVAILABLE, NOT_FOUND, EMAIL_UNAVAILABLE, LOCKED, SELF, CHECK_FAILED = (
    "available", "not-found", "email-unavailable", "locked", "self", "check-failed")

#: The sender has no stored Meta-Wiki access token (development login, or a rotated key): a
#: code of ours, not Meta-Wiki's.
NO_OAUTH_TOKEN = "no-oauth-token"  # nosec B105 # an error code, not a password

#: Meta-Wiki error codes, grouped by what the user can do about them (message key suffix).
ERROR_GROUPS: dict[str, tuple[str, ...]] = {
    "token": ("badtoken", "notloggedin", "assertuserfailed", "assertnameduserfailed", "notoken", "oauth",
              "mwoauth-invalid-authorization", "mwoauth-invalid-authorization-invalid-user",
              "readapidenied", "writeapidenied"),
    "blocked": ("blocked", "autoblocked", "blockedfrommail", "blockedemailuser", "sender-blocked"),
    "recipient-no-email": ("noemailtext", "nowikiemailtext", "noemail", "nowikiemail"),
    "sender-no-email": ("cantsend", "mailnologin", "usermaildisabled"),
    "ratelimited": ("ratelimited", "actionthrottled", "actionthrottledtext"),
    "recipient-missing": ("emailnotarget", "baduser_target", "notarget", "invaliduser", "baduser", "missingtitle",
                          "recipient-missing", "recipient-locked"),
    "timeout": ("timeout",),
    "unreachable": ("unreachable",),
    "unavailable": ("badjson", "maxlag", "readonly", "internal_api_error"),
    "refused": ("protectedpage", "cascadeprotected", "permissiondenied", "abusefilter-disallowed",
                "abusefilter-warning", "spamblacklist", "titleblacklist-forbidden", "editfailed", "emailfailed"),
}


#: Failures before Meta-Wiki answered anything: no connection (refused, network down, a connect
#: timeout: "unreachable" or "timeout"), or no call made at all (no token). Such attempts are
#: logged but do not count against the sending limit: only attempts that reached Meta-Wiki do.
NOT_REACHED = ("timeout", "unreachable", NO_OAUTH_TOKEN)


def error_key(code: str | None) -> str:
    """The message key that explains a failure code to the sender."""
    code = code or ""
    if code == NO_OAUTH_TOKEN:
        return "messages-error-no-token"
    for group, codes in ERROR_GROUPS.items():
        if code in codes:
            return f"messages-error-{group}"
    if code.startswith("http-5"):
        return "messages-error-unavailable"
    if code.startswith("abusefilter"):
        return "messages-error-refused"
    return "messages-error-generic"


@dataclass(frozen=True)
class Availability:
    """What the check found: the recipient's state, the methods open to this sender."""

    username: str
    status: str
    methods: tuple[str, ...] = ()
    sender_blocked: bool = False
    error_code: str | None = None

    @property
    def can_send(self) -> bool:
        return bool(self.methods) and not self.sender_blocked


@dataclass(frozen=True)
class Draft:
    """A checked message (``capx.forms.messages.read_message``): to whom, how, subject and text."""

    recipient: str
    method: str
    subject: str
    text: str


@dataclass(frozen=True)
class MessageLimits:
    """How many messages one sender may send per hour and per day (the caller reads them from the
    configuration: ``CAPX_MESSAGE_LIMIT_HOUR`` / ``CAPX_MESSAGE_LIMIT_DAY``)."""

    per_hour: int = 5
    per_day: int = 20


@dataclass
class SendResult:
    """How a send went: ``ok``, or the message key and code of the failure."""

    ok: bool
    error: str | None = None
    code: str | None = None
    log: MessageLog | None = None
    details: dict[str, str] = field(default_factory=dict)


def normalize(name: str) -> str:
    """A user name as MediaWiki writes it (spaces, first letter upper case)."""
    name = " ".join((name or "").replace("_", " ").split())
    return name[:1].upper() + name[1:]


def check_availability(client: MetaWikiClient, sender: User, recipient: str) -> Availability:
    """Ask Meta-Wiki about the recipient and the sender in one ``list=users`` call, and the
    recipient's global lock. Email is offered only when both can use email; a blocked sender
    gets no method at all.
    """
    name = normalize(recipient)
    if not name:
        return Availability(name, NOT_FOUND)
    if name == sender.username:
        return Availability(name, SELF)
    try:
        users = client.users([name, sender.username])
        target: WikiUser = users[name]
        me: WikiUser = users[sender.username]
        if not target.exists:
            return Availability(target.name, NOT_FOUND, sender_blocked=me.blocked and not me.block_partial)
        if client.account_locked(target.name):
            return Availability(target.name, LOCKED, sender_blocked=me.blocked and not me.block_partial)
    except MetaWikiError as exc:
        return Availability(name, CHECK_FAILED, error_code=exc.code)
    # A sitewide block stops everything; a partial one may still allow a talk-page edit (Meta-Wiki
    # answers "blocked" if not), and its email flag says whether email is possible.
    sender_blocked = me.blocked and not me.block_partial
    methods: list[str] = []
    email_ok = target.emailable and me.emailable and not me.block_email
    if email_ok:
        methods.append(EMAIL)
    methods.append(TALK)
    return Availability(target.name, AVAILABLE if email_ok else EMAIL_UNAVAILABLE, tuple(methods),
                        sender_blocked=sender_blocked)


def sent_counts(sender: User, now: dt.datetime | None = None) -> tuple[int, int]:
    """Attempts of the sender that reached Meta-Wiki (sent, or refused by it) in the last hour and
    the last day (one query); attempts that never reached it (:data:`NOT_REACHED`) do not count."""
    now = now or utcnow()
    hour_ago, day_ago = now - dt.timedelta(hours=1), now - dt.timedelta(days=1)
    row = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.coalesce(sa.func.sum(sa.case((MessageLog.created_at >= hour_ago, 1), else_=0)), 0))
        .where(MessageLog.sender_id == sender.id, MessageLog.created_at >= day_ago,
               sa.or_(MessageLog.error_code.is_(None), MessageLog.error_code.not_in(NOT_REACHED)))).one()
    return int(row[1]), int(row[0])


def rate_limit_error(sender: User, limits: MessageLimits) -> str | None:
    """The message key when the sender reached a limit (every attempt that reached Meta-Wiki
    counts, whether it was sent or refused), else None."""
    last_hour, last_day = sent_counts(sender)
    if last_day >= limits.per_day:
        return "messages-error-limit-day"
    if last_hour >= limits.per_hour:
        return "messages-error-limit-hour"
    return None


def talk_diff_url(client: MetaWikiClient, revision_id: int | None, page_title: str) -> str:
    """A link to the new section: the diff of the edit (it names no subject, so nothing of the
    message is stored), or the talk page when Meta-Wiki gave no revision."""
    if revision_id:
        return f"{client.index_url}?diff={int(revision_id)}"
    base = client.index_url.rsplit("/w/index.php", 1)[0]
    return f"{base}/wiki/{quote(page_title.replace(' ', '_'), safe=':/')}"


def _recipient_id(username: str) -> int | None:
    return db.session.scalar(sa.select(User.id).where(User.username == username))


def _log(sender: User, recipient: str, method: str, status: str, code: str | None = None,
         url: str | None = None) -> MessageLog:
    row = MessageLog(sender_id=sender.id, recipient_username=recipient[:255], recipient_id=_recipient_id(recipient),
                     method=method, status=status, error_code=(code or None) and code[:60], talk_page_url=url)
    db.session.add(row)
    db.session.flush()
    return row


def send_message(client: MetaWikiClient, sender: User, draft: Draft, limits: MessageLimits,
                 availability: Availability | None = None) -> SendResult:
    """Check, then send as the sender and log the outcome (flushed: the caller commits, also after
    a failure, so that the failed attempt stays in the log). Never raises for a remote failure.

    ``availability`` is a check the caller just made for this recipient (else it is made here).
    """
    recipient, method, subject, text = draft.recipient, draft.method, draft.subject, draft.text
    if method not in (EMAIL, TALK):
        return SendResult(False, "messages-error-method", "method")
    limit = rate_limit_error(sender, limits)
    if limit:
        return SendResult(False, limit, "limit")
    if availability is None or availability.username != normalize(recipient):
        availability = check_availability(client, sender, recipient)
    name = availability.username
    if availability.status == CHECK_FAILED:
        return SendResult(False, error_key(availability.error_code), availability.error_code,
                          log=_log(sender, name, method, "failed", availability.error_code))
    if availability.status in (NOT_FOUND, SELF):
        return SendResult(False, f"messages-status-{availability.status}", availability.status)
    if availability.status == LOCKED:
        return SendResult(False, "messages-status-locked", "recipient-locked")
    if availability.sender_blocked:
        return SendResult(False, "messages-error-blocked", "sender-blocked",
                          log=_log(sender, name, method, "failed", "sender-blocked"))
    if method not in availability.methods:
        return SendResult(False, "messages-error-email-unavailable", "email-unavailable")
    token = load_token(sender.id, "meta")
    if token is None:
        return SendResult(False, "messages-error-no-token", NO_OAUTH_TOKEN,
                          log=_log(sender, name, method, "failed", NO_OAUTH_TOKEN))
    try:
        if method == EMAIL:
            client.send_email(token, name, f"{SUBJECT_PREFIX} {subject}", text, ccme=True)
            url = None
        else:
            page, revision = client.new_talk_section(token, name, subject, f"{text}\n\n~~~~", TALK_SUMMARY)
            url = talk_diff_url(client, revision, page)
    except MetaWikiError as exc:
        return SendResult(False, error_key(exc.code), exc.code, log=_log(sender, name, method, "failed", exc.code))
    result = SendResult(True, log=_log(sender, name, method, "sent", url=url))
    badges.recompute_user(sender)  # "messages sent" badges move with each message
    return result


def sent_log(sender: User, page_number: int, per_page: int = 20) -> tuple[Page, list[MessageLog]]:
    """The sender's log, newest first, one page (two queries)."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(MessageLog)
                              .where(MessageLog.sender_id == sender.id)) or 0
    page = make_page(page_number, per_page, total)
    rows = list(db.session.scalars(
        sa.select(MessageLog).where(MessageLog.sender_id == sender.id)
        .order_by(MessageLog.created_at.desc(), MessageLog.id.desc()).offset(page.offset).limit(per_page)))
    return page, rows
