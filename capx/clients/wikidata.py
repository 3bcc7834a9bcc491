"""Wikidata Query Service: the item whose "Wikimedia username" (P4174) is a user's name.

One SPARQL query answers both questions the profile asks: which item describes this Wikimedian
(its Q-id) and which image (P18) it has, as a Commons file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


from capx.clients.http import RemoteServiceError, TimeoutSession, new_session, send, sparql_bindings

WDQS_URL = "https://query.wikidata.org/sparql"
ENTITY_PREFIX = "http://www.wikidata.org/entity/"
FILEPATH_PREFIXES = ("http://commons.wikimedia.org/wiki/Special:FilePath/",
                     "https://commons.wikimedia.org/wiki/Special:FilePath/")


class WikidataError(RemoteServiceError):
    """The query service failed, timed out, throttled us or answered something unusable."""


@dataclass(frozen=True)
class WikidataPerson:
    """The item for a user name, and its image's Commons file name (underscores) if any."""

    qid: str
    image: str | None


def sparql_string(value: str) -> str:
    """A SPARQL string literal (quotes, backslashes and line breaks escaped)."""
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    return f'"{escaped}"'


def username_query(username: str) -> str:
    """The query for the item whose P4174 is ``username``, with its optional P18 image."""
    return ("SELECT ?item ?image WHERE {\n"
            f"  ?item wdt:P4174 {sparql_string(username)} .\n"
            "  OPTIONAL { ?item wdt:P18 ?image . }\n"
            "}\nLIMIT 1")


class WikidataClient:
    """Read-only queries against the Wikidata Query Service."""

    def __init__(self, sparql_url: str = WDQS_URL, session: TimeoutSession | None = None) -> None:
        self.sparql_url = sparql_url
        self.session = session or new_session()

    def _query(self, query: str) -> list[dict[str, Any]]:
        response = send(self.session, "GET", self.sparql_url, params={"query": query, "format": "json"},
                        headers={"Accept": "application/sparql-results+json"}, error=WikidataError, service="Wikidata")
        return sparql_bindings(response, error=WikidataError, service="Wikidata")

    def person_for_username(self, username: str) -> WikidataPerson | None:
        """The item with P4174 = ``username`` (None when there is none)."""
        bindings = self._query(username_query(username))
        if not bindings:
            return None
        row = bindings[0]
        item = (row.get("item") or {}).get("value", "")
        if not item.startswith(ENTITY_PREFIX):
            raise WikidataError("Wikidata answered an item that is not an entity URI", "badjson")
        qid = item[len(ENTITY_PREFIX):]
        image = None
        image_uri = (row.get("image") or {}).get("value", "")
        for prefix in FILEPATH_PREFIXES:
            if image_uri.startswith(prefix):
                image = unquote(image_uri[len(prefix):]).replace(" ", "_") or None
                break
        return WikidataPerson(qid, image)


def wikidata_client() -> WikidataClient:
    """A client with the app's User-Agent and timeout."""
    return WikidataClient()
