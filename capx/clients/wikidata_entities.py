"""Wikidata's ``wbgetentities``: labels and descriptions of items, with language fallback.

(Kept apart from capx/clients/wikidata.py, which looks up people's items with SPARQL.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from flask import current_app

from capx.clients.http import (RemoteServiceError, TimeoutSession, capped_json, json_of, mediawiki_data, new_session,
                               send)

BATCH = 50  # wbgetentities accepts at most 50 ids per request


class WikidataError(RemoteServiceError):
    """Wikidata failed, timed out, or refused."""


@dataclass(frozen=True)
class Term:
    """A label or description: the text, the language it is really in, the language asked for."""

    value: str
    lang: str
    for_lang: str


@dataclass
class EntityTerms:
    """An item's labels and descriptions keyed by the requested language."""

    qid: str
    labels: dict[str, Term]
    descriptions: dict[str, Term]


class WikidataEntitiesClient:
    """Reads item terms from the Wikidata action API."""

    def __init__(self, api_url: str = "https://www.wikidata.org/w/api.php",
                 session: TimeoutSession | None = None) -> None:
        self.api_url = api_url
        self.session = session or new_session()

    def terms(self, qids: Iterable[str], languages: Iterable[str]) -> dict[str, EntityTerms]:
        """Labels and descriptions of ``qids`` in ``languages`` (with fallback); missing items are left out.

        Redirected (merged) items are reported under the requested id.
        """
        ids = sorted(set(qids))
        langs = "|".join(sorted(set(languages)))
        out: dict[str, EntityTerms] = {}
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            params = {"action": "wbgetentities", "props": "labels|descriptions", "languages": langs,
                      "languagefallback": "1", "format": "json", "formatversion": "2", "ids": "|".join(batch)}
            response = send(self.session, "GET", self.api_url, params=params, error=WikidataError, service="Wikidata")
            data = mediawiki_data(json_of(response, error=WikidataError, service="Wikidata"), error=WikidataError)
            entities = data.get("entities")
            if not isinstance(entities, dict):
                raise WikidataError("Wikidata answered without entities", "badjson")
            for key, entity in entities.items():
                if "missing" in entity:
                    continue
                out[key] = EntityTerms(
                    key,
                    {lang: Term(t["value"], t.get("language", lang), lang) for lang, t in entity.get("labels", {}).items()},
                    {lang: Term(t["value"], t.get("language", lang), lang)
                     for lang, t in entity.get("descriptions", {}).items()},
                )
        return out

    def entities(self, qids: Iterable[str], props: str, languages: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The raw entities (``props``: e.g. "labels|descriptions|claims") of at most 50 ``qids``, as
        the API writes them; missing items are left out. The answer is read with a size cap."""
        ids = sorted(set(qids))[:BATCH]
        if not ids:
            return {}
        params = {"action": "wbgetentities", "ids": "|".join(ids), "props": props,
                  "languages": "|".join(dict.fromkeys(languages)), "languagefallback": "1", "format": "json"}
        response = send(self.session, "GET", self.api_url, params=params, stream=True, error=WikidataError,
                        service="Wikidata")
        data = mediawiki_data(capped_json(response, error=WikidataError, service="Wikidata"), error=WikidataError)
        entities = data.get("entities")
        if not isinstance(entities, dict):
            raise WikidataError("Wikidata answered without entities", "badjson")
        return {key: entity for key, entity in entities.items()
                if isinstance(entity, dict) and "missing" not in entity}


def wikidata_entities_client(timeout: float | None = None) -> WikidataEntitiesClient:
    """A client for the configured Wikidata API (``timeout``: seconds, when a user waits for it)."""
    return WikidataEntitiesClient(current_app.config.get("CAPX_WIKIDATA_API_URL", "https://www.wikidata.org/w/api.php"),
                                  new_session(timeout))
