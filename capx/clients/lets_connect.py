"""Let's Connect: the profile a participant filled in on the Let's Connect service.

``GET <CAPX_LETS_CONNECT_API_URL>/profile?username=<name>`` answers JSON (see
tests/fixtures/api/lets-connect-profile.json for the shape). The client returns the fields as
codes; capx.services.lets_connect maps them onto CapX's reference data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from capx.clients.http import RemoteServiceError, TimeoutSession, json_of, new_session, send


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


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v).strip() for v in value if isinstance(v, (str, int)) and str(v).strip())


class LetsConnectClient:
    """Reads participant profiles from the Let's Connect service."""

    def __init__(self, base_url: str, session: TimeoutSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or new_session()

    def profile(self, username: str) -> LetsConnectProfile | None:
        """The participant's profile, or None when they never registered on Let's Connect."""
        response = send(self.session, "GET", f"{self.base_url}/profile", params={"username": username},
                        headers={"Accept": "application/json"}, error=LetsConnectError, service="Let's Connect")
        if response.status_code == 404:
            return None
        data = json_of(response, error=LetsConnectError, service="Let's Connect")
        if not isinstance(data, dict) or not isinstance(data.get("profile"), dict):
            raise LetsConnectError("Let's Connect answered an unexpected shape", "badjson")
        p = data["profile"]
        languages = []
        for item in p.get("languages") or []:
            if isinstance(item, dict) and isinstance(item.get("code"), str):
                proficiency = item.get("proficiency")
                languages.append(LetsConnectLanguage(item["code"].strip().lower(),
                                                     str(proficiency) if proficiency is not None else None))
        skills = p.get("skills") if isinstance(p.get("skills"), dict) else {}
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


def lets_connect_client() -> LetsConnectClient:
    """A client for the configured Let's Connect service."""
    return LetsConnectClient(current_app.config["CAPX_LETS_CONNECT_API_URL"])
