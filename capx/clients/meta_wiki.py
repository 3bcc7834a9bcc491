"""Meta-Wiki: the OAuth 1.0a login and the action API.

The three OAuth legs are signed with requests-oauthlib and sent through our own
:class:`~capx.clients.http.TimeoutSession` (timeout, User-Agent); mwoauth only parses the request
token. (mwoauth's own functions call the ``requests`` module without a timeout or a session, and
giving them ours would mean patching that module for the whole process.)
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import mwoauth
import mwoauth.functions
import requests
from flask import current_app
from requests_oauthlib import OAuth1

from capx.clients.http import (RemoteServiceError, TimeoutSession, capped_json, json_of, mediawiki_data, new_session,
                               send)


class MetaWikiError(RemoteServiceError):
    """Meta-Wiki failed, timed out, or refused (``code`` carries the API error code)."""


#: Seconds of clock difference allowed when checking when an identity was issued (as mwoauth).
IDENTITY_LEEWAY = 10.0


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

    def _oauth_post(self, title: str, auth: OAuth1, leg: str) -> requests.Response:
        response = send(self.session, "POST", self.index_url, params={"title": title}, auth=auth,
                        error=MetaWikiError, service="Meta-Wiki")
        if response.status_code >= 400:
            raise MetaWikiError(f"OAuth {leg} failed: HTTP {response.status_code}", "oauth")
        return response

    def start_login(self, callback: str) -> tuple[str, mwoauth.RequestToken]:
        """Leg 1: a request token and the Meta-Wiki URL to send the user to."""
        auth = OAuth1(self.consumer.key, client_secret=self.consumer.secret, callback_uri=callback)
        response = self._oauth_post("Special:OAuth/initiate", auth, "initiate")
        try:
            request_token = mwoauth.functions.process_request_token(response.text)
        except (mwoauth.OAuthException, KeyError, IndexError, TypeError) as exc:
            raise MetaWikiError(f"OAuth initiate failed: {exc}", "oauth") from exc
        params = {"title": "Special:OAuth/authenticate", "oauth_token": request_token.key,
                  "oauth_consumer_key": self.consumer.key}
        return f"{self.index_url}?{urlencode(params)}", request_token

    def finish_login(self, request_token: mwoauth.RequestToken, query_string: str) -> mwoauth.AccessToken:
        """Leg 3: exchange the request token and verifier for the user's access token."""
        callback = parse_qs(query_string)
        token, verifier = (callback.get("oauth_token") or [""])[0], (callback.get("oauth_verifier") or [""])[0]
        if not token or not verifier:
            raise MetaWikiError("OAuth token exchange failed: the callback lacks the token or verifier", "oauth")
        if token != request_token.key:
            raise MetaWikiError("OAuth token exchange failed: the callback names another request token", "oauth")
        auth = OAuth1(self.consumer.key, client_secret=self.consumer.secret, resource_owner_key=request_token.key,
                      resource_owner_secret=request_token.secret, verifier=verifier)
        credentials = parse_qs(self._oauth_post("Special:OAuth/token", auth, "token exchange").text)
        try:
            return mwoauth.AccessToken(credentials["oauth_token"][0], credentials["oauth_token_secret"][0])
        except (KeyError, IndexError) as exc:
            raise MetaWikiError("OAuth token exchange failed: no access token in the answer", "oauth") from exc

    def complete_login(self, request_token: mwoauth.RequestToken,
                       query_string: str) -> tuple[mwoauth.AccessToken, Identity]:
        """Leg 3 as a whole: the user's access token and who it belongs to."""
        access = self.finish_login(request_token, query_string)
        return access, self.identify(access)

    def identify(self, access_token: mwoauth.AccessToken) -> Identity:
        """Who the access token belongs to, from the signed JWT of Special:OAuth/identify (checked
        as mwoauth does: signature, audience, issuer, issue time and our request's nonce)."""
        auth = OAuth1(self.consumer.key, client_secret=self.consumer.secret, resource_owner_key=access_token.key,
                      resource_owner_secret=access_token.secret)
        response = self._oauth_post("Special:OAuth/identify", auth, "identify")
        data = self._verified_identity(response)
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

    def _verified_identity(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = jwt.decode(response.content, self.consumer.secret, audience=self.consumer.key,
                              algorithms=["HS256"], leeway=IDENTITY_LEEWAY)
        except jwt.InvalidTokenError as exc:
            # Special:OAuth/identify answers 200 with a JSON error (e.g. a blocked user).
            message = response.text[:200]
            if response.text.startswith("{"):
                try:
                    message = str(response.json().get("message") or message)
                except ValueError:
                    pass
            code = "blocked" if "blocked" in message.lower() else "oauth"
            raise MetaWikiError(f"OAuth identify failed: {message}", code) from exc
        try:
            issuer_ok = urlparse(str(data["iss"])).netloc == urlparse(self.index_url).netloc
            issued_ok = time.time() >= float(data["iat"]) - IDENTITY_LEEWAY
            header = response.request.headers.get("Authorization", "")
            sent = header.decode("utf-8", "replace") if isinstance(header, bytes) else str(header)
            nonce = re.search(r'oauth_nonce="(.*?)"', sent)
            nonce_ok = nonce is not None and data["nonce"] == nonce.group(1)
        except (KeyError, TypeError, ValueError) as exc:
            raise MetaWikiError("OAuth identify answered an incomplete identity", "oauth") from exc
        if not (issuer_ok and issued_ok and nonce_ok):
            raise MetaWikiError("OAuth identify answered an identity that is not for this request", "oauth")
        return data

    # -- API -------------------------------------------------------------------------------------

    def api_get(self, **params: Any) -> dict[str, Any]:
        """A GET to the action API (JSON, formatversion 2); API errors raise MetaWikiError."""
        return self._api("GET", params)

    def _api(self, method: str, params: dict[str, Any], auth: OAuth1 | None = None) -> dict[str, Any]:
        """One action API call (JSON, formatversion 2, plain-text errors); every failure is a MetaWikiError."""
        params = {"format": "json", "formatversion": "2", "errorformat": "plaintext", **params}
        sent = {"params": params} if method == "GET" else {"data": params}
        response = send(self.session, method, self.api_url, auth=auth, error=MetaWikiError, service="Meta-Wiki", **sent)
        return mediawiki_data(json_of(response, error=MetaWikiError, service="Meta-Wiki"), error=MetaWikiError)

    # -- Acting as a user (their OAuth access token) ---------------------------------------------

    def _user_auth(self, access_token: tuple[str, str]) -> OAuth1:
        return OAuth1(self.consumer.key, client_secret=self.consumer.secret,
                      resource_owner_key=access_token[0], resource_owner_secret=access_token[1])

    def user_get(self, access_token: tuple[str, str], **params: Any) -> dict[str, Any]:
        """A GET to the action API signed with the user's access token."""
        return self._api("GET", params, self._user_auth(access_token))

    def user_post(self, access_token: tuple[str, str], **params: Any) -> dict[str, Any]:
        """A POST to the action API signed with the user's access token (form-encoded)."""
        return self._api("POST", params, self._user_auth(access_token))

    def csrf_token(self, access_token: tuple[str, str]) -> str:
        """A CSRF token for the user (meta=tokens); an anonymous token means the OAuth token is bad."""
        data = self.user_get(access_token, action="query", meta="tokens", type="csrf")
        token = data.get("query", {}).get("tokens", {}).get("csrftoken") or ""
        if not token or token == "+\\":  # nosec B105 # the anonymous token MediaWiki sends, not a secret
            raise MetaWikiError("Meta-Wiki did not recognise the user's access token", "notloggedin")
        return token

    # -- Events (read-only, anonymous) -------------------------------------------------------------

    def event_registration(self, event_id: int) -> dict[str, Any]:
        """A CampaignEvents registration by id, as its REST API answers it (``rest.php/campaignevents
        /v0/event_registration/<id>``); an unknown or deleted one raises MetaWikiError "http-404"."""
        rest_url = self.api_url.rsplit("/", 1)[0] + "/rest.php"
        response = send(self.session, "GET", f"{rest_url}/campaignevents/v0/event_registration/{int(event_id)}",
                        stream=True, error=MetaWikiError, service="Meta-Wiki")
        data = capped_json(response, error=MetaWikiError, service="Meta-Wiki")
        if not isinstance(data, dict):
            raise MetaWikiError("Meta-Wiki answered a registration that is not an object", "badjson")
        return data

    def page_title(self, title: str) -> str | None:
        """The title of an existing page (redirects followed, normalized), or None when it does not exist."""
        params = {"action": "query", "titles": title, "redirects": "1", "format": "json", "formatversion": "2",
                  "errorformat": "plaintext"}
        response = send(self.session, "GET", self.api_url, params=params, stream=True, error=MetaWikiError,
                        service="Meta-Wiki")
        data = mediawiki_data(capped_json(response, error=MetaWikiError, service="Meta-Wiki"), error=MetaWikiError)
        pages = (data.get("query") or {}).get("pages") or []
        if not pages or not isinstance(pages[0], dict) or pages[0].get("missing") or pages[0].get("invalid"):
            return None
        found = pages[0].get("title")
        return found if isinstance(found, str) else None

    def transcluding_users(self, template: str, max_batches: int = 200) -> set[str]:
        """The user names whose user page (or a subpage of it) transcludes ``template``
        (``prop=transcludedin`` in the User namespace, every continuation followed)."""
        params: dict[str, Any] = {"action": "query", "prop": "transcludedin", "titles": template, "tinamespace": "2",
                                  "tilimit": "max", "format": "json", "formatversion": "2"}
        names: set[str] = set()
        for _batch in range(max_batches):
            response = send(self.session, "GET", self.api_url, params=params, error=MetaWikiError, service="Meta-Wiki")
            data = mediawiki_data(json_of(response, error=MetaWikiError, service="Meta-Wiki"), error=MetaWikiError)
            pages = (data.get("query") or {}).get("pages")
            if not isinstance(pages, list) or not pages:
                raise MetaWikiError("Meta-Wiki answered without pages", "badjson")
            if pages[0].get("missing"):
                raise MetaWikiError(f"{template} does not exist on Meta-Wiki", "missingtitle")
            for page in pages[0].get("transcludedin") or []:
                title = str(page.get("title") or "")
                if page.get("ns") == 2 and ":" in title:
                    names.add(title.split(":", 1)[1].split("/", 1)[0])
            more = data.get("continue")
            if not isinstance(more, dict):
                return names
            params = {**params, **more}
        raise MetaWikiError("too many batches of transcluding pages", "toomany")

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
        info = self._global_user_info(guiid=str(central_id))
        if info is None:
            return GlobalAccount(central_id, None, None, False, True)
        return _global_account(central_id, info)

    def global_account_by_name(self, username: str) -> GlobalAccount | None:
        """The global account with this name (meta=globaluserinfo by name), or None when there is
        none (never created, renamed away, hidden, or not a valid name)."""
        info = self._global_user_info(guiuser=username)
        if info is None or not isinstance(info.get("id"), int):
            return None
        return _global_account(info["id"], info)

    def _global_user_info(self, **which: str) -> dict[str, Any] | None:
        """meta=globaluserinfo for one account (by ``guiid`` or ``guiuser``); None when it does not
        exist or the id or name is not valid."""
        try:
            data = self.api_get(action="query", meta="globaluserinfo", **which)
        except MetaWikiError as exc:
            if exc.code in ("invaliduserid", "baduser", "invaliduser"):
                return None
            raise
        info = data.get("query", {}).get("globaluserinfo", {})
        return None if info.get("missing") else info

    def user_info(self, username: str) -> WikiUser:
        """One account by name (``list=users``): its canonical name, or that it does not exist."""
        return self.users([username])[username]


def _global_account(central_id: int, info: dict[str, Any]) -> GlobalAccount:
    return GlobalAccount(central_id=central_id, username=info.get("name"),
                         registered_at=parse_mediawiki_timestamp(info.get("registration")),
                         locked=bool(info.get("locked")), missing=False)


def meta_wiki_client(timeout: float | None = None) -> MetaWikiClient:
    """A client configured from the running app (consumer, URLs, User-Agent, timeout: the app's,
    or ``timeout`` seconds where a user waits for the answer)."""
    config = current_app.config
    return MetaWikiClient(config["CAPX_META_INDEX_URL"], config["CAPX_META_API_URL"],
                          config["CAPX_OAUTH_CONSUMER_KEY"], config["CAPX_OAUTH_CONSUMER_SECRET"],
                          new_session(timeout) if timeout is not None else None)
