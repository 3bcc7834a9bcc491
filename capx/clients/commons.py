"""Wikimedia Commons' action API with a bot password: log in, then edit pages (the tabular data
pages ``Data:CapacityExchange/*.tab`` that Template:CapacityExchange on Meta-Wiki reads).

Login is MediaWiki's bot-password flow: a login token (``meta=tokens&type=login``), ``action=login``
with ``User@BotName`` and the generated password in the same cookie jar, then a CSRF token and
``action=edit``. Every failure is a :class:`CommonsError`.
"""

from __future__ import annotations

from typing import Any

from capx.clients.http import RemoteServiceError, TimeoutSession, json_of, mediawiki_data, new_session, send

DEFAULT_API_URL = "https://commons.wikimedia.org/w/api.php"


class CommonsError(RemoteServiceError):
    """Commons failed, timed out, refused the login or the edit (``code``: the API's own)."""


class CommonsClient:
    """A bot-password session on the Commons action API."""

    def __init__(self, api_url: str = DEFAULT_API_URL, session: TimeoutSession | None = None) -> None:
        self.api_url = api_url
        self.session = session or new_session()

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        params = {**params, "format": "json", "formatversion": "2"}
        sent = {"params": params} if method == "GET" else {"data": params}
        response = send(self.session, method, self.api_url, error=CommonsError, service="Commons", **sent)
        return mediawiki_data(json_of(response, error=CommonsError, service="Commons"), error=CommonsError)

    def login(self, user: str, password: str) -> None:
        """Log in with a bot password (``user`` is ``Account@BotName``); a refusal raises "loginfailed"."""
        token = ((self._call("GET", {"action": "query", "meta": "tokens", "type": "login"}).get("query") or {})
                 .get("tokens") or {}).get("logintoken")
        if not token:
            raise CommonsError("Commons gave no login token", "badjson")
        answer = self._call("POST", {"action": "login", "lgname": user, "lgpassword": password, "lgtoken": token})
        result = answer.get("login") or {}
        if result.get("result") != "Success":
            raise CommonsError(f"Commons refused the login: {result.get('reason') or result.get('result')}",
                               "loginfailed")

    def csrf_token(self) -> str:
        """The session's edit token."""
        token = ((self._call("GET", {"action": "query", "meta": "tokens"}).get("query") or {})
                 .get("tokens") or {}).get("csrftoken")
        # "+\" alone is the anonymous token: the login did not hold.
        if not token or token == "+\\":  # nosec B105 # a well-known public value, not a password
            raise CommonsError("Commons gave no edit token for the bot session", "notloggedin")
        return str(token)

    def edit(self, title: str, text: str, summary: str, token: str) -> bool:
        """Replace the page's text; True when a revision was made, False when nothing changed."""
        answer = self._call("POST", {"action": "edit", "title": title, "text": text, "summary": summary,
                                     "bot": "1", "minor": "1", "token": token})
        result = answer.get("edit") or {}
        if result.get("result") != "Success":
            raise CommonsError(f"Commons did not save {title}: {result}", "editfailed")
        return not result.get("nochange")
