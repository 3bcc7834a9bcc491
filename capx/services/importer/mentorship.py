"""Partners, their members, and their mentorship programs with the encrypted applications.

A partner is its organization with the partner flag; its portal members become ``PartnerMember``
rows. Each (partner, form, key) becomes a CapX mentorship program: the partner's mentor and mentee
forms that use the same key are paired in the order they were made (the old settings point at the
current pair), and their fields become the program's questions (``mapping.question_kind``). A
response encrypted for another key than its form's gets a program of its own, since a CapX program
has one key. Responses become applications with the old envelope kept verbatim, with the old key
id and fingerprint: the partner decrypts them with the private key they already have.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (MentorshipApplication, MentorshipProgram, MentorshipProgramCapacity,
                         MentorshipProgramLanguage, MentorshipQuestion, Organization, OrganizationName,
                         PartnerMember, Territory)
from capx.services import mentorship_crypto
from capx.services.importer.context import ImportContext
from capx.services.importer.checks import parse_envelope
from capx.services.importer.mapping import question_kind
from capx.services.importer.reader import Row
from capx.services.importer.records import all_recorded, record, recorded, insert_all
from capx.services.importer.report import IMPORTED, MERGED, PREVIOUSLY
from capx.services.importer.schema import parse_datetime

FORMS = {"mentor": "portal.partnermentorshipformmentor", "mentee": "portal.partnermentorshipformmentee"}
RESPONSES = {"mentor": "portal.partnermentorshipformmentorresponse",
             "mentee": "portal.partnermentorshipformmenteeresponse"}
#: A registration period without a last day closes this long after it opened (CapX needs one).
OPEN_ENDED = dt.timedelta(days=365)


def old_fingerprint(pem: str) -> str:
    """The previous platform's key fingerprint: SHA-256 of the PEM without whitespace, 12 hex digits."""
    return hashlib.sha256("".join(pem.split()).encode("utf-8")).hexdigest()[:12]


@dataclass
class Generation:
    """One future CapX program: a partner's forms (one per role at most) and the key they use."""

    partner: int
    key: int | None
    forms: dict[str, int] = field(default_factory=dict)
    created: dt.datetime | None = None
    current: bool = False


