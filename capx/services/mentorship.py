"""Rules of mentorship programs: registration status, who manages what, forms, applications."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (MentorshipApplication, MentorshipProgram, MentorshipQuestion, Organization,
                         OrganizationManager, PartnerMember, User, utcnow)
from capx.services import mentorship_crypto
from sqlalchemy.orm import selectinload

OPEN, UPCOMING, CLOSED = "open", "upcoming", "closed"

#: Limits on answers, enforced on the server (they also bound the ciphertext size).
MAX_SHORT_TEXT = 300
MAX_LONG_TEXT = 5000
MAX_URL = 500
MAX_EMAIL = 254
MAX_OPTIONS = 30
MAX_OPTION_CHARS = 200
MAX_QUESTIONS_PER_FORM = 40

EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"'.]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def valid_time_zone(name: str | None) -> bool:
    """Whether ``name`` is an IANA time zone this system knows."""
    if not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def registration_window(program: MentorshipProgram) -> tuple[dt.datetime, dt.datetime]:
    """The registration period as aware datetimes: [first day 00:00, day after the last 00:00)
    in the program's time zone."""
    zone = zoneinfo.ZoneInfo(program.time_zone or "UTC")
    start = dt.datetime.combine(program.registration_start, dt.time(0, 0), tzinfo=zone)
    end = dt.datetime.combine(program.registration_end + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
    return start, end


def registration_status(program: MentorshipProgram, now: dt.datetime | None = None) -> str:
    """``open``, ``upcoming`` or ``closed`` at ``now`` (aware; default: the current time)."""
    now = now or dt.datetime.now(dt.UTC)
    start, end = registration_window(program)
    if now < start:
        return UPCOMING
    if now >= end:
        return CLOSED
    return OPEN


def managed_organization_ids(user: User | None) -> set[int]:
    """Organizations whose programs ``user`` runs: those they manage, and the partner organizations
    they are a member of (partners run their mentorship programs)."""
    if user is None:
        return set()
    managed = set(db.session.scalars(sa.select(OrganizationManager.organization_id)
                                     .where(OrganizationManager.user_id == user.id)))
    return managed | set(db.session.scalars(
        sa.select(PartnerMember.organization_id).join(Organization, Organization.id == PartnerMember.organization_id)
        .where(PartnerMember.user_id == user.id, Organization.is_partner.is_(True))))


def can_manage(user: User | None, program: MentorshipProgram) -> bool:
    """Staff, managers of the program's organization and members of a partner organization manage
    its programs."""
    if user is None:
        return False
    return user.is_staff or program.organization_id in managed_organization_ids(user)


def may_create_programs(user: User | None) -> bool:
    """Staff and managers of at least one organization may create programs."""
    return user is not None and (user.is_staff or bool(managed_organization_ids(user)))


def subscriber_counts(program_ids: list[int]) -> dict[int, dict[str, int]]:
    """Applications per program and role, in one query."""
    counts: dict[int, dict[str, int]] = {pid: {"mentor": 0, "mentee": 0} for pid in program_ids}
    if not program_ids:
        return counts
    for pid, role, n in db.session.execute(
            sa.select(MentorshipApplication.program_id, MentorshipApplication.role, sa.func.count())
            .where(MentorshipApplication.program_id.in_(program_ids))
            .group_by(MentorshipApplication.program_id, MentorshipApplication.role)):
        counts[pid][role] = n
    return counts


def has_applications(program_id: int) -> bool:
    """Whether anyone applied to the program (its key is then frozen)."""
    return db.session.scalar(sa.select(sa.exists().where(MentorshipApplication.program_id == program_id))) or False


def set_public_key(program: MentorshipProgram, pem: str) -> None:
    """Store the program's public key. Raises PublicKeyError (``frozen`` once anyone applied)."""
    key = mentorship_crypto.load_public_key(pem)
    new_fingerprint = mentorship_crypto.fingerprint(key)
    _lock(program)
    if program.key_fingerprint and program.key_fingerprint != new_fingerprint and has_applications(program.id):
        # Applications already stored were encrypted for the old key; a new key would split
        # the program's applications between two keys and confuse the partner.
        raise mentorship_crypto.PublicKeyError("frozen")
    program.public_key_pem = mentorship_crypto.normalized_pem(key)
    program.key_fingerprint = new_fingerprint


def _lock(program: MentorshipProgram) -> None:
    """Lock the program's row for this transaction (MariaDB; SQLite serializes writers anyway)
    and reload its key columns."""
    row = db.session.execute(sa.select(MentorshipProgram.public_key_pem, MentorshipProgram.key_fingerprint)
                             .where(MentorshipProgram.id == program.id).with_for_update()).one()
    program.public_key_pem, program.key_fingerprint = row.public_key_pem, row.key_fingerprint


def form_questions(program: MentorshipProgram, role: str) -> list[MentorshipQuestion]:
    """The questions of one form, in order."""
    return [q for q in program.questions if q.role == role]


def clean_options(text: str) -> list[str]:
    """Choices from a text area, one per line: trimmed, no blanks, no repeats."""
    out: list[str] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line and line not in out:
            out.append(line)
    return out


def validate_answers(questions: list[MentorshipQuestion], form: Any) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Check submitted answers (``form``: a MultiDict, fields ``q<id>``) against the questions.

    Returns the answers (question id, kind, label and value: a string, or a list of strings for
    multiple choice) and the errors by question id (message key suffixes).
    """
    answers: list[dict[str, Any]] = []
    errors: dict[int, str] = {}
    for q in questions:
        name = f"q{q.id}"
        value: Any
        if q.kind == "multiple-choice":
            picked = [v for v in form.getlist(name)]
            if any(v not in (q.options or []) for v in picked):
                errors[q.id] = "choice"
                continue
            value = [o for o in (q.options or []) if o in picked]  # in the form's order
            empty = not value
        else:
            value = (form.get(name) or "").strip()
            if q.kind == "long-text":
                value = value.replace("\r\n", "\n")
            empty = value == ""
            if not empty:
                error = _check_value(q, value)
                if error:
                    errors[q.id] = error
                    continue
        if empty and q.required:
            errors[q.id] = "required"
            continue
        answers.append({"question_id": q.id, "kind": q.kind, "label": q.label, "value": value})
    return answers, errors


def _check_value(q: MentorshipQuestion, value: str) -> str | None:
    if q.kind == "short-text" and len(value) > MAX_SHORT_TEXT:
        return "too-long"
    if q.kind == "long-text" and len(value) > MAX_LONG_TEXT:
        return "too-long"
    if q.kind == "single-choice" and value not in (q.options or []):
        return "choice"
    if q.kind == "email" and (len(value) > MAX_EMAIL or not EMAIL_RE.match(value)):
        return "email"
    if q.kind == "url" and (len(value) > MAX_URL or not URL_RE.match(value)):
        return "url"
    return None


@dataclass
class SubmitResult:
    application: MentorshipApplication | None
    errors: dict[int, str]
    refused: str | None = None  # closed, no-key, already-applied


def refusal(program: MentorshipProgram, user: User, role: str, now: dt.datetime | None = None) -> str | None:
    """Why ``user`` may not apply to ``program`` in ``role`` now, or None: "closed" outside the
    registration period, "no-key" while the program has no public key, "already-applied"."""
    if registration_status(program, now) != OPEN:
        return "closed"
    if not program.public_key_pem:
        return "no-key"
    if already_applied(program.id, user.id, role):
        return "already-applied"
    return None


def submit_application(program: MentorshipProgram, role: str, user: User, form: Any,
                       now: dt.datetime | None = None) -> SubmitResult:
    """Validate and store an encrypted application (the caller commits).

    Refused (nothing stored) for the reasons of :func:`refusal`.
    """
    refused = refusal(program, user, role, now)
    if refused is not None:
        return SubmitResult(None, {}, refused)
    answers, errors = validate_answers(form_questions(program, role), form)
    if errors:
        return SubmitResult(None, errors)
    submitted = utcnow()
    payload = {"program": program.name, "program_id": program.id, "role": role, "username": user.username,
               "submitted_at": submitted.isoformat(timespec="seconds") + "Z", "answers": answers}
    # Encrypt for the key as it is now, with the program row locked until the commit: a key
    # change cannot slip in between (set_public_key takes the same lock).
    _lock(program)
    assert program.public_key_pem is not None  # refusal() answered "no-key" otherwise
    key = mentorship_crypto.load_public_key(program.public_key_pem)
    envelope = mentorship_crypto.encrypt(key, program.id, role, payload)
    application = MentorshipApplication(
        program_id=program.id, applicant_id=user.id, role=role, key_fingerprint=envelope.key_fingerprint,
        wrapped_key=envelope.wrapped_key, nonce=envelope.nonce, ciphertext=envelope.ciphertext,
        created_at=submitted)
    db.session.add(application)
    return SubmitResult(application, {})


def already_applied(program_id: int, user_id: int, role: str) -> bool:
    """Whether the user already applied to the program in this role."""
    return db.session.scalar(sa.select(sa.exists().where(
        MentorshipApplication.program_id == program_id, MentorshipApplication.applicant_id == user_id,
        MentorshipApplication.role == role))) or False


def my_applications(user: User) -> list[MentorshipApplication]:
    """The user's applications (program loaded), newest first."""
    return list(db.session.scalars(
        sa.select(MentorshipApplication).options(selectinload(MentorshipApplication.program))
        .where(MentorshipApplication.applicant_id == user.id).order_by(MentorshipApplication.created_at.desc())))


def _export_record(application: MentorshipApplication, username: str) -> dict[str, Any]:
    submitted = application.created_at.isoformat(timespec="seconds") + "Z"
    if application.legacy_envelope is not None:
        return mentorship_crypto.legacy_export_record(
            application.id, application.program_id, application.role, submitted, username,
            application.key_fingerprint, application.legacy_envelope, application.legacy_key_id,
            application.legacy_key_fingerprint)
    return mentorship_crypto.export_record(
        application.id, application.program_id, application.role, submitted,
        mentorship_crypto.Envelope(application.key_fingerprint, application.wrapped_key, application.nonce,
                                   application.ciphertext))


def export_applications(program: MentorshipProgram) -> dict[str, Any]:
    """The download for a program's managers: every application, still encrypted, and the
    program's questions (imported applications name their answers by the questions' field names)."""
    rows = db.session.execute(sa.select(MentorshipApplication, User.username)
                              .join(User, User.id == MentorshipApplication.applicant_id)
                              .where(MentorshipApplication.program_id == program.id)
                              .order_by(MentorshipApplication.id))
    records = (_export_record(application, username) for application, username in rows)
    questions = [{"id": q.id, "role": q.role, "label": q.label, "field_name": q.field_name}
                 for q in program.questions]
    return mentorship_crypto.download_document(
        {"id": program.id, "name": program.name, "key_fingerprint": program.key_fingerprint,
         "exported_at": utcnow().isoformat(timespec="seconds") + "Z", "questions": questions}, records)
