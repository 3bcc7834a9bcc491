"""Small in-process rate limits for routes that make remote calls on a visitor's behalf.

Each worker process counts on its own (the app keeps no shared state in processes), so with
``W`` workers in each of ``R`` webservice replicas a key gets at most ``R x W x limit`` calls per
window: bounded, which is the point. The counters forget a key once its window has passed, and at
most ``max_keys`` keys are kept (the oldest go first), so the memory they use is bounded too.

Per-visitor limits count under :func:`client_key`: the visitor's address when the app can know
it, else their session.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

from capx.support import caches


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
