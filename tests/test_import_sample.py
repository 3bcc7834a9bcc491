"""The sample export of the previous platform imports completely (SQLite, and MariaDB in CI): every
row accounted for against the dump README's table, old ids kept, idempotent, resumable, and the
site shows the result (Explore, organizations at their old ids, a partner decrypting applications)."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Badge, Capacity, Event, EventCourseImage, KeptProfileData, MentorshipApplication,
                         MentorshipProgram, Organization, OrganizationManager, OrganizationName, Profile,
                         ProfileAffiliation, ProfileCapacity, ProfileLanguage, ProfileProject, ProfileTerritory, User,
                         UserBadge)
from capx.services import mentorship_crypto
from capx.services.importer import runner
from tests.conftest import html_text
from tests.explore_helpers import card_names
from tests.import_helpers import KEYS, SAMPLE, fresh_database, import_file, readme_counts, sample_rows, table_counts

pytestmark = pytest.mark.mutates_reference

#: What becomes of every model's rows: (imported, merged, skipped). The reasons are in docs/import.md.
EXPECTED = {
    # credentials and derived data are never imported; attachments' files are not in the export
    "bugs.attachment": (0, 0, 5), "users.authextrainfo": (0, 0, 2), "users.datahash": (0, 0, 3),
    "translate.metabaseoauthrequest": (0, 0, 4), "translate.metabaseoauthtoken": (0, 0, 3),
    # people: every account, its profile; the social-auth row gave the central id (merged into the user)
    "users.customuser": (60, 0, 0), "users.profile": (60, 0, 0), "social_django.usersocialauth": (0, 60, 0),
    "users.languageproficiency": (122, 0, 0), "users.saveditem": (47, 0, 0), "users.letsconnectlog": (7, 0, 0),
    # reference rows merge into CapX's lists; 3 languages CapX lacked are added; 20 territories in no region
    "users.territory": (0, 274, 20), "users.language": (3, 41, 0), "users.wikimediaproject": (0, 15, 0),
    "users.avatar": (0, 21, 0), "orgs.organizationtype": (0, 4, 0),
    # the 134 skills are CapX's shipped capacities (through --skill-map); hashtags become thematic categories
    "skills.skill": (0, 134, 0), "skills.hashtag": (3, 0, 0),
    # the 40 affiliates are CapX's shipped organizations; their English names merge, the others are added
    "orgs.organization": (0, 40, 0), "orgs.organizationname": (35, 40, 0), "orgs.management": (47, 0, 0),
    "orgs.document": (22, 0, 0), "orgs.tagdiff": (12, 0, 0),
    # three old internal badges are CapX's own (same rule and threshold)
    "users.badge": (12, 3, 0), "users.userbadge": (594, 0, 0),
    "events.events": (20, 0, 0), "bugs.bug": (25, 0, 0), "message.message": (30, 0, 0),
    # 4 project invitations were never accepted
    "projects.project": (10, 0, 0), "projects.projectmember": (15, 0, 4), "projects.projectmemberacceptance": (0, 19, 0),
    # partners are their organizations; settings and keys live on in the programs
    "portal.partner": (0, 2, 0), "portal.partnermembership": (6, 0, 0),
    "portal.partnermentorshipsettings": (0, 2, 0), "portal.partnermentorshippublickey": (0, 3, 0),
    "portal.partnermentorshipformmentor": (3, 0, 0), "portal.partnermentorshipformmentee": (3, 0, 0),
    "portal.partnermentorshipformmentorresponse": (9, 0, 0), "portal.partnermentorshipformmenteeresponse": (12, 0, 0),
}


@pytest.fixture()
def fresh(app: Any) -> None:
    fresh_database(app)


@pytest.fixture()
def imported(app: Any, fresh: None, tmp_path: Any) -> dict[str, Any]:
    """The sample imported as the README says; returns the JSON report."""
    result = import_file(app, SAMPLE, "--report", str(tmp_path / "report.json"))
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))


def by_model(rows: list[dict[str, Any]], model: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["model"] == model]


# -- every row accounted for ------------------------------------------------------------------------------

def test_every_model_of_the_readme_is_accounted_for(imported: dict[str, Any]) -> None:
    counts = readme_counts()
    assert sum(counts.values()) == 1856 and set(counts) == set(EXPECTED)
    assert imported["unexplained"] == {}
    for model, rows in counts.items():
        got = imported["models"][model]
        assert got["read"] == rows, model
        assert (got["imported"], got["merged"], got["skipped"]) == EXPECTED[model], model
        assert got["imported"] + got["merged"] + got["skipped"] == rows, model
    assert imported["totals"]["read"] == 1856 and imported["finished"] is True


def test_skips_have_only_the_documented_reasons(imported: dict[str, Any]) -> None:
    reasons = Counter((s["model"], s["field"], s["reason"]) for s in imported["skips"])
    assert set(r for (_m, _f, r) in reasons) <= set(imported["skip_reasons"])
    assert reasons[("users.customuser", "password", "credential")] == 60
    assert reasons[("social_django.usersocialauth", "extra_data", "credential")] == 60
    assert reasons[("users.customuser", "email", "personal-data")] == 32
    # secrets and e-mail addresses never reach the report
    text = json.dumps(imported)
    for row in sample_rows():
        if row["model"] == "users.customuser" and row["fields"]["email"]:
            assert row["fields"]["email"] not in text
        if row["model"] == "social_django.usersocialauth":
            assert row["fields"]["extra_data"]["access_token"]["oauth_token"] not in text


# -- what the rows became ----------------------------------------------------------------------------------

def test_people_profiles_and_their_lists(app: Any, imported: dict[str, Any]) -> None:
    rows = sample_rows()
    inactive = {r["fields"]["username"] for r in by_model(rows, "users.customuser") if not r["fields"]["is_active"]}
    staff = {r["fields"]["username"] for r in by_model(rows, "users.customuser") if r["fields"]["is_staff"]}
    uids = {r["fields"]["user"][0]: int(r["fields"]["uid"]) for r in by_model(rows, "social_django.usersocialauth")}
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        assert len(users) == 60
        assert {name for name, u in users.items() if u.is_locked} == inactive and len(inactive) == 3
        assert {name for name, u in users.items() if u.is_staff} == staff
        assert all(users[name].central_id == uid for name, uid in uids.items())
        kinds = Counter(db.session.scalars(sa.select(ProfileCapacity.kind)))
        repaired = sum(1 for n in imported["notes"] if n["kind"] == "repaired")
        # 272 known + those repaired (available ⇒ known), 143 available, 153 wanted (README)
        assert kinds[AVAILABLE] == 143 and kinds[WANTED] == 153 and kinds[KNOWN] == 272 + 2 * repaired
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileLanguage)) == 122
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileAffiliation)) == 69
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileProject)) == 120
        # 58 territory links, less those to territories in no Wikimedia region (kept as names)
        kept_names = sum(len(k.territories or []) for k in db.session.scalars(sa.select(KeptProfileData)))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileTerritory)) + kept_names == 58
        mariana = db.session.scalar(sa.select(Profile).where(Profile.user_id == users["Mariana T. (WMAR)"].id))
        kept = db.session.get(KeptProfileData, mariana.id)
        assert kept.pronoun == "other" and kept.display_name is None  # display name = username
        assert {"display_name": "IRC", "value": "libera.chat #wikimedia-ng"} in kept.contact
        assert kept.social == [{"display_name": "Mastodon", "value": "https://wikis.world/@ee303b"}]
        assert mariana.bio.startswith("Wikipedian since 2021")


def test_ids_are_kept_and_new_rows_never_collide(app: Any, imported: dict[str, Any]) -> None:
    rows = sample_rows()
    with app.app_context():
        for row in by_model(rows, "orgs.organization"):
            assert db.session.get(Organization, row["pk"]).acronym == row["fields"]["acronym"]
        for row in by_model(rows, "events.events"):
            event = db.session.get(Event, row["pk"])
            assert event.title == row["fields"]["name"] and event.organization_id == row["fields"]["organization"]
        codes = {e["id"]: e["code"] for e in json.loads((SAMPLE.parent / "skill-qids.json").read_text())}
        for row in by_model(rows, "skills.skill"):
            assert db.session.get(Capacity, row["pk"]).code == codes[row["pk"]]
        for row in by_model(rows, "users.badge"):
            assert db.session.get(Badge, row["pk"]).kind == row["fields"]["type"]
        # CapX's own badges the old platform lacks moved above the old ids
        assert db.session.scalar(sa.select(Badge.id).where(Badge.code == "capacity-sharer")) > 15
        assert db.session.scalar(sa.select(Badge.id).where(Badge.code == "organization-manager")) == 6
        # the next rows get ids above every old one (AUTO_INCREMENT on MariaDB, max+1 on SQLite)
        org = Organization(acronym="NEW")
        db.session.add(org)
        db.session.flush()
        capacity = Capacity(code="brand-new")
        badge = Badge(kind="external", source="wikilearn", name="New")
        db.session.add_all([capacity, badge])
        db.session.flush()
        event = Event(organization_id=org.id, title="New", url="https://example.org", start_at=event_time(),
                      end_at=event_time(), format="online")
        db.session.add(event)
        db.session.commit()
        top = db.session.scalar(sa.select(sa.func.max(Organization.id)).where(Organization.id != org.id))
        assert org.id > top >= 40 and capacity.id > 134 and badge.id > 18 and event.id > 20


def event_time() -> Any:
    from capx.models import utcnow

    return utcnow()


def test_organizations_partners_and_programs(app: Any, imported: dict[str, Any]) -> None:
    rows = sample_rows()
    managers = Counter(r["fields"]["organization"] for r in by_model(rows, "orgs.management"))
    with app.app_context():
        got = Counter(db.session.scalars(sa.select(OrganizationManager.organization_id)))
        assert got == managers
        assert db.session.scalar(sa.select(OrganizationName.name).where(
            OrganizationName.organization_id == 13, OrganizationName.lang == "en")) == "Wikimedians of Lagos User Group"
        assert {o.id for o in db.session.scalars(sa.select(Organization).where(Organization.is_partner))} == {13, 21}
        programs = list(db.session.scalars(sa.select(MentorshipProgram).order_by(MentorshipProgram.id)))
        assert [(p.organization_id, len([q for q in p.questions if q.role == "mentor"]),
                 len([q for q in p.questions if q.role == "mentee"])) for p in programs] == \
            [(13, 7, 5), (13, 7, 6), (21, 7, 5)]
        applications = list(db.session.scalars(sa.select(MentorshipApplication)))
        assert len(applications) == 21
        responses = {r["fields"]["data"] for r in rows if r["model"].endswith("response")}
        assert {a.legacy_envelope for a in applications} == responses  # verbatim
        assert {a.legacy_key_fingerprint for a in applications} == {
            r["fields"]["encrypted_with_public_key_fingerprint"] for r in rows if r["model"].endswith("response")}


# -- a second run, a dry run, an interrupted run ------------------------------------------------------------

def test_a_second_run_changes_nothing(app: Any, imported: dict[str, Any], tmp_path: Any) -> None:
    before = table_counts(app)
    result = import_file(app, SAMPLE, "--report", str(tmp_path / "again.json"))
    assert result.exit_code == 0, result.output
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert table_counts(app) == before
    assert again["totals"]["imported"] == again["totals"]["merged"] == 0
    assert again["totals"]["previously"] + again["totals"]["skipped"] == 1856


def test_a_dry_run_changes_nothing(app: Any, fresh: None) -> None:
    before = table_counts(app)
    result = import_file(app, SAMPLE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was changed" in result.output and "every row read is accounted for" in result.output
    assert table_counts(app) == before


def test_an_interrupted_import_resumes_where_it_stopped(app: Any, fresh: None, monkeypatch: Any) -> None:
    import_file(app, SAMPLE, "--batch-size", "100")
    complete = table_counts(app)
    fresh_database(app)
    original = runner.STREAMED["users.userbadge"]
    calls = {"n": 0}

    def fails_in_the_third_batch(ctx: Any, batch: list[Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            original(ctx, batch[:50])  # half of the batch is written ...
            raise RuntimeError("the database went away")  # ... then the connection drops
        original(ctx, batch)

    monkeypatch.setitem(runner.STREAMED, "users.userbadge", fails_in_the_third_batch)
    result = import_file(app, SAMPLE, "--batch-size", "100")
    assert result.exit_code == 3 and "run the same command again" in result.output
    assert table_counts(app)["user_badge"] == 200  # two committed batches; the half batch was undone
    monkeypatch.setitem(runner.STREAMED, "users.userbadge", original)
    result = import_file(app, SAMPLE, "--batch-size", "100")
    assert result.exit_code == 0, result.output
    assert re.search(r"users\.userbadge\s+594\s+394\s+0\s+0\s+200", result.output)
    assert table_counts(app) == complete


# -- the running site --------------------------------------------------------------------------------------

def log_in_as(app: Any, client: Any, login: Any, username: str) -> Any:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.expunge(user)
    login(client, user)
    return user


def test_explore_shows_the_people_with_complete_profiles(app: Any, imported: dict[str, Any], client: Any,
                                                         login: Any, monkeypatch: Any) -> None:
    log_in_as(app, client, login, "Mariana T. (WMAR)")
    monkeypatch.setitem(app.config, "CAPX_EXPLORE_PER_PAGE", 100)  # everyone on one page
    names = card_names(html_text(client.get("/feed")))
    rows = sample_rows()
    active = {r["fields"]["username"] for r in by_model(rows, "users.customuser") if r["fields"]["is_active"]}
    with_capacities = {r["fields"]["user"][0] for r in by_model(rows, "users.profile")
                       if r["fields"]["skills_known"] or r["fields"]["skills_available"] or r["fields"]["skills_wanted"]}
    assert set(names) == active & with_capacities and len(names) == len(set(names))
    page = html_text(client.get("/profile/Ingrid_K._(WMB)"))
    profile = next(r["fields"] for r in by_model(rows, "users.profile") if r["fields"]["user"] == ["Ingrid K. (WMB)"])
    assert client.get("/profile/Ingrid_K._(WMB)").status_code == 200
    assert (profile["about"] or "")[:30].replace("'", "&#39;") in page


def test_organizations_at_their_old_ids_with_managers_and_events(app: Any, imported: dict[str, Any], client: Any,
                                                                 login: Any) -> None:
    log_in_as(app, client, login, "Tiago Dubois")  # manages organization 6, which has events 1 and 4
    page = html_text(client.get("/organization_profile/6"))
    assert "Wikimedia Belgium" in page and "/organization_profile/6/events" in page  # a manager's links
    for row in by_model(sample_rows(), "events.events"):  # every event at its old id, under its organization
        page = html_text(client.get(f"/events/{row['pk']}"))
        assert row["fields"]["name"].replace("'", "&#39;") in page
        assert f"/organization_profile/{row['fields']['organization']}" in page
    featured = html_text(client.get("/organization_profile/1"))  # Wikimedia Armenia features event 11
    event_11 = next(r for r in by_model(sample_rows(), "events.events") if r["pk"] == 11)
    assert event_11["fields"]["name"] in featured
    assert client.get("/events/18").status_code == 200  # an event without an end


@pytest.mark.parametrize(("member", "organization_id", "applications"), [
    ("GraceAbubakar55", 13, 14),  # a member of the Lagos partner (not one of its managers): two programs
    ("Pedro Petrova", 21, 7),  # a member of the Italian partner
])
def test_a_partner_downloads_and_decrypts_the_migrated_applications(app: Any, imported: dict[str, Any], client: Any,
                                                                    login: Any, tmp_path: Any, member: str,
                                                                    organization_id: int, applications: int) -> None:
    """Partner members download their programs' applications; every one of them decrypts with the
    partner's existing private key (the old key id names it), also through mentorship-decrypt."""
    log_in_as(app, client, login, member)
    with app.app_context():
        programs = dict(db.session.execute(sa.select(MentorshipProgram.id, MentorshipProgram.organization_id)).all())
    decrypted = 0
    for program_id in sorted(p for p, org in programs.items() if org == organization_id):
        response = client.get(f"/mentorship/manage/{program_id}/applications.json")
        assert response.status_code == 200
        download = json.loads(response.get_data(as_text=True))
        key_ids = {record["old_key_id"] for record in download["applications"]}
        assert len(key_ids) == 1  # one key per program
        key_file = KEYS / f"mentorship-private-key-{key_ids.pop()}.pem"
        text, errors = mentorship_crypto.applications_csv(mentorship_crypto.load_private_key(key_file.read_bytes()),
                                                          download)
        assert errors == []
        assert "mentor: Full name" in text and "mentee: What do you want to learn?" in text
        decrypted += len(download["applications"])
        path = tmp_path / f"download-{program_id}.json"
        path.write_bytes(response.get_data())
        result = app.test_cli_runner().invoke(args=["capx", "mentorship-decrypt", "--key", str(key_file), str(path)])
        assert result.exit_code == 0, result.output
        assert len(result.output.strip().splitlines()) > len(download["applications"])  # header + rows
    assert decrypted == applications
    others = [p for p, org in programs.items() if org != organization_id]
    assert client.get(f"/mentorship/manage/{others[0]}/applications.json").status_code == 403  # another partner's


