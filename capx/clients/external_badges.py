"""Badges earned elsewhere: WikiLearn's assertions and the pictures of external badges.

- WikiLearn (learn.wiki) runs Open edX: ``GET /api/badges/v1/assertions/user/<username>/`` answers
  a paginated list (``results`` of ``{badge_class: {slug, display_name, description, image_url,
  ...}, image_url, assertion_url, created}``; ``next`` is the next page's URL). Let's Connect's
  badges are read by :mod:`capx.clients.lets_connect`; both give :class:`RemoteBadge` items.
- :func:`fetch_image` copies a badge's picture with a size cap, for CapX to serve itself
  (:mod:`capx.clients.pictures`, shared with the pictures of WikiLearn courses).

Parsing is tolerant: unknown fields are ignored, an item without a name is skipped with a log
line. A person the service does not know (or does not share) answers 404: ``None``, from which
nothing may be concluded. Every failure is an :class:`ExternalBadgeError`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app

from capx.clients.http import RemoteServiceError, TimeoutSession, json_of, new_session, send
from capx.clients.pictures import FetchedImage, fetch_picture

log = logging.getLogger(__name__)

WIKILEARN = "WikiLearn"
DEFAULT_WIKILEARN_URL = "https://learn.wiki"
#: Pages of assertions read per person at most (100 each).
MAX_PAGES = 5


class ExternalBadgeError(RemoteServiceError):
    """A badge issuer (or an image host) failed, timed out or answered something unusable."""


@dataclass(frozen=True)
class RemoteBadge:
    """A badge as its issuer lists it for one person. ``key`` identifies the badge at its issuer
    (WikiLearn's badge class slug, Let's Connect's badge name)."""

    key: str
    name: str
    description: str | None
    image_url: str | None
    assertion_url: str | None
    issued_at: dt.datetime | None


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An ISO 8601 date-time (or a Unix timestamp) as naive UTC; None when unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


def text_or_none(value: Any, limit: int) -> str | None:
    """A trimmed, length-capped string, or None."""
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def web_url(value: Any) -> str | None:
    """An http(s) URL of at most 500 characters, or None (``javascript:`` and the like are dropped)."""
    text = text_or_none(value, 10_000)
    if text is None or len(text) > 500 or any(ch.isspace() for ch in text):
        return None
    parts = urlsplit(text)
    return text if parts.scheme in ("https", "http") and parts.hostname else None


class WikiLearnClient:
    """Reads the badges a person earned on WikiLearn."""

    def __init__(self, base_url: str = DEFAULT_WIKILEARN_URL, session: TimeoutSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or new_session()

    def badges(self, username: str) -> list[RemoteBadge] | None:
        """Every assertion of the person (all pages); None when WikiLearn answered anything but
        200 below 500 (unknown person, accomplishments not shared). 5xx, timeouts and answers that
        are not a list of results raise ExternalBadgeError."""
        url: str | None = f"{self.base_url}/api/badges/v1/assertions/user/{quote(username, safe='')}/"
        params: dict[str, str] | None = {"page_size": "100"}
        out: list[RemoteBadge] = []
        for _page in range(MAX_PAGES):
            if url is None:
                break
            response = send(self.session, "GET", url, params=params, headers={"Accept": "application/json"},
                            error=ExternalBadgeError, service=WIKILEARN)
            if response.status_code != 200:
                if response.status_code >= 500:
                    raise ExternalBadgeError(f"{WIKILEARN} answered HTTP {response.status_code}",
                                             f"http-{response.status_code}")
                return None
            data = json_of(response, error=ExternalBadgeError, service=WIKILEARN)
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise ExternalBadgeError(f"{WIKILEARN} answered an unexpected shape", "badjson")
            out.extend(self._items(username, data["results"]))
            following = data.get("next")
            # Only pages of the same service are followed.
            url = following if isinstance(following, str) and following.startswith(self.base_url + "/") else None
            params = None
        return out

    @staticmethod
    def _items(username: str, results: list[Any]) -> list[RemoteBadge]:
        out = []
        for item in results:
            badge_class = item.get("badge_class") if isinstance(item, dict) else None
            name = text_or_none(badge_class.get("display_name"), 200) if isinstance(badge_class, dict) else None
            if not isinstance(item, dict) or not isinstance(badge_class, dict) or name is None:
                log.warning("WikiLearn assertion of %r skipped: no badge class name", username)
                continue
            key = text_or_none(badge_class.get("slug"), 200) or name
            out.append(RemoteBadge(
                key=key, name=name, description=text_or_none(badge_class.get("description"), 2000),
                image_url=web_url(badge_class.get("image_url")) or web_url(item.get("image_url")),
                assertion_url=web_url(item.get("assertion_url")),
                issued_at=parse_timestamp(item.get("created"))))
        return out


def fetch_image(url: str, max_bytes: int, session: TimeoutSession | None = None) -> FetchedImage:
    """A copy of a badge's picture (:func:`capx.clients.pictures.fetch_picture`); a refusal or a
    failure raises ExternalBadgeError (the badge then shows without a picture)."""
    return fetch_picture(url, max_bytes, session, error=ExternalBadgeError)


def wikilearn_client() -> WikiLearnClient:
    """A client for the configured WikiLearn."""
    return WikiLearnClient(current_app.config.get("CAPX_WIKILEARN_URL") or DEFAULT_WIKILEARN_URL)
