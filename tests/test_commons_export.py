"""Issue 17 §1: the Commons tabular export (``flask capx export-commons``): who is exported (the
template's transclusions, never locked accounts), today's format, JsonConfig's limits, and the job's
runs: first, unchanged (no edit), Meta-Wiki or Commons down (nothing lost), partial failure."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
import sqlalchemy as sa

from capx.clients.meta_wiki import MetaWikiClient
from capx.extensions import db
from capx.models import AVAILABLE, KNOWN, Capacity, CommonsExport, Profile, ProfileCapacity, User
from capx.services import commons_export
from tests.conftest import add_recorded, recorded
from tests.helpers import create_user

API = "https://commons.wikimedia.org/w/api.php"
META = "https://meta.wikimedia.org/w/api.php"
BOT = {"CAPX_COMMONS_BOT_USER": "CapXBot@capx-export", "CAPX_COMMONS_BOT_PASSWORD": "q8v2m4k7n1p9r3s5t6u0w2x4y8z1a3b5"}


@pytest.fixture()
def people(app: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    for key, value in BOT.items():
        monkeypatch.setitem(app.config, key, value)
    ana = create_user(app, "Ana Exemplo", 1001)
    locked = create_user(app, "Bruno Exemplo", 1002, is_locked=True)
    main = create_user(app, "Carla Principal", 1003)  # opted in through her alternative account
    create_user(app, "Not Opted In", 1004)
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Capacity.id).order_by(Capacity.id).limit(3)))
        profiles = {u.id: db.session.scalar(sa.select(Profile).where(Profile.user_id == u.id)) for u in (ana, locked, main)}
        profiles[main.id].alt_account = "Carla Exemplo"
        for user in (ana, locked):
            db.session.add(ProfileCapacity(profile_id=profiles[user.id].id, capacity_id=ids[0], kind=KNOWN))
        db.session.add(ProfileCapacity(profile_id=profiles[ana.id].id, capacity_id=ids[1], kind=KNOWN))
        db.session.add(ProfileCapacity(profile_id=profiles[ana.id].id, capacity_id=ids[2], kind=AVAILABLE))
        db.session.commit()
    return {"c0": ids[0], "c1": ids[1], "c2": ids[2]}


def answer_meta(rsps: responses.RequestsMock) -> None:
    add_recorded(rsps, "meta-transcludedin", "all-in-one-batch")


def answer_commons(rsps: responses.RequestsMock, fail: str | None = None) -> None:
    add_recorded(rsps, "commons-edit-tabular", "login-token")
    add_recorded(rsps, "commons-edit-tabular", "login-bot-password-success")
    add_recorded(rsps, "commons-edit-tabular", "csrf-token")
    for title in commons_export.PAGES:
        sample = "edit-invalid-tabular-string-too-long" if title == fail else "edit-success"
        body = recorded("commons-edit-tabular", sample)["response"]["body"]
        rsps.add("POST", API, json=body, match=[_edit_of(title)])


def _edit_of(title: str) -> Any:
    def match(request: Any) -> tuple[bool, str]:
        form = parse_qs(request.body or "")
        ok = form.get("action") == ["edit"] and form.get("title") == [title]
        return ok, "" if ok else "another edit"
    return match


def edits(rsps: responses.RequestsMock) -> dict[str, dict[str, Any]]:
    out = {}
    for call in rsps.calls:
        if call.request.method == "POST" and "action=edit" in (call.request.body or ""):
            form = {k: v[0] for k, v in parse_qs(call.request.body).items()}
            out[form["title"]] = form
    return out


def run(app: Any, *args: str) -> Any:
    """The command as the job runs it (its output holds stdout and stderr)."""
    return app.test_cli_runner().invoke(args=["capx", "export-commons", *args])


def hashes(app: Any) -> dict[str, str]:
    with app.app_context():
        return {page: digest for page, digest in db.session.execute(sa.select(CommonsExport.page, CommonsExport.content_hash))}


def test_first_run_edits_the_three_pages_in_todays_format(app: Any, people: dict, mocked_http: Any) -> None:
    answer_meta(mocked_http)
    answer_commons(mocked_http)
    result = run(app)
    assert result.exit_code == 0, result.output
    sent = edits(mocked_http)
    assert set(sent) == set(commons_export.PAGES)
    users = json.loads(sent[commons_export.USERS]["text"])
    assert users["license"] == "CC0-1.0" and users["sources"] == "https://capx.toolforge.org"
    assert [f["name"] for f in users["schema"]["fields"]] == ["username", "skills_known", "skills_available", "badges"]
    assert all(f["type"] == "string" for f in users["schema"]["fields"])
    c0, c1, c2 = people["c0"], people["c1"], people["c2"]
    # Only the opted-in: never the locked account, nor someone who does not transclude the template.
    assert users["data"] == [
        ["Ana Exemplo", f"[{c0}, {c1}]", f"[{c2}]", f"[{commons_export.SUPPORTER_BADGE}]"],
        ["Carla Exemplo", "[]", "[]", f"[{commons_export.SUPPORTER_BADGE}]"],
    ]
    assert sent[commons_export.USERS]["summary"] == "Updating data" and sent[commons_export.USERS]["bot"] == "1"
    capacities = json.loads(sent[commons_export.CAPACITIES]["text"])
    assert [(f["name"], f["type"]) for f in capacities["schema"]["fields"]] == [
        ("id", "number"), ("name", "string"), ("description", "string")]
    assert any(row[0] == c0 and isinstance(row[1], str) for row in capacities["data"])
    badges = json.loads(sent[commons_export.BADGES]["text"])
    assert [f["name"] for f in badges["schema"]["fields"]] == ["id", "name", "description", "image", "kind"]
    assert set(hashes(app)) == set(commons_export.PAGES)
    assert "2 exported, 0 page(s) failed" in result.output


def test_unchanged_run_makes_no_edit(app: Any, people: dict, mocked_http: Any) -> None:
    answer_meta(mocked_http)
    answer_commons(mocked_http)
    assert run(app).exit_code == 0
    mocked_http.reset()
    answer_meta(mocked_http)  # only Meta-Wiki may be asked: no login, no edit
    result = run(app)
    assert result.exit_code == 0, result.output
    assert result.output.count(": unchanged") == 3
    assert not any(API in c.request.url for c in mocked_http.calls)


@pytest.mark.allow_network_errors
def test_meta_wiki_down_exports_nothing(app: Any, people: dict, mocked_http: Any) -> None:
    mocked_http.add("GET", META, body=requests.Timeout())
    result = run(app)
    assert result.exit_code == 1 and "nothing was exported" in result.output
    assert hashes(app) == {} and edits(mocked_http) == {}


@pytest.mark.allow_network_errors
def test_commons_login_refused_keeps_everything(app: Any, people: dict, mocked_http: Any) -> None:
    answer_meta(mocked_http)
    add_recorded(mocked_http, "commons-edit-tabular", "login-token")
    add_recorded(mocked_http, "commons-edit-tabular", "login-bot-password-failed", match_params=False)
    result = run(app)
    assert result.exit_code == 1 and "loginfailed" in result.output
    assert hashes(app) == {} and edits(mocked_http) == {}


def test_partial_failure_retries_only_the_failed_page(app: Any, people: dict, mocked_http: Any) -> None:
    answer_meta(mocked_http)
    answer_commons(mocked_http, fail=commons_export.USERS)
    result = run(app)
    assert result.exit_code == 1 and "jsonconfig-err-stringline" in result.output
    assert set(hashes(app)) == {commons_export.CAPACITIES, commons_export.BADGES}
    mocked_http.reset()
    answer_meta(mocked_http)
    answer_commons(mocked_http)
    assert run(app).exit_code == 0
    assert set(edits(mocked_http)) == {commons_export.USERS}


def test_long_cells_are_cut_cleanly_and_logged(app: Any, people: dict, mocked_http: Any) -> None:
    with app.app_context():
        ana = db.session.scalar(sa.select(Profile).join(User).where(User.username == "Ana Exemplo"))
        for cid in db.session.scalars(sa.select(Capacity.id).order_by(Capacity.id).offset(3).limit(150)):
            db.session.add(ProfileCapacity(profile_id=ana.id, capacity_id=cid, kind=AVAILABLE))
        db.session.commit()
    answer_meta(mocked_http)
    result = run(app, "--dry-run")
    assert result.exit_code == 0
    assert "Ana Exemplo: skills_available:" in result.output and "(400-character cell)" in result.output
    users = json.loads(result.output.split("== Data:CapacityExchange/users.tab ==\n")[1].split("\n== ")[0])
    cell = users["data"][0][2]
    assert len(cell) <= 400 and cell.startswith("[") and cell.endswith("]") and not cell.endswith(", ]")


def test_cells_follow_jsonconfig_rules() -> None:
    assert commons_export.cell("  two\tlines\nhere  ") == "two lines here"
    assert len(commons_export.cell("x" * 500)) == 400
    cuts: list[str] = []
    assert commons_export.list_cell(["a, b", "c"], "t", cuts) == "[a&#44; b, c]" and cuts == []


def test_dry_run_prints_the_three_pages_and_stores_nothing(app: Any, people: dict, mocked_http: Any) -> None:
    result = run(app, "--dry-run", "--everyone")
    assert result.exit_code == 0, result.output
    for title in commons_export.PAGES:
        assert f"== {title} ==" in result.output
    assert '"Ana Exemplo"' in result.output and '"Bruno Exemplo"' not in result.output  # locked
    assert hashes(app) == {} and not mocked_http.calls


def test_everyone_needs_dry_run(app: Any) -> None:
    assert run(app, "--everyone").exit_code == 2


def test_transclusions_follow_continuation(mocked_http: Any) -> None:
    for name in ("continued-first-batch", "continued-last-batch"):
        sample = recorded("meta-transcludedin", name)
        params = {**sample["request"]["params"], "tilimit": "max"}
        mocked_http.add("GET", META, json=sample["response"]["body"],
                        match=[responses.matchers.query_param_matcher(params)])
    client = MetaWikiClient("https://meta.wikimedia.org/w/index.php", META)
    assert client.transcluding_users("Template:CapacityExchange") == {
        "Ana Exemplo", "Bruno Exemplo", "Carla Exemplo", "Daniel Exemplo"}
