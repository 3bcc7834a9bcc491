"""Rate limits for routes that make remote calls on a visitor's behalf, and a small timed cache.

:class:`SharedLimit` counts in the database (table ``rate_counter``): every worker process of
every webservice replica adds to one count, so a key gets ``limit`` calls per window, not
``replicas x workers x limit`` as with counters kept in each process. Windows are fixed
(``window`` seconds from the epoch); old windows are pruned as new ones start.

:class:`SlidingWindow` and :class:`TimedCache` stay in the process: use them only where a
per-process bound is what is wanted (a cache, or a limit that protects the process itself), never
for a limit that promises a number to the visitor or to a remote service.

Per-visitor limits count under :func:`client_key`: the visitor's address when the app can know
it, else their session.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite

from capx.extensions import db
from capx.models import RateCounter
from capx.support import caches

def wall_clock() -> float:
    """The time shared limits count windows by (the test suite holds it still)."""
    return time.time()


#: The longest key stored as is; longer keys are stored as their hash (same count, fixed length).
MAX_KEY_LENGTH = 100


def client_key(remote_addr: str | None, session_token: str | None, addresses_known: bool) -> str:
    """The key a per-visitor limit counts under.

    When ``remote_addr`` identifies the visitor (no proxy, or trusted proxies that forward the
    address: ``CAPX_PROXY_FORWARDED_FOR``), the address. Behind a proxy that does not pass
    visitors' addresses on (Toolforge's front proxy), every visitor arrives from the proxy's
    address, so one busy visitor would lock everyone out: the limit then counts per browser
    session, keyed by a hash of the session's random CSRF token. A client that drops its cookie
    starts a new count; the per-process ceilings still bound what it can cause, and Toolforge's
    front proxy limits requests per real address before they reach the app.
    """
    if addresses_known or not session_token:
        return f"addr:{remote_addr or 'unknown'}"
    return "session:" + hashlib.sha256(session_token.encode()).hexdigest()[:32]


class SharedLimit:
    """At most ``limit`` hits per window of ``window`` seconds for each key, counted in the database.

    Each hit is one atomic upsert-and-increment in its own short transaction (not the request's:
    a refused or failed request still counts, and no row lock is held while the page is made), so
    two hits at the same moment in two replicas are both counted. A hit over the limit is refused
    (and counted: hammering does not help). Windows are fixed, so a key may get up to twice the
    limit across a window boundary: bounded, which is the point.
    """

    def __init__(self, name: str, limit: int, window: int, clock: Callable[[], float] | None = None) -> None:
        self.name, self.limit, self.window, self._clock = name, limit, int(window), clock

    def clock(self) -> float:
        """Seconds since the epoch (``wall_clock`` unless this limit was given its own clock)."""
        return (self._clock or wall_clock)()

    def _key(self, key: Hashable) -> str:
        raw = f"{self.name}:{key}"
        if len(raw) <= MAX_KEY_LENGTH:
            return raw
        return f"{self.name}:sha256:" + hashlib.sha256(raw.encode()).hexdigest()

    def _window(self, now: float) -> int:
        return int(now // self.window) * self.window

    def hit(self, key: Hashable) -> bool:
        """Count one hit for ``key``; False when the key is over its limit in this window."""
        now = self.clock()
        start = self._window(now)
        stored = self._key(key)
        table = cast(sa.Table, RateCounter.__table__)  # a mapped class's table is a Table
        with db.engine.begin() as conn:
            values = {"key": stored, "window_start": start, "hits": 1, "expires_at": start + self.window}
            if conn.dialect.name in ("mysql", "mariadb"):
                upsert: sa.Executable = (mysql.insert(table).values(**values)
                                         .on_duplicate_key_update(hits=table.c.hits + 1))
            else:
                upsert = (sqlite.insert(table).values(**values)
                          .on_conflict_do_update(index_elements=[table.c.key, table.c.window_start],
                                                 set_={"hits": table.c.hits + 1}))
            conn.execute(upsert)
            hits = int(conn.scalar(sa.select(table.c.hits).where(table.c.key == stored,
                                                                  table.c.window_start == start)) or 0)
            if hits == 1:
                # A new window of this key: forget the windows that have passed (all keys).
                conn.execute(sa.delete(table).where(table.c.expires_at < int(now)))
        return hits <= self.limit

    def retry_after(self, key: Hashable) -> int:
        """Seconds until ``key`` may try again (at least 1): the end of the current window."""
        now = self.clock()
        return max(1, int(self._window(now) + self.window - now) + 1)


class SlidingWindow:
    """At most ``limit`` hits per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._hits: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._lock = threading.Lock()
        caches.register(self)

    def hit(self, key: Hashable) -> bool:
        """Count one hit for ``key``; False (and not counted) when the key is over its limit."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque()
                while len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def retry_after(self, key: Hashable) -> int:
        """Seconds until ``key`` may try again (at least 1)."""
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 1
            return max(1, int(hits[0] + self.window - self.clock()) + 1)

    def reset(self) -> None:
        """Forget every count (tests)."""
        with self._lock:
            self._hits.clear()


class TimedCache:
    """Answers kept for ``ttl`` seconds per key (at most ``max_keys``, the oldest go first)."""

    def __init__(self, ttl: float, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_keys, self.clock = ttl, max_keys, clock
        self._items: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        caches.register(self)

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] <= self.clock():
                self._items.pop(key, None)
                return None
            return item[1]

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._items[key] = (self.clock() + self.ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_keys:
                self._items.popitem(last=False)

    def reset(self) -> None:
        with self._lock:
            self._items.clear()
