"""The daily sync of capacity names and descriptions from Metabase, with Wikidata as fallback.

Everything is fetched first; only a complete fetch is applied, in one transaction. A failed or
partial fetch changes nothing. Capacities that vanished upstream are flagged
(``missing_upstream``), never deleted: profiles, organizations and events use them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy as sa

from capx.clients.http import RemoteServiceError
from capx.clients.metabase import MetabaseClient, MetabaseItem, MetabaseTerm
from capx.clients.wikidata_entities import WikidataEntitiesClient
from capx.extensions import db
from capx.models import Capacity, CapacityText
from capx.services.capacities import fold, forget_tree

log = logging.getLogger(__name__)

QID = re.compile(r"^Q[1-9][0-9]*$")


class SyncFailed(Exception):
    """The fetch failed or was incomplete: nothing was changed."""


@dataclass
class SyncSummary:
    """What a run of the sync did."""

    upstream: int = 0
    matched: int = 0
    matched_by_name: int = 0
    added: int = 0
    unmatched: list[str] = field(default_factory=list)
    names: int = 0
    descriptions: int = 0
    wikidata_descriptions: int = 0
    missing: int = 0
    back: int = 0


def _base(lang: str) -> str:
    return lang.split("-")[0]


def sync_capacities(metabase: MetabaseClient, wikidata: WikidataEntitiesClient, languages: list[str],
                    echo: Callable[[str], None] = log.info) -> SyncSummary:
    """Fetch the capacity items from Metabase (and missing descriptions from Wikidata), then apply.

    Matching: by Metabase item id, else by Wikidata QID, else (first run: the shipped
    directory has no ids) by English name. Upstream items whose parent is a known capacity
    are added under it. Raises :class:`SyncFailed` (after changing nothing) when a fetch fails.
    Flushes, never commits: the caller (``flask capx sync-capacities``) commits the whole sync
    at once, or rolls it back when anything failed.
    """
    echo("fetching capacity items from Metabase ...")
    try:
        items = metabase.capacity_items()
        echo(f"  {len(items)} items")
        if not items:
            raise SyncFailed("Metabase returned no capacity items; refusing to flag every capacity as missing")
        echo("fetching labels and descriptions from Metabase ...")
        terms = metabase.capacity_terms()
        echo(f"  {len(terms)} terms")
        if not terms:
            raise SyncFailed("Metabase returned capacity items but no labels: incomplete answer")
    except RemoteServiceError as exc:
        raise SyncFailed(f"Metabase fetch failed ({exc.code}): {exc}") from exc

    wikidata_qids = sorted({i.wikidata_qid for i in items if i.wikidata_qid and QID.match(i.wikidata_qid)})
    echo(f"fetching descriptions of {len(wikidata_qids)} items from Wikidata ...")
    try:
        wikidata_terms = wikidata.terms(wikidata_qids, languages) if wikidata_qids else {}
    except RemoteServiceError as exc:
        raise SyncFailed(f"Wikidata fetch failed ({exc.code}): {exc}") from exc

    summary = _apply(items, terms, wikidata_terms, languages, echo)
    db.session.flush()
    forget_tree()
    return summary


def _apply(items: list[MetabaseItem], terms: list[MetabaseTerm], wikidata_terms: dict, languages: list[str],
           echo: Callable[[str], None]) -> SyncSummary:
    summary = SyncSummary(upstream=len(items))
    capacities = list(db.session.scalars(sa.select(Capacity)))
    texts = {(t.capacity_id, t.lang): t for t in db.session.scalars(sa.select(CapacityText))}
    by_metabase = {c.metabase_qid: c for c in capacities if c.metabase_qid}
    by_wikidata: dict[str, Capacity] = {}
    for c in capacities:
        if c.wikidata_qid:
            by_wikidata.setdefault(c.wikidata_qid, c)
    by_english: dict[str, Capacity] = {}
    for c in capacities:
        text = texts.get((c.id, "en"))
        if c.metabase_qid is None and text is not None and text.name:
            by_english.setdefault(fold(text.name), c)

    english_label = {t.qid: t.label for t in terms if t.lang == "en" and t.label}
    matched: dict[str, Capacity] = {}
    taken: set[int] = set()
    for item in items:
        cap = by_metabase.get(item.qid)
        if cap is None and item.wikidata_qid:
            candidate = by_wikidata.get(item.wikidata_qid)
            if candidate is not None and candidate.metabase_qid in (None, item.qid):
                cap = candidate
        if cap is None and item.qid in english_label:
            candidate = by_english.get(fold(english_label[item.qid]))
            if candidate is not None and candidate.id not in taken:
                cap = candidate
                summary.matched_by_name += 1
        if cap is None or cap.id in taken:
            continue
        taken.add(cap.id)
        matched[item.qid] = cap
    summary.matched = len(matched)

    # New upstream items go under their (known) parent; walk until no more can be placed.
    pending = [i for i in items if i.qid not in matched]
    placed = True
    while pending and placed:
        placed = False
        for item in list(pending):
            parent = matched.get(item.parent_qid) if item.parent_qid else None
            if parent is None:
                continue
            siblings = [c for c in capacities if c.parent_id == parent.id]
            cap = Capacity(code=f"metabase-{item.qid.lower()}", parent_id=parent.id,
                           position=len(siblings) + 100, missing_upstream=False)
            db.session.add(cap)
            db.session.flush()
            capacities.append(cap)
            matched[item.qid] = cap
            pending.remove(item)
            summary.added += 1
            placed = True
            echo(f"  added {item.qid} ({english_label.get(item.qid, '?')}) under {parent.code}")
    summary.unmatched = sorted(i.qid for i in pending)
    for qid in summary.unmatched:
        echo(f"  not matched: {qid} ({english_label.get(qid, 'no English label')})")

    for item in items:
        cap = matched.get(item.qid)
        if cap is None:
            continue
        cap.metabase_qid = item.qid
        if item.wikidata_qid and QID.match(item.wikidata_qid):
            cap.wikidata_qid = item.wikidata_qid
        if cap.missing_upstream:
            cap.missing_upstream = False
            summary.back += 1

    def text_for(cap_id: int, lang: str) -> CapacityText:
        text = texts.get((cap_id, lang))
        if text is None:
            text = CapacityText(capacity_id=cap_id, lang=lang)
            db.session.add(text)
            texts[(cap_id, lang)] = text
        return text

    has_metabase_description: set[tuple[int, str]] = set()
    for term in terms:
        cap = matched.get(term.qid)
        if cap is None:
            continue
        text = text_for(cap.id, term.lang)
        if term.label and (text.name != term.label or text.name_source != "metabase"):
            text.name, text.name_source = term.label[:255], "metabase"
            summary.names += 1
        if term.description:
            has_metabase_description.add((cap.id, term.lang))
            if text.description != term.description or text.description_source != "metabase":
                text.description, text.description_source = term.description, "metabase"
                summary.descriptions += 1

    for cap in matched.values():
        entity = wikidata_terms.get(cap.wikidata_qid) if cap.wikidata_qid else None
        if entity is None:
            continue
        for lang in languages:
            term = entity.descriptions.get(lang)
            # languagefallback may answer in English for "ar": only take a description in the
            # language asked for or a variant of it (pt for pt-br).
            if term is None or _base(term.lang) != _base(lang) or (cap.id, lang) in has_metabase_description:
                continue
            existing = texts.get((cap.id, lang))
            if existing is not None and existing.description and existing.description_source not in (None, "wikidata"):
                continue
            text = text_for(cap.id, lang)
            if text.description != term.value:
                text.description, text.description_source = term.value, "wikidata"
                summary.wikidata_descriptions += 1

    upstream = {i.qid for i in items}
    for cap in capacities:
        if cap.metabase_qid and cap.metabase_qid not in upstream and not cap.missing_upstream:
            cap.missing_upstream = True
            summary.missing += 1
            echo(f"  vanished upstream (flagged, kept): {cap.code} ({cap.metabase_qid})")
    db.session.flush()
    return summary
