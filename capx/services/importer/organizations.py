"""Organizations with their names per language, details, documents, Diff tags, capacities,
territories and projects; and managers (streamed).

An old organization is matched to a CapX one by acronym, then by English name, and merged into
it (CapX's values win, old values fill what is empty, differences are noted); otherwise it is
added. Either way it has its old id afterwards (see :mod:`.ids`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Organization, OrganizationCapacity, OrganizationDetails,
                         OrganizationDiffTag, OrganizationDocument, OrganizationManager, OrganizationName,
                         OrganizationProject, OrganizationTerritory)
from capx.services.events import MAX_FEATURED
from capx.services.importer.context import ImportContext
from capx.services.importer.mapping import commons_file, fold, name_language
from capx.services.importer.reader import Row
from capx.services.importer.records import all_recorded, record, insert_all
from capx.services.importer.report import IMPORTED, MERGED, PREVIOUSLY
from capx.services.importer.schema import parse_datetime
from capx.services.news import tag_slug

MODEL = "orgs.organization"


def _english_names(ctx: ImportContext) -> dict[int, str]:
    return {f["organization"]: f["name"] for _pk, f in sorted(ctx.index.rows("orgs.organizationname").items())
            if name_language(f["language_code"]) == "en"}


def plan_organizations(ctx: ImportContext) -> dict[int, int]:
    """{current CapX organization id: old id} for organizations that are the same (acronym, then
    English name). Fills ``ctx.organizations`` for rows recorded by an earlier run."""
    done = all_recorded(MODEL)
    for old_id, (new_id, merged) in done.items():
        ctx.organizations[old_id] = new_id or old_id
        if merged:
            ctx.merged_organizations.add(old_id)
    english = _english_names(ctx)
    capx = list(db.session.execute(sa.select(Organization.id, Organization.acronym)))
    capx_english = dict(db.session.execute(sa.select(OrganizationName.organization_id, OrganizationName.name)
                                           .where(OrganizationName.lang == "en")).all())
    by_acronym: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for org in capx:
        if org.acronym:
            by_acronym.setdefault(org.acronym.strip().casefold(), org.id)
        if org.id in capx_english:
            by_name.setdefault(fold(capx_english[org.id]), org.id)
    matched: dict[int, int] = {}
    for pk, fields in sorted(ctx.index.rows(MODEL).items()):
        if pk in done:
            continue
        current = by_acronym.get(fields["acronym"].strip().casefold())
        if current is None and pk in english:
            current = by_name.get(fold(english[pk]))
        if current is not None and current not in matched:
            matched[current] = pk
    return matched


def import_organizations(ctx: ImportContext, matched_old_ids: set[int]) -> None:
    """After the ids moved: merge or add every organization with what belongs to it."""
    rows = ctx.index.rows(MODEL)
    done = all_recorded(MODEL)
    ctx.report.count(MODEL, PREVIOUSLY, len(done))
    names: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for pk, f in sorted(ctx.index.rows("orgs.organizationname").items()):
        names[f["organization"]].append((pk, f))
    documents, tags = ctx.index.rows("orgs.document"), ctx.index.rows("orgs.tagdiff")
    used_documents: set[int] = set()
    used_tags: set[int] = set()
    new_records: list[tuple[int, int | None, bool]] = []
    name_records: list[tuple[int, int | None, bool]] = []
    names_done = all_recorded("orgs.organizationname")
    ctx.report.count("orgs.organizationname", PREVIOUSLY, len(names_done))
    for pk in sorted(rows):
        fields = rows[pk]
        for position, event_pk in enumerate(fields["choose_events"], start=1):
            if position <= MAX_FEATURED:
                ctx.featured_events[event_pk] = position
            elif pk not in done:
                ctx.report.note("mapped", MODEL, pk, f"event {event_pk} not featured: at most {MAX_FEATURED} are")
        used_documents.update(fields["documents"])
        used_tags.update(fields["tag_diff"])
        if pk in done:
            continue
        merged = pk in matched_old_ids
        org = db.session.get(Organization, pk) if merged else None
        if org is None:
            merged = False
            org = Organization(id=pk, acronym=fields["acronym"].strip()[:40] or None,
                               created_at=parse_datetime(fields["update_date"]))
            db.session.add(org)
        _fill_organization(ctx, org, pk, fields, merged)
        db.session.flush()
        _names(ctx, org, names.get(pk, []), merged, names_done, name_records)
        _details(ctx, pk, fields, merged)
        _lists(ctx, pk, fields, documents, tags, merged)
        ctx.organizations[pk] = pk
        if merged:
            ctx.merged_organizations.add(pk)
        new_records.append((pk, pk, merged))
        ctx.report.count(MODEL, MERGED if merged else IMPORTED)
    record(MODEL, new_records)
    record("orgs.organizationname", name_records)
    _account_for_shared_rows(ctx, "orgs.document", documents, used_documents)
    _account_for_shared_rows(ctx, "orgs.tagdiff", tags, used_tags)


def _fill_organization(ctx: ImportContext, org: Organization, pk: int, fields: dict[str, Any], merged: bool) -> None:
    logo = commons_file(fields["profile_image"])
    if fields["profile_image"] and not logo:
        ctx.report.skip_field(MODEL, pk, "profile_image", "third-party-image", fields["profile_image"])
    type_id = ctx.org_types.get(fields["type"]) if fields["type"] is not None else None
    if merged:
        if org.acronym and org.acronym.strip().casefold() != fields["acronym"].strip().casefold():
            ctx.report.note("conflict", MODEL, pk, f"acronym: CapX {org.acronym!r} kept, old {fields['acronym']!r}")
        org.logo_file = org.logo_file or logo
        org.type_id = org.type_id or type_id
        org.acronym = org.acronym or fields["acronym"].strip()[:40] or None
    else:
        org.logo_file, org.type_id = logo, type_id
    org.updated_at = parse_datetime(fields["update_date"]) if not merged else max(
        org.updated_at or parse_datetime(fields["update_date"]), parse_datetime(fields["update_date"]))
    for name in ("mastodon", "home_project"):
        if fields[name]:
            ctx.report.skip_field(MODEL, pk, name, "no-equivalent", fields[name])


def _names(ctx: ImportContext, org: Organization, rows: list[tuple[int, dict[str, Any]]], merged: bool,
           done: dict[int, Any], out: list[tuple[int, int | None, bool]]) -> None:
    model = "orgs.organizationname"
    existing = {n.lang: n for n in db.session.scalars(sa.select(OrganizationName)
                                                      .where(OrganizationName.organization_id == org.id))}
    for pk, fields in rows:
        if pk in done:
            continue
        lang = name_language(fields["language_code"])[:35]
        name = ctx.fit(fields["name"], 255, model, pk, "name") or ""
        current = existing.get(lang)
        if current is not None:
            if current.name != name:
                ctx.report.note("conflict", model, pk, f"{lang} name: CapX {current.name!r} kept, old {name!r}")
            out.append((pk, org.id, True))
            ctx.report.count(model, MERGED)
            continue
        existing[lang] = OrganizationName(organization_id=org.id, lang=lang, name=name)
        db.session.add(existing[lang])
        out.append((pk, org.id, False))
        ctx.report.count(model, IMPORTED)


def _details(ctx: ImportContext, pk: int, fields: dict[str, Any], merged: bool) -> None:
    values = {"report_url": fields["report"], "contact_meta_url": fields["meta_page"],
              "contact_email": fields["email"], "contact_website": fields["website"]}
    limits = {"report_url": 500, "contact_meta_url": 500, "contact_email": 254, "contact_website": 500}
    values = {k: ctx.fit(v.strip() or None, limits[k], MODEL, pk, k) if v else None for k, v in values.items()}
    details = db.session.get(OrganizationDetails, pk)
    if details is None:
        if any(values.values()):
            db.session.add(OrganizationDetails(organization_id=pk, **values))
        return
    for key, value in values.items():
        current = getattr(details, key)
        if not current:
            setattr(details, key, value)
        elif value and current != value:
            ctx.report.note("conflict", MODEL, pk, f"{key}: CapX {current!r} kept, old {value!r}")


def _lists(ctx: ImportContext, pk: int, fields: dict[str, Any], documents: dict[int, Any], tags: dict[int, Any],
           merged: bool) -> None:
    """Capacities, territories, documents and Diff tags: CapX's lists win when it has some."""
    def empty(model: Any) -> bool:
        return not merged or db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.organization_id == pk)) == 0

    if empty(OrganizationCapacity):
        seen: set[tuple[int, str]] = set()
        for field, kind in (("known_capacities", KNOWN), ("available_capacities", AVAILABLE),
                            ("wanted_capacities", WANTED)):
            for skill in fields[field]:
                key = (ctx.capacities[skill], kind)
                if key not in seen:
                    seen.add(key)
                    db.session.add(OrganizationCapacity(organization_id=pk, capacity_id=key[0], kind=kind))
    if empty(OrganizationTerritory):
        for territory_id in dict.fromkeys(ctx.territories[t] for t in fields["territory"] if t in ctx.territories):
            db.session.add(OrganizationTerritory(organization_id=pk, territory_id=territory_id))
        for t in fields["territory"]:
            if t in ctx.unplaced_territories:
                ctx.report.note("mapped", MODEL, pk, f"territory {ctx.unplaced_territories[t]} left out (no region)")
    if empty(OrganizationDocument):
        position = 0
        for doc in fields["documents"]:
            file_name = commons_file(documents[doc]["url"])
            if file_name:
                position += 1
                db.session.add(OrganizationDocument(organization_id=pk, position=position, file_name=file_name[:255]))
    if empty(OrganizationDiffTag):
        slugs: set[str] = set()
        for position, tag in enumerate(fields["tag_diff"]):
            name = tags[tag]["tag"].strip()
            slug = tag_slug(name)[:100]
            if slug and slug not in slugs:
                slugs.add(slug)
                db.session.add(OrganizationDiffTag(organization_id=pk, slug=slug, name=name[:100], position=position))


