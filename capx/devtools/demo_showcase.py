"""The parts of the demo data that show organizations, events, Diff news and mentorship at work.

Called by :func:`capx.devtools.demo.seed_demo` after the demo profiles exist. Deterministic for a
given seed and seeding day, and idempotent: every row is found again by a stable key (an event's
URL, a post's link, a program's organization and name) and left alone when it is already there.

Event dates and registration periods are relative to the day of seeding, so a fresh ``seed-demo``
always shows upcoming events and programs that are open, upcoming and closed.

The four pilot mentorship programs of the User Guide get a public key made at seed time; the
private key is thrown away at once (demo applications are never meant to be decrypted), so no
private key is stored anywhere, in the code or in the database.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, Capacity, CapacityText, DiffPost, DiffPostTag, Event,
                         EventCapacity, Language, MentorshipApplication, MentorshipProgram,
                         MentorshipProgramCapacity, MentorshipProgramLanguage, MentorshipQuestion, Organization,
                         OrganizationCapacity, OrganizationDetails, OrganizationDiffTag, OrganizationDocument,
                         OrganizationManager, OrganizationName, OrganizationProject, OrganizationTerritory,
                         OrganizationType, Territory, User)
from capx.services import mentorship_crypto
from capx.services.accounts import DEMO_CENTRAL_BASE
from capx.services.events import to_utc
from capx.services.news import tag_slug

DEMO_EVENT_URL = "https://meta.wikimedia.org/wiki/CapX_demo/Event_{n}"
DEMO_POST_URL = "https://diff.wikimedia.org/{year}/{month:02d}/{day:02d}/capx-demo-{slug}-{n}/"

#: Logos and project images: well-known files on Wikimedia Commons.
_COMMONS_IMAGES = ("Wikimedia-logo.svg", "Wikipedia-logo-v2.svg", "Commons-logo.svg", "Wikidata-logo.svg",
                   "Wikisource-logo.svg", "Wikibooks-logo.svg", "Wikiquote-logo.svg", "Wikinews-logo.svg")
_DOCUMENTS = ("Wikimedia Foundation Annual Report 2022-2023.pdf", "Wikimedia movement strategy 2030.pdf",
              "Wiki Loves Monuments 2023 report.pdf", "Education program toolkit.pdf")

#: The pilot programs named in the User Guide ("How to join a Mentorship program").
PILOT_PROGRAMS: tuple[dict[str, Any], ...] = (
    {"organization": "Language Diversity Hub", "acronym": "LDH", "type": "T", "territory": None,
     "name": "Language Diversity Hub mentorship", "format": "online", "location": "Online",
     "time_zone": "UTC", "window": (-12, 20), "languages": ("en", "fr", "es"), "form_language": "en",
     "capacities": ("Communication", "Technical Skills"),
     "description": "Experienced contributors to small and indigenous language Wikipedias guide "
                    "newcomers through starting or growing a Wikimedia project in their language.",
     "diff_tag": "Language Diversity Hub"},
    {"organization": "EduWiki Hub", "acronym": "EWH", "type": "T", "territory": None,
     "name": "EduWiki mentorship", "format": "hybrid", "location": "Online and regional meetups",
     "time_zone": "Europe/Berlin", "window": (-3, 40), "languages": ("en", "ar", "es"), "form_language": "en",
     "capacities": ("Learning & Evaluation", "Social Skills"),
     "description": "Educators who use Wikimedia projects in class pair with teachers and librarians "
                    "preparing their first education program.",
     "diff_tag": "Education"},
    {"organization": "African Wiki Women", "acronym": "AWW", "type": "U", "territory": "SSA",
     "name": "African Wiki Women mentorship", "format": "online", "location": "Online, across Africa",
     "time_zone": "Africa/Lagos", "window": (15, 45), "languages": ("en", "fr", "sw"), "form_language": "en",
     "capacities": ("Community Health", "Communication"),
     "description": "Women editors and organizers across Africa mentor women who want to write, "
                    "organize events or lead a community.",
     "diff_tag": "African Wiki Women"},
    {"organization": "Wikimedia Brasil", "acronym": "WMB", "type": "C", "territory": "BR",
     "name": "Programa de mentoria Wikimedia Brasil", "format": "in-person", "location": "São Paulo, Brasil",
     "time_zone": "America/Sao_Paulo", "window": (-60, -20), "languages": ("pt-br", "pt"),
     "form_language": "pt-br", "capacities": ("Organisational Skills", "Strategic Management Process"),
     "description": "Mentoria presencial para pessoas que organizam atividades Wikimedia no Brasil: "
                    "planejamento, parcerias e avaliação.",
     "diff_tag": "Wikimedia Brasil"},
)

_QUESTIONS_EN = {
    "mentor": (
        ("short-text", "Your name", True, None),
        ("email", "Email address we can reach you at", True, None),
        ("url", "Link to your user page or portfolio", False, None),
        ("long-text", "What would you like to share with a mentee?", True, None),
        ("single-choice", "How many hours a month can you give?", True, ("1-2", "3-5", "More than 5")),
        ("multiple-choice", "Languages you can mentor in", False, ("English", "French", "Spanish", "Arabic",
                                                                   "Portuguese", "Swahili")),
    ),
    "mentee": (
        ("short-text", "Your name", True, None),
        ("email", "Email address we can reach you at", True, None),
        ("long-text", "What do you want to learn, and why?", True, None),
        ("single-choice", "How long have you contributed to Wikimedia projects?", True,
         ("Less than a year", "1 to 3 years", "More than 3 years")),
        ("multiple-choice", "Topics you are interested in", False, ("Editing", "Organizing events",
                                                                     "Partnerships", "Technical work")),
    ),
}
_QUESTIONS_PT = {
    "mentor": (
        ("short-text", "Seu nome", True, None),
        ("email", "E-mail para contato", True, None),
        ("long-text", "O que você gostaria de compartilhar?", True, None),
        ("single-choice", "Quantas horas por mês você pode dedicar?", True, ("1-2", "3-5", "Mais de 5")),
    ),
    "mentee": (
        ("short-text", "Seu nome", True, None),
        ("email", "E-mail para contato", True, None),
        ("long-text", "O que você quer aprender?", True, None),
        ("multiple-choice", "Temas de interesse", False, ("Edição", "Eventos", "Parcerias", "Avaliação")),
    ),
}

_EVENT_KINDS = (
    ("Edit-a-thon: {topic}", "A day of writing and improving articles about {topic}, with trainers on hand "
                             "for newcomers."),
    ("Wikidata workshop: {topic}", "Hands-on introduction to Wikidata, modelling items about {topic}."),
    ("Photo walk: {topic}", "Take photos for Wikimedia Commons about {topic} and learn how to upload them."),
    ("Webinar: organizing around {topic}", "How affiliates plan, run and report community activities on {topic}."),
    ("Training of trainers: {topic}", "For people who want to teach others to contribute about {topic}."),
    ("Community meetup", "Monthly meetup of the community: news, plans and time to edit together."),
)
_TOPICS = ("women in science", "local history", "biodiversity", "indigenous languages", "public art",
           "climate", "music", "medicine", "architecture", "education")
_ZONES = ("UTC", "Europe/Madrid", "America/Sao_Paulo", "Africa/Lagos", "Asia/Kolkata", "Australia/Sydney",
          "America/New_York", "Europe/Helsinki")


def pilot_manager_number(index: int) -> int:
    """The demo profile number that manages the ``index``-th pilot organization (for tests and demos)."""
    return 1 + 7 * index


@dataclass
class ShowcaseSummary:
    organizations_filled: int = 0
    events: int = 0
    posts: int = 0
    programs: int = 0
    applications: int = 0


def seed_showcase(seed: int, today: dt.date | None = None, profiles_to_fill: int = 6,
                  events: int = 24) -> ShowcaseSummary:
    """Organization profiles, events, Diff posts and the pilot mentorship programs (the caller commits)."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    summary = ShowcaseSummary()
    demo_users = list(db.session.scalars(sa.select(User.id).where(User.central_id <= DEMO_CENTRAL_BASE)
                                        .order_by(User.central_id.desc())))
    if not demo_users:
        return summary
    caps_by_name = {name: capacity_id for name, capacity_id in db.session.execute(
        sa.select(CapacityText.name, CapacityText.capacity_id).where(CapacityText.lang == "en")) if name is not None}
    capacity_ids = list(db.session.scalars(sa.select(Capacity.id).order_by(Capacity.id)))
    territories = dict(db.session.execute(sa.select(Territory.code, Territory.id)).all())
    countries = list(db.session.scalars(sa.select(Territory.id).where(Territory.parent_id.is_not(None))
                                        .order_by(Territory.id)))
    languages = dict(db.session.execute(sa.select(Language.code, Language.id)).all())

    # The pilot organizations' managers are demo profiles 1, 8, 15 and 22 (see pilot_manager_number).
    pilots = [_pilot_organization(spec, demo_users[pilot_manager_number(i) - 1] if pilot_manager_number(i) <= len(demo_users)
                                  else demo_users[0], territories, caps_by_name)
              for i, spec in enumerate(PILOT_PROGRAMS)]
    managed = list(db.session.scalars(sa.select(OrganizationManager.organization_id).distinct()
                                      .order_by(OrganizationManager.organization_id)))
    others = [o for o in managed if o not in {p.id for p in pilots}]
    to_fill = [(org, spec["diff_tag"]) for org, spec in zip(pilots, PILOT_PROGRAMS, strict=True)]
    to_fill += [(org, None) for oid in others[:profiles_to_fill] if (org := db.session.get(Organization, oid)) is not None]
    for org, tag in to_fill:
        if _fill_profile(org, tag, random.Random(f"{seed}:organization:{org.id}"), today):  # nosec B311
            summary.organizations_filled += 1
    summary.posts = db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)
                                      .where(DiffPost.link.like("https://diff.wikimedia.org/%/capx-demo-%"))) or 0
    hosts = [org.id for org, _ in to_fill]
    summary.events = _seed_events(hosts, events, random.Random(f"{seed}:events"), today, capacity_ids, countries)  # nosec B311
    for spec, org in zip(PILOT_PROGRAMS, pilots, strict=True):
        program, created = _pilot_program(spec, org, today, caps_by_name, capacity_ids, languages)
        summary.programs += 1
        if created:
            summary.applications += _demo_applications(program, demo_users, random.Random(f"{seed}:program:{org.id}"), today)  # nosec B311
    db.session.flush()
    return summary


