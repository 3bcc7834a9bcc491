"""The unit of work's scope: values computed once per request (or per CLI command) and then reused.

Some answers must not outlive one unit of work but are asked for many times inside it: the cache
stamps read from the database, the organization list a page labels its pickers from, the
reference snapshot. The web layer opens a scope for each request and closes it afterwards
(:func:`capx.web.init_app`); a CLI command or a test may open one with ``with opened():``. Outside
any scope nothing is kept: every call builds afresh, which is always correct, only slower.

The scope lives in a context variable, so threads and requests never share one, and services ask
for it without knowing whether a request, a job or a test is running (they never read ``flask.g``).
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar, Token
from typing import Any, Callable, Hashable, Iterator, TypeVar

T = TypeVar("T")

_current: ContextVar[dict[Hashable, Any] | None] = ContextVar("capx_scope", default=None)


def open_scope() -> Token[dict[Hashable, Any] | None]:
    """Start a new, empty scope; give the token back to :func:`close_scope`."""
    return _current.set({})


def close_scope(token: Token[dict[Hashable, Any] | None]) -> None:
    """End the scope :func:`open_scope` started (its values are dropped)."""
    _current.reset(token)


@contextlib.contextmanager
def opened() -> Iterator[None]:
    """A scope for the ``with`` block (CLI commands, tests)."""
    token = open_scope()
    try:
        yield
    finally:
        close_scope(token)


def remember(key: Hashable, build: Callable[[], T]) -> T:
    """The value kept under ``key`` in this scope, else ``build()`` (kept until the scope ends).
    Outside a scope, ``build()``."""
    values = _current.get()
    if values is None:
        return build()
    if key not in values:
        values[key] = build()
    return values[key]


def has(key: Hashable) -> bool:
    """True when this scope already holds ``key`` (so asking for it costs nothing)."""
    values = _current.get()
    return values is not None and key in values


def forget(predicate: Callable[[Hashable], bool]) -> None:
    """Drop the values whose key matches (after a write that changes what they were built from)."""
    values = _current.get()
    if values:
        for key in [k for k in values if predicate(k)]:
            del values[key]
