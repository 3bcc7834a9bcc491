"""Badges and user badges, into the shared badge model (``capx.models.badges``).

Old badge ids are kept. An old internal badge whose rule and threshold are those of one of CapX's
own badges is that badge (merged: CapX's translated name wins, the old picture fills an empty
one); CapX badges the old platform lacks move above the old ids. The rules keep working: every
internal badge names a CapX measure (``mapping.badge_rule``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import EARNED, EXTERNAL, INTERNAL, PARTNER, Badge, UserBadge
from capx.services.importer.context import ImportContext
from capx.services.importer.checks import describe_badge
from capx.services.importer.mapping import commons_file, fold
from capx.services.importer.reader import Row
from capx.services.importer.records import all_recorded, record, insert_all
from capx.services.importer.report import IMPORTED, MERGED, PREVIOUSLY
from capx.services.importer.schema import parse_datetime

MODEL = "users.badge"


def plan_badges(ctx: ImportContext) -> dict[int, int]:
    """{current CapX badge id: old id} for badges that are the same: internal by rule and
    threshold, external by source and name, partner by organization and name."""
    done = all_recorded(MODEL)
    for old_id, (new_id, _merged) in done.items():
        ctx.badges[old_id] = new_id or old_id
    capx = list(db.session.scalars(sa.select(Badge)))
    matched: dict[int, int] = {}
    for pk, fields in sorted(ctx.index.rows(MODEL).items()):
        if pk in done:
            continue
        wanted = describe_badge(pk, fields)
        for badge in capx:
            if badge.id in matched or badge.kind != wanted["kind"]:
                continue
            same = ((badge.rule, badge.threshold) == (wanted.get("rule"), wanted.get("threshold"))
                    if wanted["kind"] == INTERNAL else
                    fold(badge.name) == fold(fields["name"]) and (
                        badge.source == wanted.get("source") if wanted["kind"] == EXTERNAL
                        else badge.organization_id == wanted.get("organization_id")))
            if same:
                matched[badge.id] = pk
                break
    return matched


def import_badges(ctx: ImportContext, matched_old_ids: set[int]) -> None:
    """After the ids moved: merge or add every old badge, at its old id."""
    done = all_recorded(MODEL)
    ctx.report.count(MODEL, PREVIOUSLY, len(done))
    codes = set(db.session.scalars(sa.select(Badge.code).where(Badge.code.is_not(None))))
    new_records = []
    for pk, fields in sorted(ctx.index.rows(MODEL).items()):
        if pk in done:
            continue
        wanted = describe_badge(pk, fields)
        picture = fields["picture"] or None
        image = commons_file(picture) or picture
        if pk in matched_old_ids:
            badge = db.session.get(Badge, pk)
            if badge is not None:
                badge.image = badge.image or (image[:500] if image else None)
                badge.description = badge.description or fields["description"] or None
                new_records.append((pk, pk, True))
                ctx.badges[pk] = pk
                ctx.report.count(MODEL, MERGED)
                continue
        code = wanted.get("code")
        if code in codes:
            code = f"{code}-{pk}"  # two old badges with one rule and threshold: both kept
        if code:
            codes.add(code)
        db.session.add(Badge(
            id=pk, kind=wanted["kind"], code=code, name=ctx.fit(fields["name"], 200, MODEL, pk, "name") or "",
            description=fields["description"] or None, image=image[:500] if image else None,
            source=wanted.get("source"), organization_id=ctx.organizations.get(wanted.get("organization_id") or 0)
            if wanted["kind"] == PARTNER else None, rule=wanted.get("rule"), threshold=wanted.get("threshold"),
            position=1000 + pk))
        ctx.badges[pk] = pk
        new_records.append((pk, pk, False))
        ctx.report.count(MODEL, IMPORTED)
    db.session.flush()
    record(MODEL, new_records)


def write_user_badges(ctx: ImportContext, batch: list[Row]) -> None:
    """``users.userbadge``: progress, display choice, and the assertion of issued badges.

    A badge the person already has in CapX keeps CapX's row, but never loses an earned state.
    """
    model = "users.userbadge"
    if not ctx.badge_kinds:
        ctx.badge_kinds.update(db.session.execute(sa.select(Badge.id, Badge.kind)).all())
    kinds = ctx.badge_kinds
    keys = {(ctx.users[r.fields["user"][0]], ctx.badges[r.fields["badge"]]) for r in batch}
    # Badges people already hold in CapX: only merged people can have any (one query either way).
    merged = {ctx.users[r.fields["user"][0]] for r in batch if r.fields["user"][0] in ctx.merged_users}
    existing = {(b.user_id, b.badge_id): b for b in db.session.scalars(
        sa.select(UserBadge).where(UserBadge.user_id.in_(list(merged))))
        if (b.user_id, b.badge_id) in keys} if merged else {}
    values: list[dict[str, Any]] = []
    pending: dict[tuple[int, int], dict[str, Any]] = {}
    for row in batch:
        f = row.fields
        key = (ctx.users[f["user"][0]], ctx.badges[f["badge"]])
        progress = max(0, min(EARNED, f["progress"]))
        issued = parse_datetime(f["external_issued_on"]) if f["external_issued_on"] else None
        twin = pending.get(key)
        if twin is not None:  # the same (person, badge) twice in the file: one row, the higher progress
            twin["progress"] = max(twin["progress"], progress)
            ctx.report.count(model, MERGED)
            continue
        current = existing.get(key)
        if current is not None:
            if progress > current.progress:
                current.progress = progress
                current.issued_at = current.issued_at or issued
            current.assertion_url = current.assertion_url or f["external_assertion_url"]
            ctx.report.count(model, MERGED)
            continue
        value = {"user_id": key[0], "badge_id": key[1], "progress": progress, "shown": f["is_displayed"],
                 "assertion_url": ctx.fit(f["external_assertion_url"], 500, model, row.pk, "external_assertion_url"),
                 "issued_at": issued,
                 # Partner badges at 100 were given again by hand (the old job reset them to 0).
                 "granted_by_hand": kinds.get(key[1]) == PARTNER and progress >= EARNED,
                 "updated_at": ctx.now}
        pending[key] = value
        values.append(value)
        ctx.report.count(model, IMPORTED)
    db.session.flush()
    insert_all(UserBadge, values)
