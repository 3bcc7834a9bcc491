"""Let's Connect (https://letsconn.toolforge.org), as the previous platform talked to it.

- registration: ``POST /endpoint/`` with ``{"token": <JWT>}``; the JWT is signed RS256 with the
  tool's private key (``CAPX_LETS_CONNECT_PRIVATE_KEY``) and carries ``user, timestamp, nonce,
  full_name, email, role, area, gender, age``; a 200 answer carries a ``confirmation``;
- profile import: ``GET /profile/?username=<name>``;
- existence: ``GET /exists/?username=<name>``;
- badges: ``GET /user-badges/?username=<name>``, a JSON list.

The routes and the registration token follow the previous platform's code; the answers' bodies
are not documented anywhere public (tests/fixtures/api/SOURCES.md says which parts are inferred),
so everything is parsed tolerantly: unknown fields are ignored, an item missing a needed field is
skipped with a log line. Every failure is a :class:`LetsConnectError`.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app

from capx.clients.external_badges import RemoteBadge, parse_timestamp, text_or_none, web_url
from capx.clients.http import RemoteServiceError, TimeoutSession, json_of, new_session, ok_or_none, send

log = logging.getLogger(__name__)

SERVICE = "Let's Connect"
DEFAULT_URL = "https://letsconn.toolforge.org"


class LetsConnectError(RemoteServiceError):
    """The Let's Connect service failed, timed out or answered something unusable."""


@dataclass(frozen=True)
class LetsConnectLanguage:
    code: str
    proficiency: str | None


@dataclass(frozen=True)
class LetsConnectProfile:
    """What Let's Connect knows about a participant (codes, as the service sends them)."""

    username: str
    bio: str | None = None
    languages: tuple[LetsConnectLanguage, ...] = ()
    territories: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    skills_known: tuple[str, ...] = ()
    skills_available: tuple[str, ...] = ()
    skills_wanted: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Registration:
    """What a registration sends (the JWT's claims besides user, timestamp and nonce)."""

    full_name: str | None
    email: str
    role: str
    area: str | None
    gender: str | None
    age: str | None


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v).strip() for v in value if isinstance(v, (str, int)) and str(v).strip())