def _pilot_organization(spec: dict[str, Any], manager_id: int, territories: dict[str, int],
                        caps_by_name: dict[str, int]) -> Organization:
    """The pilot program's organization (found by English name or acronym, else created) with a manager."""
    org = db.session.scalar(sa.select(Organization).join(OrganizationName)
                            .where(OrganizationName.lang == "en", OrganizationName.name == spec["organization"])
                            .limit(1))
    if org is None:
        org = db.session.scalar(sa.select(Organization).where(Organization.acronym == spec["acronym"])
                                .order_by(Organization.id).limit(1))
    if org is None:
        type_id = db.session.scalar(sa.select(OrganizationType.id).where(OrganizationType.code == spec["type"]))
        org = Organization(acronym=spec["acronym"], type_id=type_id)
        org.names.append(OrganizationName(lang="en", name=spec["organization"]))
        db.session.add(org)
        db.session.flush()
    if not db.session.scalar(sa.select(sa.exists().where(OrganizationManager.organization_id == org.id))):
        db.session.add(OrganizationManager(organization_id=org.id, user_id=manager_id))
    if spec["territory"] and spec["territory"] in territories and not db.session.scalar(
            sa.select(sa.exists().where(OrganizationTerritory.organization_id == org.id))):
        db.session.add(OrganizationTerritory(organization_id=org.id, territory_id=territories[spec["territory"]]))
    if not db.session.scalar(sa.select(sa.exists().where(OrganizationCapacity.organization_id == org.id))):
        for name in spec["capacities"]:
            if name in caps_by_name:
                for kind in (KNOWN, AVAILABLE):
                    db.session.add(OrganizationCapacity(organization_id=org.id, capacity_id=caps_by_name[name],
                                                        kind=kind))
    db.session.flush()
    return org


