"""Accounts: one CapX user (and its profile row) per old account, matched by central id.

The social-auth ``uid`` is the account's Meta-Wiki central id, stable across renames. An account
without one is looked up on Meta-Wiki by name (``globaluserinfo``); when that fails it is imported
locked with no central id, so it is never matched at login (login matches central ids only) and
its name goes to whoever logs in with it. A person already in CapX keeps CapX's values; the
differences are noted. Locked (inactive) and staff accounts keep that state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from capx.clients.meta_wiki import MetaWikiClient, MetaWikiError
from capx.extensions import db
from capx.models import Profile, User
from capx.models.people import ProfileNameGram, name_grams, profile_search_name
from capx.services.importer.context import ImportContext
from capx.services.importer.records import all_recorded, record, recorded, insert_all, table_of
from capx.services.importer.report import IMPORTED, MERGED, PREVIOUSLY
from capx.services.importer.scan import Account

MODEL = "users.customuser"


def central_id(value: str | None) -> int | None:
    """The export's ``uid`` as a central id (None when it is not a positive number)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def resolve_central_ids(ctx: ImportContext, client: MetaWikiClient | None) -> None:
    """Ask Meta-Wiki for the central id of every account the export has none for (before writing)."""
    done = all_recorded(MODEL)
    for username, account in sorted(ctx.index.accounts.items(), key=lambda item: item[1].pk):
        if account.pk in done or central_id(ctx.index.central_ids.get(username, (0, ""))[1]) is not None:
            continue
        found = None
        error = ""
        if client is not None:
            try:
                found = client.global_account_by_name(username)
            except MetaWikiError as exc:
                error = f" (Meta-Wiki: {exc.code})"
        if found is not None and found.username == username:
            ctx.resolved_central_ids[username] = (found.central_id, found.registered_at)
            ctx.report.note("account", MODEL, account.pk,
                            f"{username}: central id {found.central_id} found on Meta-Wiki")
        else:
            ctx.resolved_central_ids[username] = (None, None)
            ctx.report.note("account", MODEL, account.pk,
                            f"{username}: no central id{error}; imported locked, never matched at login")


def _field_skips(ctx: ImportContext, account: Account) -> None:
    ctx.report.skip_field(MODEL, account.pk, "password", "credential")
    if account.has_email:
        ctx.report.skip_field(MODEL, account.pk, "email", "personal-data")
    if account.extra_groups:
        ctx.report.skip_field(MODEL, account.pk, "groups", "no-equivalent", "groups or permissions")


def write_accounts(ctx: ImportContext) -> Iterator[str]:
    """Every account, in batches (yielding after each, for the caller to commit): users and their
    empty profile rows."""
    accounts = sorted(ctx.index.accounts.values(), key=lambda a: a.pk)
    size = ctx.options.batch_size
    for start in range(0, len(accounts), size):
        _write_batch(ctx, accounts[start:start + size])
        yield "accounts"