def test_all_21_sample_applications_decrypt_with_the_sample_keys(app: Any, imported: dict[str, Any]) -> None:
    from capx.services.mentorship import export_applications

    total = 0
    with app.app_context():
        for program in db.session.scalars(sa.select(MentorshipProgram)):
            download = json.loads(json.dumps(export_applications(program)))
            key_id = {r["old_key_id"] for r in download["applications"]}.pop()
            private_key = mentorship_crypto.load_private_key((KEYS / f"mentorship-private-key-{key_id}.pem").read_bytes())
            for record in download["applications"]:
                payload = mentorship_crypto.decrypt_record(private_key, record, download["program"]["questions"])
                answers = {a["label"]: a["value"] for a in payload["answers"]}
                assert answers["Full name"] and "@" in answers["Email"]
                total += 1
    assert total == 21


def test_the_owner_sees_kept_fields_and_exports_them(app: Any, imported: dict[str, Any], client: Any,
                                                     login: Any) -> None:
    log_in_as(app, client, login, "Mariana T. (WMAR)")
    page = html_text(client.get("/profile/edit"))
    assert "Kept from the previous Capacity Exchange" in page and "libera.chat #wikimedia-ng" in page
    data = json.loads(client.get("/profile/export").get_data(as_text=True))
    assert data["kept_from_previous_platform"]["social"] == [{"display_name": "Mastodon",
                                                                "value": "https://wikis.world/@ee303b"}]
    # nobody else sees them
    log_in_as(app, client, login, "Tiago Dubois")
    assert "libera.chat #wikimedia-ng" not in html_text(client.get("/profile/Mariana_T._(WMAR)"))


