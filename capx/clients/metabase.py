"""Metabase (metabase.wikibase.cloud): the Wikibase that holds the capacities' names.

Reading goes through the SPARQL endpoint (``/query/sparql``); writing labels and descriptions
through the action API (``/w/api.php``), either as the user (OAuth 1.0a access token obtained
with mwoauth against Metabase) or as the bot account configured in the environment
(``action=login`` with a bot password).

Facts used (see tests/fixtures/api/SOURCES.md): a capacity item has ``P5 = Q34531``; its ``P67``
points to an index-term item whose ``P1`` holds the Wikidata QID string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from requests_oauthlib import OAuth1

from capx.clients.http import RemoteServiceError, TimeoutSession, json_of, mediawiki_data, new_session, send, sparql_bindings

#: The property linking a capacity item to its parent capacity. The public CapX code keeps the
#: hierarchy in the CapX database and queries no parent on Metabase; P4 is the placeholder used in
#: the recorded samples. Change it here if Metabase settles on another property.
PARENT_PROPERTY = "P4"
CAPACITY_CLASS = "Q34531"

PREFIXES = """PREFIX wbt: <{base}/prop/direct/>
PREFIX wb: <{base}/entity/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
"""

STRUCTURE_QUERY = """SELECT ?item ?parent ?value WHERE {{
  ?item wbt:P5 wb:{cls} .
  OPTIONAL {{ ?item wbt:P67/wbt:P1 ?value . }}
  OPTIONAL {{ ?item wbt:{parent} ?parent . }}
}}"""

TERMS_QUERY = """SELECT ?item ?language (SAMPLE(?label) AS ?label) (SAMPLE(?description) AS ?description) WHERE {{
  ?item wbt:P5 wb:{cls} .
  {{ ?item rdfs:label ?label . BIND(LANG(?label) AS ?language) }}
  UNION
  {{ ?item schema:description ?description . BIND(LANG(?description) AS ?language) }}
}}
GROUP BY ?item ?language"""


class MetabaseError(RemoteServiceError):
    """Metabase failed, timed out, or refused (``code`` carries the API error code)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message, code)
        self.text = message


@dataclass(frozen=True)
class MetabaseItem:
    """A capacity item on Metabase: its id, parent item and Wikidata QID (both may be missing)."""

    qid: str
    parent_qid: str | None
    wikidata_qid: str | None


@dataclass(frozen=True)
class MetabaseTerm:
    """A label and/or description of an item in one language."""

    qid: str
    lang: str
    label: str | None
    description: str | None


def _entity_id(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


class MetabaseClient:
    """SPARQL reads and API writes against one Metabase (Wikibase) instance."""

    def __init__(self, base_url: str, session: TimeoutSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.sparql_url = f"{self.base_url}/query/sparql"
        self.api_url = f"{self.base_url}/w/api.php"
        self.index_url = f"{self.base_url}/w/index.php"
        self.session = session or new_session()

    # -- reading ---------------------------------------------------------------------------------

    def sparql(self, query: str) -> list[dict[str, Any]]:
        """The bindings of a SELECT query; anything short of a complete JSON result raises."""
        full = PREFIXES.format(base=self.base_url) + query
        service = "Metabase's query service"
        response = send(self.session, "GET", self.sparql_url, params={"query": full, "format": "json"},
                        headers={"Accept": "application/sparql-results+json"}, error=MetabaseError, service=service)
        return sparql_bindings(response, error=MetabaseError, service=service)

    def capacity_items(self) -> list[MetabaseItem]:
        """Every capacity item with its parent and Wikidata QID."""
        rows = self.sparql(STRUCTURE_QUERY.format(cls=CAPACITY_CLASS, parent=PARENT_PROPERTY))
        items: dict[str, MetabaseItem] = {}
        for row in rows:
            try:
                qid = _entity_id(row["item"]["value"])
            except (KeyError, TypeError) as exc:
                raise MetabaseError("a capacity row without an item", "badjson") from exc
            parent = _entity_id(row["parent"]["value"]) if "parent" in row else None
            wikidata = row["value"]["value"].strip() if "value" in row else None
            known = items.get(qid)
            items[qid] = MetabaseItem(qid, parent or (known.parent_qid if known else None),
                                      wikidata or (known.wikidata_qid if known else None))
        return list(items.values())

    def capacity_terms(self) -> list[MetabaseTerm]:
        """Labels and descriptions of every capacity item in every language."""
        terms = []
        for row in self.sparql(TERMS_QUERY.format(cls=CAPACITY_CLASS)):
            try:
                qid = _entity_id(row["item"]["value"])
                lang = row["language"]["value"].strip().lower()
            except (KeyError, TypeError) as exc:
                raise MetabaseError("a term row without an item or language", "badjson") from exc
            if not lang:
                continue
            label = row.get("label", {}).get("value")
            description = row.get("description", {}).get("value")
            terms.append(MetabaseTerm(qid, lang, label, description))
        return terms

    # -- writing ---------------------------------------------------------------------------------

    def _api(self, method: str, params: dict[str, Any], auth: Any = None) -> dict[str, Any]:
        params = {**params, "format": "json", "formatversion": "2"}
        sent = {"params": params} if method == "GET" else {"data": params}
        response = send(self.session, method, self.api_url, auth=auth, error=MetabaseError, service="Metabase", **sent)
        return mediawiki_data(json_of(response, error=MetabaseError, service="Metabase"), error=MetabaseError)

    def _token(self, kind: str, auth: Any = None) -> str:
        data = self._api("GET", {"action": "query", "meta": "tokens", "type": kind}, auth)
        token = data.get("query", {}).get("tokens", {}).get(f"{kind}token")
        if not token:
            raise MetabaseError("Metabase gave no token", "notoken")
        return token

    def bot_login(self, username: str, password: str) -> None:
        """Log the session in with a bot password (cookies stay on the session)."""
        token = self._token("login")
        data = self._api("POST", {"action": "login", "lgname": username, "lgpassword": password, "lgtoken": token})
        result = data.get("login", {}).get("result")
        if result != "Success":
            raise MetabaseError(data.get("login", {}).get("reason") or "The bot could not log in to Metabase",
                                "botlogin")

    def set_term(self, kind: str, item: str, lang: str, value: str, summary: str, auth: Any = None) -> dict[str, Any]:
        """``wbsetlabel`` (kind "label") or ``wbsetdescription`` (kind "description")."""
        action = {"label": "wbsetlabel", "description": "wbsetdescription"}[kind]
        token = self._token("csrf", auth)
        return self._api("POST", {"action": action, "id": item, "language": lang, "value": value,
                                  "summary": summary, "assert": "user", "maxlag": "5", "token": token}, auth)


def user_auth(consumer_key: str, consumer_secret: str, token: tuple[str, str]) -> OAuth1:
    """Requests' auth that signs calls with the user's Metabase OAuth 1.0a access token."""
    return OAuth1(consumer_key, consumer_secret, token[0], token[1])


def metabase_client() -> MetabaseClient:
    """A client for the configured Metabase."""
    return MetabaseClient(current_app.config.get("CAPX_METABASE_URL", "https://metabase.wikibase.cloud"))
