"""The Translate! page: listing, filters, progress, saving to Metabase as the user or the bot."""

from __future__ import annotations

from urllib.parse import parse_qs

import mwoauth
import pytest
import responses
import sqlalchemy as sa

from capx.clients.meta_wiki import Identity, MetaWikiClient, MetaWikiError
from capx.extensions import db
from capx.models import Capacity, CapacityText, OAuthToken, User
from capx.services.accounts import load_token
from tests.conftest import add_recorded, html_text
from tests.helpers import on_metabase

API = "https://metabase.wikibase.cloud/w/api.php"


@pytest.fixture()
def budgeting(app) -> int:
    """Budgeting, known on Metabase as Q70003 (as in the recorded samples)."""
    return on_metabase(app, "budgeting")


@pytest.fixture()
def consumer(app):
    app.config.update(CAPX_METABASE_CONSUMER_KEY="mb-consumer-key", CAPX_METABASE_CONSUMER_SECRET="mb-consumer-secret")
    yield
    app.config.update(CAPX_METABASE_CONSUMER_KEY="", CAPX_METABASE_CONSUMER_SECRET="")


def mock_tokens(rsps) -> None:
    rsps.add("GET", API, match=[responses.matchers.query_param_matcher({"type": "csrf"}, strict_match=False)],
             json={"batchcomplete": True, "query": {"tokens": {"csrftoken": "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3+\\"}}})


def mock_bot_login(rsps) -> None:
    rsps.add("GET", API, match=[responses.matchers.query_param_matcher({"type": "login"}, strict_match=False)],
             json={"batchcomplete": True, "query": {"tokens": {"logintoken": "9f8e7d6c5b4a+\\"}}})
    rsps.add("POST", API, json={"login": {"result": "Success", "lguserid": 7, "lgusername": "CapxBot"}})


def mock_write(rsps, action: str, sample: str) -> None:
    def is_action(request):
        body = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
        ok = body.get("action") == [action]
        return ok, "" if ok else f"not {action}"

    add_recorded(rsps, "wikibase-wbsetlabel", sample, match_params=False)
    rsps.registered()[-1].match = (is_action,)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def posts(rsps, action: str) -> list[dict]:
    out = []
    for call in rsps.calls:
        if call.request.method == "POST":
            body = parse_qs(call.request.body if isinstance(call.request.body, str) else call.request.body.decode())
            if body.get("action") == [action]:
                out.append({k: v[0] for k, v in body.items()} | {"_auth": _text(call.request.headers.get("Authorization", ""))})
    return out


@pytest.fixture()
def saving_as_bot(client, make_user, login, bot, mocked_http) -> None:
    """Ana Exemplo is logged in; Metabase answers the bot's login and the edit token."""
    login(client, make_user("Ana Exemplo"))
    mock_bot_login(mocked_http)
    mock_tokens(mocked_http)


def test_translation_page_requires_login(client):
    response = client.get("/translation")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.mutates_reference
def test_listing_progress_filters_search_sort_and_pagination(client, app, make_user, login, budgeting):
    with app.app_context():
        db.session.add(CapacityText(capacity_id=budgeting, lang="pt-br", name="Orçamento", name_source="metabase"))
        db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Capacity))
    login(client, make_user("Ana Exemplo"))
    body = html_text(client.get("/translation"))
    assert f"Translated: 1 of {total} (pt-br)" in body
    assert body.count('class="card stack translation-row"') == 20
    assert 'rel="next"' in body
    # untranslated first: Budgeting (translated) is not on page 1
    assert "Orçamento" not in body
    body = html_text(client.get("/translation?lang=pt-br&filter=translated"))
    assert "Orçamento" in body and body.count('class="card stack translation-row"') == 1
    body = html_text(client.get("/translation?lang=pt-br&filter=untranslated&q=budget"))
    assert "No capacity matches." in body
    body = html_text(client.get("/translation?lang=pt-br&q=orcamento"))
    assert "Budgeting" in body and body.count('class="card stack translation-row"') == 1
    az = html_text(client.get("/translation?lang=pt-br&sort=az"))
    assert az.index("Abuse Filter") < az.index("Academic Skills")
    za = html_text(client.get("/translation?lang=pt-br&sort=za"))
    assert "Youth Engagement" in za and "Abuse Filter" not in za
    page2 = html_text(client.get("/translation?lang=pt-br&sort=az&page=2"))
    assert "Abuse Filter" not in page2 and 'aria-current="page">2<' in page2
    # Arabic: nothing translated
    assert f"Translated: 0 of {total} (ar)" in html_text(client.get("/translation?lang=ar"))
    # English beside the target; a capacity not on Metabase cannot be saved
    body = html_text(client.get(f"/translation?lang=pt-br&capacity={budgeting}"))
    assert 'name="capacity_id" value="%d"' % budgeting in body
    wiki = html_text(client.get("/translation?lang=pt-br&q=wikipedia"))
    assert "not on Metabase yet" in wiki


