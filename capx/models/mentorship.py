"""Mentorship programs that partners run, their application forms, and encrypted applications.

The server stores applications only in encrypted form, for the program's public key: partners
create their RSA key pair themselves and upload only the public key. Nothing here can read an
application back.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import Model, table_args, utcnow
from capx.models.capacities import Capacity
from capx.models.organizations import Organization
from capx.models.reference import Language

PROGRAM_FORMATS = ("online", "in-person", "hybrid")
ROLES = ("mentor", "mentee")
QUESTION_KINDS = ("short-text", "long-text", "single-choice", "multiple-choice", "email", "url")


class MentorshipProgram(Model):
    """A program with a registration period given as local dates in the program's time zone."""

    __tablename__ = "mentorship_program"
    __table_args__ = table_args(sa.Index("ix_mentorship_program_organization", "organization_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    format: Mapped[str] = mapped_column(sa.Enum(*PROGRAM_FORMATS, name="mentorship_format", native_enum=False,
                                                length=10, create_constraint=True))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    # Registration is open from the first day 00:00 to the last day 24:00 in ``time_zone``.
    registration_start: Mapped[dt.date] = mapped_column(sa.Date)
    registration_end: Mapped[dt.date] = mapped_column(sa.Date)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # The language the partner wrote the forms in (they are not translated by CapX).
    form_language: Mapped[str | None] = mapped_column(sa.String(35))
    public_key_pem: Mapped[str | None] = mapped_column(sa.Text)
    # SHA-256 of the DER SubjectPublicKeyInfo, hex: what partners compare with their own key.
    key_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    capacities: Mapped[list[MentorshipProgramCapacity]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    languages: Mapped[list[MentorshipProgramLanguage]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    questions: Mapped[list[MentorshipQuestion]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by="(MentorshipQuestion.role, MentorshipQuestion.position, MentorshipQuestion.id)")


class MentorshipProgramCapacity(Model):
    """A capacity a program is about."""

    __tablename__ = "mentorship_program_capacity"
    __table_args__ = table_args()

    program_id: Mapped[int] = mapped_column(sa.ForeignKey("mentorship_program.id", ondelete="CASCADE"),
                                            primary_key=True)
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacity.id"), primary_key=True)

    capacity: Mapped[Capacity] = relationship()


class MentorshipProgramLanguage(Model):
    """A language a program runs in."""

    __tablename__ = "mentorship_program_language"
    __table_args__ = table_args()

    program_id: Mapped[int] = mapped_column(sa.ForeignKey("mentorship_program.id", ondelete="CASCADE"),
                                            primary_key=True)
    language_id: Mapped[int] = mapped_column(sa.ForeignKey("language.id"), primary_key=True)

    language: Mapped[Language] = relationship()


class MentorshipQuestion(Model):
    """One question of a program's mentor or mentee form. Choices are stored as a JSON list."""

    __tablename__ = "mentorship_question"
    __table_args__ = table_args(sa.Index("ix_mentorship_question_program_role", "program_id", "role", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("mentorship_program.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.Enum(*ROLES, name="mentorship_role", native_enum=False, length=10,
                                              create_constraint=True))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    kind: Mapped[str] = mapped_column(sa.Enum(*QUESTION_KINDS, name="mentorship_question_kind", native_enum=False,
                                              length=20, create_constraint=True))
    label: Mapped[str] = mapped_column(sa.String(500))
    help: Mapped[str | None] = mapped_column(sa.Text)
    required: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    options: Mapped[list[str] | None] = mapped_column(sa.JSON)
    # The field name on the previous platform's form: its encrypted answers are keyed by it.
    field_name: Mapped[str | None] = mapped_column(sa.String(100))


class MentorshipApplication(Model):
    """An application: who applied, for what and when, in clear; the answers encrypted.

    ``wrapped_key`` is a fresh AES-256 key encrypted with RSA-OAEP-SHA256 for the program's
    public key (``key_fingerprint``); ``ciphertext`` is the AES-GCM encryption of the answers
    (JSON) under ``nonce``.

    Applications imported from the previous platform also keep its envelope verbatim
    (``legacy_envelope``, version 1: no associated data, answers keyed by field name) with the
    old key's id and fingerprint. That platform let a person answer a form more than once:
    ``attempt`` numbers those answers (CapX's own applications are always attempt 0, so the
    unique key still allows one per program, person and role).
    """

    __tablename__ = "mentorship_application"
    __table_args__ = table_args(
        sa.UniqueConstraint("program_id", "applicant_id", "role", "attempt", name="uq_mentorship_application_once"),
        sa.Index("ix_mentorship_application_applicant", "applicant_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("mentorship_program.id", ondelete="CASCADE"))
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.Enum(*ROLES, name="mentorship_application_role", native_enum=False,
                                              length=10, create_constraint=True))
    key_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    nonce: Mapped[bytes] = mapped_column(sa.LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(sa.LargeBinary)
    attempt: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    legacy_envelope: Mapped[str | None] = mapped_column(sa.Text)
    legacy_key_id: Mapped[int | None] = mapped_column(sa.Integer)
    legacy_key_fingerprint: Mapped[str | None] = mapped_column(sa.String(12))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    program: Mapped[MentorshipProgram] = relationship()
