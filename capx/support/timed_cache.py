"""Values a process may keep for a while because being minutes old does no harm.

Counts that a scheduled job refreshes every ten minutes anyway (popular capacities, how many link
rows each filter value has) are read once per process per period instead of once per request.
Entries are per database (the engine's URL), so tests and tools with several databases never mix
them up. Never use this for anything a user could see change after their own write.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

from capx.extensions import db
from capx.support import caches

T = TypeVar("T")


class TimedCache(Generic[T]):
    """One value per database, rebuilt when older than ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, T]] = {}
        caches.register(self)

    def get(self, build: Callable[[], T]) -> T:
        """The cached value, or ``build()`` (kept, unless it is None: nothing to cache yet)."""
        key = str(db.engine.url)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        value = build()
        if value is not None:
            with self._lock:
                self._entries[key] = (time.monotonic() + self.ttl, value)
        return value

    def reset(self) -> None:
        """Forget every value (tests that build their own data)."""
        with self._lock:
            self._entries.clear()
