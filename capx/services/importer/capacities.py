"""Skills (the old capacities) and hashtags.

A skill is matched to a CapX capacity by ``--skill-map`` (old id → capacity code) first, else by
its Wikidata QID (``Capacity.wikidata_qid``, set by ``sync-capacities``). The matched capacity
takes the skill's id. A skill that matches nothing becomes a capacity under its parent, with the
skill's id and QID: the next label sync names it. So nobody loses a capacity they had.

Hashtags (a tag on a few capacities across the tree) become thematic categories of the Capacity
Directory, which group capacities across the tree in the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import Capacity, CapacityText, ThematicCategory, ThematicCategoryCapacity
from capx.services.importer.context import ImportContext
from capx.services.importer.mapping import fold, wikidata_qid
from capx.services.importer.records import all_recorded, record
from capx.services.importer.report import IMPORTED, MERGED, PREVIOUSLY
from capx.services.importer.schema import parse_datetime
from capx.services.news import tag_slug

MODEL = "skills.skill"


def plan_capacities(ctx: ImportContext) -> dict[int, int]:
    """Which CapX capacity each skill matches: {current capacity id: old skill id}, first skill
    wins (a second skill matching the same capacity is merged into it). Also fills
    ``ctx.capacities`` for skills recorded by an earlier run."""
    done = all_recorded(MODEL)
    for old_id, (new_id, _merged) in done.items():
        if new_id is not None:
            ctx.capacities[old_id] = new_id
    rows = ctx.index.rows(MODEL)
    capacities = list(db.session.execute(sa.select(Capacity.id, Capacity.code, Capacity.wikidata_qid)))
    by_code = {c.code: c.id for c in capacities}
    by_qid: dict[str, int] = {}
    for c in capacities:
        if c.wikidata_qid:
            by_qid.setdefault(c.wikidata_qid.upper(), c.id)
    matched: dict[int, int] = {}
    taken = {new_id for new_id in ctx.capacities.values()}
    for pk in sorted(rows):
        if pk in done:
            continue
        entry = ctx.options.skill_map.get(pk) or {}
        capacity_id = by_code.get(str(entry.get("code") or ""))
        if capacity_id is None:
            capacity_id = by_qid.get(wikidata_qid(rows[pk]["skill_wikidata_item"]) or "")
        if capacity_id is not None and capacity_id not in matched and capacity_id not in taken:
            matched[capacity_id] = pk
    return matched


def _depth(rows: dict[int, dict[str, Any]], pk: int) -> int:
    depth, seen = 0, {pk}
    parent = rows[pk]["skill_type"]
    while parent is not None and parent in rows and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = rows[parent]["skill_type"]
    return depth


def import_capacities(ctx: ImportContext, matched_skills: set[int]) -> None:
    """After the ids moved (a matched capacity now has its skill's id): map every skill, and add
    those that matched nothing (parents first)."""
    rows = ctx.index.rows(MODEL)
    done = all_recorded(MODEL)
    ctx.report.count(MODEL, PREVIOUSLY, len(done))
    capacities = {c.id: c for c in db.session.execute(
        sa.select(Capacity.id, Capacity.code, Capacity.wikidata_qid, Capacity.parent_id))}
    codes = {c.code for c in capacities.values()}
    by_code = {c.code: c.id for c in capacities.values()}
    by_qid: dict[str, int] = {}
    for c in capacities.values():
        if c.wikidata_qid:
            by_qid.setdefault(c.wikidata_qid.upper(), c.id)
    new_records: list[tuple[int, int | None, bool]] = []
    for pk in sorted(rows, key=lambda p: (_depth(rows, p), p)):
        if pk in done:
            continue
        fields = rows[pk]
        qid = wikidata_qid(fields["skill_wikidata_item"])
        entry = ctx.options.skill_map.get(pk) or {}
        if pk in matched_skills:
            target: int | None = pk
        else:
            # A second skill for an already matched capacity (same code or QID): merged into it.
            target = by_code.get(str(entry.get("code") or "")) or by_qid.get(qid or "")
        if target is not None:
            ctx.capacities[pk] = target
            new_records.append((pk, target, True))
            ctx.report.count(MODEL, MERGED)
            continue
        parent = ctx.capacities.get(fields["skill_type"]) if fields["skill_type"] is not None else None
        code = str(entry.get("code") or "")
        if not code or code in codes:
            code = f"skill-{pk}"
        siblings = db.session.scalar(sa.select(sa.func.max(Capacity.position))
                                     .where(Capacity.parent_id == parent if parent else Capacity.parent_id.is_(None)))
        capacity = Capacity(id=pk, code=code, parent_id=parent, position=(siblings or 0) + 1,
                            wikidata_qid=qid, created_at=_created(fields))
        db.session.add(capacity)
        db.session.flush()
        if entry.get("name"):
            db.session.add(CapacityText(capacity_id=pk, lang="en", name=str(entry["name"])[:255],
                                        name_source="directory"))
        codes.add(code)
        by_code[code] = pk
        if qid:
            by_qid.setdefault(qid, pk)
        ctx.capacities[pk] = pk
        new_records.append((pk, pk, False))
        ctx.report.count(MODEL, IMPORTED)
        ctx.report.note("new-capacity", MODEL, pk, f"{qid or fields['skill_wikidata_item']} added as {code} "
                        f"under {parent or 'the root'}; named at the next sync-capacities")
    record(MODEL, new_records)


def _created(fields: dict[str, Any]) -> dt.datetime:
    return parse_datetime(fields["skill_date_of_creation"])


def import_hashtags(ctx: ImportContext) -> None:
    """Each hashtag becomes (or merges into) a thematic category with its capacities."""
    model = "skills.hashtag"
    done = all_recorded(model)
    ctx.report.count(model, PREVIOUSLY, len(done))
    categories = {c.code: c for c in db.session.scalars(sa.select(ThematicCategory))}
    by_name = {fold(c.name): c for c in categories.values()}
    top = max([c.position for c in categories.values()], default=-1)
    new_records: list[tuple[int, int | None, bool]] = []
    for pk, fields in sorted(ctx.index.rows(model).items()):
        if pk in done:
            continue
        name = fields["name"].strip()
        code = ("hashtag-" + tag_slug(name.lstrip("#")))[:60]
        category = categories.get(code) or by_name.get(fold(name))
        if category is not None:
            new_records.append((pk, category.id, True))
            ctx.report.count(model, MERGED)
            continue
        top += 1
        category = ThematicCategory(code=code, name=name[:200], message_key=None, position=top)
        db.session.add(category)
        db.session.flush()
        members = list(dict.fromkeys(ctx.capacities[s] for s in fields["skills"] if s in ctx.capacities))
        for position, capacity_id in enumerate(members):
            db.session.add(ThematicCategoryCapacity(category_id=category.id, capacity_id=capacity_id,
                                                    position=position))
        categories[code] = category
        new_records.append((pk, category.id, False))
        ctx.report.count(model, IMPORTED)
    record(model, new_records)
