"""WikiLearn (learn.wiki, Open edX): a course's public details from the Course API v1.

``GET /api/courses/v1/courses/<course key>/`` answers anonymously; an unknown course is a 404 with
``{"developer_message": ...}``. Only the fields CapX uses are read; unknown fields are ignored.
:meth:`WikiLearnClient.course_picture` copies a course's picture (size-capped and checked, see
:mod:`capx.clients.pictures`) for CapX to serve itself.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import current_app

from capx.clients.http import RemoteServiceError, TimeoutSession, capped_json, new_session, send
from capx.clients.pictures import FetchedImage, fetch_picture

DEFAULT_URL = "https://learn.wiki"
#: An Open edX course key ("course-v1:Org+Number+Run"), as it appears in a course's URL.
COURSE_KEY = re.compile(r"course-v1:[A-Za-z0-9_.\-~]+\+[A-Za-z0-9_.\-~]+\+[A-Za-z0-9_.\-~]+")


class WikiLearnError(RemoteServiceError):
    """WikiLearn failed, timed out, or answered something unusable ("http-404": no such course)."""


class WikiLearnClient:
    """Read-only calls to WikiLearn's Open edX APIs."""

    def __init__(self, base_url: str = DEFAULT_URL, session: TimeoutSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or new_session()

    def course_url(self, course_key: str) -> str:
        """The course's public page (what an event links to)."""
        return f"{self.base_url}/courses/{quote(course_key, safe=':+')}/about"

    def course(self, course_key: str) -> dict[str, Any]:
        """The course's details as the API writes them (size-capped)."""
        if not COURSE_KEY.fullmatch(course_key):
            raise WikiLearnError("not a course key", "badkey")
        url = f"{self.base_url}/api/courses/v1/courses/{quote(course_key, safe=':+')}/"
        response = send(self.session, "GET", url, stream=True, error=WikiLearnError, service="WikiLearn")
        data = capped_json(response, error=WikiLearnError, service="WikiLearn")
        if not isinstance(data, dict):
            raise WikiLearnError("WikiLearn answered a course that is not an object", "badjson")
        return data

    def course_picture(self, url: str, max_bytes: int) -> FetchedImage:
        """A copy of a course's picture at ``url`` (the caller checked it is on WikiLearn); refused or
        failed: WikiLearnError ("type", "too-large", "timeout"...)."""
        return fetch_picture(url, max_bytes, self.session, error=WikiLearnError)


def wikilearn_url() -> str:
    """The configured WikiLearn's address (``CAPX_WIKILEARN_URL``), without a trailing slash."""
    return str(current_app.config.get("CAPX_WIKILEARN_URL") or DEFAULT_URL).rstrip("/")


def wikilearn_client(timeout: float | None = None) -> WikiLearnClient:
    """A client for the configured WikiLearn (``CAPX_WIKILEARN_URL``)."""
    return WikiLearnClient(wikilearn_url(), new_session(timeout))