def _write_batch(ctx: ImportContext, batch: list[Account]) -> None:
    done = all_recorded_for(batch)
    ctx.report.count(MODEL, PREVIOUSLY, len(done))
    for account in batch:
        if account.pk in done:
            new_id, merged = done[account.pk]
            ctx.users[account.username] = int(new_id or 0)
            if merged:
                ctx.merged_users.add(account.username)
    centrals: dict[str, int | None] = {}
    registered: dict[str, dt.datetime | None] = {}
    for account in batch:
        uid = central_id(ctx.index.central_ids.get(account.username, (0, ""))[1])
        if uid is None:
            uid, registered[account.username] = ctx.resolved_central_ids.get(account.username, (None, None))
        centrals[account.username] = uid
    wanted = [c for a, c in centrals.items() if c is not None and ctx.users.get(a) is None]
    existing = {u.central_id: u for u in db.session.scalars(sa.select(User).where(User.central_id.in_(wanted)))} \
        if wanted else {}
    names = [a.username for a in batch]
    taken = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(names)))}
    users: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    records: list[tuple[int, int | None, bool]] = []
    for account in batch:
        if account.pk in done:
            continue
        _field_skips(ctx, account)
        uid = centrals[account.username]
        current = existing.get(uid) if uid is not None else None
        if current is not None:
            _merge(ctx, account, current)
            records.append((account.pk, current.id, True))
            continue
        username = account.username
        holder = taken.get(username)
        if holder is not None:
            # CapX knows this name for another account (a rename on Meta-Wiki since the export):
            # CapX's holder keeps it; the daily accounts sync gives this one its current name.
            username = f"{username} (imported {account.pk})"
            ctx.capx_names[account.username] = username
            ctx.report.note("conflict", MODEL, account.pk,
                            f"username {account.username!r} belongs to another CapX account; imported as {username!r}")
        user_id, profile_id = ctx.new_id("user"), ctx.new_id("profile")
        users.append({"id": user_id, "central_id": uid, "username": username, "registered_at": registered.get(account.username),
                      "is_staff": account.staff, "is_locked": not account.active or uid is None,
                      "session_generation": 0, "created_at": account.joined, "last_login_at": account.last_login})
        profiles.append({"id": profile_id, "user_id": user_id, "show_wikidata_photo": False,
                         "show_wikidata_item": False, "updated_at": account.joined,
                         "search_name": profile_search_name(username, None)})
        ctx.users[account.username], ctx.profiles[account.username] = user_id, profile_id
        records.append((account.pk, user_id, False))
        ctx.report.count(MODEL, IMPORTED)
        if existing.get(uid or 0) is None and uid is not None:
            existing[uid] = User(id=user_id, central_id=uid, username=username)  # a repeated uid merges
    if users:
        insert_all(User, users)
        insert_all(Profile, profiles)
        write_name_grams([(p["id"], p["search_name"]) for p in profiles], new=True)
    _profile_ids(ctx, [a.username for a in batch if a.username not in ctx.profiles])
    record(MODEL, records)


def all_recorded_for(batch: list[Account]) -> dict[int, tuple[int | None, bool]]:
    return recorded(MODEL, [a.pk for a in batch])


def write_name_grams(profiles: list[tuple[int, str]], new: bool = False) -> None:
    """Explore's name search rows (``ProfileNameGram``) of profiles and their search names, cut in
    Python (the same grams as ``fill_name_grams`` cuts in SQL, at a fraction of the cost for a batch
    of new profiles); the grams of profiles that are not ``new`` are replaced."""
    table = table_of(ProfileNameGram)
    if not new and profiles:
        db.session.execute(table.delete().where(table.c.profile_id.in_([pid for pid, _name in profiles])))
    rows = [{"gram": gram, "profile_id": pid} for pid, name in profiles for gram in sorted(name_grams(name))]
    if rows:
        db.session.execute(sa.insert(table), rows)


def _merge(ctx: ImportContext, account: Account, user: User) -> None:
    """A person CapX already has: CapX's values win, differences are noted."""
    ctx.users[account.username] = user.id
    ctx.merged_users.add(account.username)
    ctx.report.count(MODEL, MERGED)
    if user.username != account.username:
        ctx.report.note("conflict", MODEL, account.pk, f"username: CapX {user.username!r} kept, old {account.username!r}")
    if account.staff and not user.is_staff:
        ctx.report.note("conflict", MODEL, account.pk, "staff on the old platform, not in CapX: CapX's kept")
    if not account.active and not user.is_locked:
        ctx.report.note("conflict", MODEL, account.pk, "locked on the old platform, not in CapX: CapX's kept "
                        "(the daily accounts sync applies Meta-Wiki's lock)")


def _profile_ids(ctx: ImportContext, usernames: list[str]) -> None:
    """Profile ids of accounts written earlier or merged (one query); a merged user without a
    profile row gets one."""
    ids = {ctx.users[name]: name for name in usernames if name in ctx.users}
    if not ids:
        return
    found = dict(db.session.execute(sa.select(Profile.user_id, Profile.id).where(Profile.user_id.in_(list(ids)))).all())
    for user_id, name in ids.items():
        profile_id = found.get(user_id)
        if profile_id is None:
            profile = Profile(user_id=user_id)
            db.session.add(profile)
            db.session.flush()
            profile_id = profile.id
        ctx.profiles[name] = profile_id