def test_badges_keep_working_after_the_import(app: Any, imported: dict[str, Any], client: Any, login: Any) -> None:
    with app.app_context():
        earned = db.session.scalar(sa.select(sa.func.count()).select_from(UserBadge).where(UserBadge.progress >= 100))
    assert earned >= 244  # the sample's earned rows, and what the badges job added
    user = log_in_as(app, client, login, "Tran Siosaia")
    page = html_text(client.get("/profile/badges"))
    assert "Wikidata Basics" in page and "api.badgr.io/public/assertions/" in page  # an external WikiLearn badge
    with app.app_context():
        assert db.session.get(UserBadge, (user.id, 10)).assertion_url.startswith("https://api.badgr.io/")


def test_events_show_their_place_and_wikidata_item(app: Any, imported: dict[str, Any], client: Any,
                                                   login: Any) -> None:
    log_in_as(app, client, login, "Tiago Dubois")
    page = html_text(client.get("/events/20"))  # in person, with an OpenStreetMap node and a Wikidata item
    assert 'href="https://www.openstreetmap.org/node/8451675738"' in page
    assert 'href="https://www.wikidata.org/wiki/Q937032684"' in page
    page = html_text(client.get("/events/5"))  # no link of its own: no empty "open" button
    assert "Go to the event&#39;s page" not in page and 'href=""' not in page


