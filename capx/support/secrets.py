"""Encryption of secrets we must keep (OAuth access tokens), with keys from the environment.

``CAPX_TOKEN_KEYS`` holds one or more Fernet keys separated by commas, newest first (rotation:
prepend a new key, keep the old one until tokens were re-encrypted or expired). Without it, a key
is derived from ``CAPX_SECRET_KEY`` with HKDF, so rotating the secret key also voids stored tokens
(users simply log in again).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _derived_key(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"capx:{purpose}".encode())
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def _fernet(purpose: str = "oauth-token") -> MultiFernet:
    keys = current_app.config.get("CAPX_TOKEN_KEYS") or ()
    if keys:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    return MultiFernet([Fernet(_derived_key(current_app.config["SECRET_KEY"], purpose))])


def encrypt_json(value: Any, purpose: str = "oauth-token") -> bytes:
    """Encrypt a JSON-serializable value (authenticated encryption, Fernet)."""
    return _fernet(purpose).encrypt(json.dumps(value).encode())


def decrypt_json(token: bytes, purpose: str = "oauth-token") -> Any | None:
    """Decrypt what :func:`encrypt_json` made; None when the key changed or it was tampered with."""
    try:
        return json.loads(_fernet(purpose).decrypt(token))
    except (InvalidToken, ValueError):
        return None
