"""Meta-Wiki: the OAuth 1.0a login (through mwoauth) and the action API.

mwoauth calls ``requests.post`` without a timeout or a session; :class:`_MwoauthRequests` gives
it one bound to our :class:`~capx.clients.http.TimeoutSession`, so the login cannot hang a worker
and sends our User-Agent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import mwoauth
import mwoauth.functions
import requests

from capx.clients.http import RemoteServiceError, TimeoutSession, new_session


class MetaWikiError(RemoteServiceError):
    """Meta-Wiki failed, timed out, or refused (``code`` carries the API error code)."""


class _MwoauthRequests:
    """The part of the ``requests`` module mwoauth uses, bound to a session with timeouts."""

    def __init__(self, session: TimeoutSession) -> None:
        self._session = session

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._session.post(url, **kwargs)


@dataclass(frozen=True)
class Identity:
    """Who logged in, from the signed JWT of Special:OAuth/identify."""

    central_id: int
    username: str
    registered_at: dt.datetime | None
    blocked: bool
    email_verified: bool
    grants: tuple[str, ...]


@dataclass(frozen=True)
class GlobalAccount:
    """A global account's state from meta=globaluserinfo (None fields when missing)."""

    central_id: int
    username: str | None
    registered_at: dt.datetime | None
    locked: bool
    missing: bool


def parse_mediawiki_timestamp(value: str | None) -> dt.datetime | None:
    """A MediaWiki 14-digit or ISO 8601 timestamp as a naive UTC datetime."""
    if not value:
        return None
    for fmt in ("%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


class MetaWikiClient:
    """Login and API calls against Meta-Wiki."""

    def __init__(self, index_url: str, api_url: str, consumer_key: str = "", consumer_secret: str = "",
                 session: TimeoutSession | None = None) -> None:
        self.index_url = index_url
        self.api_url = api_url
        self.consumer = mwoauth.ConsumerToken(consumer_key, consumer_secret)
        self.session = session or new_session()

    # -- OAuth -----------------------------------------------------------------------------------

    def _mwoauth(self) -> None:
        mwoauth.functions.requests = _MwoauthRequests(self.session)  # type: ignore[attr-defined]

    def start_login(self, callback: str) -> tuple[str, mwoauth.RequestToken]:
        """Leg 1: a request token and the Meta-Wiki URL to send the user to."""
        self._mwoauth()
        try:
            return mwoauth.initiate(self.index_url, self.consumer, callback=callback,
                                    user_agent=self.session.headers["User-Agent"])
        except (mwoauth.OAuthException, requests.RequestException, KeyError, IndexError, TypeError) as exc:
            raise MetaWikiError(f"OAuth initiate failed: {exc}", "oauth") from exc

    def finish_login(self, request_token: mwoauth.RequestToken, query_string: str) -> mwoauth.AccessToken:
        """Leg 3: exchange the request token and verifier for the user's access token."""
        self._mwoauth()
        try:
            return mwoauth.complete(self.index_url, self.consumer, request_token, query_string,
                                    user_agent=self.session.headers["User-Agent"])
        except (mwoauth.OAuthException, requests.RequestException, KeyError, IndexError, TypeError) as exc:
            raise MetaWikiError(f"OAuth token exchange failed: {exc}", "oauth") from exc

    def identify(self, access_token: mwoauth.AccessToken) -> Identity:
        """Who the access token belongs to (the JWT is verified by mwoauth)."""
        self._mwoauth()
        try:
            data = mwoauth.identify(self.index_url, self.consumer, access_token,
                                    user_agent=self.session.headers["User-Agent"])
        except mwoauth.OAuthException as exc:
            code = "blocked" if "blocked" in str(exc).lower() else "oauth"
            raise MetaWikiError(f"OAuth identify failed: {exc}", code) from exc
        except (requests.RequestException, KeyError, ValueError) as exc:
            raise MetaWikiError(f"OAuth identify failed: {exc}", "oauth") from exc
        try:
            central_id = int(data["sub"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MetaWikiError("OAuth identify returned no central id", "oauth") from exc
        return Identity(
            central_id=central_id,
            username=str(data.get("username", "")),
            registered_at=parse_mediawiki_timestamp(data.get("registered")),
            blocked=bool(data.get("blocked")),
            email_verified=bool(data.get("email_verified") or data.get("confirmed_email")),
            grants=tuple(data.get("grants") or ()),
        )

    # -- API -------------------------------------------------------------------------------------

    def api_get(self, **params: Any) -> dict[str, Any]:
        """A GET to the action API (JSON, formatversion 2); API errors raise MetaWikiError."""
        params = {"format": "json", "formatversion": "2", "errorformat": "plaintext", **params}
        try:
            response = self.session.get(self.api_url, params=params)
        except requests.Timeout as exc:
            raise MetaWikiError("Meta-Wiki did not answer in time", "timeout") from exc
        except requests.RequestException as exc:
            raise MetaWikiError(f"Meta-Wiki unreachable: {exc}", "unreachable") from exc
        return self._json(response)

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise MetaWikiError(f"Meta-Wiki answered HTTP {response.status_code}", f"http-{response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise MetaWikiError("Meta-Wiki answered something that is not JSON", "badjson") from exc
        errors = data.get("errors") or ([data["error"]] if "error" in data else [])
        if errors:
            first = errors[0]
            raise MetaWikiError(first.get("text") or first.get("info") or first.get("code", "error"),
                                first.get("code", "error"))
        return data

    def global_account(self, central_id: int) -> GlobalAccount:
        """The global account with this central id: current name, lock state, registration."""
        try:
            data = self.api_get(action="query", meta="globaluserinfo", guiid=str(central_id))
        except MetaWikiError as exc:
            if exc.code == "invaliduserid":
                return GlobalAccount(central_id, None, None, False, True)
            raise
        info = data.get("query", {}).get("globaluserinfo", {})
        if info.get("missing"):
            return GlobalAccount(central_id, None, None, False, True)
        return GlobalAccount(
            central_id=central_id,
            username=info.get("name"),
            registered_at=parse_mediawiki_timestamp(info.get("registration")),
            locked=bool(info.get("locked")),
            missing=False,
        )


    def user_info(self, username: str) -> "WikiUser":
        """A local Meta-Wiki account by name (``list=users``): its canonical name, or missing/invalid."""
        data = self.api_get(action="query", list="users", usprop="emailable|blockinfo|registration",
                            ususers=username)
        users = data.get("query", {}).get("users") or []
        if not users:
            return WikiUser(username, None, missing=True, invalid=False)
        info = users[0]
        return WikiUser(
            name=str(info.get("name") or username),
            user_id=info.get("userid"),
            missing=bool(info.get("missing")),
            invalid=bool(info.get("invalid")),
            registered_at=parse_mediawiki_timestamp(info.get("registration")),
        )


@dataclass(frozen=True)
class WikiUser:
    """An account on Meta-Wiki as ``list=users`` reports it."""

    name: str
    user_id: int | None
    missing: bool = False
    invalid: bool = False
    registered_at: dt.datetime | None = None

    @property
    def exists(self) -> bool:
        return not self.missing and not self.invalid and self.user_id is not None


def meta_wiki_client() -> MetaWikiClient:
    """A client configured from the running app (consumer, URLs, User-Agent, timeout)."""
    from flask import current_app

    config = current_app.config
    return MetaWikiClient(config["CAPX_META_INDEX_URL"], config["CAPX_META_API_URL"],
                          config["CAPX_OAUTH_CONSUMER_KEY"], config["CAPX_OAUTH_CONSUMER_SECRET"])
