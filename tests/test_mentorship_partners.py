"""Partners' members run their organization's mentorship programs; imported applications (the old
platform's version-1 envelopes) and CapX's own decrypt together, with one column per question."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from capx.extensions import db
from capx.models import MentorshipApplication, MentorshipProgram, MentorshipQuestion, Organization, PartnerMember
from capx.services import mentorship_crypto
from tests.mentorship_helpers import make_key_pair, make_org, make_program


def old_envelope(public_key: Any, answers: dict[str, Any]) -> str:
    """A response as the previous platform encrypted it: no associated data, answers by field name."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, json.dumps(answers).encode(), None)
    wrapped = public_key.encrypt(data_key, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                         label=None))
    return json.dumps({"__encrypted__": True, "version": 1, "algorithm": "RSA-OAEP-SHA256+AES-256-GCM",
                       "key": base64.b64encode(wrapped).decode(), "nonce": base64.b64encode(nonce).decode(),
                       "ciphertext": base64.b64encode(ciphertext).decode()}, separators=(",", ":"))


def test_partner_members_manage_their_organization_s_programs(app: Any, client: Any, make_user: Any,
                                                              login: Any) -> None:
    member, outsider, not_partner = make_user("Ana Member"), make_user("Bruno Outsider"), make_user("Carla Member")
    _key, public_pem, _private = make_key_pair()
    with app.app_context():
        partner = make_org("Partner Org")
        other = make_org("Other Org")
        program = make_program(partner, public_pem)
        db.session.get(Organization, partner).is_partner = True
        db.session.add(PartnerMember(organization_id=partner, user_id=member.id))
        # a member row of an organization that is not (or no longer) a partner gives nothing
        db.session.add(PartnerMember(organization_id=other, user_id=not_partner.id))
        other_program = make_program(other, public_pem)
        db.session.commit()
    login(client, member)
    assert client.get(f"/mentorship/manage/{program}/applications.json").status_code == 200
    assert client.get(f"/mentorship/manage/{program}").status_code == 200
    assert client.get(f"/mentorship/manage/{other_program}/applications.json").status_code == 403
    login(client, outsider)
    assert client.get(f"/mentorship/manage/{program}/applications.json").status_code == 403
    login(client, not_partner)
    assert client.get(f"/mentorship/manage/{other_program}/applications.json").status_code == 403


def test_old_and_new_applications_decrypt_into_the_same_columns(app: Any, make_user: Any) -> None:
    from capx.services.mentorship import export_applications

    key, public_pem, private_pem = make_key_pair()
    old_applicant, new_applicant = make_user("Old Applicant"), make_user("New Applicant")
    with app.app_context():
        org = make_org("Partner Org")
        program_id = make_program(org, public_pem, questions=[
            {"role": "mentee", "kind": "short-text", "label": "Full name", "required": True, "field_name": "full_name"},
            {"role": "mentee", "kind": "single-choice", "label": "Consent", "options": ["Yes"], "field_name": "consent"}])
        questions = {q.field_name: q for q in db.session.query(MentorshipQuestion).filter_by(program_id=program_id)}
        fingerprint = mentorship_crypto.fingerprint(key.public_key())
        envelope = old_envelope(key.public_key(), {"full_name": "Old One", "consent": True, "extra": "kept"})
        parsed = json.loads(envelope)
        db.session.add(MentorshipApplication(
            program_id=program_id, applicant_id=old_applicant.id, role="mentee", key_fingerprint=fingerprint,
            wrapped_key=base64.b64decode(parsed["key"]), nonce=base64.b64decode(parsed["nonce"]),
            ciphertext=base64.b64decode(parsed["ciphertext"]), legacy_envelope=envelope, legacy_key_id=4,
            legacy_key_fingerprint="abcdef123456"))
        new = mentorship_crypto.encrypt(key.public_key(), program_id, "mentee", {
            "program": "P", "role": "mentee", "username": "New Applicant",
            "answers": [{"question_id": questions["full_name"].id, "label": "Full name", "value": "New One"},
                        {"question_id": questions["consent"].id, "label": "Consent", "value": "Yes"}]})
        db.session.add(MentorshipApplication(program_id=program_id, applicant_id=new_applicant.id, role="mentee",
                                             key_fingerprint=new.key_fingerprint, wrapped_key=new.wrapped_key,
                                             nonce=new.nonce, ciphertext=new.ciphertext))
        db.session.commit()
        download = json.loads(json.dumps(export_applications(db.session.get(MentorshipProgram, program_id))))
    old_record = next(r for r in download["applications"] if "envelope" in r)
    assert old_record["envelope"] == envelope and old_record["old_key_id"] == 4  # verbatim, with the old key
    assert old_record["old_key_fingerprint"] == "abcdef123456" and old_record["username"] == "Old Applicant"
    text, errors = mentorship_crypto.applications_csv(mentorship_crypto.load_private_key(private_pem), download)
    assert errors == []
    lines = text.strip().splitlines()
    assert lines[0] == "id,program,role,submitted_at,username,mentee: Full name,mentee: Consent,mentee: extra"
    assert any(",Old Applicant,Old One,True,kept" in line for line in lines)
    assert any(",New Applicant,New One,Yes," in line for line in lines)
    # another key cannot read them
    other, _pem, _private = make_key_pair()
    _text, errors = mentorship_crypto.applications_csv(other, download)
    assert len(errors) == 2


def test_a_tampered_old_envelope_is_reported_not_misread(app: Any) -> None:
    key, _public_pem, _private = make_key_pair()
    envelope = json.loads(old_envelope(key.public_key(), {"full_name": "Ana"}))
    envelope["ciphertext"] = base64.b64encode(b"x" * 40).decode()
    record = {"id": 9, "role": "mentee", "key_fingerprint": mentorship_crypto.fingerprint(key.public_key()),
              "envelope": json.dumps(envelope)}
    with pytest.raises(mentorship_crypto.DecryptError, match="application 9"):
        mentorship_crypto.decrypt_record(key, record, [])