def _account_for_shared_rows(ctx: ImportContext, model: str, rows: dict[int, Any], used: set[int]) -> None:
    """Documents and Diff tags are shared rows that organizations list: imported with them."""
    done = all_recorded(model)
    ctx.report.count(model, PREVIOUSLY, len(done))
    new_records = []
    for pk in sorted(rows):
        if pk in done:
            continue
        if pk not in used:
            ctx.report.skip(model, pk, "no-equivalent")  # listed by no organization: nothing shows it
            continue
        if model == "orgs.document" and not commons_file(rows[pk]["url"]):
            ctx.report.skip(model, pk, "no-equivalent")  # CapX documents are Commons files
            ctx.report.skip_field(model, pk, "url", "no-equivalent", rows[pk]["url"])
            continue
        new_records.append((pk, None, False))
        ctx.report.count(model, IMPORTED)
    record(model, new_records)


# -- projects ------------------------------------------------------------------------------------------

def import_projects(ctx: ImportContext) -> None:
    """Each accepted project membership becomes one of the organization's projects."""
    projects = ctx.index.rows("projects.project")
    members = ctx.index.rows("projects.projectmember")
    acceptance: dict[int, tuple[int, dict[str, Any]]] = {}
    for pk, f in sorted(ctx.index.rows("projects.projectmemberacceptance").items()):
        acceptance[f["project_member"]] = (pk, f)  # the last decision counts
    done = {m: all_recorded(m) for m in ("projects.project", "projects.projectmember",
                                          "projects.projectmemberacceptance")}
    for model, rows in done.items():
        ctx.report.count(model, PREVIOUSLY, len(rows))
    accepted_projects: set[int] = set()
    member_records, acceptance_records = [], []
    for pk, member in sorted(members.items()):
        decision = acceptance.get(pk)
        accepted = decision is not None and decision[1]["accepted"]
        if accepted:
            accepted_projects.add(member["project"])
        if pk in done["projects.projectmember"]:
            continue
        if not accepted:
            ctx.report.skip("projects.projectmember", pk, "not-accepted")
            continue
        org_id = ctx.organizations[member["organization"]]
        project = projects[member["project"]]
        name = ctx.fit(project["display_name"], 200, "projects.project", member["project"], "display_name") or ""
        existing = db.session.scalars(sa.select(OrganizationProject)
                                      .where(OrganizationProject.organization_id == org_id)).all()
        if any(fold(p.name) == fold(name) for p in existing):
            member_records.append((pk, org_id, True))
            ctx.report.count("projects.projectmember", MERGED)
            continue
        image = commons_file(project["profile_image"])
        db.session.add(OrganizationProject(
            organization_id=org_id, position=max([p.position for p in existing], default=0) + 1, name=name,
            image_file=image[:255] if image else None, url=(project["url"] or None) and project["url"][:500],
            description=project["description"] or None))
        db.session.flush()
        member_records.append((pk, org_id, False))
        ctx.report.count("projects.projectmember", IMPORTED)
    for _member, (acc_pk, _f) in sorted(acceptance.items()):
        if acc_pk not in done["projects.projectmemberacceptance"]:
            acceptance_records.append((acc_pk, None, True))
            ctx.report.count("projects.projectmemberacceptance", MERGED)  # the decision, kept by the membership
    # Acceptance rows of no membership cannot exist (the scan checked every reference).
    project_records = []
    for pk, project in sorted(projects.items()):
        if pk in done["projects.project"]:
            continue
        if pk not in accepted_projects:
            ctx.report.skip("projects.project", pk, "not-accepted")
            continue
        project_records.append((pk, None, False))
        ctx.report.count("projects.project", IMPORTED)
        if project["profile_image"] and not commons_file(project["profile_image"]):
            ctx.report.skip_field("projects.project", pk, "profile_image", "third-party-image", project["profile_image"])
        for field in ("creator", "creation_date", "related_skills"):
            if project[field]:
                ctx.report.skip_field("projects.project", pk, field, "no-equivalent", project[field])
    record("projects.projectmember", member_records)
    record("projects.projectmemberacceptance", acceptance_records)
    record("projects.project", project_records)


# -- managers (streamed) ----------------------------------------------------------------------------------

def write_managers(ctx: ImportContext, batch: list[Row]) -> None:
    """``orgs.management`` rows: managers of organizations (a repeated pair is merged)."""
    model = "orgs.management"
    pairs = {(ctx.organizations[r.fields["organization"]], ctx.users[r.fields["user"][0]]) for r in batch}
    existing: set[tuple[int, int]] = {(org, user) for org, user in db.session.execute(
        sa.select(OrganizationManager.organization_id, OrganizationManager.user_id)
        .where(sa.tuple_(OrganizationManager.organization_id, OrganizationManager.user_id).in_(list(pairs))))} \
        if pairs else set()
    values: list[dict[str, Any]] = []
    for row in batch:
        pair = (ctx.organizations[row.fields["organization"]], ctx.users[row.fields["user"][0]])
        if pair in existing:
            ctx.report.count(model, MERGED)
            continue
        existing.add(pair)
        values.append({"organization_id": pair[0], "user_id": pair[1],
                       "created_at": parse_datetime(row.fields["joined_at"])})
        ctx.report.count(model, IMPORTED)
    insert_all(OrganizationManager, values)
