"""Hybrid encryption of mentorship applications for a partner's RSA public key.

Each application gets a fresh AES-256 key; the answers (JSON) are encrypted with AES-GCM under it,
and the key itself with RSA-OAEP (SHA-256) for the partner's public key. Partners keep the RSA key
pairs they already have; the server only ever holds the public half, so it cannot decrypt what it
stores. The additional authenticated data binds a ciphertext to its program, role and key, so a
row copied onto another program or role fails to decrypt instead of being misread.

Applications imported from the previous platform keep its envelope (version 1: the same hybrid
scheme without associated data, answers keyed by form field name); :func:`decrypt_record` reads
both kinds. This module is also what ``flask capx mentorship-decrypt`` uses on the partner's machine.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: Version of the envelope and download format (bump when either changes).
FORMAT = "capx-mentorship-v1"
MIN_KEY_BITS = 2048
MAX_KEY_BITS = 8192
MAX_PEM_CHARS = 20_000


class PublicKeyError(ValueError):
    """The uploaded text is not a usable RSA public key; ``reason`` is a message key suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DecryptError(ValueError):
    """An application could not be decrypted with the given private key."""


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Parse a PEM public key (SubjectPublicKeyInfo or PKCS#1), refusing anything but RSA of
    2048 to 8192 bits. Raises :class:`PublicKeyError` with a reason: ``invalid``, ``private``,
    ``not-rsa`` or ``size``."""
    text = (pem or "").strip()
    if not text or len(text) > MAX_PEM_CHARS:
        raise PublicKeyError("invalid")
    if "PRIVATE KEY" in text:
        # Someone pasted the wrong half: refuse it and never store it.
        raise PublicKeyError("private")
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError):
        raise PublicKeyError("invalid") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise PublicKeyError("not-rsa")
    if not MIN_KEY_BITS <= key.key_size <= MAX_KEY_BITS:
        raise PublicKeyError("size")
    return key


def normalized_pem(key: rsa.RSAPublicKey) -> str:
    """The key as a SubjectPublicKeyInfo PEM (what we store, whatever form was uploaded)."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(key: rsa.RSAPublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, as 64 hex digits.

    Partners compute the same with ``openssl pkey -pubin -in public.pem -outform DER | sha256sum``.
    """
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def associated_data(program_id: int, role: str, key_fingerprint: str) -> bytes:
    """What each ciphertext is bound to (authenticated, not secret)."""
    return f"{FORMAT}|program={program_id}|role={role}|key={key_fingerprint}".encode("ascii")


@dataclass(frozen=True)
class Envelope:
    """An encrypted application as stored."""

    key_fingerprint: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


def encrypt(public_key: rsa.RSAPublicKey, program_id: int, role: str, payload: dict[str, Any]) -> Envelope:
    """Encrypt ``payload`` (JSON-serializable) for ``public_key``. The AES key is discarded."""
    key_fp = fingerprint(public_key)
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, associated_data(program_id, role, key_fp))
    wrapped = public_key.encrypt(data_key, _oaep())
    return Envelope(key_fp, wrapped, nonce, ciphertext)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def export_record(application_id: int, program_id: int, role: str, submitted_at: str, envelope: Envelope) -> dict[str, Any]:
    """One application in the download file (JSON): metadata in clear, answers encrypted."""
    return {"id": application_id, "program_id": program_id, "role": role, "submitted_at": submitted_at,
            "key_fingerprint": envelope.key_fingerprint, "wrapped_key": _b64(envelope.wrapped_key),
            "nonce": _b64(envelope.nonce), "ciphertext": _b64(envelope.ciphertext)}


#: The previous platform's envelope (capx-backend's portal): version 1, no associated data, the
#: answers keyed by form field name. Imported applications keep it verbatim.
LEGACY_ALGORITHM = "RSA-OAEP-SHA256+AES-256-GCM"


def legacy_export_record(application_id: int, program_id: int, role: str, submitted_at: str, username: str,
                         key_fingerprint: str, envelope: str, old_key_id: int | None,
                         old_key_fingerprint: str | None) -> dict[str, Any]:
    """An imported application in the download file: the old envelope as it was stored, with the
    key it was encrypted for (CapX's fingerprint, and the old platform's key id and fingerprint).
    The old answers do not hold the applicant's name, so it is given here."""
    return {"id": application_id, "program_id": program_id, "role": role, "submitted_at": submitted_at,
            "username": username, "key_fingerprint": key_fingerprint, "envelope": envelope,
            "envelope_version": 1, "old_key_id": old_key_id, "old_key_fingerprint": old_key_fingerprint}


def decrypt_legacy_envelope(private_key: rsa.RSAPrivateKey, envelope_text: str) -> dict[str, Any]:
    """The answers (field name -> value) in a version-1 envelope of the previous platform.
    Raises :class:`DecryptError`."""
    try:
        envelope = json.loads(envelope_text)
        if not isinstance(envelope, dict) or envelope.get("version") != 1 \
                or envelope.get("algorithm", LEGACY_ALGORITHM) != LEGACY_ALGORITHM:
            raise DecryptError("not a version-1 envelope")
        data_key = private_key.decrypt(base64.b64decode(envelope["key"]), _oaep())
        plaintext = AESGCM(data_key).decrypt(base64.b64decode(envelope["nonce"]),
                                             base64.b64decode(envelope["ciphertext"]), None)
        answers = json.loads(plaintext.decode("utf-8"))
    except DecryptError:
        raise
    except (InvalidTag, ValueError, KeyError, TypeError) as error:
        raise DecryptError(f"cannot be decrypted ({error.__class__.__name__})") from None
    if not isinstance(answers, dict):
        raise DecryptError("the answers are not an object")
    return answers


def _legacy_payload(private_key: rsa.RSAPrivateKey, record: dict[str, Any],
                    questions: list[dict[str, Any]]) -> dict[str, Any]:
    """An imported application decrypted into the shape of CapX's own payloads: the old field
    names become the program's questions (same columns as applications made on CapX)."""
    try:
        answers = decrypt_legacy_envelope(private_key, str(record.get("envelope")))
    except DecryptError as error:
        raise DecryptError(f"application {record.get('id')}: {error}") from None
    role = str(record.get("role"))
    by_name = {q.get("field_name"): q for q in questions if q.get("role") == role and q.get("field_name")}
    out = []
    for name, value in answers.items():
        question = by_name.get(name)
        out.append({"question_id": question["id"] if question else f"field:{name}",
                    "label": question["label"] if question else name, "value": value})
    return {"role": role, "username": record.get("username"), "answers": out}


def load_private_key(pem: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """The partner's private key (on their machine). Raises ValueError/TypeError when unusable."""
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("not an RSA private key")
    return key


def decrypt_record(private_key: rsa.RSAPrivateKey, record: dict[str, Any],
                   questions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The payload of one downloaded application: CapX's own envelope, or an imported version-1
    envelope (``questions``, the download's program questions, name its answers).
    Raises :class:`DecryptError`."""
    key_fp = fingerprint(private_key.public_key())
    if record.get("key_fingerprint") != key_fp:
        raise DecryptError(f"application {record.get('id')}: encrypted for key {record.get('key_fingerprint')}, "
                           f"not for this key ({key_fp})")
    if "envelope" in record:
        return _legacy_payload(private_key, record, questions or [])
    try:
        data_key = private_key.decrypt(base64.b64decode(record["wrapped_key"]), _oaep())
        plaintext = AESGCM(data_key).decrypt(
            base64.b64decode(record["nonce"]), base64.b64decode(record["ciphertext"]),
            associated_data(int(record["program_id"]), str(record["role"]), key_fp))
    except (InvalidTag, ValueError, KeyError, TypeError) as error:
        raise DecryptError(f"application {record.get('id')}: cannot be decrypted ({error.__class__.__name__})") from None
    return json.loads(plaintext.decode("utf-8"))


def answer_text(value: Any) -> str:
    """An answer as one CSV cell: choices of a multiple-choice question one per line."""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def applications_csv(private_key: rsa.RSAPrivateKey, download: dict[str, Any]) -> tuple[str, list[str]]:
    """Decrypt a whole download into CSV text: one row per application, one column per question.

    Returns the CSV and the errors for applications that could not be decrypted (skipped).
    Columns: id, program, role, submitted at, user name, then each question (``role: label``)
    in the order the forms ask them.
    """
    if download.get("format") != FORMAT:
        raise DecryptError(f"not a CapX mentorship download (format {download.get('format')!r})")
    rows: list[dict[str, Any]] = []
    columns: list[tuple[str, str]] = []  # (question key, heading)
    errors: list[str] = []
    questions = (download.get("program") or {}).get("questions") or []
    for record in download.get("applications", []):
        try:
            payload = decrypt_record(private_key, record, questions)
        except DecryptError as error:
            errors.append(str(error))
            continue
        cells = {}
        for answer in payload.get("answers", []):
            column = (f"{payload.get('role')}:{answer.get('question_id')}", f"{payload.get('role')}: {answer.get('label')}")
            if column[0] not in {c[0] for c in columns}:
                columns.append(column)
            cells[column[0]] = answer_text(answer.get("value"))
        rows.append({"id": record.get("id"), "program": payload.get("program") or (download.get("program") or {}).get("name"),
                     "role": payload.get("role"),
                     "submitted_at": record.get("submitted_at"), "username": payload.get("username"),
                     "cells": cells})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "program", "role", "submitted_at", "username", *[heading for _, heading in columns]])
    for row in rows:
        writer.writerow([row["id"], row["program"], row["role"], row["submitted_at"], row["username"],
                         *[row["cells"].get(key, "") for key, _ in columns]])
    return out.getvalue(), errors


def download_document(program: dict[str, Any], records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The JSON document managers download."""
    return {"format": FORMAT, "program": program, "applications": list(records)}