@pytest.mark.mutates_reference
def test_save_as_bot_updates_metabase_and_the_site(client, app, budgeting, saving_as_bot, mocked_http):
    mock_write(mocked_http, "wbsetlabel", "wbsetlabel-success")
    mock_write(mocked_http, "wbsetdescription", "wbsetdescription-success")
    response = client.post("/translation", data={
        "capacity_id": budgeting, "lang": "pt-br", "name": "Orçamento",
        "description": "Planejamento de como o dinheiro será gasto", "filter": "untranslated", "page": "2"})
    assert response.status_code == 302, html_text(response)
    assert "filter=untranslated" in response.headers["Location"] and "page=2" in response.headers["Location"]
    (label,) = posts(mocked_http, "wbsetlabel")
    assert label["id"] == "Q70003" and label["language"] == "pt-br" and label["value"] == "Orçamento"
    assert label["assert"] == "user" and label["token"].endswith("+\\")
    assert "Ana Exemplo" in label["summary"] and not label["_auth"].startswith("OAuth")
    assert posts(mocked_http, "wbsetdescription")[0]["value"] == "Planejamento de como o dinheiro será gasto"
    assert len(posts(mocked_http, "login")) == 1
    with app.app_context():
        text = db.session.get(CapacityText, (budgeting, "pt-br"))
        assert text.name == "Orçamento" and text.name_source == "metabase"
        assert text.description_source == "metabase"
    assert "Saved on Metabase by the CapX bot." in html_text(client.get(response.headers["Location"]))
    # the translation appears across the site at once
    assert "Orçamento" in html_text(client.get("/capacity?view=tree&uselang=pt-br"))


@pytest.mark.mutates_reference
def test_save_as_the_connected_user_signs_with_oauth(client, app, make_user, login, budgeting, consumer, bot,
                                                      mocked_http):
    from capx.services.translation import connect_metabase

    user = make_user("Ana Exemplo")
    with app.app_context():
        connect_metabase(db.session.get(User, user.id), ("user-token-key", "user-token-secret"), "Ana Exemplo")
        db.session.commit()
    login(client, user)
    assert "Connected to Metabase as <bdi>Ana Exemplo</bdi>" in html_text(client.get("/translation"))
    mock_tokens(mocked_http)
    mock_write(mocked_http, "wbsetlabel", "wbsetlabel-success")
    response = client.post("/translation", data={"capacity_id": budgeting, "lang": "pt-br", "name": "Orçamento",
                                                 "description": ""})
    assert response.status_code == 302
    (label,) = posts(mocked_http, "wbsetlabel")
    assert label["_auth"].startswith("OAuth ") and 'oauth_token="user-token-key"' in label["_auth"]
    assert 'oauth_consumer_key="mb-consumer-key"' in label["_auth"]
    assert posts(mocked_http, "login") == []  # the bot is not used
    assert posts(mocked_http, "wbsetdescription") == []  # unchanged description is not written
    assert "Saved on Metabase with your account." in html_text(client.get(response.headers["Location"]))


@pytest.mark.mutates_reference
@pytest.mark.parametrize("sample,text", [
    ("permissiondenied", "You do not have the permissions needed to carry out this action."),
    ("failed-save", "The save has failed."),
    ("badtoken", "Invalid CSRF token."),
])
def test_metabase_errors_are_shown_on_the_row_and_keep_the_typed_text(client, app, budgeting, saving_as_bot,
                                                                       mocked_http, sample, text):
    mock_write(mocked_http, "wbsetlabel", sample)
    response = client.post("/translation", data={"capacity_id": budgeting, "lang": "pt-br", "name": "Orçamento típico",
                                                 "description": ""})
    assert response.status_code == 400
    body = html_text(response)
    assert text in body
    assert 'value="Orçamento típico"' in body
    assert 'id="capacity-%d"' % budgeting in body
    with app.app_context():
        assert db.session.get(CapacityText, (budgeting, "pt-br")) is None


@pytest.mark.mutates_reference
def test_label_saved_but_description_refused(client, app, budgeting, saving_as_bot, mocked_http):
    mock_write(mocked_http, "wbsetlabel", "wbsetlabel-success")
    mock_write(mocked_http, "wbsetdescription", "modification-failed-description-equals-label")
    response = client.post("/translation", data={"capacity_id": budgeting, "lang": "pt-br", "name": "Orçamento",
                                                 "description": "Orçamento"})
    assert response.status_code == 400
    body = html_text(response)
    assert "can not have the same value" in body
    assert ">Orçamento</textarea>" in body
    with app.app_context():
        text = db.session.get(CapacityText, (budgeting, "pt-br"))
        assert text.name == "Orçamento" and text.description is None


