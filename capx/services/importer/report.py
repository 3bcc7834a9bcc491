"""What an import did with every row it read: imported, merged, skipped (with a reason), or already
imported by an earlier run; and the notes an operator should read (conflicts, repairs, additions).

A row read but not accounted for is *unexplained*: the command then exits with a non-zero status.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

#: The only reasons a row or a field may be left out, each justified in docs/import.md.
REASONS: dict[str, str] = {
    "credential": "a password, token or OAuth secret: never carried over (CapX logs in through Meta-Wiki)",
    "derived": "computed from other data; CapX computes its own",
    "file-absent": "an uploaded file: dumpdata exports only its path, not the file",
    "personal-data": "an e-mail address: CapX never stores one (Meta-Wiki sends the mail)",
    "third-party-image": "an image outside Wikimedia Commons, which CapX pages cannot show",
    "not-accepted": "a project invitation the organization never accepted",
    "no-region": "a territory in no Wikimedia region that matches none of CapX's countries",
    "no-equivalent": "a value CapX has no place for; kept in the JSON report",
}

IMPORTED, MERGED, SKIPPED, PREVIOUSLY = "imported", "merged", "skipped", "previously"
#: Notes kept in full per kind and model; more are counted (a 20,000-account export can have
#: thousands of the same note).
NOTES_KEPT = 1000
OUTCOMES = (IMPORTED, MERGED, SKIPPED, PREVIOUSLY)


@dataclass
class ModelCount:
    """Rows of one model: read, and what became of them."""

    read: int = 0
    imported: int = 0
    merged: int = 0
    skipped: int = 0
    previously: int = 0

    @property
    def explained(self) -> int:
        return self.imported + self.merged + self.skipped + self.previously


@dataclass(frozen=True)
class Skip:
    """A row (``field`` None) or one field of an imported row left out, and why."""

    model: str
    old_id: int
    reason: str
    field: str | None = None
    value: Any = None


@dataclass(frozen=True)
class Note:
    """Something an operator should know: ``kind`` is one of NOTE_KINDS."""

    kind: str
    model: str
    old_id: int | None
    detail: str


NOTE_KINDS = {
    "conflict": "a person or organization already in CapX had another value (CapX's value was kept)",
    "repaired": "capacities marked available but not known were added as known",
    "new-capacity": "a skill matched no CapX capacity and was added under its parent",
    "second-region": "a territory had two regions; one was kept",
    "added": "a territory, language, project or avatar CapX did not have was added",
    "account": "an account without a central id, looked up on Meta-Wiki",
    "mapped": "a value mapped with a loss of detail (see docs/import.md)",
    "renumbered": "a CapX row the old platform lacks was given a new id above the old ids",
}


@dataclass
class ImportReport:
    """The whole account of one run."""

    file: str
    dry_run: bool = False
    started_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    counts: dict[str, ModelCount] = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    note_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    finished: bool = False

    def model(self, name: str) -> ModelCount:
        count = self.counts.get(name)
        if count is None:
            count = self.counts[name] = ModelCount()
        return count

    def read(self, model: str, n: int = 1) -> None:
        self.model(model).read += n

    def count(self, model: str, outcome: str, n: int = 1) -> None:
        """Account for ``n`` rows of ``model`` (one of OUTCOMES)."""
        setattr(self.model(model), outcome, getattr(self.model(model), outcome) + n)

    def skip(self, model: str, old_id: int, reason: str, value: Any = None) -> None:
        """A whole row left out (``value``: what it was, when that helps and is not secret)."""
        assert reason in REASONS, reason  # nosec B101 # a programming error, caught by the tests
        self.skips.append(Skip(model, old_id, reason, None, value))
        self.count(model, SKIPPED)

    def skip_field(self, model: str, old_id: int, field_name: str, reason: str, value: Any = None) -> None:
        """One field of an imported row left out (``value`` is kept in the report when it is not secret)."""
        assert reason in REASONS, reason  # nosec B101 # a programming error, caught by the tests
        keep = value if reason not in ("credential", "personal-data") else None
        self.skips.append(Skip(model, old_id, reason, field_name, keep))

    def note(self, kind: str, model: str, old_id: int | None, detail: str) -> None:
        """Something to read; beyond :data:`NOTES_KEPT` of one kind and model only counted (memory)."""
        assert kind in NOTE_KINDS, kind  # nosec B101 # a programming error, caught by the tests
        key = (kind, model)
        self.note_counts[key] = self.note_counts.get(key, 0) + 1
        if self.note_counts[key] <= NOTES_KEPT:
            self.notes.append(Note(kind, model, old_id, detail))

    def unexplained(self) -> dict[str, int]:
        """Models with rows read but not accounted for, and how many."""
        return {name: c.read - c.explained for name, c in self.counts.items() if c.read != c.explained}

    def totals(self) -> ModelCount:
        total = ModelCount()
        for c in self.counts.values():
            for name in ("read", *OUTCOMES):
                setattr(total, name, getattr(total, name) + getattr(c, name))
        return total

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (``--report``)."""
        totals = self.totals()
        return {
            "file": self.file, "dry_run": self.dry_run, "started_at": self.started_at, "finished": self.finished,
            "totals": asdict(totals),
            "models": {name: asdict(c) for name, c in sorted(self.counts.items())},
            "unexplained": self.unexplained(),
            "skips": [asdict(s) for s in self.skips],
            "skip_reasons": REASONS,
            "notes": [asdict(n) for n in self.notes],
            "note_counts": [{"kind": k, "model": m, "count": n} for (k, m), n in sorted(self.note_counts.items())],
        }

    def lines(self) -> list[str]:
        """The printed report: one line per model, totals, skips and notes by kind."""
        width = max([len(name) for name in self.counts] + [5])
        out = [f"{'model':<{width}} {'read':>8} {'imported':>9} {'merged':>7} {'skipped':>8} {'earlier':>8}"]
        for name, c in sorted(self.counts.items()):
            out.append(f"{name:<{width}} {c.read:>8} {c.imported:>9} {c.merged:>7} {c.skipped:>8} {c.previously:>8}")
        t = self.totals()
        out.append(f"{'total':<{width}} {t.read:>8} {t.imported:>9} {t.merged:>7} {t.skipped:>8} {t.previously:>8}")
        by_reason = Counter((s.reason, "field" if s.field else "row") for s in self.skips)
        for (reason, what), n in sorted(by_reason.items()):
            out.append(f"skipped {n} {what}{'s' if n != 1 else ''}: {reason} — {REASONS[reason]}")
        by_kind: Counter[str] = Counter()
        for (kind, _model), n in self.note_counts.items():
            by_kind[kind] += n
        for kind, n in sorted(by_kind.items()):
            out.append(f"note: {n} × {kind} — {NOTE_KINDS[kind]}")
        unexplained = self.unexplained()
        if unexplained:
            out.append("UNEXPLAINED rows: " + ", ".join(f"{k}: {v}" for k, v in sorted(unexplained.items())))
        else:
            out.append("every row read is accounted for")
        if self.dry_run:
            out.append("dry run: nothing was changed")
        return out