def load_private_key(path: str | Path) -> rsa.RSAPrivateKey:
    """The RSA private key in the PEM file at ``path``; anything else raises ValueError/OSError."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


class LetsConnectClient:
    """Registers participants on Let's Connect and reads their profiles and badges."""

    def __init__(self, base_url: str = DEFAULT_URL, session: TimeoutSession | None = None,
                 private_key_path: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or new_session()
        self.private_key_path = private_key_path

    def _get(self, route: str, username: str) -> Any:
        return send(self.session, "GET", f"{self.base_url}/{route}/", params={"username": username},
                    headers={"Accept": "application/json"}, error=LetsConnectError, service=SERVICE)

    # -- registration ------------------------------------------------------------------------

    def token(self, username: str, data: Registration, *, now: float | None = None) -> str:
        """The signed registration token (RS256). A missing or unusable key raises LetsConnectError."""
        if not self.private_key_path:
            raise LetsConnectError("CAPX_LETS_CONNECT_PRIVATE_KEY is not set", "nokey")
        try:
            key = load_private_key(self.private_key_path)
        except (OSError, ValueError, TypeError) as exc:
            raise LetsConnectError(f"the Let's Connect private key cannot be used ({type(exc).__name__})",
                                   "nokey") from exc
        claims = {"user": username, "timestamp": int(now if now is not None else time.time()),
                  "nonce": str(uuid.uuid4()), "full_name": data.full_name, "email": data.email,
                  "role": data.role, "area": data.area, "gender": data.gender, "age": data.age}
        return jwt.encode(claims, key, algorithm="RS256")

    def register(self, username: str, data: Registration) -> str:
        """Send a registration; returns Let's Connect's confirmation. Anything but a 200 answer
        with a confirmation raises LetsConnectError (nothing is known to be stored there then)."""
        token = self.token(username, data)
        response = send(self.session, "POST", f"{self.base_url}/endpoint/", json={"token": token},
                        headers={"Accept": "application/json"}, error=LetsConnectError, service=SERVICE)
        if response.status_code != 200:
            raise LetsConnectError(f"{SERVICE} answered HTTP {response.status_code}",
                                   f"http-{response.status_code}")
        body = json_of(response, error=LetsConnectError, service=SERVICE)
        confirmation = body.get("confirmation") if isinstance(body, dict) else None
        if isinstance(confirmation, (int, float)) and not isinstance(confirmation, bool):
            confirmation = str(confirmation)
        if not isinstance(confirmation, str) or not confirmation.strip():
            raise LetsConnectError(f"{SERVICE} answered without a confirmation", "badjson")
        return confirmation.strip()[:100]

    # -- reading -----------------------------------------------------------------------------

    def exists(self, username: str) -> bool:
        """Whether the person registered on Let's Connect (a 404 answer means no)."""
        response = self._get("exists", username)
        if response.status_code == 404:
            return False
        data = json_of(response, error=LetsConnectError, service=SERVICE)
        if isinstance(data, dict) and "exists" in data:
            return bool(data["exists"])
        if isinstance(data, bool):
            return data
        raise LetsConnectError(f"{SERVICE} answered an unexpected shape", "badjson")

    def profile(self, username: str) -> LetsConnectProfile | None:
        """The participant's profile, or None when they never registered on Let's Connect."""
        response = self._get("profile", username)
        if response.status_code == 404:
            return None
        data = json_of(response, error=LetsConnectError, service=SERVICE)
        # The body's shape is not documented: the profile object itself, or wrapped in "profile".
        p = data.get("profile") if isinstance(data, dict) and isinstance(data.get("profile"), dict) else data
        if not isinstance(p, dict) or not any(key in p for key in ("username", "bio", "languages", "skills")):
            raise LetsConnectError(f"{SERVICE} answered an unexpected shape", "badjson")
        languages = []
        for item in p.get("languages") or []:
            if isinstance(item, dict) and isinstance(item.get("code"), str):
                proficiency = item.get("proficiency")
                languages.append(LetsConnectLanguage(item["code"].strip().lower(),
                                                     str(proficiency) if proficiency is not None else None))
        skills: dict[str, Any] = p["skills"] if isinstance(p.get("skills"), dict) else {}
        bio = p.get("bio")
        return LetsConnectProfile(
            username=str(p.get("username") or username),
            bio=bio.strip() if isinstance(bio, str) and bio.strip() else None,
            languages=tuple(languages),
            territories=_strings(p.get("territories")),
            affiliations=_strings(p.get("affiliations")),
            projects=_strings(p.get("projects")),
            skills_known=_strings(skills.get("known")),
            skills_available=_strings(skills.get("available")),
            skills_wanted=_strings(skills.get("wanted")),
        )

    def badges(self, username: str) -> list[RemoteBadge] | None:
        """The person's Let's Connect badges; None when the service answered anything but 200 (then
        nothing may be concluded, e.g. an unknown user). A 200 answer that is not a list raises."""
        response = ok_or_none(self._get("user-badges", username), error=LetsConnectError, service=SERVICE)
        if response is None:
            return None
        data = json_of(response, error=LetsConnectError, service=SERVICE)
        if not isinstance(data, list):
            raise LetsConnectError(f"{SERVICE} answered an unexpected shape", "badjson")
        out = []
        for item in data:
            if not isinstance(item, dict):
                log.warning("Let's Connect badge of %r skipped: not an object", username)
                continue
            name, code = item.get("name"), item.get("verification_code")
            if not isinstance(name, str) or not name.strip() or not isinstance(code, (str, int)) or not str(code).strip():
                log.warning("Let's Connect badge of %r skipped: no name or verification code", username)
                continue
            out.append(RemoteBadge(
                key=name.strip()[:200], name=name.strip()[:200],
                description=text_or_none(item.get("description"), 2000),
                image_url=web_url(item.get("picture")),
                assertion_url=f"{self.base_url}/badge/{quote(str(code).strip(), safe='')}/",
                issued_at=parse_timestamp(item.get("timestamp"))))
        return out


def lets_connect_client() -> LetsConnectClient:
    """A client for the configured Let's Connect service."""
    return LetsConnectClient(current_app.config["CAPX_LETS_CONNECT_API_URL"],
                             private_key_path=current_app.config.get("CAPX_LETS_CONNECT_PRIVATE_KEY") or None)