def _fill_profile(org: Organization, diff_tag: str | None, rng: random.Random, today: dt.date) -> bool:
    """Details, projects, documents, a Diff tag with stored posts, and a logo; False if already filled."""
    if db.session.get(OrganizationDetails, org.id) is not None:
        return False
    name = org.name_in(("en",))
    slug_base = tag_slug(org.acronym or name) or f"org-{org.id}"
    page = "https://meta.wikimedia.org/wiki/" + name.replace(" ", "_")
    db.session.add(OrganizationDetails(
        organization_id=org.id, report_url=page + "/Reports", contact_meta_url=page,
        contact_email=f"contact@{slug_base}.example.org", contact_website=f"https://{slug_base}.example.org/"))
    if not org.logo_file:
        org.logo_file = _COMMONS_IMAGES[org.id % len(_COMMONS_IMAGES)]
    for position in range(rng.randint(2, 3)):
        topic = rng.choice(_TOPICS)
        db.session.add(OrganizationProject(
            organization_id=org.id, position=position, name=f"{topic.capitalize()} on Wikimedia",
            image_file=rng.choice(_COMMONS_IMAGES), url=f"{page}/Projects/{topic.replace(' ', '_')}"))
    for position, file_name in enumerate(rng.sample(_DOCUMENTS, 2)):
        db.session.add(OrganizationDocument(organization_id=org.id, position=position, file_name=file_name))
    tag = diff_tag or name
    slug = tag_slug(tag)
    db.session.add(OrganizationDiffTag(organization_id=org.id, slug=slug, name=tag, position=0))
    for n in range(1, 4):
        published = dt.datetime.combine(today - dt.timedelta(days=9 * n + rng.randint(0, 8)), dt.time(14, 30))
        link = DEMO_POST_URL.format(year=published.year, month=published.month, day=published.day, slug=slug, n=n)
        if db.session.scalar(sa.select(DiffPost.id).where(DiffPost.link == link)) is not None:
            continue
        topic = rng.choice(_TOPICS)
        post = DiffPost(link=link, published_at=published,
                        title=f"{name}: what we learned from our {topic} campaign",
                        excerpt=f"Volunteers of {name} look back at this year's {topic} campaign: who took part, "
                                f"what was written and photographed, and what comes next.")
        post.tags.append(DiffPostTag(slug=slug))
        db.session.add(post)
    db.session.flush()
    return True


