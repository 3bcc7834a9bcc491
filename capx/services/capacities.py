"""The capacity tree in the interface language: names, paths, descendants and search.

The whole directory is small (about 140 capacities), so a page loads it once with two queries
(capacities, then their texts in the language chain) and answers everything else from memory:
names for any number of cards, descendants for filters, search. Pages therefore do a fixed
number of capacity queries whatever they show. The caller names the language chain (the request's
interface language and its fallbacks, or ``["en"]`` in a job): nothing here reads the request.
The tree is kept per unit of work (:mod:`capx.support.scope`), and across requests per process,
keyed by language chain: a cached tree is used while the database's
"capacities" stamp (:mod:`capx.support.stamps`) is the one it was built under; any ORM write to
``capacity`` or ``capacity_text`` replaces the stamp in the same transaction, so every process
sees a change at its next request. Cached trees are shared: callers must not change them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Hashable, Iterable, Sequence, TypeVar

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Capacity, CapacityText
from capx.support import scope, stamps
from capx.support.caches import StampedCache

T = TypeVar("T")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a text, for search ("Comunicação" → "comunicacao")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass
class CapacityNode:
    """A capacity with its name and description resolved for one language chain."""

    id: int
    code: str
    parent_id: int | None
    position: int
    color: str | None
    icon: str | None
    metabase_qid: str | None
    wikidata_qid: str | None
    missing_upstream: bool
    name: str = ""
    name_lang: str = "en"          # the language the name is actually in
    description: str | None = None
    description_lang: str | None = None
    description_source: str | None = None
    children: list["CapacityNode"] = field(default_factory=list)


class CapacityTree:
    """The capacity directory for one language chain (see the module docstring)."""

    def __init__(self, nodes: dict[int, CapacityNode], lang_chain: list[str]) -> None:
        self.nodes = nodes
        self.lang_chain = lang_chain
        self._derived: dict[Hashable, Any] = {}
        self.roots = sorted((n for n in nodes.values() if n.parent_id is None), key=lambda n: n.position)
        for node in nodes.values():
            if node.parent_id is not None and node.parent_id in nodes:
                nodes[node.parent_id].children.append(node)
        for node in nodes.values():
            node.children.sort(key=lambda n: n.position)

    @property
    def lang(self) -> str:
        return self.lang_chain[0]

    def get(self, capacity_id: int) -> CapacityNode | None:
        return self.nodes.get(capacity_id)

    def pick(self, capacity_ids: Iterable[int]) -> list[CapacityNode]:
        """The capacities with these ids, in this order (unknown ids are skipped)."""
        return [node for node in map(self.nodes.get, capacity_ids) if node is not None]

    def name(self, capacity_id: int) -> str:
        node = self.nodes.get(capacity_id)
        return node.name if node else ""

    def path(self, capacity_id: int) -> list[CapacityNode]:
        """Root first, the capacity last (root › parent › capacity)."""
        path = []
        node = self.nodes.get(capacity_id)
        while node is not None:
            path.append(node)
            node = self.nodes.get(node.parent_id) if node.parent_id is not None else None
        return list(reversed(path))

    def root_of(self, capacity_id: int) -> CapacityNode | None:
        path = self.path(capacity_id)
        return path[0] if path else None

    def descendants(self, capacity_ids: Iterable[int], include_self: bool = True) -> set[int]:
        """Every capacity under the given ones (for "Communication finds Press release")."""
        result: set[int] = set()
        stack = [self.nodes[i] for i in capacity_ids if i in self.nodes]
        while stack:
            node = stack.pop()
            if node.id not in result:
                result.add(node.id)
                stack.extend(node.children)
        if not include_self:
            result -= set(capacity_ids)
        return result

    def ordered(self) -> list[CapacityNode]:
        """All capacities depth-first in directory order."""
        out: list[CapacityNode] = []

        def walk(nodes: list[CapacityNode]) -> None:
            for node in nodes:
                out.append(node)
                walk(node.children)

        walk(self.roots)
        return out

    @cached_property
    def order(self) -> dict[int, int]:
        """Each capacity's position in directory order (:meth:`ordered`), for sorting chips."""
        return {node.id: i for i, node in enumerate(self.ordered())}

    def search(self, query: str, limit: int | None = None) -> list[CapacityNode]:
        """Capacities whose name or description contains the query, ignoring case and accents.

        Names and descriptions are searched in the interface language and, as fallback, English
        (both are loaded). Name matches come first, then description matches, each in
        directory order.
        """
        needle = fold(query.strip())
        if not needle:
            return []
        by_name, by_description = [], []
        for node in self.ordered():
            haystacks = self._search_texts.get(node.id, ([], []))
            if any(needle in text for text in haystacks[0]):
                by_name.append(node)
            elif any(needle in text for text in haystacks[1]):
                by_description.append(node)
        hits = by_name + by_description
        return hits[:limit] if limit else hits

    def derived(self, what: Hashable, build: Callable[[], T]) -> T:
        """``build()`` once per tree (e.g. the capacity picker's choices): a tree is rebuilt when
        capacities change, so whatever is derived from it is too. Shared: do not change it."""
        if what not in self._derived:
            # Two threads may build the same value at once; both results are equal.
            self._derived[what] = build()
        return self._derived[what]

    _search_texts: dict[int, tuple[list[str], list[str]]]


