"""``flask capx sync-capacities``: Metabase names and descriptions, Wikidata fallback, one transaction."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from capx.clients.metabase import MetabaseClient
from capx.clients.wikidata_entities import WikidataEntitiesClient
from capx.extensions import db
from capx.models import Capacity, CapacityText, ProfileCapacity, User
from capx.services.capacity_sync import SyncFailed, sync_capacities
from tests.conftest import add_recorded, recorded

SPARQL = "https://metabase.wikibase.cloud/query/sparql"
ENTITY = "https://metabase.wikibase.cloud/entity/"

pytestmark = pytest.mark.mutates_reference


def uri(qid: str) -> dict[str, str]:
    return {"type": "uri", "value": ENTITY + qid}


def literal(value: str, lang: str | None = None) -> dict[str, str]:
    out = {"type": "literal", "value": value}
    if lang:
        out["xml:lang"] = lang
    return out


#: (item, parent, Wikidata QID, English label) — Wikidata QIDs and the first items follow the
#: recorded sample capacity-tree-with-labels.
ITEMS = [
    ("Q70001", None, "Q2920921", "Organisational Skills"),
    ("Q70002", "Q70001", "Q43015", "Finance"),
    ("Q70003", "Q70002", "Q178848", "Budgeting"),
    ("Q70004", None, "Q11024", "Communication"),
    ("Q70005", "Q70004", "Q1172284", "Press release"),
    ("Q70099", "Q70004", None, "Podcasting"),
    ("Q70100", None, None, "Totally new root"),
]

TERMS = [
    ("Q70002", "en", "Finance", "Managing financial resources"),
    ("Q70002", "pt-br", "Finanças", None),
    ("Q70004", "en", "Communication", "Exchanging information and meaning"),
    ("Q70004", "pt-br", "Comunicação", "Troca de informações e significados"),
    ("Q70004", "es", "Comunicación", None),
    ("Q70005", "pt-br", "Comunicado de imprensa", None),
]


def structure_body(items: list[tuple]) -> dict[str, Any]:
    rows = []
    for qid, parent, wikidata, _label in items:
        row = {"item": uri(qid)}
        if parent:
            row["parent"] = uri(parent)
        if wikidata:
            row["value"] = literal(wikidata)
        rows.append(row)
    return {"head": {"vars": ["item", "parent", "value"]}, "results": {"bindings": rows}}


def terms_body(items: list[tuple], terms: list[tuple]) -> dict[str, Any]:
    present = {i[0] for i in items}
    all_terms = list(terms) + [(qid, "en", label, None) for qid, _p, _w, label in items
                               if not any(t[0] == qid and t[1] == "en" for t in terms)]
    rows = []
    for qid, lang, label, description in all_terms:
        if qid not in present:
            continue
        row = {"item": uri(qid), "language": literal(lang)}
        if label:
            row["label"] = literal(label, lang)
        if description:
            row["description"] = literal(description, lang)
        rows.append(row)
    return {"head": {"vars": ["item", "language", "label", "description"]}, "results": {"bindings": rows}}


def mock_metabase(rsps, items=ITEMS, terms=TERMS, terms_status=200, terms_raw: str | None = None) -> None:
    # The structure and terms queries go to the same endpoint; the recorded samples show the format.
    sample = recorded("metabase-sparql-capacities", "capacity-terms-by-language")
    assert sample["response"]["body"]["results"]["bindings"][0]["item"]["value"].startswith(ENTITY)

    def answer(request):
        query = parse_qs(urlparse(request.url).query)["query"][0]
        headers = {"Content-Type": "application/sparql-results+json;charset=utf-8"}
        if "GROUP BY" in query:
            if terms_status != 200:
                return terms_status, {}, "java.util.concurrent.TimeoutException"
            if terms_raw is not None:
                return 200, headers, terms_raw
            return 200, headers, json.dumps(terms_body(items, terms))
        return 200, headers, json.dumps(structure_body(items))

    rsps.add_callback("GET", SPARQL, callback=answer)


def run(app, echo=None):
    with app.app_context():
        summary = sync_capacities(MetabaseClient("https://metabase.wikibase.cloud"), WikidataEntitiesClient(),
                                  ["ar", "en", "pt-br"], echo=echo or (lambda _line: None))
        db.session.commit()  # the service flushes; its caller (the CLI command) commits
        return summary


def by_code(code: str) -> Capacity:
    return db.session.scalar(sa.select(Capacity).where(Capacity.code == code))


def snapshot(app) -> tuple:
    with app.app_context():
        caps = db.session.execute(sa.select(Capacity.id, Capacity.metabase_qid, Capacity.wikidata_qid,
                                            Capacity.missing_upstream, Capacity.parent_id).order_by(Capacity.id)).all()
        texts = db.session.execute(sa.select(CapacityText.capacity_id, CapacityText.lang, CapacityText.name,
                                             CapacityText.description, CapacityText.name_source)
                                   .order_by(CapacityText.capacity_id, CapacityText.lang)).all()
        return tuple(caps), tuple(texts)


def test_first_run_matches_by_english_name_and_upserts_texts(app, mocked_http):
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    lines: list[str] = []
    summary = run(app, lines.append)
    assert summary.upstream == 7
    assert summary.matched == 5 and summary.matched_by_name == 5
    assert summary.added == 1
    assert summary.unmatched == ["Q70100"]
    assert any("not matched: Q70100" in line for line in lines)
    assert any("fetching" in line for line in lines)
    with app.app_context():
        finance = by_code("finance")
        assert finance.metabase_qid == "Q70002" and finance.wikidata_qid == "Q43015"
        pt = db.session.get(CapacityText, (finance.id, "pt-br"))
        assert pt.name == "Finanças" and pt.name_source == "metabase"
        # no Metabase description in pt-br: Wikidata's (in pt, a variant of pt-br) fills it
        assert pt.description == "ciência que estuda a gestão de fundos" and pt.description_source == "wikidata"
        en = db.session.get(CapacityText, (finance.id, "en"))
        assert en.description == "Managing financial resources" and en.description_source == "metabase"
        communication = by_code("communication")
        pt = db.session.get(CapacityText, (communication.id, "pt-br"))
        assert pt.description == "Troca de informações e significados" and pt.description_source == "metabase"
        # a language outside the interface languages is stored too (names come in every language)
        assert db.session.get(CapacityText, (communication.id, "es")).name == "Comunicación"
        podcasting = db.session.scalar(sa.select(Capacity).where(Capacity.metabase_qid == "Q70099"))
        assert podcasting.parent_id == communication.id
        assert db.session.get(CapacityText, (podcasting.id, "en")).name == "Podcasting"
        # capacities Metabase does not (yet) know are untouched, not flagged
        assert by_code("wikipedia").missing_upstream is False


def test_synced_name_appears_in_the_portuguese_interface(app, client, mocked_http):
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    run(app)
    body = client.get("/capacity?q=imprensa&uselang=pt-br").get_data(as_text=True)
    assert "Comunicado de imprensa" in body
    body = client.get("/capacity?q=press&uselang=pt-br").get_data(as_text=True)
    assert "Comunicado de imprensa" in body  # English fallback text still searched


def test_second_run_is_idempotent_and_matches_by_qid(app, mocked_http):
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    run(app)
    before = snapshot(app)
    summary = run(app)
    assert summary.matched == 6 and summary.matched_by_name == 0 and summary.added == 0
    assert summary.names == 0 and summary.descriptions == 0 and summary.wikidata_descriptions == 0
    assert snapshot(app) == before


def test_vanished_items_are_flagged_not_deleted(app, mocked_http, make_user):
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    run(app)
    user = make_user("Ana Exemplo")
    with app.app_context():
        budgeting_id = by_code("budgeting").id
        profile_id = db.session.get(User, user.id).profile.id
        db.session.add(ProfileCapacity(profile_id=profile_id, capacity_id=budgeting_id, kind="known"))
        db.session.commit()
    mocked_http.reset()
    mock_metabase(mocked_http, items=[i for i in ITEMS if i[0] != "Q70003"])
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    summary = run(app)
    assert summary.missing == 1
    with app.app_context():
        budgeting = db.session.get(Capacity, budgeting_id)
        assert budgeting is not None and budgeting.missing_upstream is True
        assert db.session.get(ProfileCapacity, (profile_id, budgeting_id, "known")) is not None
    # it comes back when Metabase has it again
    mocked_http.reset()
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    summary = run(app)
    assert summary.back == 1
    with app.app_context():
        assert db.session.get(Capacity, budgeting_id).missing_upstream is False


def test_capacity_page_warns_about_a_vanished_capacity(app, client):
    with app.app_context():
        cap = by_code("budgeting")
        cap.missing_upstream = True
        db.session.commit()
        cap_id = cap.id
    assert "no longer on Metabase" in client.get(f"/capacity/{cap_id}").get_data(as_text=True)


@pytest.mark.allow_network_errors
def test_failed_terms_query_changes_nothing(app, mocked_http):
    before = snapshot(app)
    mock_metabase(mocked_http, terms_status=500)
    with pytest.raises(SyncFailed, match="http-500"):
        run(app)
    assert snapshot(app) == before


def test_truncated_answer_changes_nothing(app, mocked_http):
    before = snapshot(app)
    full = json.dumps(terms_body(ITEMS, TERMS))
    mock_metabase(mocked_http, terms_raw=full[: len(full) // 2])
    with pytest.raises(SyncFailed, match="badjson"):
        run(app)
    assert snapshot(app) == before


def test_empty_answer_changes_nothing(app, mocked_http):
    before = snapshot(app)
    mock_metabase(mocked_http, items=[])
    with pytest.raises(SyncFailed, match="no capacity items"):
        run(app)
    assert snapshot(app) == before


def test_wikidata_failure_changes_nothing(app, mocked_http):
    before = snapshot(app)
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "error-invalid-id", match_params=False)
    with pytest.raises(SyncFailed, match="Wikidata"):
        run(app)
    assert snapshot(app) == before


def test_cli_prints_progress_and_summary(app, mocked_http):
    mock_metabase(mocked_http)
    add_recorded(mocked_http, "wikidata-wbgetentities", "two-items-with-fallback", match_params=False)
    result = app.test_cli_runner().invoke(args=["capx", "sync-capacities"])
    assert result.exit_code == 0, result.output
    assert "fetching capacity items from Metabase" in result.output
    assert "7 upstream, 5 matched (5 by English name), 1 added, 1 not matched" in result.output


def test_cli_fails_loudly_and_changes_nothing(app, mocked_http):
    before = snapshot(app)
    mock_metabase(mocked_http, items=[])
    result = app.test_cli_runner().invoke(args=["capx", "sync-capacities"])
    assert result.exit_code == 1
    assert "sync failed, nothing changed" in result.output
    assert snapshot(app) == before
