"""What the steps of one import share: the scan's index, the report, and the old → CapX id maps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from capx.models import utcnow
from capx.services.importer.ids import IdAllocator
from capx.services.importer.report import ImportReport
from capx.services.importer.scan import ExportIndex


@dataclass
class ImportOptions:
    """How to run: ``skill_map`` maps old skill ids to CapX capacity codes (``--skill-map``);
    ``wikilearn_url`` is the WikiLearn whose course pictures events may use (``CAPX_WIKILEARN_URL``)."""

    dry_run: bool = False
    skill_map: dict[int, dict[str, Any]] = field(default_factory=dict)
    batch_size: int = 1000
    wikilearn_url: str = "https://learn.wiki"


@dataclass
class ImportContext:
    """State of one run. Maps go from old ids (or usernames) to CapX ids."""

    index: ExportIndex
    report: ImportReport
    options: ImportOptions
    echo: Callable[[str], None] = lambda _line: None
    now: dt.datetime = field(default_factory=utcnow)
    territories: dict[int, int] = field(default_factory=dict)
    #: old territories CapX cannot place (no region): their names, kept on profiles
    unplaced_territories: dict[int, str] = field(default_factory=dict)
    languages: dict[int, int] = field(default_factory=dict)
    projects: dict[int, int] = field(default_factory=dict)
    avatars: dict[int, int] = field(default_factory=dict)
    org_types: dict[int, int] = field(default_factory=dict)
    capacities: dict[int, int] = field(default_factory=dict)
    organizations: dict[int, int] = field(default_factory=dict)
    badges: dict[int, int] = field(default_factory=dict)
    #: username -> CapX user id / profile id
    users: dict[str, int] = field(default_factory=dict)
    profiles: dict[str, int] = field(default_factory=dict)
    #: old username -> the name the CapX account got, when CapX already had that name for another
    capx_names: dict[str, str] = field(default_factory=dict)
    #: usernames of people who were already in CapX (their values win)
    merged_users: set[str] = field(default_factory=set)
    merged_organizations: set[int] = field(default_factory=set)
    #: central ids found on Meta-Wiki for accounts the export has none for (None: not found)
    resolved_central_ids: dict[str, tuple[int | None, dt.datetime | None]] = field(default_factory=dict)
    #: old event id -> its featured position on its organization
    featured_events: dict[int, int] = field(default_factory=dict)
    #: (role, old form id, old key id) -> CapX program id; key id -> (CapX fingerprint, old fingerprint)
    programs: dict[tuple[str, int, int | None], int] = field(default_factory=dict)
    key_fingerprints: dict[int, tuple[str, str]] = field(default_factory=dict)
    allocators: dict[str, IdAllocator] = field(default_factory=dict)
    badge_kinds: dict[int, str] = field(default_factory=dict)
    #: key ranges of streamed models committed by earlier runs (read once per model)
    done_ranges: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    #: old ids whose CapX row was matched (and now carries the old id)
    capacity_matches: set[int] = field(default_factory=set)
    organization_matches: set[int] = field(default_factory=set)
    badge_matches: set[int] = field(default_factory=set)

    def new_id(self, table: str) -> int:
        """An id for a new row of ``table``."""
        allocator = self.allocators.get(table)
        if allocator is None:
            allocator = self.allocators[table] = IdAllocator(table)
        return allocator.next()

    def forget_allocated_ids(self) -> None:
        """After a rollback the ids handed out were not used: ask the database again."""
        for allocator in self.allocators.values():
            allocator.reset()

    def fit(self, value: str | None, length: int, model: str, old_id: int, field_name: str) -> str | None:
        """``value`` cut to a column's length; a cut is noted with the whole value."""
        if value is None or len(value) <= length:
            return value
        self.report.note("mapped", model, old_id, f"{field_name} cut to {length} characters; it was: {value}")
        return value[:length]
