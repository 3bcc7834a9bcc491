"""Accounts: logging in (OAuth or development login), sessions, tokens, and the accounts sync."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Iterator

import sqlalchemy as sa

from capx.clients.meta_wiki import GlobalAccount, Identity, MetaWikiClient, MetaWikiError
from capx.extensions import db
from capx.models import OAuthToken, Profile, User, utcnow
from capx.support.secrets import decrypt_json, encrypt_json
from capx.support.usernames import normalize_username

log = logging.getLogger(__name__)

#: Demo profiles (``flask capx seed-demo``) have central ids at or below this; development logins
#: get negative ids above it, real accounts positive ones, so the three never collide.
DEMO_CENTRAL_BASE = -1_000_000_000


class LoginRefused(Exception):
    """The account may not log in (locked or blocked); ``reason`` is "locked" or "blocked"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _free_username(username: str, central_id: int) -> None:
    """Another stored account holds this name (it was renamed away): give it a placeholder.

    The daily sync will put that account's new name back; meanwhile the unique key holds. An
    imported account Meta-Wiki could not identify (no central id) is never taken for the person
    logging in with its name: it too gives the name up.
    """
    other = db.session.scalar(sa.select(User).where(
        User.username == username, sa.or_(User.central_id != central_id, User.central_id.is_(None))))
    if other is not None:
        other.username = f"{username} (renamed {other.central_id or f'account {other.id}'})"
        db.session.flush()


def login_from_identity(identity: Identity, access_token: tuple[str, str] | None) -> User:
    """Create or update the user with this central id and store its access token encrypted.

    Refuses (LoginRefused) a blocked or locked account; a blocked one is locked first (flushed),
    so the caller commits in both cases: the lock must be kept although the login is refused.
    """
    user = db.session.scalar(sa.select(User).where(User.central_id == identity.central_id))
    if identity.blocked:
        if user is not None:
            user.is_locked = True
            db.session.flush()
        raise LoginRefused("blocked")
    if user is not None and user.is_locked:
        raise LoginRefused("locked")
    if user is None:
        _free_username(identity.username, identity.central_id)
        user = User(central_id=identity.central_id, username=identity.username)
        db.session.add(user)
    elif user.username != identity.username:
        _free_username(identity.username, identity.central_id)
        user.username = identity.username
    if identity.registered_at:
        user.registered_at = identity.registered_at
    user.last_login_at = utcnow()
    db.session.flush()
    ensure_profile(user)
    if access_token is not None:
        store_token(user, "meta", access_token)
    return user


def dev_login(username: str) -> User:
    """Log in as ``username`` without OAuth (development only; the caller checks the setting).

    Development accounts get negative central ids, so they never collide with real ones.
    """
    username = normalize_username(username)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        # Stay above the demo profiles' range, which seed-demo fills later.
        lowest = db.session.scalar(sa.select(sa.func.min(User.central_id))
                                   .where(User.central_id > DEMO_CENTRAL_BASE)) or 0
        user = User(central_id=min(lowest, 0) - 1, username=username, registered_at=utcnow())
        db.session.add(user)
        db.session.flush()
    if user.is_locked:
        raise LoginRefused("locked")
    user.last_login_at = utcnow()
    ensure_profile(user)
    return user


def ensure_profile(user: User) -> Profile:
    """Every user has exactly one profile row."""
    if user.profile is None:
        user.profile = Profile(user_id=user.id)
        db.session.flush()
    return user.profile


def store_token(user: User, provider: str, token: tuple[str, str]) -> None:
    """Store an OAuth access token (key, secret) encrypted; one per user and provider."""
    blob = encrypt_json({"key": token[0], "secret": token[1]})
    row = db.session.get(OAuthToken, (user.id, provider))
    if row is None:
        db.session.add(OAuthToken(user_id=user.id, provider=provider, token_encrypted=blob))
    else:
        row.token_encrypted = blob


def load_token(user_id: int, provider: str) -> tuple[str, str] | None:
    """The user's access token for ``provider``, or None (never stored, or key rotated)."""
    row = db.session.get(OAuthToken, (user_id, provider))
    if row is None:
        return None
    data = decrypt_json(row.token_encrypted)
    if not data:
        return None
    return data["key"], data["secret"]


def end_sessions(user: User) -> None:
    """Void every session of this user, on every device (logout, account deletion)."""
    user.session_generation = (user.session_generation or 0) + 1


@dataclass
class SyncSummary:
    """What a run of the accounts sync did."""

    checked: int = 0
    renamed: int = 0
    locked: int = 0
    unlocked: int = 0
    failed: int = 0


def sync_accounts(client: MetaWikiClient, summary: SyncSummary, echo: Callable[[str], None] = log.info,
                  batch_size: int = 200) -> Iterator[int]:
    """Ask Meta-Wiki about every stored account: apply renames and locks. Idempotent.

    Development accounts (negative central ids) are skipped. A failure for one account is
    counted in ``summary`` and leaves that account as it was; the next run tries again. Yields
    after each batch (how many accounts it checked), flushed, for the caller to commit: the job
    keeps what it did so far when a later batch fails.
    """
    last_id = 0
    while True:
        users = db.session.scalars(
            sa.select(User).where(User.id > last_id, User.central_id > 0).order_by(User.id).limit(batch_size)
        ).all()
        if not users:
            break
        for user in users:
            last_id = user.id
            if user.central_id is None:  # never: the query asks for positive ids
                continue
            summary.checked += 1
            try:
                account = client.global_account(user.central_id)
            except MetaWikiError as exc:
                summary.failed += 1
                echo(f"  {user.username}: failed ({exc.code})")
                continue
            _apply_account(user, account, summary, echo)
        db.session.flush()
        yield len(users)
        echo(f"checked {summary.checked} accounts")


def _apply_account(user: User, account: GlobalAccount, summary: SyncSummary,
                   echo: Callable[[str], None]) -> None:
    if account.missing:
        # A hidden (suppressed) account looks missing to us: treat it as locked.
        if not user.is_locked:
            user.is_locked = True
            summary.locked += 1
            echo(f"  {user.username}: hidden or missing, now locked")
        return
    if account.username and account.username != user.username:
        echo(f"  {user.username}: renamed to {account.username}")
        _free_username(account.username, account.central_id)
        user.username = account.username
        summary.renamed += 1
    if account.locked and not user.is_locked:
        user.is_locked = True
        end_sessions(user)
        summary.locked += 1
        echo(f"  {user.username}: locked")
    elif not account.locked and user.is_locked:
        user.is_locked = False
        summary.unlocked += 1
        echo(f"  {user.username}: unlocked")
    if account.registered_at and user.registered_at is None:
        user.registered_at = account.registered_at
    user.accounts_synced_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
