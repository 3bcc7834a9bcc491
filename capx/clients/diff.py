"""Diff (diff.wikimedia.org), the Wikimedia blog: a WordPress site read through its REST API.

Two documented calls: ``/wp-json/wp/v2/tags?slug=<slug>`` finds a tag's id, and
``/wp-json/wp/v2/posts?tags=<id>&per_page=N&_fields=id,date,link,title,excerpt`` lists its latest
posts (newest first, WordPress' default order). Only the news job calls this; pages read the
stored copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


from capx.clients.http import RemoteServiceError, TimeoutSession, new_session, send

DIFF_API = "https://diff.wikimedia.org/wp-json/wp/v2"
POST_FIELDS = "id,date,link,title,excerpt"


class DiffError(RemoteServiceError):
    """Diff failed, timed out, or answered something we cannot use (``code``: WordPress' code or http-N)."""


@dataclass(frozen=True)
class DiffPostData:
    """A post as Diff gives it: title and excerpt still HTML (sanitized by the news service)."""

    id: int
    link: str
    title_html: str
    excerpt_html: str
    published_at: dt.datetime


class DiffClient:
    """Reads tags and posts from Diff's WordPress REST API."""

    def __init__(self, session: TimeoutSession | None = None, api: str = DIFF_API) -> None:
        self.session = session or new_session(timeout=20)
        self.api = api

    def _get(self, path: str, params: dict[str, str]) -> Any:
        response = send(self.session, "GET", f"{self.api}/{path}", params=params, error=DiffError, service="Diff")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            code = body.get("code") if isinstance(body, dict) else None
            message = body.get("message") if isinstance(body, dict) else response.reason
            raise DiffError(f"Diff answered {response.status_code}: {message}", code or f"http-{response.status_code}")
        if not isinstance(body, list):
            raise DiffError("Diff answered something that is not a list", "bad-response")
        return body

    def tag_id(self, slug: str) -> int | None:
        """The WordPress id of the tag with this slug, or None when Diff has no such tag."""
        for tag in self._get("tags", {"slug": slug}):
            if isinstance(tag, dict) and tag.get("slug") == slug and isinstance(tag.get("id"), int):
                return tag["id"]
        return None

    def posts(self, tag_id: int, per_page: int = 5) -> list[DiffPostData]:
        """The latest posts with this tag, newest first (malformed items are skipped)."""
        out = []
        for item in self._get("posts", {"tags": str(tag_id), "per_page": str(per_page), "_fields": POST_FIELDS}):
            try:
                out.append(DiffPostData(
                    id=int(item["id"]), link=str(item["link"]), title_html=str(item["title"]["rendered"]),
                    excerpt_html=str((item.get("excerpt") or {}).get("rendered") or ""),
                    published_at=dt.datetime.fromisoformat(str(item["date"])).replace(tzinfo=None)))
            except (KeyError, TypeError, ValueError):
                continue
        return out


def diff_client() -> DiffClient:
    """A client with the app's User-Agent."""
    return DiffClient()
