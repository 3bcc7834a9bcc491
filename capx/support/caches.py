"""One registry of the caches a process keeps, so that anything kept can be forgotten in one call.

Every process-level cache (the capacity trees, the reference snapshot, the timed counts, the rate
limits' windows, ...) registers itself here when it is made. Tests forget everything between two
tests with :func:`reset_all` (one call, no list to keep by hand), and so can a tool that swaps the
database under a running process. A cache only has to offer ``reset()``.

:class:`StampedCache` is the cache of data that the database can rebuild and marks with a version
stamp (:mod:`capx.support.stamps`): an entry is used while the stamp it was built under is still
the current one.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, Hashable, Protocol, TypeVar
from weakref import WeakSet

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Resettable(Protocol):
    """What the registry needs of a cache."""

    def reset(self) -> None: ...


_REGISTRY: WeakSet[Resettable] = WeakSet()
_FUNCTIONS: dict[str, Callable[[], None]] = {}


def register(cache: Resettable) -> None:
    """Put a cache object in the registry (held weakly: a cache that is gone is simply left out)."""
    _REGISTRY.add(cache)


def register_reset(name: str, reset: Callable[[], None]) -> None:
    """Register a function that forgets a cache which is not an object of its own (an ``lru_cache``,
    a module's dict). Registering the same name again replaces it."""
    _FUNCTIONS[name] = reset


def reset_all() -> None:
    """Forget everything every registered cache of this process holds."""
    for cache in list(_REGISTRY):
        cache.reset()
    for reset in list(_FUNCTIONS.values()):
        reset()


def registered_count() -> int:
    """How many caches are registered (tests check that the usual ones are)."""
    return len(_REGISTRY) + len(_FUNCTIONS)


class StampedCache(Generic[K, V]):
    """Values kept per key while the stamp they were built under is current (at most ``max_keys``;
    beyond that the cache starts over, which bounds its memory whatever the keys).

    Shared between threads and requests: callers must not change what they get."""

    def __init__(self, max_keys: int = 64) -> None:
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[str, V]] = {}
        register(self)

    def get(self, key: K, stamp: str | None, build: Callable[[], V]) -> V:
        """The value kept for ``key`` under ``stamp``, else ``build()`` (kept). Without a stamp
        (a database that never set one) nothing is kept: ``build()`` every time."""
        if stamp is None:
            return build()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build()
        with self._lock:
            if len(self._entries) >= self.max_keys:
                self._entries.clear()
            self._entries[key] = (stamp, value)
        return value

    def peek(self, key: K, stamp: str | None) -> V | None:
        """The value kept for ``key`` under ``stamp``, or None (for a value that is computed
        together with something else; :meth:`put` keeps it)."""
        if stamp is None:
            return None
        with self._lock:
            hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] == stamp else None

    def put(self, key: K, stamp: str | None, value: V) -> None:
        """Keep ``value`` for ``key`` under ``stamp`` (nothing without a stamp)."""
        if stamp is None:
            return
        with self._lock:
            if len(self._entries) >= self.max_keys:
                self._entries.clear()
            self._entries[key] = (stamp, value)

    def reset(self) -> None:
        """Forget every value."""
        with self._lock:
            self._entries.clear()
