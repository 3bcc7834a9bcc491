"""The Wikidata, Meta-Wiki (list=users) and Let's Connect clients against recorded responses,
including errors and timeouts."""

from __future__ import annotations

import pytest
import requests

from capx.clients.lets_connect import LetsConnectClient, LetsConnectError
from capx.clients.meta_wiki import MetaWikiClient, MetaWikiError
from capx.clients.wikidata import (WikidataClient, WikidataError, sparql_string, username_query)
from tests.conftest import add_recorded

META_API = "https://meta.wikimedia.org/w/api.php"
LC_BASE = "https://letsconn.toolforge.org"


def meta() -> MetaWikiClient:
    return MetaWikiClient("https://meta.wikimedia.org/w/index.php", META_API)


# -- Wikidata -------------------------------------------------------------------------------------

def test_wikidata_found_with_image(mocked_http):
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", "found-with-image")
    person = WikidataClient().person_for_username("Jimbo Wales")
    assert person.qid == "Q181" and person.image == "Jimmy_Wales_Fundraiser_Appeal.jpg"
    request = mocked_http.calls[0].request
    assert request.headers["Accept"] == "application/sparql-results+json"
    assert request.headers["User-Agent"].startswith("CapX/")


def test_wikidata_found_without_image_and_no_match(mocked_http):
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", "found-without-image")
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", "no-match")
    assert WikidataClient().person_for_username("Ana Exemplo").image is None
    assert WikidataClient().person_for_username("Nonexistent Example User 4821") is None


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("sample, code", [("error-rate-limited", "http-429"), ("error-malformed-query", "http-400")])
def test_wikidata_errors(mocked_http, sample, code):
    add_recorded(mocked_http, "wikidata-sparql-p4174-p18", sample, match_params=False)
    with pytest.raises(WikidataError) as info:
        WikidataClient().person_for_username("Jimbo Wales")
    assert info.value.code == code


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("body, code", [(requests.exceptions.ReadTimeout("slow"), "timeout"),
                                        (requests.exceptions.ConnectionError("down"), "unreachable")])
def test_wikidata_timeouts(mocked_http, body, code):
    mocked_http.add("GET", "https://query.wikidata.org/sparql", body=body)
    with pytest.raises(WikidataError) as info:
        WikidataClient().person_for_username("Jimbo Wales")
    assert info.value.code == code


@pytest.mark.parametrize("body", ["not json", '{"results": {}}', '{"results": {"bindings": {}}}',
                                  '{"results": {"bindings": [{"item": {"value": "urn:x"}}]}}'])
def test_wikidata_unusable_answers(mocked_http, body):
    mocked_http.add("GET", "https://query.wikidata.org/sparql", body=body)
    with pytest.raises(WikidataError):
        WikidataClient().person_for_username("Jimbo Wales")


def test_sparql_string_escapes_quotes_and_backslashes():
    assert sparql_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert 'wdt:P4174 "x\\" . } #"' in username_query('x" . } #')


def test_client_sessions_have_timeouts():
    assert WikidataClient().session.timeout > 0
    assert LetsConnectClient(LC_BASE).session.timeout > 0


# -- Meta-Wiki list=users -------------------------------------------------------------------------

def test_meta_user_info_normalized(mocked_http):
    add_recorded(mocked_http, "meta-list-users-emailable", "users-normalized-name")
    user = meta().user_info("ana_Exemplo")
    assert user.exists and user.name == "Ana Exemplo" and user.user_id == 23456789
    assert user.registered_at.year == 2015


def test_meta_user_info_blocked_still_exists(mocked_http):
    add_recorded(mocked_http, "meta-list-users-emailable", "users-blocked")
    assert meta().user_info("Carla Exemplo").exists


def test_meta_user_info_missing_and_invalid(mocked_http):
    mocked_http.add("GET", META_API, json={"query": {"users": [{"name": "Nobody", "missing": True}]}})
    mocked_http.add("GET", META_API, json={"query": {"users": [{"name": "1.2.3.4", "invalid": True}]}})
    mocked_http.add("GET", META_API, json={"query": {}})
    assert not meta().user_info("Nobody").exists
    assert not meta().user_info("1.2.3.4").exists
    assert not meta().user_info("Empty").exists


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("kwargs, code", [({"body": requests.exceptions.ConnectTimeout("slow")}, "timeout"),
                                          ({"body": "x", "status": 502}, "http-502"),
                                          ({"json": {"error": {"code": "maxlag", "info": "lagged"}}}, "maxlag")])
def test_meta_user_info_errors(mocked_http, kwargs, code):
    mocked_http.add("GET", META_API, **kwargs)
    with pytest.raises(MetaWikiError) as info:
        meta().user_info("Ana Exemplo")
    assert info.value.code == code


# -- Let's Connect --------------------------------------------------------------------------------

def test_lets_connect_profile(mocked_http):
    add_recorded(mocked_http, "lets-connect-profile", "found")
    profile = LetsConnectClient(LC_BASE).profile("Ana Exemplo")
    assert profile.username == "Ana Exemplo" and profile.bio.startswith("Organizer")
    assert profile.languages[0].code == "pt" and profile.languages[0].proficiency == "native"
    assert profile.skills_known == ("communication", "finance", "no-such-skill")
    assert profile.territories == ("BRA", "LAC", "ZZZ")


def test_lets_connect_not_registered(mocked_http):
    add_recorded(mocked_http, "lets-connect-profile", "not-registered")
    assert LetsConnectClient(LC_BASE).profile("Bruno Exemplo") is None


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("sample, code", [("server-error", "http-503"), ("unexpected-shape", "badjson")])
def test_lets_connect_errors(mocked_http, sample, code):
    add_recorded(mocked_http, "lets-connect-profile", sample)
    with pytest.raises(LetsConnectError) as info:
        LetsConnectClient(LC_BASE).profile("Ana Exemplo")
    assert info.value.code == code


@pytest.mark.allow_network_errors
def test_lets_connect_timeout_and_bad_json(mocked_http):
    mocked_http.add("GET", f"{LC_BASE}/profile/", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(LetsConnectError) as info:
        LetsConnectClient(LC_BASE).profile("Ana Exemplo")
    assert info.value.code == "timeout"
    mocked_http.replace("GET", f"{LC_BASE}/profile/", body="<html>", status=200)
    with pytest.raises(LetsConnectError) as info:
        LetsConnectClient(LC_BASE).profile("Ana Exemplo")
    assert info.value.code == "badjson"


def test_lets_connect_setting(app):
    assert app.config["CAPX_LETS_CONNECT_API_URL"] == "https://letsconn.toolforge.org"
    from capx.config import load_settings
    assert load_settings({"CAPX_LETS_CONNECT_API_URL": "https://lc.example/api"}).lets_connect_api_url == \
        "https://lc.example/api"
