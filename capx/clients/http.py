"""What every client shares: the HTTP session (User-Agent and timeouts that cannot be forgotten),
the base error type, and :func:`send` / :func:`json_of` / :func:`mediawiki_data`, the one way a
call and its answer are checked, so that a timeout, an unreachable host, an HTTP error or a body
that is not JSON become the client's own error with the same codes everywhere ("timeout",
"unreachable", "http-<status>", "badjson")."""

from __future__ import annotations

import json
from typing import Any, TypeVar

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

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]  # requests takes bytes URLs too; its stubs say str


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


E = TypeVar("E", bound=RemoteServiceError)


def send(session: requests.Session, method: str, url: str, *, error: type[E], service: str,
         **kwargs: Any) -> requests.Response:
    """One request through ``session``; a timeout or a failed connection raises ``error``
    ("timeout" / "unreachable"), naming ``service`` the way users know it."""
    try:
        return session.request(method, url, **kwargs)
    except requests.Timeout as exc:
        raise error(f"{service} did not answer in time", "timeout") from exc
    except requests.RequestException as exc:
        raise error(f"{service} unreachable: {exc}", "unreachable") from exc


def json_of(response: requests.Response, *, error: type[E], service: str) -> Any:
    """The JSON body of a successful answer; an HTTP error status ("http-<status>") or a body that
    is not JSON ("badjson") raises ``error``."""
    if response.status_code >= 400:
        raise error(f"{service} answered HTTP {response.status_code}", f"http-{response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise error(f"{service} answered something that is not JSON", "badjson") from exc


def ok_or_none(response: requests.Response, *, error: type[E], service: str) -> requests.Response | None:
    """The answer when it is a 200; None for any other answer below 500, from which nothing may be
    concluded (e.g. an unknown user); a server error raises ``error`` ("http-<status>")."""
    if response.status_code == 200:
        return response
    if response.status_code >= 500:
        raise error(f"{service} answered HTTP {response.status_code}", f"http-{response.status_code}")
    return None


def mediawiki_data(data: Any, *, error: type[E]) -> dict[str, Any]:
    """A MediaWiki action API answer (``errorformat=plaintext`` or the old ``error`` object); an API
    error raises ``error`` with the API's own code and text."""
    if not isinstance(data, dict):
        raise error("the API answered something that is not an object", "badjson")
    errors = data.get("errors") or ([data["error"]] if "error" in data else [])
    if errors:
        first = errors[0]
        raise error(first.get("text") or first.get("info") or first.get("code", "error"), first.get("code", "error"))
    return data


def sparql_bindings(response: requests.Response, *, error: type[E], service: str) -> list[dict[str, Any]]:
    """The bindings of a SPARQL SELECT answer. A query that times out half-way may send a truncated
    body: anything short of a complete JSON result raises ``error`` ("badjson"), never a part of it."""
    if response.status_code >= 400:
        raise error(f"{service} answered HTTP {response.status_code}", f"http-{response.status_code}")
    try:
        bindings = response.json()["results"]["bindings"]
    except (ValueError, KeyError, TypeError) as exc:
        raise error(f"{service} answered an incomplete SPARQL result", "badjson") from exc
    if not isinstance(bindings, list):
        raise error(f"{service} answered an incomplete SPARQL result", "badjson")
    return bindings


#: The most a client reads of an answer it did not ask to be large (1 MiB): a service answering
#: far more (a misconfigured proxy, a hostile mirror) is refused without being held in memory.
MAX_ANSWER_BYTES = 1024 * 1024


def capped_body(response: requests.Response, *, error: type[E], service: str, limit: int,
                too_large: str = "toolarge") -> bytes:
    """The body of an answer fetched with ``stream=True``, read at most ``limit`` bytes far: a
    declared or streamed length past it raises ``error`` (reason ``too_large``) without holding the
    rest; a connection lost half-way raises ``error`` ("unreachable"). The caller closes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise error(f"{service} answered more than {limit} bytes", too_large)
    body = bytearray()
    try:
        for chunk in response.iter_content(chunk_size=65536):
            body.extend(chunk)
            if len(body) > limit:
                raise error(f"{service} answered more than {limit} bytes", too_large)
    except requests.RequestException as exc:
        raise error(f"{service} stopped answering half-way", "unreachable") from exc
    return bytes(body)


def capped_json(response: requests.Response, *, error: type[E], service: str,
                limit: int = MAX_ANSWER_BYTES) -> Any:
    """The JSON body of a successful answer fetched with ``stream=True``, read at most ``limit``
    bytes far: a longer body raises ``error`` ("toolarge") as soon as the limit is passed; an HTTP
    error status ("http-<status>") or a body that is not JSON ("badjson") raises ``error`` too."""
    try:
        if response.status_code >= 400:
            raise error(f"{service} answered HTTP {response.status_code}", f"http-{response.status_code}")
        body = capped_body(response, error=error, service=service, limit=limit)
        try:
            return json.loads(body.decode(response.encoding or "utf-8"))
        except (ValueError, LookupError) as exc:
            raise error(f"{service} answered something that is not JSON", "badjson") from exc
    finally:
        response.close()
