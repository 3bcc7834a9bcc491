"""Registration status from dates and time zones, answer validation, and the key rules."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.datastructures import MultiDict

from capx.forms import mentorship as forms
from capx.models import MentorshipProgram, MentorshipQuestion
from capx.services import mentorship as service
from capx.services import mentorship_crypto
from capx.translations import lazy_msg
from tests.mentorship_helpers import make_key_pair

UTC = dt.UTC


def _program(start: str, end: str, tz: str) -> MentorshipProgram:
    return MentorshipProgram(registration_start=dt.date.fromisoformat(start),
                             registration_end=dt.date.fromisoformat(end), time_zone=tz)


@pytest.mark.parametrize("start, end, tz, now, expected", [
    # UTC: open from the first day 00:00 to the last day 24:00
    ("2026-03-01", "2026-03-10", "UTC", "2026-02-28T23:59:59", "upcoming"),
    ("2026-03-01", "2026-03-10", "UTC", "2026-03-01T00:00:00", "open"),
    ("2026-03-01", "2026-03-10", "UTC", "2026-03-10T23:59:59", "open"),
    ("2026-03-01", "2026-03-10", "UTC", "2026-03-11T00:00:00", "closed"),
    # São Paulo (UTC-3): the days start and end three hours later in UTC
    ("2026-03-01", "2026-03-10", "America/Sao_Paulo", "2026-03-01T02:59:59", "upcoming"),
    ("2026-03-01", "2026-03-10", "America/Sao_Paulo", "2026-03-01T03:00:00", "open"),
    ("2026-03-01", "2026-03-10", "America/Sao_Paulo", "2026-03-11T02:59:59", "open"),
    ("2026-03-01", "2026-03-10", "America/Sao_Paulo", "2026-03-11T03:00:00", "closed"),
    # Tokyo (UTC+9): the days start nine hours earlier in UTC
    ("2026-03-01", "2026-03-10", "Asia/Tokyo", "2026-02-28T14:59:59", "upcoming"),
    ("2026-03-01", "2026-03-10", "Asia/Tokyo", "2026-02-28T15:00:00", "open"),
    ("2026-03-01", "2026-03-10", "Asia/Tokyo", "2026-03-10T14:59:59", "open"),
    ("2026-03-01", "2026-03-10", "Asia/Tokyo", "2026-03-10T15:00:00", "closed"),
    # Berlin across the change to summer time (29 March 2026): opens at CET, closes at CEST
    ("2026-03-29", "2026-03-29", "Europe/Berlin", "2026-03-28T22:59:59", "upcoming"),
    ("2026-03-29", "2026-03-29", "Europe/Berlin", "2026-03-28T23:00:00", "open"),
    ("2026-03-29", "2026-03-29", "Europe/Berlin", "2026-03-29T21:59:59", "open"),
    ("2026-03-29", "2026-03-29", "Europe/Berlin", "2026-03-29T22:00:00", "closed"),
    # Kiritimati (UTC+14) and Pago Pago (UTC-11): same dates, different moments
    ("2026-06-01", "2026-06-01", "Pacific/Kiritimati", "2026-05-31T10:00:00", "open"),
    ("2026-06-01", "2026-06-01", "Pacific/Pago_Pago", "2026-05-31T10:00:00", "upcoming"),
    ("2026-06-01", "2026-06-01", "Pacific/Pago_Pago", "2026-06-02T10:59:59", "open"),
])
def test_registration_status(start: str, end: str, tz: str, now: str, expected: str) -> None:
    moment = dt.datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert service.registration_status(_program(start, end, tz), moment) == expected


def test_status_accepts_any_aware_time() -> None:
    program = _program("2026-03-01", "2026-03-10", "UTC")
    sao_paulo_evening = dt.datetime(2026, 3, 10, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))  # 01:00 UTC on the 11th
    assert service.registration_status(program, sao_paulo_evening) == "closed"


@pytest.mark.parametrize("name, valid", [("UTC", True), ("America/Sao_Paulo", True), ("Mars/Olympus", False),
                                         ("", False), (None, False), ("../etc/passwd", False)])
def test_valid_time_zone(name: str | None, valid: bool) -> None:
    assert service.valid_time_zone(name) is valid


def _q(qid: int, kind: str, required: bool = False, options: list[str] | None = None) -> MentorshipQuestion:
    return MentorshipQuestion(id=qid, kind=kind, label=f"Q{qid}", required=required, options=options, role="mentee")


@pytest.mark.parametrize("question, submitted, error, value", [
    # required or not
    (_q(1, "short-text", True), [], "required", None),
    (_q(1, "short-text", True), [("q1", "   ")], "required", None),
    (_q(1, "short-text", False), [], None, ""),
    (_q(1, "short-text"), [("q1", "  Ana  ")], None, "Ana"),
    (_q(1, "short-text"), [("q1", "x" * 301)], "too-long", None),
    (_q(1, "long-text"), [("q1", "line 1\r\nline 2")], None, "line 1\nline 2"),
    (_q(1, "long-text"), [("q1", "x" * 5001)], "too-long", None),
    # choices must be among the options
    (_q(1, "single-choice", True, ["A", "B"]), [("q1", "B")], None, "B"),
    (_q(1, "single-choice", True, ["A", "B"]), [("q1", "C")], "choice", None),
    (_q(1, "multiple-choice", True, ["A", "B", "C"]), [("q1", "C"), ("q1", "A")], None, ["A", "C"]),
    (_q(1, "multiple-choice", True, ["A", "B"]), [], "required", None),
    (_q(1, "multiple-choice", False, ["A", "B"]), [], None, []),
    (_q(1, "multiple-choice", False, ["A", "B"]), [("q1", "A"), ("q1", "Z")], "choice", None),
    # e-mail addresses and URLs
    (_q(1, "email", True), [("q1", "ana@example.org")], None, "ana@example.org"),
    (_q(1, "email", True), [("q1", "ana@example")], "email", None),
    (_q(1, "email", True), [("q1", "not an email")], "email", None),
    (_q(1, "url"), [("q1", "https://meta.wikimedia.org/wiki/User:Ana")], None, "https://meta.wikimedia.org/wiki/User:Ana"),
    (_q(1, "url"), [("q1", "javascript:alert(1)")], "url", None),
    (_q(1, "url"), [("q1", "meta.wikimedia.org")], "url", None),
])
def test_read_answers(question: MentorshipQuestion, submitted: list[tuple[str, str]], error: str | None,
                          value: object) -> None:
    checked = forms.read_answers([question], MultiDict(submitted))
    if error:
        assert checked.errors == {"q1": [lazy_msg(f"mentorship-answer-error-{error}")]} and checked.value is None
    else:
        assert checked.errors == {} and checked.value is not None and checked.value[0]["value"] == value


def test_clean_options() -> None:
    assert service.clean_options(" A \n\nB\r\nA\n  C") == ["A", "B", "C"]


def test_public_key_checks() -> None:
    key, public_pem, private_pem = make_key_pair()
    loaded = mentorship_crypto.load_public_key(public_pem)
    assert mentorship_crypto.fingerprint(loaded) == mentorship_crypto.fingerprint(key.public_key())
    # PKCS#1 ("BEGIN RSA PUBLIC KEY") is the same key, stored as SubjectPublicKeyInfo.
    pkcs1 = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    assert mentorship_crypto.normalized_pem(mentorship_crypto.load_public_key(pkcs1)) == public_pem

    def reason(text: str) -> str:
        with pytest.raises(mentorship_crypto.PublicKeyError) as caught:
            mentorship_crypto.load_public_key(text)
        return caught.value.reason

    assert reason(private_pem.decode()) == "private"
    assert reason("hello") == "invalid"
    assert reason("") == "invalid"
    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert reason(ec_pem) == "not-rsa"
    _small, small_pem, _ = make_key_pair(1024)
    assert reason(small_pem) == "size"


def test_fingerprint_is_sha256_of_der_spki() -> None:
    import hashlib

    key, public_pem, _ = make_key_pair()
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert mentorship_crypto.fingerprint(mentorship_crypto.load_public_key(public_pem)) == hashlib.sha256(der).hexdigest()


def test_ciphertext_bound_to_program_and_role() -> None:
    key, public_pem, _ = make_key_pair()
    public = mentorship_crypto.load_public_key(public_pem)
    envelope = mentorship_crypto.encrypt(public, 7, "mentee", {"answers": [{"value": "secret"}]})
    record = mentorship_crypto.export_record(1, 7, "mentee", "2026-01-01T00:00:00Z", envelope)
    assert mentorship_crypto.decrypt_record(key, record)["answers"][0]["value"] == "secret"
    for tampered in ({**record, "role": "mentor"}, {**record, "program_id": 8}):
        with pytest.raises(mentorship_crypto.DecryptError):
            mentorship_crypto.decrypt_record(key, tampered)
    other, _, _ = make_key_pair()
    with pytest.raises(mentorship_crypto.DecryptError):
        mentorship_crypto.decrypt_record(other, record)
