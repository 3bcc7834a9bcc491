"""One import from start to end: scan, plan ids, the small tables, accounts, then the stream.

``run_import`` yields after every step and batch: the CLI commits there (a dry run never does and
rolls back at the end). A run that stops half-way leaves every committed
batch recorded; the next run skips those rows and goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from capx.clients.meta_wiki import MetaWikiClient
from capx.extensions import db
from capx.models import CacheStamp
from capx.support import stamps
from capx.services.importer import accounts, activity, badges, capacities, mentorship, organizations, people
from capx.services.importer import reference
from capx.services.importer.context import ImportContext, ImportOptions
from capx.services.importer.errors import ImportFileError
from capx.services.importer.ids import KEPT_ID_TABLES, move_ids, plan_moves
from capx.services.importer.reader import Row, read_rows
from capx.services.importer.records import (all_recorded, in_ranges, record, record_range, recorded,
                                            recorded_ranges)
from capx.services.importer.report import PREVIOUSLY, ImportReport
from capx.services.importer.scan import SMALL_MODELS, scan
from capx.services.importer.schema import SKIPPED_MODELS, USER

#: Rows written while streaming, by model (the others were written from the scan's index).
STREAMED: dict[str, Callable[[ImportContext, list[Row]], None]] = {
    "users.profile": people.write_profiles,
    "users.languageproficiency": people.write_languages,
    "users.saveditem": people.write_saved_items,
    "users.letsconnectlog": people.write_lets_connect_logs,
    "users.userbadge": badges.write_user_badges,
    "social_django.usersocialauth": people.write_social_auth,
    "orgs.management": organizations.write_managers,
    "events.events": activity.write_events,
    "bugs.bug": activity.write_bugs,
    "message.message": activity.write_messages,
    "portal.partnermentorshipformmentorresponse": mentorship.write_applications,
    "portal.partnermentorshipformmenteeresponse": mentorship.write_applications,
}
#: Rows written before the stream (their count is already in the report when it passes them).
WRITTEN_BEFORE = SMALL_MODELS | {USER}


def load_skill_map(text: str) -> dict[int, dict[str, Any]]:
    """``--skill-map``: a list of ``{"id", "code", ...}`` (the format of skill-qids.json) or an object
    ``{"<id>": "<code>"}``. Raises ValueError when it is neither."""
    data = json.loads(text)
    if isinstance(data, dict):
        return {int(k): {"code": str(v)} for k, v in data.items()}
    if not isinstance(data, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), int)
                                             and isinstance(e.get("code"), str) for e in data):
        raise ValueError("a skill map is a list of {\"id\": <old skill id>, \"code\": \"<capacity code>\"}")
    return {e["id"]: e for e in data}


def _events_imported_earlier(ctx: ImportContext) -> list[int]:
    """Old events an earlier run wrote (at their old ids)."""
    model = "events.events"
    ranges = recorded_ranges(model)
    starts = [first for first, _last in ranges]
    rows = all_recorded(model)
    return [pk for pk in sorted(ctx.index.pks.get(model, ())) if pk in rows or in_ranges(ranges, starts, pk)]


def _plan_and_move_ids(ctx: ImportContext) -> None:
    """Match the tables whose ids are kept, and move CapX's own rows out of the old ids' way."""
    index = ctx.index
    matches = {
        "capacity": (capacities.plan_capacities(ctx), index.max_pk("skills.skill")),
        "organization": (organizations.plan_organizations(ctx), index.max_pk("orgs.organization")),
        "badge": (badges.plan_badges(ctx), index.max_pk("users.badge")),
        "event": ({}, index.max_pk("events.events")),
    }
    # Rows an earlier run already placed stay where they are.
    placed: dict[str, list[int]] = {
        "capacity": list(ctx.capacities.values()), "organization": list(ctx.organizations.values()),
        "badge": list(ctx.badges.values()), "event": _events_imported_earlier(ctx)}
    for table_name in KEPT_ID_TABLES:
        matched, max_old = matches[table_name]
        matched = {**{i: i for i in placed[table_name]}, **matched}
        table = db.metadatas[None].tables[table_name]
        current = db.session.scalars(sa.select(table.c.id)).all()
        moves = plan_moves(current, matched, max_old)
        unmatched = {cur: new for cur, new in moves.items() if cur not in matches[table_name][0]}
        if unmatched:
            ctx.report.note("renumbered", table_name, None, f"{len(unmatched)} CapX row(s) moved above id {max_old}: "
                            + ", ".join(f"{a}→{b}" for a, b in sorted(unmatched.items())[:20])
                            + (" ..." if len(unmatched) > 20 else ""))
        move_ids(table_name, moves)
    ctx.capacity_matches = set(matches["capacity"][0].values())
    ctx.organization_matches = set(matches["organization"][0].values())
    ctx.badge_matches = set(matches["badge"][0].values())
    db.session.expire_all()


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    """Consecutive rows of one model, at most ``size`` at a time."""
    for _model, group in groupby(rows, key=lambda r: r.model):
        batch: list[Row] = []
        for row in group:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def _not_done(ctx: ImportContext, batch: list[Row]) -> list[Row]:
    """The rows of a batch no earlier run committed (those are counted as imported earlier)."""
    model = batch[0].model
    if model in ctx.index.monotonic:
        if model not in ctx.done_ranges:
            ctx.done_ranges[model] = recorded_ranges(model)
        ranges = ctx.done_ranges[model]
        starts = [first for first, _last in ranges]
        todo = [row for row in batch if not in_ranges(ranges, starts, row.pk)]
    else:
        done = recorded(model, [row.pk for row in batch])
        todo = [row for row in batch if row.pk not in done]
    ctx.report.count(model, PREVIOUSLY, len(batch) - len(todo))
    return todo


def _mark_done(ctx: ImportContext, rows: list[Row]) -> None:
    """Record a written batch with its rows: as one range of keys when the file gives this model's
    rows in key order (dumpdata does), else row by row."""
    model = rows[0].model
    if model in ctx.index.monotonic:
        record_range(model, rows[0].pk, rows[-1].pk)
    else:
        record(model, [(row.pk, None, False) for row in rows])


def _stream(ctx: ImportContext) -> Iterator[str]:
    written = 0
    for batch in _batches(read_rows(ctx.index.path), ctx.options.batch_size):
        model = batch[0].model
        if model in WRITTEN_BEFORE:
            continue
        if model in SKIPPED_MODELS:
            for row in batch:
                ctx.report.skip(model, row.pk, SKIPPED_MODELS[model])
            continue
        todo = _not_done(ctx, batch)
        if not todo:
            continue
        STREAMED[model](ctx, todo)
        _mark_done(ctx, todo)
        yield model
        written += len(batch)
        if written % 50_000 < len(batch):
            ctx.echo(f"  {written} rows written")


def run_import(path: Path, options: ImportOptions, report: ImportReport, meta_wiki: MetaWikiClient | None = None,
               echo: Callable[[str], None] = lambda _line: None) -> Iterator[str]:
    """Import the export at ``path``, accounting for every row in ``report``.

    A generator: it yields (the step just done) after every step and batch, for the caller to
    commit there; nothing is committed otherwise. Raises :class:`ImportFileError` before writing
    anything when the file is malformed.
    """
    echo(f"reading {path} ...")
    index = scan(path, progress=lambda n: echo(f"  {n} rows checked"))
    for model in index.order:
        report.read(model, index.counts[model])
    echo(f"  {sum(index.counts.values())} rows, {len(index.counts)} models, every reference found")
    ctx = ImportContext(index=index, report=report, options=options, echo=echo)
    accounts.resolve_central_ids(ctx, meta_wiki)
    echo("matching capacities, organizations and badges; moving CapX's own rows out of the old ids ...")
    _plan_and_move_ids(ctx)
    yield "ids"
    echo("reference data, capacities, organizations, badges ...")
    reference.import_organization_types(ctx)
    reference.import_territories(ctx)
    reference.import_languages(ctx)
    reference.import_projects(ctx)
    reference.import_avatars(ctx)
    yield "reference data"
    capacities.import_capacities(ctx, ctx.capacity_matches)
    capacities.import_hashtags(ctx)
    yield "capacities"
    organizations.import_organizations(ctx, ctx.organization_matches)
    yield "organizations"
    badges.import_badges(ctx, ctx.badge_matches)
    yield "badges"
    echo(f"{len(index.accounts)} accounts ...")
    yield from accounts.write_accounts(ctx)
    organizations.import_projects(ctx)
    mentorship.import_partners(ctx)
    yield "partners"
    echo("profiles, languages, saved items, badges, events, reports, messages, applications ...")
    yield from _stream(ctx)
    # Moved ids bypass the session: the caches built on the old ids must be rebuilt.
    connection = db.session.connection(bind_arguments={"mapper": sa.inspect(CacheStamp)})
    stamps.bump(connection, stamps.CAPACITIES)
    stamps.bump(connection, stamps.REFERENCE)
    report.finished = True
    yield "done"


__all__ = ["ImportFileError", "ImportOptions", "load_skill_map", "run_import"]
