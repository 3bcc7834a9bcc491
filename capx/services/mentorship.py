"""Rules of mentorship programs: registration status, who manages what, forms, applications."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from capx.extensions import db
from capx.models import (Language, MentorshipApplication, MentorshipProgram, MentorshipProgramCapacity,
                         MentorshipProgramLanguage, MentorshipQuestion, Organization, OrganizationManager,
                         PartnerMember, User, utcnow)
from capx.services import choices as choices_service, mentorship_crypto
from capx.services.organizations import visible_organization_ids_subquery

OPEN, UPCOMING, CLOSED = "open", "upcoming", "closed"

#: Limits on answers, enforced on the server (they also bound the ciphertext size).
MAX_SHORT_TEXT = 300
MAX_LONG_TEXT = 5000
MAX_URL = 500
MAX_EMAIL = 254
MAX_OPTIONS = 30
MAX_OPTION_CHARS = 200
MAX_QUESTIONS_PER_FORM = 40



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


@dataclass
class SubmitResult:
    application: MentorshipApplication | None
    refused: str | None = None  # closed, no-key, already-applied


class AlreadyApplied(Exception):
    """A second application in the same role arrived at the same moment (the unique key refused
    it). The session needs a rollback: the caller owns the transaction."""


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


def submit_application(program: MentorshipProgram, role: str, user: User, answers: list[dict[str, Any]],
                       now: dt.datetime | None = None) -> SubmitResult:
    """Store an encrypted application of checked ``answers`` (``capx.forms.mentorship.read_answers``),
    flushed; the caller commits.

    Refused (nothing stored) for the reasons of :func:`refusal`; raises :class:`AlreadyApplied`
    when another submission in the same role won the race.
    """
    refused = refusal(program, user, role, now)
    if refused is not None:
        return SubmitResult(None, refused)
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
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        # Two submissions at once: the unique key keeps one application per role.
        raise AlreadyApplied() from exc
    return SubmitResult(application)


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


# -- programs and their questions -------------------------------------------------------------------

def get_program(program_id: int) -> MentorshipProgram | None:
    """The program with this id, or None."""
    return db.session.get(MentorshipProgram, program_id)


def load_programs(visible_only: bool = False) -> list[MentorshipProgram]:
    """Programs with what their cards show, newest registration first; ``visible_only``: of
    organizations that have a manager."""
    query = (sa.select(MentorshipProgram)
             .options(selectinload(MentorshipProgram.organization).selectinload(Organization.names),
                      selectinload(MentorshipProgram.capacities), selectinload(MentorshipProgram.languages)
                      .selectinload(MentorshipProgramLanguage.language))
             .order_by(MentorshipProgram.registration_start.desc(), MentorshipProgram.id))
    if visible_only:
        query = query.where(MentorshipProgram.organization_id.in_(visible_organization_ids_subquery()))
    return list(db.session.scalars(query))


def organization_choices(user: User, program: MentorshipProgram | None, chain: Sequence[str]) -> list[tuple[int, str]]:
    """The organizations ``user`` may run a program for (staff: all), and the program's own, as
    (id, name in ``chain``) sorted by name."""
    query = sa.select(Organization).options(selectinload(Organization.names))
    if not user.is_staff:
        query = query.where(Organization.id.in_(managed_organization_ids(user) or {-1}))
    organizations = list(db.session.scalars(query))
    if program is not None and all(o.id != program.organization_id for o in organizations):
        organizations.append(program.organization)
    languages = tuple(chain)
    return sorted(((o.id, o.name_in(languages)) for o in organizations), key=lambda c: c[1].casefold())


def form_language_choices(chain: Sequence[str]) -> list[tuple[str, str]]:
    """The languages a program's form may be written in, as (code, name in ``chain``)."""
    codes: dict[int, str] = {row[0]: row[1] for row in db.session.execute(sa.select(Language.id, Language.code))}
    return [(codes[c.value], str(c.label)) for c in choices_service.choices("language", chain)]


@dataclass(frozen=True)
class ProgramInput:
    """A checked program (``capx.forms.mentorship.read_program``)."""

    organization_id: int
    name: str
    description: str | None
    format: str
    location: str | None
    registration_start: dt.date
    registration_end: dt.date
    time_zone: str
    form_language: str | None
    capacity_ids: tuple[int, ...]
    language_ids: tuple[int, ...]


def _assign(row: Any, value: Any, *names: str) -> None:
    """Copy the fields ``names`` of a checked input onto its row."""
    for name in names:
        setattr(row, name, getattr(value, name))


def save_program(program: MentorshipProgram | None, value: ProgramInput, chain: Sequence[str]) -> MentorshipProgram:
    """Create (``program`` None) or update a program, flushed (it has an id); the caller commits.
    Capacities and languages that do not exist are left out."""
    target = program or MentorshipProgram()
    _assign(target, value, "organization_id", "name", "description", "format", "location", "registration_start",
            "registration_end", "time_zone", "form_language")
    target.capacities = [MentorshipProgramCapacity(capacity_id=i)
                         for i in choices_service.valid_ids("capacity", value.capacity_ids, chain)]
    target.languages = [MentorshipProgramLanguage(language_id=i)
                        for i in choices_service.valid_ids("language", value.language_ids, chain)]
    if program is None:
        db.session.add(target)
    db.session.flush()
    return target


def program_question(program: MentorshipProgram, question_id: int) -> MentorshipQuestion | None:
    """One question of the program's forms, or None (also for another program's question)."""
    question = db.session.get(MentorshipQuestion, question_id)
    return question if question is not None and question.program_id == program.id else None


@dataclass(frozen=True)
class QuestionInput:
    """A checked question (``capx.forms.mentorship.read_question``)."""

    role: str
    kind: str
    label: str
    help: str | None
    required: bool
    options: list[str] | None


def save_question(program: MentorshipProgram, question: MentorshipQuestion | None,
                  value: QuestionInput) -> MentorshipQuestion | None:
    """Add (``question`` None) a question at the end of its form, or change one (moved to the end
    of the other form when its role changes); flushed. None when a new question would exceed
    ``MAX_QUESTIONS_PER_FORM``."""
    if question is None:
        count = sum(1 for q in program.questions if q.role == value.role)
        if count >= MAX_QUESTIONS_PER_FORM:
            return None
        question = MentorshipQuestion(program_id=program.id, position=count)
        db.session.add(question)
    elif question.role != value.role:
        question.position = sum(1 for q in program.questions if q.role == value.role)
    _assign(question, value, "role", "kind", "label", "help", "required", "options")
    db.session.flush()
    return question


def delete_question(question: MentorshipQuestion) -> None:
    """Remove a question (answers already submitted keep their own copy of its label), flushed."""
    db.session.delete(question)
    db.session.flush()


def move_question(program: MentorshipProgram, question: MentorshipQuestion, up: bool) -> None:
    """Move a question one place up or down within its form, flushed."""
    siblings = form_questions(program, question.role)
    index = siblings.index(question)
    other = index + (-1 if up else 1)
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, q in enumerate(siblings):
        q.position = position
    db.session.flush()
