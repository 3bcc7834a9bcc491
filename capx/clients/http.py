"""The HTTP session every client uses: User-Agent and timeouts that cannot be forgotten."""

from __future__ import annotations

from typing import Any

import requests
from flask import current_app, has_app_context

DEFAULT_USER_AGENT = "CapX/1.0 (https://capx.toolforge.org; capx@wmnobrasil.org) python-requests"


class RemoteServiceError(Exception):
    """A remote service failed, timed out or answered something we cannot use."""

    #: A short machine-readable reason (e.g. "timeout", "http-503", "badtoken").
    code: str = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class TimeoutSession(requests.Session):
    """A session whose requests always have a timeout (requests has none by default)."""

    def __init__(self, user_agent: str, timeout: float) -> None:
        super().__init__()
        self.headers["User-Agent"] = user_agent
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def app_user_agent() -> str:
    """The configured User-Agent (the default outside an app context)."""
    if has_app_context():
        return current_app.config.get("CAPX_USER_AGENT", DEFAULT_USER_AGENT)
    return DEFAULT_USER_AGENT


def app_timeout() -> float:
    """The configured timeout for calls made while a user waits (seconds)."""
    if has_app_context():
        return float(current_app.config.get("CAPX_HTTP_TIMEOUT", 10))
    return 10.0


def new_session(timeout: float | None = None) -> TimeoutSession:
    """A fresh session with the app's User-Agent and timeout."""
    return TimeoutSession(app_user_agent(), timeout if timeout is not None else app_timeout())
