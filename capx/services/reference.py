"""Reference data: loading it from ``capx/data/`` (naming it in a language: :mod:`capx.services.reference_names`).

``load_reference`` is an idempotent upsert: running it twice changes nothing, and it never
deletes rows that profiles may point to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from babel import Locale

from capx.extensions import db
from capx.models import (Avatar, CacheStamp, Capacity, CapacityText, Language, Organization, OrganizationName,
                         OrganizationType, Territory, WikimediaProject)
from capx.services.badges import load_built_in_badges
from capx.services.directory import load_thematic_categories
from capx.support import stamps

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def read_data(name: str, data_dir: Path = DATA_DIR) -> Any:
    """A JSON file shipped under capx/data/."""
    with (data_dir / name).open(encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class LoadSummary:
    """How many rows each kind of reference data added or changed."""

    added: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, added: bool) -> None:
        target = self.added if added else self.changed
        target[kind] = target.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.added.values()) + sum(self.changed.values())


def _set(obj: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True when something changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _upsert(summary: LoadSummary, kind: str, model: type, lookup: dict[str, Any], values: dict[str, Any],
            existing: dict[Any, Any], key: Any) -> Any:
    obj = existing.get(key)
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
        existing[key] = obj
        summary.count(kind, True)
    elif _set(obj, values):
        summary.count(kind, False)
    return obj


def load_capacities(summary: LoadSummary, data_dir: Path = DATA_DIR) -> None:
    """The shipped Capacity Directory (134 capacities): tree, colours, icons and English names.

    English names from the shipped list are only written where no better source (Metabase) has
    provided one, so the sync's names survive a reload.
    """
    existing = {c.code: c for c in db.session.scalars(sa.select(Capacity))}
    texts = {(t.capacity_id, t.lang): t for t in db.session.scalars(sa.select(CapacityText).where(CapacityText.lang == "en"))}

    def walk(nodes: list[dict[str, Any]], parent: Capacity | None) -> None:
        for position, node in enumerate(nodes):
            values = {"parent": parent, "position": position}
            if parent is None:
                values.update(color=node.get("color"), icon=node.get("icon"))
            cap = _upsert(summary, "capacities", Capacity, {"code": node["code"]}, values, existing, node["code"])
            db.session.flush()
            text = texts.get((cap.id, "en"))
            if text is None:
                db.session.add(CapacityText(capacity_id=cap.id, lang="en", name=node["name"], name_source="directory"))
                summary.count("capacity names", True)
            elif text.name_source in (None, "directory") and text.name != node["name"]:
                text.name = node["name"]
                summary.count("capacity names", False)
            walk(node.get("children", []), cap)

    walk(read_data("capacities.json", data_dir)["roots"], None)


def load_territories(summary: LoadSummary, data_dir: Path = DATA_DIR) -> None:
    """The 8 Wikimedia regions and their countries (English names from CLDR)."""
    english = Locale.parse("en")
    existing = {t.code: t for t in db.session.scalars(sa.select(Territory))}
    for region in read_data("territories.json", data_dir)["regions"]:
        parent = _upsert(summary, "territories", Territory, {"code": region["code"]},
                         {"name": region["name"], "color": region["color"], "color_dark": region["color_dark"],
                          "legacy_id": region.get("legacy_id"), "iso2": None, "parent_id": None},
                         existing, region["code"])
        db.session.flush()
        for country in region["countries"]:
            _upsert(summary, "territories", Territory, {"code": country["code"]},
                    {"name": english.territories.get(country["iso2"], country["code"]), "iso2": country["iso2"],
                     "parent_id": parent.id}, existing, country["code"])


def load_simple(summary: LoadSummary, kind: str, model: type, key_attr: str, rows: Iterable[dict[str, Any]]) -> None:
    """Upsert rows of a model identified by one unique attribute."""
    rows_now: list[Any] = list(db.session.scalars(sa.select(model)))
    existing = {getattr(obj, key_attr): obj for obj in rows_now}
    for row in rows:
        values = dict(row)
        key = values.pop(key_attr)
        _upsert(summary, kind, model, {key_attr: key}, values, existing, key)


def load_organizations(summary: LoadSummary, data_dir: Path = DATA_DIR) -> None:
    """Organization types and the Wikimedia affiliates (matched by acronym; English name)."""
    data = read_data("organizations.json", data_dir)
    load_simple(summary, "organization types", OrganizationType, "code", data["types"])
    db.session.flush()
    types = {t.code: t.id for t in db.session.scalars(sa.select(OrganizationType))}
    existing = {o.acronym: o for o in db.session.scalars(sa.select(Organization).where(Organization.acronym.is_not(None)))}
    english = {n.organization_id: n for n in db.session.scalars(sa.select(OrganizationName).where(OrganizationName.lang == "en"))}
    for row in data["organizations"]:
        org = existing.get(row["acronym"])
        if org is None:
            org = Organization(acronym=row["acronym"], type_id=types[row["type"]])
            db.session.add(org)
            db.session.flush()
            db.session.add(OrganizationName(organization_id=org.id, lang="en", name=row["name"]))
            existing[row["acronym"]] = org
            summary.count("organizations", True)
        elif org.id not in english:
            # Managers may have renamed it; only fill a missing English name.
            db.session.add(OrganizationName(organization_id=org.id, lang="en", name=row["name"]))
            summary.count("organizations", False)


def load_reference(data_dir: Path = DATA_DIR, echo: Callable[[str], None] = print) -> LoadSummary:
    """Load every kind of reference data, flushed in the caller's transaction (the caller commits)."""
    summary = LoadSummary()
    load_capacities(summary, data_dir)
    load_territories(summary, data_dir)
    load_simple(summary, "languages", Language, "code",
                ({"code": r["code"], "english_name": r["english_name"], "autonym": r["autonym"], "direction": r["dir"]}
                 for r in read_data("languages.json", data_dir)))
    load_simple(summary, "projects", WikimediaProject, "code", read_data("projects.json", data_dir))
    load_simple(summary, "avatars", Avatar, "position",
                ({"position": r["position"], "file_name": r["file"]} for r in read_data("avatars.json", data_dir)))
    load_organizations(summary, data_dir)
    badges_added, badges_changed = load_built_in_badges()
    if badges_added:
        summary.added["badges"] = badges_added
    if badges_changed:
        summary.changed["badges"] = badges_changed
    created = load_thematic_categories()
    if created:
        summary.added["thematic categories"] = created
    stamps.ensure(db.session.connection(bind_arguments={"mapper": sa.inspect(CacheStamp)}))
    db.session.flush()
    for kind in sorted(set(summary.added) | set(summary.changed)):
        echo(f"{kind}: {summary.added.get(kind, 0)} added, {summary.changed.get(kind, 0)} changed")
    if not summary.total:
        echo("reference data already up to date")
    return summary
