"""What hangs off a person, streamed in batches: profiles (with their capacities, territories,
affiliations, projects and kept fields), languages, saved items, Let's Connect logs, and the
social-auth rows that carried the central id.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, KeptProfileData, Profile, ProfileAffiliation, ProfileCapacity,
                         ProfileLanguage, ProfileProject, ProfileTerritory, SavedOrganization, SavedProfile)
from capx.models.people import profile_search_name
from capx.services.importer.accounts import write_name_grams
from capx.services.importer.context import ImportContext
from capx.services.importer.mapping import kept_display_name, labelled_values, proficiency, pronoun, wikidata_qid
from capx.services.importer.reader import Row
from capx.services.importer.records import insert_all, table_of, update_by_id
from capx.services.importer.report import IMPORTED, MERGED
from capx.services.importer.schema import parse_datetime

_profile = table_of(Profile)


# -- profiles ------------------------------------------------------------------------------------------

def write_profiles(ctx: ImportContext, batch: list[Row]) -> None:
    """``users.profile``: the profile's own fields, its lists, and the fields CapX keeps for its owner."""
    model = "users.profile"
    rows = batch
    updates: list[dict[str, Any]] = []
    capacities: list[dict[str, Any]] = []
    territories: list[dict[str, Any]] = []
    affiliations: list[dict[str, Any]] = []
    projects: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    for row in rows:
        f = row.fields
        username = f["user"][0]
        profile_id = ctx.profiles[username]
        values = _profile_values(ctx, row, username)
        lists = _profile_lists(ctx, row, profile_id)
        kept_values = _kept_values(ctx, row, username, profile_id)
        if username in ctx.merged_users:
            _merge_profile(ctx, row, profile_id, values, lists, kept_values)
            ctx.report.count(model, MERGED)
            continue
        updates.append({"id": profile_id, "user_id": ctx.users[username], "show_wikidata_photo": False, **values})
        capacities += lists["capacities"]
        territories += lists["territories"]
        affiliations += lists["affiliations"]
        projects += lists["projects"]
        if kept_values:
            kept.append(kept_values)
        ctx.report.count(model, IMPORTED)
    if updates:
        update_by_id(_profile, updates)
        # The accounts step wrote the grams of the user name; an alternative account adds some.
        write_name_grams([(u["id"], u["search_name"]) for u in updates if u["alt_account"]])
    for model_class, rows_of in ((ProfileCapacity, capacities), (ProfileTerritory, territories),
                                 (ProfileAffiliation, affiliations), (ProfileProject, projects),
                                 (KeptProfileData, kept)):
        insert_all(model_class, rows_of)


def _profile_values(ctx: ImportContext, row: Row, username: str) -> dict[str, Any]:
    f = row.fields
    alt = ctx.fit((f["wiki_alt"] or "").strip() or None, 255, row.model, row.pk, "wiki_alt")
    qid = wikidata_qid(f["wikidata_qid"])
    if (f["wikidata_qid"] or "").strip() and qid is None:
        ctx.report.note("mapped", row.model, row.pk, f"wikidata_qid {f['wikidata_qid']!r} is not an item id: left out")
    updated = parse_datetime(f["last_update"])
    return {
        "bio": f["about"] or None,
        "bio_language_id": ctx.languages.get(f["about_language"]) if f["about_language"] is not None else None,
        "avatar_id": ctx.avatars.get(f["avatar"]) if f["avatar"] is not None else None,
        "wikidata_qid": qid, "show_wikidata_item": qid is not None,
        "alt_account": alt,
        # The old flag said the profile was filled from Let's Connect, at its last save at the latest.
        "lets_connect_imported_at": updated if f["automated_lets_connect"] else None,
        "updated_at": updated,
        "search_name": profile_search_name(ctx.capx_names.get(username, username), alt),
    }