def _seed_events(hosts: list[int], count: int, rng: random.Random, today: dt.date, capacity_ids: list[int],
                 countries: list[int]) -> int:
    """``count`` events spread from two weeks ago to four months ahead; a few featured per host."""
    if not hosts:
        return 0
    existing = set(db.session.scalars(sa.select(Event.url).where(Event.url.like(DEMO_EVENT_URL.format(n="%")))))
    featured: dict[int, int] = {}
    for n in range(1, count + 1):
        url = DEMO_EVENT_URL.format(n=n)
        org_id = hosts[(n - 1) % len(hosts)]
        title, description = rng.choice(_EVENT_KINDS)
        topic = rng.choice(_TOPICS)
        zone = rng.choice(_ZONES)
        fmt = rng.choice(("online", "online", "in-person", "hybrid"))
        start_local = dt.datetime.combine(today + dt.timedelta(days=rng.randint(-14, 120)),
                                          dt.time(rng.choice((9, 10, 14, 16, 18)), rng.choice((0, 30))))
        end_local = start_local + dt.timedelta(hours=rng.choice((2, 3, 8)), days=rng.choice((0, 0, 0, 1)))
        caps = rng.sample(capacity_ids, 2)
        territory = rng.choice(countries) if fmt != "online" else None
        if url in existing:
            continue
        position = None
        if featured.get(org_id, 0) < 2:
            featured[org_id] = featured.get(org_id, 0) + 1
            taken = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
                Event.organization_id == org_id, Event.featured_position.is_not(None))) or 0
            position = taken + 1 if taken < 4 else None
        event = Event(organization_id=org_id, title=title.format(topic=topic), url=url,
                      start_at=to_utc(start_local, zone), end_at=to_utc(end_local, zone), time_zone=zone,
                      format=fmt, location=None if fmt == "online" else f"Community centre, room {n}",
                      territory_id=territory, description=description.format(topic=topic),
                      image_file=rng.choice(_COMMONS_IMAGES), featured_position=position)
        event.capacities = [EventCapacity(capacity_id=c) for c in caps]
        db.session.add(event)
        db.session.flush()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event)
                             .where(Event.url.like(DEMO_EVENT_URL.format(n="%")))) or 0


