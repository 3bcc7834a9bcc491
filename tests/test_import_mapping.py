"""The import's mapping rules, old value → CapX value, one table per rule (docs/import.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capx.services.importer import mapping
from capx.services.importer.checks import describe_badge
from capx.services.importer.errors import ImportFileError
from capx.services.importer.ids import plan_moves
from capx.services.importer.mentorship import old_fingerprint
from capx.services.importer.runner import load_skill_map

T0 = dt.datetime(2026, 5, 1, 10, 0)


@pytest.mark.parametrize(("code", "level"), [
    # Babel userbox levels, in the dump as strings ("n" = native)
    ("0", 0), ("1", 1), ("2", 2), ("3", 3), ("4", 4), ("5", 5), ("n", 6),
])
def test_proficiency(code: str, level: int) -> None:
    assert mapping.proficiency(code) == level


@pytest.mark.parametrize(("value", "kept"), [
    # every pronoun value of the sample is kept for its owner; none chosen keeps nothing
    ("he-him", "he-him"), ("she-her", "she-her"), ("they-them", "they-them"),
    ("not-specified", "not-specified"), ("other", "other"), ("", None), (None, None),
])
def test_pronoun(value: str | None, kept: str | None) -> None:
    assert mapping.pronoun(value) == kept


@pytest.mark.parametrize(("display_name", "username", "kept"), [
    # a display name is kept only when it says more than the username CapX shows
    ("Mariana T. (WMAR)", "Mariana T. (WMAR)", None),
    ("Mariana Teixeira", "Mariana T. (WMAR)", "Mariana Teixeira"),
    ("  ", "Ana", None), ("", "Ana", None), (None, "Ana", None),
])
def test_kept_display_name(display_name: str | None, username: str, kept: str | None) -> None:
    assert mapping.kept_display_name(display_name, username) == kept


@pytest.mark.parametrize(("items", "kept"), [
    # contact and social: null, [], or labelled values; empty entries dropped
    (None, []), ([], []),
    ([{"display_name": "IRC", "value": "libera.chat #wikimedia"}], [{"display_name": "IRC", "value": "libera.chat #wikimedia"}]),
    ([{"display_name": "", "value": ""}], []),
    (["https://wikis.world/@ana"], [{"display_name": "", "value": "https://wikis.world/@ana"}]),
])
def test_labelled_values(items: Any, kept: list[dict[str, str]]) -> None:
    assert mapping.labelled_values(items) == kept


@pytest.mark.parametrize(("value", "qid"), [
    # Wikidata items: "" or Q<digits>; anything else is left out
    ("Q900000123", "Q900000123"), ("q42", "Q42"), ("", None), (None, None), ("Q0", None), ("P31", None),
])
def test_wikidata_qid(value: str | None, qid: str | None) -> None:
    assert mapping.wikidata_qid(value) == qid


# -- media and places ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "file_name"), [
    # Commons URLs of every shape the dump holds: File: pages, Special:Redirect/file
    ("https://commons.wikimedia.org/wiki/File:Wikimedia_Armenia_logo.svg", "Wikimedia_Armenia_logo.svg"),
    ("https://commons.wikimedia.org/wiki/Special:Redirect/file/CapX_-_Badge_-_1.svg", "CapX_-_Badge_-_1.svg"),
    ("https://commons.wikimedia.org/wiki/File:Event_banner_6.jpg", "Event_banner_6.jpg"),
    # other hosts are not Commons (CapX shows images only from Commons)
    ("https://learn.wiki/asset-v1:BE+CAP100+type@asset+block@course_image.png", None),
    ("https://badgr.com/f18f753bfdf0c057.svg", None),
    ("", None), (None, None),
])
def test_commons_file(url: str | None, file_name: str | None) -> None:
    assert mapping.commons_file(url) == file_name


@pytest.mark.parametrize(("url", "osm"), [
    # events keep their OpenStreetMap place as type/id
    ("https://www.openstreetmap.org/node/777843299", "node/777843299"),
    ("https://www.openstreetmap.org/way/9661439839", "way/9661439839"),
    ("https://www.openstreetmap.org/relation/9022011763/", "relation/9022011763"),
    ("node/12", "node/12"),
    ("", None), (None, None),
    ("https://example.org/node/1", None), ("https://www.openstreetmap.org/#map=5/1/2", None),
])
def test_openstreetmap_id(url: str | None, osm: str | None) -> None:
    assert mapping.openstreetmap_id(url) == osm


@pytest.mark.parametrize(("code", "lang"), [
    # organization names: BCP 47 codes of the dump → CapX language codes
    ("en", "en"), ("pt-BR", "pt-br"), ("es", "es"), ("fr", "fr"), ("ar", "ar"), ("de", "de"),
])
def test_name_language(code: str, lang: str) -> None:
    assert mapping.name_language(code) == lang


# -- territories -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("acronym", "name", "iso2"), [
    # by lowercase ISO alpha-2 acronym
    ("br", "Brazil", "BR"), ("xk", "Kosovo", "XK"),
    # rows without an acronym, by their (old, official) name
    (None, "Türkiye", "TR"), (None, "Netherlands, Kingdom of the", "NL"), (None, "Côte d'Ivoire", "CI"),
    (None, "Congo, Republic of the", "CG"), (None, "Virgin Islands, U.S.", "VI"),
    (None, "United Kingdom of Great Britain and Northern Ireland", "GB"), (None, "Western Sahara", "EH"),
    # neither: not a country CapX can name
    (None, "Atlantis", None), ("", "Nowhere", None),
])
def test_territory_iso2(acronym: str | None, name: str, iso2: str | None) -> None:
    assert mapping.territory_iso2(acronym, name) == iso2


@pytest.mark.parametrize(("old", "capx", "kept", "others"), [
    # one region: CapX's agrees
    (["SSA"], "SSA", "SSA", []),
    # two regions: CapX's own is kept when it is one of them, the other is reported
    (["MENA", "SSA"], "SSA", "SSA", ["MENA"]),
    (["MENA", "SSA"], "MENA", "MENA", ["SSA"]),
    # a territory CapX adds: the first old region (lowest id) is kept
    (["MENA", "SSA"], None, "MENA", ["SSA"]),
    # CapX's region is none of the old ones: CapX's value wins, the old ones are reported
    (["NWE"], "CEECA", "CEECA", ["NWE"]),
    # no old region: CapX's stays
    ([], "LAC", "LAC", []),
])
def test_kept_region(old: list[str], capx: str | None, kept: str | None, others: list[str]) -> None:
    assert mapping.kept_region(old, capx) == (kept, others)


# -- events ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "format_"), [
    ("virtual", "online"), ("in_person", "in-person"), ("hybrid", "hybrid"),
])
def test_event_format(value: str, format_: str) -> None:
    assert mapping.event_format(value) == format_


@pytest.mark.parametrize(("end", "expected"), [
    # an event without an end ends when it begins (no invented duration)
    (None, T0),
    (T0 + dt.timedelta(hours=8), T0 + dt.timedelta(hours=8)),
    (T0, T0),
    # an end before the beginning is treated as no end
    (T0 - dt.timedelta(hours=1), T0),
])
def test_event_end(end: dt.datetime | None, expected: dt.datetime) -> None:
    assert mapping.event_end(T0, end) == expected


# -- badges --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("logic", "kind", "expected"), [
    # internal: the old target as a CapX measure; complete_profile's percentage as sections (of 9)
    ({"target": "complete_profile", "value": 50}, "internal", ("profile-sections", 5)),
    ({"target": "complete_profile", "value": 100}, "internal", ("profile-sections", 9)),
    ({"target": "sent_messages", "value": 5}, "internal", ("messages-sent", 5)),
    ({"target": "received_messages", "value": 3}, "internal", ("messages-received", 3)),
    ({"target": "updated_profile", "value": 30}, "internal", ("profile-updated-days", 30)),
    ({"target": "is_manager", "value": 1}, "internal", ("organizations-managed", 1)),
    ({"target": "account_age", "value": 365}, "internal", ("account-age-days", 365)),
    ({"target": "lets_connect", "value": 1}, "internal", ("lets-connect", 1)),
    # external: the issuer; partner: the organization's pk (not the partner's)
    ({"source": "wikilearn"}, "external", "wikilearn"),
    ({"source": "letsconnect"}, "external", "letsconnect"),
    ({"partner": 13}, "partner", 13),
])
def test_badge_logic(logic: dict[str, Any], kind: str, expected: Any) -> None:
    described = describe_badge(1, {"logic": logic, "type": kind})
    assert described["kind"] == kind
    got = {"internal": lambda: (described["rule"], described["threshold"]),
           "external": lambda: described["source"], "partner": lambda: described["organization_id"]}[kind]()
    assert got == expected


@pytest.mark.parametrize(("logic", "kind"), [
    ({"target": "unknown", "value": 1}, "internal"),
    ({"target": "sent_messages", "value": 0}, "internal"),
    ({"target": "sent_messages"}, "internal"),
    ({"source": "elsewhere"}, "external"),
    ({"partner": "13"}, "partner"),
    (None, "partner"),
])
def test_badge_logic_that_does_not_fit_is_refused(logic: Any, kind: str) -> None:
    with pytest.raises(ImportFileError, match="users.badge pk 7"):
        describe_badge(7, {"logic": logic, "type": kind})


# -- bug reports and messages ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("bug_type", "report_type"), [
    ("error", "error"), ("new_feature", "feature"), ("improvement", "improvement"), ("test_case", "test-case"),
    # a request for a new capacity becomes a capacity suggestion
    ("new_capacity", None),
])
def test_bug_type(bug_type: str, report_type: str | None) -> None:
    assert mapping.bug_type(bug_type) == report_type


@pytest.mark.parametrize(("status", "report_status", "suggestion_status"), [
    ("to_do", "new", "pending"), ("assigned", "in-progress", "pending"), ("in_progress", "in-progress", "pending"),
    ("under_review", "in-progress", "pending"), ("done", "done", "approved"),
])
def test_bug_status(status: str, report_status: str, suggestion_status: str) -> None:
    assert mapping.bug_status(status) == report_status
    assert mapping.suggestion_status(status) == suggestion_status


@pytest.mark.parametrize(("method", "status", "error", "expected"), [
    ("email", "sent", "", ("email", "sent", None)),
    ("talkpage", "sent", "", ("talk", "sent", None)),
    # the old app fell back to the talk page when the receiver could not get e-mail
    ("email", "sent", "Receiver is not emailable. Using talk page instead.", ("talk", "sent", None)),
    ("email", "failed", "Receiver account is invalid or does not exist.", ("email", "failed", "recipient-missing")),
    ("talkpage", "failed", "Failed to fetch CSRF token.", ("talk", "failed", "notoken")),
    ("email", "failed", "Something new", ("email", "failed", "other")),
    ("email", "failed", "", ("email", "failed", "error")),
    # pending when the old platform stopped: never sent
    ("talkpage", "pending", "", ("talk", "failed", "never-sent")),
])
def test_message_log(method: str, status: str, error: str, expected: tuple[str, str, str | None]) -> None:
    assert mapping.message_log(method, status, error) == expected


# -- mentorship ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field_type", "options", "expected"), [
    # every old field type of the sample's forms
    ("text", None, ("short-text", None)),
    ("email", None, ("email", None)),
    ("number", None, ("short-text", None)),
    ("textarea", None, ("long-text", None)),
    ("select", ["1-2", "3-5", "6+"], ("single-choice", ["1-2", "3-5", "6+"])),
    ("multiselect", ["Wikidata", "Commons"], ("multiple-choice", ["Wikidata", "Commons"])),
    ("checkbox", None, ("single-choice", ["Yes"])),
    # a type the old forms never had: short text
    ("date", None, ("short-text", None)),
])
def test_question_kind(field_type: str, options: list[str] | None, expected: Any) -> None:
    assert mapping.question_kind(field_type, options) == expected


def test_old_key_fingerprint_is_the_sample_s() -> None:
    """SHA-256 of the PEM without whitespace, 12 hex digits (as the old portal computed it)."""
    from tests.import_helpers import sample_rows

    key = next(r for r in sample_rows() if r["model"] == "portal.partnermentorshippublickey" and r["pk"] == 1)
    response = next(r for r in sample_rows() if r["model"] == "portal.partnermentorshipformmentorresponse")
    assert old_fingerprint(key["fields"]["public_key"]) == response["fields"]["encrypted_with_public_key_fingerprint"]


# -- ids ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("current", "matched", "max_old", "moves"), [
    # a matched row takes its old id; an unmatched one at or below the highest old id moves above
    # every id in use
    ([1, 2, 3], {1: 2, 2: 1}, 3, {1: 2, 2: 1, 3: 4}),
    ([1, 2, 3, 4, 5], {5: 1}, 2, {5: 1, 1: 6, 2: 7}),
    # nothing to do when rows are where they belong
    ([1, 2, 10], {1: 1, 2: 2}, 5, {}),
    # no old rows at all: CapX keeps its ids
    ([1, 2], {}, 0, {}),
])
def test_plan_moves(current: list[int], matched: dict[int, int], max_old: int, moves: dict[int, int]) -> None:
    assert plan_moves(current, matched, max_old) == moves


# -- the skill map ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('[{"id": 1, "qid": "Q29", "code": "finance", "name": "Finance", "parent": 10}]', {1: "finance"}),
    ('{"1": "finance", "2": "budgeting"}', {1: "finance", 2: "budgeting"}),
])
def test_skill_map_formats(text: str, expected: dict[int, str]) -> None:
    assert {k: v["code"] for k, v in load_skill_map(text).items()} == expected


@pytest.mark.parametrize("text", ['[{"id": "1", "code": "finance"}]', '[1, 2]', '"finance"'])
def test_skill_map_refused(text: str) -> None:
    with pytest.raises(ValueError):
        load_skill_map(text)


def test_every_kept_pronoun_has_a_label() -> None:
    from capx.services.profiles import PRONOUN_LABELS

    assert set(PRONOUN_LABELS) == set(mapping.PRONOUNS)