def test_course_events_keep_their_course_picture_as_a_pending_copy(app: Any, imported: dict[str, Any]) -> None:
    """An event of a WikiLearn course whose image is the course's picture on WikiLearn gets a
    pending copy (the refresh-courses job copies it); other images outside Commons stay reported."""
    rows = {r["pk"]: r["fields"] for r in by_model(sample_rows(), "events.events")}
    assert rows[1]["url"].startswith("https://learn.wiki/courses/") and rows[1]["image_url"].startswith("https://learn.wiki/")
    with app.app_context():
        pictures = {p.event_id: p for p in db.session.scalars(sa.select(EventCourseImage))}
    assert pictures[1].source_url == rows[1]["image_url"] and not pictures[1].copied and pictures[1].data is None
    skipped = {s["old_id"] for s in imported["skips"] if s["model"] == "events.events" and s["field"] == "image_url"}
    assert 1 not in skipped
    assert set(pictures) | skipped == {pk for pk, f in rows.items() if f["image_url"] and "commons" not in f["image_url"]}


def test_rows_out_of_key_order_are_recorded_one_by_one(app: Any, fresh: None, tmp_path: Any) -> None:
    """dumpdata writes each model in key order, so a batch is recorded as a range of keys; a file in
    another order falls back to a record per row, and a second run still changes nothing."""
    rows = sample_rows()
    messages = [r for r in rows if r["model"] == "message.message"]
    start = rows.index(messages[0])
    rows[start:start + len(messages)] = list(reversed(messages))
    path = tmp_path / "reordered.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    assert import_file(app, path, "--batch-size", "7").exit_code == 0
    with app.app_context():
        from capx.models import ImportedRow

        models = Counter(db.session.scalars(sa.select(ImportedRow.model)))
    assert models["message.message"] == 30 and models["message.message#range"] == 0  # one by one
    assert models["users.userbadge#range"] == 594 // 7 + 1  # in key order: a range per batch
    before = table_counts(app)
    result = import_file(app, path, "--batch-size", "7")
    assert result.exit_code == 0 and table_counts(app) == before


def test_organization_projects_show_their_description(app: Any, imported: dict[str, Any], client: Any,
                                                      login: Any) -> None:
    log_in_as(app, client, login, "Tiago Dubois")
    page = html_text(client.get("/organization_profile/11"))  # Art+Feminism accepted "Open Heritage A+F 2024"
    assert "Open Heritage A+F 2024" in page and "A year-long programme with schools and libraries." in page
