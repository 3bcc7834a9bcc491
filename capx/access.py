"""Who is asking: the logged-in user of this request, and decorators that guard routes."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import mwoauth
from flask import abort, g, redirect, request, session, url_for

from capx.extensions import db
from capx.models import User
from capx.support.secrets import decrypt_json, encrypt_json

F = TypeVar("F", bound=Callable[..., Any])

SESSION_USER = "user_id"
SESSION_GENERATION = "generation"


def load_user() -> User | None:
    """The user of the session, or None.

    A session is void when its generation is older than the user's (they logged out elsewhere or
    deleted their account) or when the account is locked.
    """
    user_id = session.get(SESSION_USER)
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.is_locked or session.get(SESSION_GENERATION) != user.session_generation:
        session.clear()
        return None
    return user


def current_user() -> User | None:
    """The logged-in user (loaded once per request)."""
    return getattr(g, "user", None)


def start_session(user: User) -> None:
    """Remember ``user`` in the (signed, HttpOnly) session cookie: only the id and generation."""
    session.clear()
    session.permanent = True
    session[SESSION_USER] = user.id
    session[SESSION_GENERATION] = user.session_generation


def keep_oauth_request(key: str, purpose: str, token: mwoauth.RequestToken, next_url: str) -> None:
    """Keep leg 1's request token for leg 3 (with where to go after) in the session cookie under
    ``key``, encrypted: the cookie is signed, not secret."""
    session[key] = encrypt_json({"key": token.key, "secret": token.secret, "next": next_url}, purpose=purpose).decode()


def take_oauth_request(key: str, purpose: str) -> tuple[mwoauth.RequestToken, str | None] | None:
    """Leg 1's request token and where to go after, taken out of the session (usable once); None
    when there is none or it does not decrypt (an old or altered cookie)."""
    stored = session.pop(key, None)
    pending = decrypt_json(stored.encode(), purpose=purpose) if stored else None
    if not pending:
        return None
    return mwoauth.RequestToken(pending["key"], pending["secret"]), pending.get("next")


def safe_next(target: str | None, default: str = "/home") -> str:
    """A same-site relative path to go to after login/logout, else ``default``.

    Only paths like ``/feed?x=1`` are honoured: no scheme, no host, no ``//`` or ``/\\`` (which
    browsers treat as another host), no control characters.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return default
    return target


def login_required(view: F) -> F:
    """Send anonymous visitors to the login page, then back here."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def staff_required(view: F) -> F:
    """Only staff (403 for other logged-in users)."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or not user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