def load_tree(lang_chain: Sequence[str]) -> CapacityTree:
    """Load the capacity tree for a language chain (two queries)."""
    chain = list(lang_chain)
    nodes = {
        row.id: CapacityNode(row.id, row.code, row.parent_id, row.position, row.color, row.icon,
                             row.metabase_qid, row.wikidata_qid, row.missing_upstream)
        for row in db.session.execute(sa.select(
            Capacity.id, Capacity.code, Capacity.parent_id, Capacity.position, Capacity.color, Capacity.icon,
            Capacity.metabase_qid, Capacity.wikidata_qid, Capacity.missing_upstream))
    }
    texts = db.session.execute(
        sa.select(CapacityText.capacity_id, CapacityText.lang, CapacityText.name, CapacityText.description,
                  CapacityText.description_source)
        .where(CapacityText.lang.in_(chain))
    ).all()
    rank = {code: i for i, code in enumerate(chain)}
    best_name: dict[int, tuple[int, str, str]] = {}
    best_desc: dict[int, tuple[int, str, str, str | None]] = {}
    search_texts: dict[int, tuple[list[str], list[str]]] = {}
    for cap_id, lang, name, description, description_source in texts:
        r = rank[lang]
        names, descriptions = search_texts.setdefault(cap_id, ([], []))
        if name:
            names.append(fold(name))
            if cap_id not in best_name or r < best_name[cap_id][0]:
                best_name[cap_id] = (r, name, lang)
        if description:
            descriptions.append(fold(description))
            if cap_id not in best_desc or r < best_desc[cap_id][0]:
                best_desc[cap_id] = (r, description, lang, description_source)
    for cap_id, node in nodes.items():
        if cap_id in best_name:
            _, node.name, node.name_lang = best_name[cap_id]
        else:
            node.name = node.code.replace("-", " ").capitalize()
        if cap_id in best_desc:
            _, node.description, node.description_lang, node.description_source = best_desc[cap_id]
    tree = CapacityTree(nodes, chain)
    tree._search_texts = search_texts
    return tree


# -- the per-process cache and its stamp ----------------------------------------------------------

#: The name of the stamp that changes with the capacity tables (see capx.support.stamps).
TREE_STAMP = stamps.CAPACITIES
#: Trees kept per process, one per engine and language chain.
_trees: StampedCache[tuple[str, tuple[str, ...]], CapacityTree] = StampedCache(max_keys=64)
_SCOPE_KEY = "capacity-tree"


def tree_stamp() -> str | None:
    """The current stamp of the capacity tables, or None if unset."""
    return stamps.stamp(TREE_STAMP)


def cached_tree(lang_chain: Sequence[str]) -> CapacityTree:
    """The tree for a language chain from the process cache when still valid, else loaded (and
    kept). Without a stamp in the database nothing is cached."""
    chain = tuple(lang_chain)
    return _trees.get((str(db.engine.url), chain), tree_stamp(), lambda: load_tree(chain))


def forget_cached_trees() -> None:
    """Empty this process's cache (the stamp makes this unnecessary; for tests and tools)."""
    _trees.reset()


def bump_tree_stamp(connection: sa.Connection) -> None:
    """Give the capacity tables a new random stamp, in the caller's transaction."""
    stamps.bump(connection, TREE_STAMP)


def capacity_tree(chain: Sequence[str]) -> CapacityTree:
    """The tree for a language chain (the interface language and its fallbacks, ending in English):
    once per unit of work, from the process cache while the capacity stamp is unchanged."""
    key = tuple(chain)
    return scope.remember((_SCOPE_KEY, key), lambda: cached_tree(key))


def forget_tree() -> None:
    """Drop this unit of work's trees (after a write that changes names or the hierarchy)."""
    scope.forget(lambda key: isinstance(key, tuple) and key[:1] == (_SCOPE_KEY,))