def plan_generations(ctx: ImportContext) -> list[Generation]:
    """Pair forms into programs: per partner and key, mentor and mentee forms in creation order;
    plus one program per (form, key) that responses used but the form no longer names."""
    by_partner_key: dict[tuple[int, int | None], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for role, model in FORMS.items():
        for pk, f in sorted(ctx.index.rows(model).items(), key=lambda item: (item[1]["created_at"], item[0])):
            by_partner_key[(f["partner"], f["public_key"])][role].append(pk)
    settings = {f["partner"]: f for f in ctx.index.rows("portal.partnermentorshipsettings").values()}
    generations: list[Generation] = []
    for (partner, key), roles in sorted(by_partner_key.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        for i in range(max(len(forms) for forms in roles.values())):
            gen = Generation(partner, key, {role: forms[i] for role, forms in roles.items() if i < len(forms)})
            gen.created = min(parse_datetime(ctx.index.rows(FORMS[r])[pk]["created_at"]) for r, pk in gen.forms.items())
            current = settings.get(partner)
            gen.current = current is not None and (gen.forms.get("mentor") == current["mentor_form"]
                                                    or gen.forms.get("mentee") == current["mentee_form"])
            generations.append(gen)
    for role, key_pairs in ctx.index.response_keys.items():
        for form_pk, key in sorted(key_pairs, key=lambda p: (p[0], p[1] or 0)):
            form = ctx.index.rows(FORMS[role])[form_pk]
            if key is not None and key != form["public_key"]:
                gen = Generation(form["partner"], key, {role: form_pk},
                                 parse_datetime(form["created_at"]), current=False)
                generations.append(gen)
    return generations


def import_partners(ctx: ImportContext) -> None:
    """Partner flags, members, keys, and the programs with their questions."""
    partners = ctx.index.rows("portal.partner")
    done = all_recorded("portal.partner")
    ctx.report.count("portal.partner", PREVIOUSLY, len(done))
    partner_records = []
    for pk, f in sorted(partners.items()):
        if pk in done:
            continue
        org = db.session.get(Organization, ctx.organizations[f["organization"]])
        assert org is not None  # nosec B101 # every organization was written before
        org.is_partner = True
        partner_records.append((pk, org.id, True))
        ctx.report.count("portal.partner", MERGED)  # the partner is its organization, now flagged
    record("portal.partner", partner_records)
    _members(ctx, partners)
    for pk, f in ctx.index.rows("portal.partnermentorshippublickey").items():
        key = mentorship_crypto.load_public_key(f["public_key"])  # checked by the scan
        ctx.key_fingerprints[pk] = (mentorship_crypto.fingerprint(key), old_fingerprint(f["public_key"]))
    _programs(ctx, partners)


def _members(ctx: ImportContext, partners: dict[int, dict[str, Any]]) -> None:
    model = "portal.partnermembership"
    done = all_recorded(model)
    ctx.report.count(model, PREVIOUSLY, len(done))
    existing: set[tuple[int, int]] = {(org, user) for org, user in db.session.execute(
        sa.select(PartnerMember.organization_id, PartnerMember.user_id))}
    records = []
    for pk, f in sorted(ctx.index.rows(model).items()):
        if pk in done:
            continue
        pair = (ctx.organizations[partners[f["partner"]]["organization"]], ctx.users[f["user"][0]])
        if pair in existing:
            records.append((pk, pair[0], True))
            ctx.report.count(model, MERGED)
            continue
        existing.add(pair)
        db.session.add(PartnerMember(organization_id=pair[0], user_id=pair[1], created_at=parse_datetime(f["created_at"])))
        records.append((pk, pair[0], False))
        ctx.report.count(model, IMPORTED)
    db.session.flush()
    record(model, records)


def _window(gen: Generation, following: Generation | None, settings: dict[str, Any] | None,
            partner: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The registration period. The current forms use the settings' dates (a period without a last
    day closes ``OPEN_ENDED`` after it opened; a partner that turned mentorship off closed it on its
    last change). Earlier forms were open from their creation until the next forms were made."""
    created = (gen.created or parse_datetime(partner["created_at"])).date()
    if gen.current and settings is not None:
        start = dt.date.fromisoformat(settings["registration_open_date"]) if settings["registration_open_date"] \
            else created
        end = dt.date.fromisoformat(settings["registration_close_date"]) if settings["registration_close_date"] \
            else start + OPEN_ENDED
        if not partner["mentorship"]:
            end = min(end, parse_datetime(partner["updated_at"]).date())
        return start, max(start, end)
    end = (following.created.date() - dt.timedelta(days=1)) if following and following.created else created
    return created, max(created, end)


def _generation_model(role: str, key: int | None) -> str:
    """Where the program made of a (form, key) is recorded: a form may make two programs (a
    rotated key), so the record names the key too."""
    return f"{FORMS[role]}@{key}"


def _programs(ctx: ImportContext, partners: dict[int, dict[str, Any]]) -> None:
    generations = plan_generations(ctx)
    settings = {f["partner"]: f for f in ctx.index.rows("portal.partnermentorshipsettings").values()}
    keys = ctx.index.rows("portal.partnermentorshippublickey")
    form_done = {role: all_recorded(model) for role, model in FORMS.items()}
    by_partner: dict[int, list[Generation]] = defaultdict(list)
    for gen in generations:
        by_partner[gen.partner].append(gen)
    new_forms: dict[str, set[int]] = {"mentor": set(), "mentee": set()}
    for partner_pk, gens in sorted(by_partner.items()):
        gens.sort(key=lambda g: (g.created or dt.datetime.min, g.key or 0))
        partner = partners[partner_pk]
        org_id = ctx.organizations[partner["organization"]]
        setting = settings.get(partner_pk)
        for i, gen in enumerate(gens):
            role, form_pk = next(iter(gen.forms.items()))
            earlier = recorded(_generation_model(role, gen.key), [form_pk]).get(form_pk)
            if earlier is not None:
                for role, form_pk in gen.forms.items():
                    ctx.programs[(role, form_pk, gen.key)] = int(earlier[0] or 0)
                continue
            following = next((g for g in gens[i + 1:] if g.created and gen.created and g.created > gen.created), None)
            start, end = _window(gen, following, setting, partner)
            program = MentorshipProgram(
                organization_id=org_id, name=_name(gen, setting, org_id, start)[:200],
                description=partner["description"] or None, format="online", location=_location(ctx, setting),
                registration_start=start, registration_end=end, time_zone="UTC", form_language=None,
                public_key_pem=keys[gen.key]["public_key"].strip() + "\n" if gen.key in keys else None,
                key_fingerprint=ctx.key_fingerprints[gen.key][0] if gen.key in keys else None,
                created_at=gen.created or ctx.now)
            db.session.add(program)
            db.session.flush()
            if setting is not None:
                for capacity_id in dict.fromkeys(ctx.capacities[s] for s in setting["skills"]):
                    db.session.add(MentorshipProgramCapacity(program_id=program.id, capacity_id=capacity_id))
                for language_id in dict.fromkeys(ctx.languages[lang] for lang in setting["languages"]):
                    db.session.add(MentorshipProgramLanguage(program_id=program.id, language_id=language_id))
            for role, form_pk in gen.forms.items():
                _questions(program, role, ctx.index.rows(FORMS[role])[form_pk]["json"])
                ctx.programs[(role, form_pk, gen.key)] = program.id
                record(_generation_model(role, gen.key), [(form_pk, program.id, False)])
                if form_pk not in form_done[role] and form_pk not in new_forms[role]:
                    new_forms[role].add(form_pk)
                    record(FORMS[role], [(form_pk, program.id, False)])
            db.session.flush()
    for role, model in FORMS.items():
        ctx.report.count(model, PREVIOUSLY, len(form_done[role]))
        ctx.report.count(model, IMPORTED, len(new_forms[role]))
    # Settings and keys live on in the programs (dates, capacities, languages; the key and its ids).
    for model in ("portal.partnermentorshipsettings", "portal.partnermentorshippublickey"):
        done = all_recorded(model)
        new = [(pk, None, True) for pk in sorted(ctx.index.rows(model)) if pk not in done]
        record(model, new)
        ctx.report.count(model, PREVIOUSLY, len(done))
        ctx.report.count(model, MERGED, len(new))


def _name(gen: Generation, setting: dict[str, Any] | None, org_id: int, start: dt.date) -> str:
    org_name = db.session.scalar(sa.select(OrganizationName.name).where(
        OrganizationName.organization_id == org_id, OrganizationName.lang == "en")) or f"Organization {org_id}"
    base = (setting or {}).get("description") or f"{org_name} mentorship"
    return base if gen.current else f"{base} (forms of {start.isoformat()})"


def _location(ctx: ImportContext, setting: dict[str, Any] | None) -> str | None:
    if setting is None or setting["territory"] is None:
        return None
    territory_id = ctx.territories.get(setting["territory"])
    if territory_id is None:
        return ctx.unplaced_territories.get(setting["territory"])
    return db.session.scalar(sa.select(Territory.name).where(Territory.id == territory_id))


def _questions(program: MentorshipProgram, role: str, fields: list[dict[str, Any]]) -> None:
    for position, field_ in enumerate(fields):
        kind, options = question_kind(str(field_["type"]), field_.get("options"))
        db.session.add(MentorshipQuestion(
            program_id=program.id, role=role, position=position, kind=kind,
            label=str(field_.get("label") or field_["name"])[:500], help=None,
            required=bool(field_.get("required")), options=options, field_name=str(field_["name"])[:100]))


# -- applications (streamed) --------------------------------------------------------------------------

def write_applications(ctx: ImportContext, batch: list[Row]) -> None:
    """Mentor and mentee responses: the envelope verbatim, its parts decoded for CapX's own
    download format, the old key id and fingerprint kept. A person's second answer to the same
    form gets the next attempt number."""
    model = batch[0].model
    role = "mentor" if model == RESPONSES["mentor"] else "mentee"
    rows = batch
    attempts: dict[tuple[int, int], int] = {}
    pairs = {(_program(ctx, role, r), ctx.users[r.fields["user"][0]]) for r in rows}
    if pairs:
        for program_id, user_id, attempt in db.session.execute(
                sa.select(MentorshipApplication.program_id, MentorshipApplication.applicant_id,
                          sa.func.max(MentorshipApplication.attempt))
                .where(sa.tuple_(MentorshipApplication.program_id, MentorshipApplication.applicant_id).in_(list(pairs)),
                       MentorshipApplication.role == role)
                .group_by(MentorshipApplication.program_id, MentorshipApplication.applicant_id)):
            attempts[(program_id, user_id)] = attempt
    values: list[dict[str, Any]] = []
    for row in rows:
        f = row.fields
        envelope = parse_envelope(row.label, f["data"])
        program_id = _program(ctx, role, row)
        user_id = ctx.users[f["user"][0]]
        attempt = attempts.get((program_id, user_id), -1) + 1
        attempts[(program_id, user_id)] = attempt
        key = f["encrypted_with_public_key_id_snapshot"]
        if key is None:
            key = ctx.index.rows(FORMS[role])[f["form"]]["public_key"]
        new_id = ctx.new_id("mentorship_application")
        values.append({
            "id": new_id, "program_id": program_id, "applicant_id": user_id, "role": role,
            "key_fingerprint": ctx.key_fingerprints[key][0] if key is not None else "",
            "wrapped_key": base64.b64decode(envelope["key"]), "nonce": base64.b64decode(envelope["nonce"]),
            "ciphertext": base64.b64decode(envelope["ciphertext"]), "attempt": attempt,
            "legacy_envelope": f["data"], "legacy_key_id": key,
            "legacy_key_fingerprint": f["encrypted_with_public_key_fingerprint"] or
            (ctx.key_fingerprints[key][1] if key is not None else None),
            "created_at": parse_datetime(f["created_at"])})
        ctx.report.count(model, IMPORTED)
    insert_all(MentorshipApplication, values)


def _program(ctx: ImportContext, role: str, row: Row) -> int:
    key = row.fields["encrypted_with_public_key_id_snapshot"]
    form = row.fields["form"]
    program = ctx.programs.get((role, form, key))
    if program is None:
        program = ctx.programs[(role, form, ctx.index.rows(FORMS[role])[form]["public_key"])]
    return program
