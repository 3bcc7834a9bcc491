"""Shared helpers for the mentorship tests: organizations, programs, questions and test keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from capx.extensions import db
from capx.models import MentorshipProgram, MentorshipQuestion, Organization, OrganizationManager, OrganizationName
from capx.services import mentorship_crypto


def make_key_pair(bits: int = 2048) -> tuple[rsa.RSAPrivateKey, str, bytes]:
    """A test key pair made in the test (as a partner would): (key, public PEM, private PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return key, public_pem, private_pem


def make_org(name: str = "Wikimedia Brasil", manager_ids: tuple[int, ...] = ()) -> int:
    org = Organization(acronym=name[:4].upper())
    db.session.add(org)
    db.session.flush()
    db.session.add(OrganizationName(organization_id=org.id, lang="en", name=name))
    for user_id in manager_ids:
        db.session.add(OrganizationManager(organization_id=org.id, user_id=user_id))
    db.session.commit()
    return org.id


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def make_program(org_id: int, public_pem: str | None = None, *, start: dt.date | None = None,
                 end: dt.date | None = None, time_zone: str = "UTC", name: str = "Language mentors",
                 questions: list[dict[str, Any]] | None = None) -> int:
    """A program open today (by default) with the given questions (default: one of each kind, mentee form)."""
    program = MentorshipProgram(organization_id=org_id, name=name, description="Learn with mentors.",
                                format="online", location="Online",
                                registration_start=start or today() - dt.timedelta(days=2),
                                registration_end=end or today() + dt.timedelta(days=2), time_zone=time_zone)
    if public_pem:
        key = mentorship_crypto.load_public_key(public_pem)
        program.public_key_pem = mentorship_crypto.normalized_pem(key)
        program.key_fingerprint = mentorship_crypto.fingerprint(key)
    db.session.add(program)
    db.session.flush()
    for position, q in enumerate(questions if questions is not None else default_questions()):
        db.session.add(MentorshipQuestion(program_id=program.id, position=position, **q))
    db.session.commit()
    return program.id


def default_questions(role: str = "mentee") -> list[dict[str, Any]]:
    return [
        {"role": role, "kind": "short-text", "label": "Your name", "required": True},
        {"role": role, "kind": "long-text", "label": "Why do you want to join?", "required": True},
        {"role": role, "kind": "single-choice", "label": "Level", "required": True,
         "options": ["Beginner", "Intermediate", "Advanced"]},
        {"role": role, "kind": "multiple-choice", "label": "Projects", "required": False,
         "options": ["Wikipedia", "Wikidata", "Commons"]},
        {"role": role, "kind": "email", "label": "E-mail", "required": True},
        {"role": role, "kind": "url", "label": "Portfolio", "required": False},
    ]


def question_ids(program_id: int, role: str = "mentee") -> dict[str, int]:
    """Question ids of a program's form, by label."""
    return {q.label: q.id for q in db.session.scalars(
        db.select(MentorshipQuestion).where(MentorshipQuestion.program_id == program_id,
                                            MentorshipQuestion.role == role))}