def _profile_lists(ctx: ImportContext, row: Row, profile_id: int) -> dict[str, list[dict[str, Any]]]:
    f = row.fields
    known = [ctx.capacities[s] for s in f["skills_known"]]
    available = [ctx.capacities[s] for s in f["skills_available"]]
    wanted = [ctx.capacities[s] for s in f["skills_wanted"]]
    missing = [c for c in dict.fromkeys(available) if c not in set(known)]
    if missing:
        # The old API kept "available ⇒ known"; stored data could break it. CapX's rule holds here.
        known += missing
        ctx.report.note("repaired", row.model, row.pk,
                        f"{len(missing)} available capacit{'y' if len(missing) == 1 else 'ies'} added as known")
    capacities = [{"profile_id": profile_id, "capacity_id": c, "kind": kind}
                  for kind, ids in ((KNOWN, known), (AVAILABLE, available), (WANTED, wanted))
                  for c in dict.fromkeys(ids)]
    territory_ids = list(dict.fromkeys(ctx.territories[t] for t in f["territory"] if t in ctx.territories))
    return {
        "capacities": capacities,
        "territories": [{"profile_id": profile_id, "territory_id": t, "position": i} for i, t in enumerate(territory_ids)],
        "affiliations": [{"profile_id": profile_id, "organization_id": ctx.organizations[o], "position": i}
                         for i, o in enumerate(dict.fromkeys(f["affiliation"]))],
        "projects": [{"profile_id": profile_id, "project_id": p, "position": i}
                     for i, p in enumerate(dict.fromkeys(ctx.projects[p] for p in f["wikimedia_project"]))],
    }


def _kept_values(ctx: ImportContext, row: Row, username: str, profile_id: int) -> dict[str, Any] | None:
    f = row.fields
    values = {
        "display_name": ctx.fit(kept_display_name(f["display_name"], username), 255, row.model, row.pk, "display_name"),
        "pronoun": pronoun(f["pronoun"]),
        "team": ctx.fit((f["team"] or "").strip() or None, 255, row.model, row.pk, "team"),
        "contact": labelled_values(f["contact"]) or None,
        "social": labelled_values(f["social"]) or None,
        "territories": [ctx.unplaced_territories[t] for t in f["territory"] if t in ctx.unplaced_territories] or None,
        "lets_connect": None,
    }
    if not any(values.values()):
        return None
    return {"profile_id": profile_id, "updated_at": ctx.now, **values}


def _merge_profile(ctx: ImportContext, row: Row, profile_id: int, values: dict[str, Any],
                   lists: dict[str, list[dict[str, Any]]], kept_values: dict[str, Any] | None) -> None:
    """A profile CapX already has: its values win, old values fill empty fields and lists; every
    capacity the person had is kept (nobody loses a capacity)."""
    profile = db.session.get(Profile, profile_id)
    assert profile is not None  # nosec B101 # made by the accounts step
    for key in ("bio", "bio_language_id", "avatar_id", "wikidata_qid", "alt_account", "lets_connect_imported_at"):
        current, old = getattr(profile, key), values[key]
        if current in (None, "") and old not in (None, ""):
            setattr(profile, key, old)
            if key == "wikidata_qid":
                profile.show_wikidata_item = True
        elif old not in (None, "") and current != old:
            ctx.report.note("conflict", row.model, row.pk, f"{key}: CapX's value kept")
    have = {(c.capacity_id, c.kind) for c in profile.capacities}
    for value in lists["capacities"]:
        if (value["capacity_id"], value["kind"]) not in have:
            profile.capacities.append(ProfileCapacity(capacity_id=value["capacity_id"], kind=value["kind"]))
    for relation, model_class, key in (("territories", ProfileTerritory, "territory_id"),
                                       ("affiliations", ProfileAffiliation, "organization_id"),
                                       ("projects", ProfileProject, "project_id")):
        current = getattr(profile, relation)
        if not current:
            for value in lists[relation]:
                current.append(model_class(**{k: v for k, v in value.items() if k != "profile_id"}))
        elif {getattr(x, key) for x in current} != {v[key] for v in lists[relation]} and lists[relation]:
            ctx.report.note("conflict", row.model, row.pk, f"{relation}: CapX's list kept")
    if kept_values and db.session.get(KeptProfileData, profile_id) is None:
        db.session.add(KeptProfileData(**kept_values))
    db.session.flush()


# -- languages -----------------------------------------------------------------------------------------

