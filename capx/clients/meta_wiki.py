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
from requests_oauthlib import OAuth1

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


@dataclass(frozen=True)
class WikiUser:
    """A user name as Meta-Wiki sees it: does it exist, can it receive email, is it blocked."""

    name: str
    exists: bool
    invalid: bool = False
    emailable: bool = False
    blocked: bool = False
    block_partial: bool = False  # blocked from some pages or actions only
    block_email: bool = False
    user_id: int | None = None
    registered_at: dt.datetime | None = None


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

    def __init__(self, index_url: str, api_url: str, consumer_key: str = "", consumer_secret: str = "",  # nosec B107 # empty means not configured
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

    # -- Acting as a user (their OAuth access token) ---------------------------------------------

    def _user_auth(self, access_token: tuple[str, str]) -> OAuth1:
        return OAuth1(self.consumer.key, client_secret=self.consumer.secret,
                      resource_owner_key=access_token[0], resource_owner_secret=access_token[1])

    def user_get(self, access_token: tuple[str, str], **params: Any) -> dict[str, Any]:
        """A GET to the action API signed with the user's access token."""
        params = {"format": "json", "formatversion": "2", "errorformat": "plaintext", **params}
        try:
            response = self.session.get(self.api_url, params=params, auth=self._user_auth(access_token))
        except requests.Timeout as exc:
            raise MetaWikiError("Meta-Wiki did not answer in time", "timeout") from exc
        except requests.RequestException as exc:
            raise MetaWikiError(f"Meta-Wiki unreachable: {exc}", "unreachable") from exc
        return self._json(response)

    def user_post(self, access_token: tuple[str, str], **params: Any) -> dict[str, Any]:
        """A POST to the action API signed with the user's access token (form-encoded)."""
        params = {"format": "json", "formatversion": "2", "errorformat": "plaintext", **params}
        try:
            response = self.session.post(self.api_url, data=params, auth=self._user_auth(access_token))
        except requests.Timeout as exc:
            raise MetaWikiError("Meta-Wiki did not answer in time", "timeout") from exc
        except requests.RequestException as exc:
            raise MetaWikiError(f"Meta-Wiki unreachable: {exc}", "unreachable") from exc
        return self._json(response)

    def csrf_token(self, access_token: tuple[str, str]) -> str:
        """A CSRF token for the user (meta=tokens); an anonymous token means the OAuth token is bad."""
        data = self.user_get(access_token, action="query", meta="tokens", type="csrf")
        token = data.get("query", {}).get("tokens", {}).get("csrftoken") or ""
        if not token or token == "+\\":  # nosec B105 # the anonymous token MediaWiki sends, not a secret
            raise MetaWikiError("Meta-Wiki did not recognise the user's access token", "notloggedin")
        return token

    def users(self, names: list[str]) -> dict[str, WikiUser]:
        """Existence, email and block state of user names (list=users), keyed by the asked name.

        Names Meta-Wiki normalises (e.g. first letter) are matched through ``normalized`` or, as
        a fallback, by position among the valid names.
        """
        if not names:
            return {}
        data = self.api_get(action="query", list="users", usprop="emailable|blockinfo|registration",
                            ususers="|".join(names))
        found: dict[str, WikiUser] = {}
        for row in data.get("query", {}).get("users", []):
            name = str(row.get("name", ""))
            if row.get("invalid"):
                found[name] = WikiUser(name, exists=False, invalid=True)
            elif row.get("missing"):
                found[name] = WikiUser(name, exists=False)
            else:
                found[name] = WikiUser(name, exists=True, emailable=bool(row.get("emailable")),
                                       blocked="blockid" in row or "blockedby" in row,
                                       block_partial=bool(row.get("blockpartial")),
                                       block_email=bool(row.get("blockemail")),
                                       user_id=row.get("userid"),
                                       registered_at=parse_mediawiki_timestamp(row.get("registration")))
        normalized = {str(n.get("from")): str(n.get("to")) for n in data.get("query", {}).get("normalized", [])
                      if isinstance(n, dict)}
        result: dict[str, WikiUser] = {}
        for name in names:
            key = name.replace("_", " ").strip()
            key = key[:1].upper() + key[1:]
            result[name] = (found.get(name) or found.get(normalized.get(name, "")) or found.get(key)
                            or WikiUser(key, exists=False))
        return result

    def account_locked(self, username: str) -> bool:
        """Whether the global account with this name is locked (meta=globaluserinfo)."""
        try:
            data = self.api_get(action="query", meta="globaluserinfo", guiuser=username)
        except MetaWikiError as exc:
            if exc.code in ("baduser", "invaliduser"):
                return False
            raise
        return bool(data.get("query", {}).get("globaluserinfo", {}).get("locked"))

    def send_email(self, access_token: tuple[str, str], target: str, subject: str, text: str,
                   ccme: bool = True) -> None:
        """Email a user through Special:EmailUser as the token's owner (action=emailuser)."""
        token = self.csrf_token(access_token)
        params: dict[str, Any] = {"action": "emailuser", "target": target, "subject": subject, "text": text,
                                  "token": token}
        if ccme:
            params["ccme"] = "1"
        data = self.user_post(access_token, **params)
        if (data.get("emailuser") or {}).get("result") != "Success":
            raise MetaWikiError("Meta-Wiki did not confirm the email", "emailfailed")

    def new_talk_section(self, access_token: tuple[str, str], target: str, title: str, text: str,
                         summary: str) -> tuple[str, int | None]:
        """Add a new section to ``User talk:<target>`` as the token's owner.

        Returns the page title and the new revision id (None when Meta-Wiki made no change).
        """
        token = self.csrf_token(access_token)
        page = f"User talk:{target}"
        params = {"action": "edit", "title": page, "section": "new", "sectiontitle": title, "text": text,
                  "summary": summary, "assert": "user", "maxlag": "5", "token": token}
        data = self.user_post(access_token, **params)
        edit = data.get("edit") or {}
        if edit.get("result") != "Success":
            raise MetaWikiError("Meta-Wiki did not confirm the edit", "editfailed")
        revision = edit.get("newrevid")
        return str(edit.get("title") or page), int(revision) if revision else None

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

    def global_account_by_name(self, username: str) -> GlobalAccount | None:
        """The global account with this name (meta=globaluserinfo by name), or None when there is
        none (never created, renamed away, hidden, or not a valid name)."""
        try:
            data = self.api_get(action="query", meta="globaluserinfo", guiuser=username)
        except MetaWikiError as exc:
            if exc.code in ("baduser", "invaliduser"):
                return None
            raise
        info = data.get("query", {}).get("globaluserinfo", {})
        if info.get("missing") or not isinstance(info.get("id"), int):
            return None
        return GlobalAccount(
            central_id=info["id"],
            username=info.get("name"),
            registered_at=parse_mediawiki_timestamp(info.get("registration")),
            locked=bool(info.get("locked")),
            missing=False,
        )

    def user_info(self, username: str) -> WikiUser:
        """One account by name (``list=users``): its canonical name, or that it does not exist."""
        return self.users([username])[username]


def meta_wiki_client() -> MetaWikiClient:
    """A client configured from the running app (consumer, URLs, User-Agent, timeout)."""
    from flask import current_app

    config = current_app.config
    return MetaWikiClient(config["CAPX_META_INDEX_URL"], config["CAPX_META_API_URL"],
                          config["CAPX_OAUTH_CONSUMER_KEY"], config["CAPX_OAUTH_CONSUMER_SECRET"])