@pytest.mark.mutates_reference
def test_bot_login_failure_is_a_row_error(client, make_user, login, budgeting, bot, mocked_http):
    login(client, make_user("Ana Exemplo"))
    mocked_http.add("GET", API, json={"query": {"tokens": {"logintoken": "x+\\"}}})
    mocked_http.add("POST", API, json={"login": {"result": "Failed", "reason": "Incorrect username or password entered."}})
    response = client.post("/translation", data={"capacity_id": budgeting, "lang": "pt-br", "name": "Orçamento"})
    assert response.status_code == 400
    assert "Incorrect username or password entered." in html_text(response)


@pytest.mark.mutates_reference
def test_too_long_text_is_refused_before_calling_metabase(client, make_user, login, budgeting, bot):
    login(client, make_user("Ana Exemplo"))
    response = client.post("/translation", data={"capacity_id": budgeting, "lang": "pt-br", "name": "O" * 251})
    assert response.status_code == 400
    assert "Use at most 250 characters." in html_text(response)


@pytest.mark.mutates_reference
def test_no_writer_configured(client, make_user, login, budgeting):
    login(client, make_user("Ana Exemplo"))
    assert "the CapX bot is not configured" in html_text(client.get("/translation"))
    response = client.post("/translation", data={"capacity_id": budgeting, "lang": "pt-br", "name": "Orçamento"})
    assert response.status_code == 400
    assert "the CapX bot is not configured" in html_text(response)


@pytest.mark.mutates_reference
def test_bad_requests(client, app, make_user, login, budgeting, bot):
    login(client, make_user("Ana Exemplo"))
    assert client.post("/translation", data={"capacity_id": "x", "lang": "pt-br"}).status_code == 400
    assert client.post("/translation", data={"capacity_id": budgeting, "lang": "xx-nope"}).status_code == 400
    with app.app_context():
        wikipedia = db.session.scalar(sa.select(Capacity.id).where(Capacity.code == "wikipedia"))
    assert client.post("/translation", data={"capacity_id": wikipedia, "lang": "pt-br", "name": "x"}).status_code == 404
    assert client.post("/translation", data={"capacity_id": budgeting, "lang": "pt-br", "name": "x"},
                       csrf=False).status_code == 400


def test_connect_and_disconnect_metabase(client, app, make_user, login, consumer, monkeypatch):
    user = make_user("Ana Exemplo")
    login(client, user)
    seen = {}

    def start_login(self, callback):
        seen["index_url"], seen["callback"] = self.index_url, callback
        return "https://metabase.wikibase.cloud/w/index.php?title=Special:OAuth/authorize&oauth_token=rt", \
            mwoauth.RequestToken("rt", "rs")

    def finish_login(self, request_token, query_string):
        assert request_token.key == "rt" and "oauth_verifier=v" in query_string
        return mwoauth.AccessToken("ak", "as")

    def identify(self, access):
        return Identity(1, "Ana Exemplo", None, False, True, ())

    monkeypatch.setattr(MetaWikiClient, "start_login", start_login)
    monkeypatch.setattr(MetaWikiClient, "finish_login", finish_login)
    monkeypatch.setattr(MetaWikiClient, "identify", identify)
    response = client.post("/translation/metabase/connect", data={"next": "/translation?lang=ar"})
    assert response.status_code == 302 and response.headers["Location"].startswith("https://metabase.wikibase.cloud/")
    assert seen["index_url"] == "https://metabase.wikibase.cloud/w/index.php"
    assert seen["callback"].endswith("/translation/metabase/callback")
    response = client.get("/translation/metabase/callback?oauth_verifier=v&oauth_token=rt")
    assert response.status_code == 302 and response.headers["Location"] == "/translation?lang=ar"
    with app.app_context():
        assert load_token(user.id, "metabase") == ("ak", "as")
    assert "Connected to Metabase as <bdi>Ana Exemplo</bdi>" in html_text(client.get("/translation"))
    response = client.post("/translation/metabase/disconnect", data={})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(OAuthToken, (user.id, "metabase")) is None
    # a callback without a pending request does nothing
    response = client.get("/translation/metabase/callback?oauth_verifier=v&oauth_token=rt")
    assert "did not work" in html_text(client.get(response.headers["Location"]))


def test_connect_failure_is_explained(client, make_user, login, consumer, monkeypatch):
    login(client, make_user("Ana Exemplo"))

    def start_login(self, callback):
        raise MetaWikiError("down", "oauth")

    monkeypatch.setattr(MetaWikiClient, "start_login", start_login)
    response = client.post("/translation/metabase/connect", data={})
    assert response.status_code == 302
    assert "did not work" in html_text(client.get(response.headers["Location"]))


def test_connect_is_404_without_a_consumer(client, make_user, login):
    login(client, make_user("Ana Exemplo"))
    assert client.post("/translation/metabase/connect", data={}).status_code == 404