def write_languages(ctx: ImportContext, batch: list[Row]) -> None:
    """``users.languageproficiency``: a language on a profile, in file order, with its level."""
    model = "users.languageproficiency"
    rows = batch
    profile_ids = {ctx.profiles[ctx.index.profile_users[r.fields["profile"]]] for r in rows}
    existing: dict[int, set[int]] = defaultdict(set)
    positions: dict[int, int] = defaultdict(lambda: -1)
    if profile_ids:
        for pid, lid, position in db.session.execute(
                sa.select(ProfileLanguage.profile_id, ProfileLanguage.language_id, ProfileLanguage.position)
                .where(ProfileLanguage.profile_id.in_(list(profile_ids)))):
            existing[pid].add(lid)
            positions[pid] = max(positions[pid], position)
    values: list[dict[str, Any]] = []
    for row in rows:
        pid = ctx.profiles[ctx.index.profile_users[row.fields["profile"]]]
        lid = ctx.languages[row.fields["language"]]
        if lid in existing[pid]:
            ctx.report.count(model, MERGED)
            continue
        existing[pid].add(lid)
        positions[pid] += 1
        values.append({"profile_id": pid, "language_id": lid, "proficiency": proficiency(row.fields["proficiency"]),
                       "position": positions[pid]})
        ctx.report.count(model, IMPORTED)
    insert_all(ProfileLanguage, values)


# -- saved items ---------------------------------------------------------------------------------------

def write_saved_items(ctx: ImportContext, batch: list[Row]) -> None:
    """``users.saveditem``: saved people and organizations. CapX has one saved list: "learner" and
    "sharer" (the Explore tab it was saved from) both land in it, and the second of a pair merges."""
    model = "users.saveditem"
    rows = batch
    people: set[tuple[int, int]] = set()
    orgs: set[tuple[int, int]] = set()
    owners = {ctx.users[r.fields["user"][0]] for r in rows}
    if owners:
        people = set(db.session.execute(sa.select(SavedProfile.owner_id, SavedProfile.saved_user_id)
                                        .where(SavedProfile.owner_id.in_(list(owners)))).all())
        orgs = set(db.session.execute(sa.select(SavedOrganization.owner_id, SavedOrganization.organization_id)
                                      .where(SavedOrganization.owner_id.in_(list(owners)))).all())
    new_people: list[dict[str, Any]] = []
    new_orgs: list[dict[str, Any]] = []
    for row in rows:
        f = row.fields
        owner = ctx.users[f["user"][0]]
        if f["entity"] == "user":
            key, seen, out = (owner, ctx.users[f["related_user"][0]]), people, new_people
            value = {"owner_id": key[0], "saved_user_id": key[1]}
        else:
            key, seen, out = (owner, ctx.organizations[f["related_org"]]), orgs, new_orgs
            value = {"owner_id": key[0], "organization_id": key[1]}
        if key in seen:
            ctx.report.count(model, MERGED)
            continue
        seen.add(key)
        out.append({**value, "created_at": parse_datetime(f["created_at"])})
        ctx.report.count(model, IMPORTED)
    insert_all(SavedProfile, new_people)
    insert_all(SavedOrganization, new_orgs)


# -- Let's Connect logs --------------------------------------------------------------------------------

def write_lets_connect_logs(ctx: ImportContext, batch: list[Row]) -> None:
    """``users.letsconnectlog``: the person registered for Let's Connect then (their earliest log is
    the registration date); the confirmation codes are kept for them."""
    model = "users.letsconnectlog"
    rows = batch
    by_profile: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_profile[ctx.profiles[row.fields["user"][0]]].append(row)
    for profile_id, logs in by_profile.items():
        profile = db.session.get(Profile, profile_id)
        assert profile is not None  # nosec B101 # made by the accounts step
        first = min(parse_datetime(r.fields["timestamp"]) for r in logs)
        if profile.lets_connect_registered_at is None or first < profile.lets_connect_registered_at:
            profile.lets_connect_registered_at = first
        kept = db.session.get(KeptProfileData, profile_id)
        if kept is None:
            kept = KeptProfileData(profile_id=profile_id, updated_at=ctx.now)
            db.session.add(kept)
        entries = list(kept.lets_connect or [])
        for row in logs:
            entries.append({"confirmation": row.fields["confirmation"], "at": row.fields["timestamp"]})
            ctx.report.count(model, IMPORTED)
        kept.lets_connect = entries
    db.session.flush()


# -- social auth ---------------------------------------------------------------------------------------

def write_social_auth(ctx: ImportContext, batch: list[Row]) -> None:
    """``social_django.usersocialauth``: its ``uid`` became the account's central id (merged into
    the user); the OAuth tokens in ``extra_data`` are never carried over."""
    model = "social_django.usersocialauth"
    rows = batch
    for row in rows:
        if row.fields["provider"] != "mediawiki":
            ctx.report.skip(model, row.pk, "no-equivalent")  # CapX logs in through Meta-Wiki only
            continue
        ctx.report.skip_field(model, row.pk, "extra_data", "credential")
        ctx.report.count(model, MERGED)