def _public_key_pem() -> str:
    """A fresh public key; its private half is dropped here and never stored."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return mentorship_crypto.normalized_pem(private.public_key())


def _pilot_program(spec: dict[str, Any], org: Organization, today: dt.date, caps_by_name: dict[str, int],
                   capacity_ids: list[int], languages: dict[str, int]) -> tuple[MentorshipProgram, bool]:
    """The organization's pilot program with its forms and a public key; (program, created now)."""
    program = db.session.scalar(sa.select(MentorshipProgram).where(
        MentorshipProgram.organization_id == org.id, MentorshipProgram.name == spec["name"]))
    if program is not None:
        return program, False
    start, end = spec["window"]
    pem = _public_key_pem()
    key = mentorship_crypto.load_public_key(pem)
    program = MentorshipProgram(
        organization_id=org.id, name=spec["name"], description=spec["description"], format=spec["format"],
        location=spec["location"], registration_start=today + dt.timedelta(days=start),
        registration_end=today + dt.timedelta(days=end), time_zone=spec["time_zone"],
        form_language=spec["form_language"], public_key_pem=pem, key_fingerprint=mentorship_crypto.fingerprint(key))
    caps = [caps_by_name[n] for n in spec["capacities"] if n in caps_by_name] or capacity_ids[:2]
    program.capacities = [MentorshipProgramCapacity(capacity_id=c) for c in caps]
    program.languages = [MentorshipProgramLanguage(language_id=languages[c]) for c in spec["languages"]
                         if c in languages]
    questions = _QUESTIONS_PT if spec["form_language"] == "pt-br" else _QUESTIONS_EN
    program.questions = [MentorshipQuestion(role=role, position=i, kind=kind, label=label, required=required,
                                            options=list(options) if options else None)
                         for role, items in questions.items() for i, (kind, label, required, options) in enumerate(items)]
    db.session.add(program)
    db.session.flush()
    return program, True


def _demo_applications(program: MentorshipProgram, demo_users: list[int], rng: random.Random,
                       today: dt.date) -> int:
    """A few applications, encrypted for the program's key like real ones (nobody can read them)."""
    if program.registration_start > today:
        return 0
    key = mentorship_crypto.load_public_key(program.public_key_pem or "")
    users = db.session.execute(sa.select(User.id, User.username).where(User.id.in_(rng.sample(demo_users, min(12, len(demo_users)))))).all()
    added = 0
    for i, (user_id, username) in enumerate(sorted(users)):
        role = "mentor" if i % 3 == 0 else "mentee"
        submitted = dt.datetime.combine(program.registration_start + dt.timedelta(days=i % 5), dt.time(12, i))
        answers = [{"question_id": q.id, "kind": q.kind, "label": q.label,
                    "value": (q.options or ["demo"])[:1] if q.kind == "multiple-choice" else (q.options or ["demo"])[0]}
                   for q in program.questions if q.role == role]
        payload = {"program": program.name, "program_id": program.id, "role": role, "username": username,
                   "submitted_at": submitted.isoformat(timespec="seconds") + "Z", "answers": answers}
        envelope = mentorship_crypto.encrypt(key, program.id, role, payload)
        db.session.add(MentorshipApplication(
            program_id=program.id, applicant_id=user_id, role=role, key_fingerprint=envelope.key_fingerprint,
            wrapped_key=envelope.wrapped_key, nonce=envelope.nonce, ciphertext=envelope.ciphertext,
            created_at=submitted))
        added += 1
    return added
