"""Reference rows: territories, languages, Wikimedia projects, avatars and organization types.

Each old row is matched to CapX's own list (territories by ISO code or region acronym, languages
and projects by code, avatars by Commons file, types by code) and merged into it. A row CapX lacks
is added, except a territory in no Wikimedia region: CapX's countries each belong to one region
(Explore's and the dashboard's region filters rely on it), so such a territory is skipped and the
profiles that named it keep the name in their kept data.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Avatar, Language, OrganizationType, Territory, WikimediaProject
from capx.services.importer.context import ImportContext
from capx.services.importer.mapping import commons_file, kept_region, territory_iso2
from capx.services.importer.records import all_recorded, record
from capx.services.importer.report import IMPORTED, MERGED, PREVIOUSLY


def _direction(text: str) -> str:
    """rtl when the first strongly directional letter of ``text`` is right-to-left."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _previously(ctx: ImportContext, model: str, target: dict[int, int]) -> dict[int, tuple[int | None, bool]]:
    done = all_recorded(model)
    for old_id, (new_id, _merged) in done.items():
        if new_id is not None:
            target[old_id] = new_id
    if done:
        ctx.report.count(model, PREVIOUSLY, len(done))
    return done


def import_territories(ctx: ImportContext) -> None:
    """Map every old territory to a CapX one (or add it under its region, or skip it: no region)."""
    model = "users.territory"
    rows = ctx.index.rows(model)
    done = _previously(ctx, model, ctx.territories)
    capx = list(db.session.scalars(sa.select(Territory)))
    regions = {t.code: t for t in capx if t.parent_id is None}
    region_code = {t.id: t.code for t in regions.values()}
    by_iso2 = {t.iso2.upper(): t for t in capx if t.iso2}
    acronym = {pk: (f["territory_acronym"] or "").strip() for pk, f in rows.items()}
    new_records: list[tuple[int, int | None, bool]] = []
    for pk in sorted(rows):
        fields = rows[pk]
        old_regions = [acronym[p].upper() for p in sorted(fields["parent_territory"])
                       if acronym.get(p, "").upper() in regions]
        if not fields["parent_territory"] and acronym[pk].upper() in regions:
            if pk not in done:
                ctx.territories[pk] = regions[acronym[pk].upper()].id
                new_records.append((pk, ctx.territories[pk], True))
                ctx.report.count(model, MERGED)
            continue
        iso2 = territory_iso2(fields["territory_acronym"], fields["territory_name"])
        match = by_iso2.get(iso2 or "")
        if match is not None:
            kept, others = kept_region(old_regions, region_code.get(match.parent_id or 0))
            if others and pk not in done:
                ctx.report.note("second-region", model, pk,
                                f"{fields['territory_name']}: kept in {kept}; not in {', '.join(others)}")
            if pk not in done:
                ctx.territories[pk] = match.id
                new_records.append((pk, match.id, True))
                ctx.report.count(model, MERGED)
            continue
        if not old_regions:
            ctx.unplaced_territories[pk] = fields["territory_name"]
            if pk not in done:
                ctx.report.skip(model, pk, "no-region", fields["territory_name"])
            continue
        if pk in done:
            continue
        kept, others = kept_region(old_regions, None)
        territory = Territory(code=f"OLD{pk}", iso2=iso2 if iso2 and len(iso2) == 2 else None,
                              name=ctx.fit(fields["territory_name"], 100, model, pk, "territory_name") or "",
                              parent_id=regions[str(kept)].id, legacy_id=pk)
        db.session.add(territory)
        db.session.flush()
        by_iso2.setdefault(territory.iso2 or f"OLD{pk}", territory)
        ctx.territories[pk] = territory.id
        new_records.append((pk, territory.id, False))
        ctx.report.count(model, IMPORTED)
        ctx.report.note("added", model, pk, f"territory {fields['territory_name']} added to {kept}")
        if others:
            ctx.report.note("second-region", model, pk,
                            f"{fields['territory_name']}: kept in {kept}; not in {', '.join(others)}")
    record(model, new_records)


def _simple(ctx: ImportContext, model: str, target: dict[int, int], key_of: Any, existing: dict[str, int],
            add: Any) -> None:
    """Match rows of a small reference model by a key, adding the ones CapX lacks."""
    done = _previously(ctx, model, target)
    new_records: list[tuple[int, int | None, bool]] = []
    for pk, fields in sorted(ctx.index.rows(model).items()):
        if pk in done:
            continue
        key = key_of(fields)
        if key in existing:
            target[pk] = existing[key]
            new_records.append((pk, target[pk], True))
            ctx.report.count(model, MERGED)
            continue
        obj = add(pk, fields)
        db.session.add(obj)
        db.session.flush()
        existing[key] = target[pk] = obj.id
        new_records.append((pk, obj.id, False))
        ctx.report.count(model, IMPORTED)
        ctx.report.note("added", model, pk, f"{key} added")
    record(model, new_records)


def import_languages(ctx: ImportContext) -> None:
    existing = {code.lower(): id_ for id_, code in db.session.execute(sa.select(Language.id, Language.code))}
    _simple(ctx, "users.language", ctx.languages, lambda f: f["language_code"].strip().lower(), existing,
            lambda pk, f: Language(code=f["language_code"].strip().lower()[:35],
                                   english_name=ctx.fit(f["language_name"], 100, "users.language", pk, "language_name"),
                                   autonym=ctx.fit(f["language_autonym"] or f["language_name"], 100,
                                                   "users.language", pk, "language_autonym"),
                                   direction=_direction(f["language_autonym"] or "")))


def import_projects(ctx: ImportContext) -> None:
    existing = {code: id_ for id_, code in db.session.execute(sa.select(WikimediaProject.id, WikimediaProject.code))}
    _simple(ctx, "users.wikimediaproject", ctx.projects, lambda f: f["wikimedia_project_code"].strip(), existing,
            lambda pk, f: WikimediaProject(code=f["wikimedia_project_code"].strip()[:40],
                                           name=ctx.fit(f["wikimedia_project_name"], 100, "users.wikimediaproject",
                                                        pk, "wikimedia_project_name"),
                                           logo_url=f["wikimedia_project_picture"] or None))


def import_avatars(ctx: ImportContext) -> None:
    existing = {name: id_ for id_, name in db.session.execute(sa.select(Avatar.id, Avatar.file_name))}
    top = db.session.scalar(sa.select(sa.func.max(Avatar.position))) or 0
    positions = iter(range(top + 1, top + 10_000))

    def key(fields: dict[str, Any]) -> str:
        return commons_file(fields["avatar_url"]) or fields["avatar_url"]

    _simple(ctx, "users.avatar", ctx.avatars, key, existing,
            lambda pk, f: Avatar(position=next(positions), file_name=key(f)[:255]))


def import_organization_types(ctx: ImportContext) -> None:
    existing = {code: id_ for id_, code in db.session.execute(sa.select(OrganizationType.id, OrganizationType.code))}
    _simple(ctx, "orgs.organizationtype", ctx.org_types, lambda f: f["type_code"].strip(), existing,
            lambda pk, f: OrganizationType(code=f["type_code"].strip()[:5], name=f["type_name"][:100]))
