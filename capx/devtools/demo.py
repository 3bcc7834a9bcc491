"""Deterministic synthetic data for development and benchmarks (``flask capx seed-demo``).

Profile number ``n`` is always the same for a given seed, whatever the batch it falls in, so
``--profiles 1000`` followed by ``--profiles 100000`` adds profiles 1001 to 100000 and running the
same command twice adds nothing. Rows are written with bulk inserts in batches, which keeps
100,000 profiles well under three minutes on SQLite.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Callable, cast

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, WANTED, Avatar, Capacity, Language, Organization, OrganizationCapacity,
                         OrganizationManager, OrganizationName, OrganizationTerritory, Profile, ProfileAffiliation,
                         ProfileCapacity, ProfileLanguage, ProfileProject, ProfileTerritory, Territory, User,
                         WikimediaProject)
from capx.devtools.demo_showcase import PILOT_PROGRAMS, seed_showcase
from capx.models.people import fill_name_grams, profile_search_name
from capx.services.accounts import DEMO_CENTRAL_BASE
from capx.services.statistics import refresh_statistics

#: Demo accounts live in their own range of (negative) central ids, apart from real and dev ones.
BATCH = 2_000

_FIRST = ("Ana", "Bruno", "Carla", "Dayo", "Eun", "Farah", "Giulia", "Hiro", "Ines", "Jamal", "Kofi", "Lena",
          "Mateo", "Nadia", "Omar", "Priya", "Quang", "Rosa", "Sami", "Tariq", "Uma", "Vera", "Wanjiru", "Xin",
          "Yusuf", "Zofia", "Amara", "Björn", "Chidi", "Dilnoza", "Emre", "Fatou", "Gabriel", "Hana", "Ivan")
_LAST = ("Silva", "Okafor", "Kim", "Haddad", "Rossi", "Tanaka", "García", "Mensah", "Novak", "Singh", "Nguyen",
         "Mwangi", "Kowalski", "Cohen", "Petrov", "Diallo", "Santos", "Ali", "Müller", "Costa", "Reyes", "Bakr")
_BIO = ("Wikipedian since {year}, editing mostly about {topic}.",
        "I organize edit-a-thons about {topic} in my community.",
        "Librarian and Wikidata enthusiast interested in {topic}.",
        "Teacher using Wikimedia projects in class; I love {topic}.",
        "Photographer for Commons, focusing on {topic}.")
_TOPICS = ("local history", "women in science", "biodiversity", "indigenous languages", "architecture",
           "public art", "music", "climate", "football", "medicine")
# Languages weighted roughly like the movement: many English and Spanish speakers, a long tail.
_COMMON_LANGUAGES = ("en", "es", "pt-br", "pt", "fr", "de", "ar", "hi", "id", "sw", "ru", "it", "ja", "zh-hans",
                     "bn", "ur", "fa", "tr", "uk", "pl", "yo", "ha", "ig", "he", "nl", "ko", "vi", "th", "ta")


@dataclass
class DemoSummary:
    created: int = 0
    existing: int = 0
    organizations_managed: int = 0
    organizations_filled: int = 0
    events: int = 0
    programs: int = 0


def _now() -> dt.datetime:
    return dt.datetime(2026, 11, 1, 12, 0, 0)


def demo_username(n: int, seed: int = 1) -> str:
    """The user name of demo profile ``n`` (the first draws of its random stream)."""
    rng = random.Random(f"{seed}:{n}")  # nosec B311 # deterministic demo data, not a secret
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {n}"


def _demo_rows(n: int, seed: int, ctx: dict[str, Any]) -> dict[str, Any]:
    """Everything about demo profile ``n``, from its own random stream."""
    rng = random.Random(f"{seed}:{n}")  # nosec B311 # reproducible demo data, not security
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {n}"
    registered = _now() - dt.timedelta(days=rng.randint(30, 365 * 18))
    updated = _now() - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 730))
    created = _now() - dt.timedelta(days=rng.randint(0, 700))
    complete = rng.random() < 0.85
    capacities: list[tuple[int, str]] = []
    if complete:
        known = rng.sample(ctx["capacities"], rng.randint(1, 8))
        capacities += [(c, KNOWN) for c in known]
        capacities += [(c, AVAILABLE) for c in known if rng.random() < 0.6]
        wanted = rng.sample(ctx["capacities"], rng.randint(0, 5))
        capacities += [(c, WANTED) for c in wanted if c not in known]
    langs = []
    for code in {rng.choice(_COMMON_LANGUAGES) for _ in range(rng.randint(1, 3))}:
        if code in ctx["languages"]:
            langs.append((ctx["languages"][code], rng.choice((1, 2, 3, 3, 4, 5, 6, 6))))
    territories = []
    if rng.random() < 0.9:
        territories.append(rng.choice(ctx["countries"]) if rng.random() < 0.75 else rng.choice(ctx["regions"]))
    affiliations = rng.sample(ctx["organizations"], rng.randint(0, 2)) if ctx["organizations"] and rng.random() < 0.5 else []
    projects = rng.sample(ctx["projects"], rng.randint(0, 3)) if ctx["projects"] else []
    bio = None
    if rng.random() < 0.6:
        bio = rng.choice(_BIO).format(year=registered.year, topic=rng.choice(_TOPICS))
    return {"name": name, "registered": registered, "updated": updated, "created": created,
            "capacities": capacities, "languages": langs, "territories": territories,
            "affiliations": affiliations, "projects": projects, "bio": bio,
            "avatar": ctx["avatars"][rng.randrange(len(ctx["avatars"]))] if ctx["avatars"] and rng.random() < 0.7 else None,
            "bio_language": ctx["languages"].get("en") if bio else None}


def _context() -> dict[str, Any]:
    territories = db.session.execute(sa.select(Territory.id, Territory.parent_id)).all()
    return {
        "capacities": list(db.session.scalars(sa.select(Capacity.id).order_by(Capacity.id))),
        "languages": dict(db.session.execute(sa.select(Language.code, Language.id)).all()),
        "countries": [t.id for t in territories if t.parent_id is not None],
        "regions": [t.id for t in territories if t.parent_id is None],
        # Reference organizations only: the ones the showcase creates must not shift the choices.
        "organizations": list(db.session.scalars(sa.select(Organization.id).where(
            Organization.id.not_in(_showcase_created_ids())).order_by(Organization.id))),
        "projects": list(db.session.scalars(sa.select(WikimediaProject.id).order_by(WikimediaProject.id))),
        "avatars": list(db.session.scalars(sa.select(Avatar.id).order_by(Avatar.position))),
    }


def _showcase_created_ids() -> sa.Select[int]:
    return sa.select(OrganizationName.organization_id).where(
        OrganizationName.lang == "en", OrganizationName.name.in_([p["organization"] for p in PILOT_PROGRAMS]))


def seed_demo(profiles: int, seed: int = 1, echo: Callable[[str], None] = print,
              managed_organizations: int = 40, showcase: bool = True, today: dt.date | None = None) -> DemoSummary:
    """Create demo profiles 1..``profiles`` that do not exist yet, and give organizations managers.

    With ``showcase`` (the default) also fill a few organization profiles, add events and Diff
    posts, the four pilot mentorship programs (capx.devtools.demo_showcase), and refresh the
    dashboard's statistics so they count the demo data."""
    ctx = _context()
    if not ctx["capacities"] or not ctx["countries"]:
        raise RuntimeError("load the reference data first: flask capx load-reference")
    summary = DemoSummary()
    existing = set(db.session.scalars(
        sa.select(User.central_id).where(User.central_id <= DEMO_CENTRAL_BASE, User.central_id > DEMO_CENTRAL_BASE - profiles - 1)))
    summary.existing = len(existing)
    todo = [n for n in range(1, profiles + 1) if DEMO_CENTRAL_BASE - n not in existing]
    for start in range(0, len(todo), BATCH):
        _insert_batch(todo[start:start + BATCH], seed, ctx)
        summary.created += len(todo[start:start + BATCH])
        echo(f"demo profiles: {summary.created + summary.existing} of {profiles}")
    summary.organizations_managed = _assign_managers(managed_organizations, seed, ctx)
    if showcase:
        shown = seed_showcase(seed, today=today)
        summary.organizations_filled, summary.events, summary.programs = (
            shown.organizations_filled, shown.events, shown.programs)
        echo(f"showcase: {shown.organizations_filled} organization profiles filled, {shown.events} demo events, "
             f"{shown.posts} Diff posts, {shown.programs} mentorship programs, "
             f"{shown.applications} new demo applications")
    db.session.commit()
    if showcase:
        refresh_statistics()
        db.session.commit()
    with_managers = db.session.scalar(sa.select(sa.func.count(sa.distinct(OrganizationManager.organization_id)))) or 0
    echo(f"done: {summary.created} created, {summary.existing} already there, "
         f"{with_managers} organizations with managers")
    return summary


def _insert_batch(numbers: list[int], seed: int, ctx: dict[str, Any]) -> None:
    rows = {n: _demo_rows(n, seed, ctx) for n in numbers}
    db.session.execute(sa.insert(User), [
        {"central_id": DEMO_CENTRAL_BASE - n, "username": r["name"], "registered_at": r["registered"],
         "is_staff": False, "is_locked": False, "session_generation": 0, "created_at": r["created"]}
        for n, r in rows.items()])
    user_ids = dict(db.session.execute(
        sa.select(User.central_id, User.id).where(User.central_id.in_([DEMO_CENTRAL_BASE - n for n in numbers]))).all())
    db.session.execute(sa.insert(Profile), [
        {"user_id": user_ids[DEMO_CENTRAL_BASE - n], "bio": r["bio"], "bio_language_id": r["bio_language"],
         "avatar_id": r["avatar"], "updated_at": r["updated"], "show_wikidata_photo": False,
         "show_wikidata_item": False, "search_name": profile_search_name(r["name"], None)}
        for n, r in rows.items()])
    profile_ids = dict(db.session.execute(
        sa.select(Profile.user_id, Profile.id).where(Profile.user_id.in_(list(user_ids.values())))).all())
    # Bulk inserts bypass the session events that keep name grams current.
    fill_name_grams(db.session.connection(), Profile.__table__.c.id.in_(list(profile_ids.values())), new=True)
    caps, langs, terrs, affs, projs = [], [], [], [], []
    for n, r in rows.items():
        pid = profile_ids[user_ids[DEMO_CENTRAL_BASE - n]]
        caps += [{"profile_id": pid, "capacity_id": c, "kind": k} for c, k in r["capacities"]]
        langs += [{"profile_id": pid, "language_id": lid, "proficiency": p, "position": i}
                  for i, (lid, p) in enumerate(r["languages"])]
        terrs += [{"profile_id": pid, "territory_id": t, "position": i} for i, t in enumerate(r["territories"])]
        affs += [{"profile_id": pid, "organization_id": o, "position": i} for i, o in enumerate(r["affiliations"])]
        projs += [{"profile_id": pid, "project_id": p, "position": i} for i, p in enumerate(r["projects"])]
    for model, values in ((ProfileCapacity, caps), (ProfileLanguage, langs), (ProfileTerritory, terrs),
                          (ProfileAffiliation, affs), (ProfileProject, projs)):
        if values:
            db.session.execute(sa.insert(model), values)
    db.session.commit()


def _assign_managers(count: int, seed: int, ctx: dict[str, Any]) -> int:
    """Give ``count`` organizations a demo manager, capacities and a territory (idempotent)."""
    rng = random.Random(f"{seed}:organizations")  # nosec B311 # reproducible demo data, not security
    orgs = ctx["organizations"][:]
    rng.shuffle(orgs)
    chosen = orgs[:count]
    managed = set(db.session.scalars(sa.select(OrganizationManager.organization_id)))
    demo_users = list(db.session.scalars(
        sa.select(User.id).where(User.central_id <= DEMO_CENTRAL_BASE).order_by(User.id).limit(max(count * 2, 1))))
    if not demo_users:
        return len(managed)
    for i, org_id in enumerate(chosen):
        if org_id in managed:
            continue
        db.session.add(OrganizationManager(organization_id=org_id, user_id=demo_users[i % len(demo_users)]))
        known = rng.sample(ctx["capacities"], 5)
        for cap in known:
            db.session.add(OrganizationCapacity(organization_id=org_id, capacity_id=cap, kind=KNOWN))
        for cap in known[:3]:
            db.session.add(OrganizationCapacity(organization_id=org_id, capacity_id=cap, kind=AVAILABLE))
        for cap in rng.sample([c for c in ctx["capacities"] if c not in known], 3):
            db.session.add(OrganizationCapacity(organization_id=org_id, capacity_id=cap, kind=WANTED))
        db.session.add(OrganizationTerritory(organization_id=org_id, territory_id=rng.choice(ctx["countries"])))
        managed.add(org_id)
    db.session.flush()
    return len(managed)


#: Profiles seed_demo generates before a benchmark multiplies them (see replicate_demo).
REPLICATION_BASE = 100_000
#: Profiles copied per statement: each INSERT ... SELECT stays well inside the connection's read timeout.
REPLICATION_CHUNK = 10_000


def _shifted(column: Any, seconds: Any) -> Any:
    """``column`` moved ``seconds`` back in time, in the database's own date arithmetic."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.datetime(column, sa.func.printf("-%d seconds", seconds))
    return sa.func.timestampadd(sa.text("SECOND"), -seconds, column)


def replicate_demo(profiles: int, base: int = REPLICATION_BASE, echo: Callable[[str], None] = print) -> int:
    """Reach ``profiles`` demo profiles by copying demo profiles 1..``base`` inside the database.

    Generating a profile in Python costs about a millisecond; a million-profile benchmark would wait
    most of an hour for it. Copy round ``k`` repeats profiles 1..``base`` as numbers
    ``k*base + n``: same capacities, languages, territories, affiliations and projects, the user
    name suffixed " r<k>", and the update time moved back by up to 30 days (deterministically) so
    that copies interleave with the originals in "newest first" order. One INSERT ... SELECT per
    table and chunk of 10,000 profiles; a chunk is committed whole, and chunks already there are
    skipped. Demo profiles 1..``base`` must exist (``seed_demo(base)``). Returns the number of
    profiles created.
    """
    originals = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.central_id <= DEMO_CENTRAL_BASE - 1, User.central_id >= DEMO_CENTRAL_BASE - base)) or 0
    if originals < base:
        raise RuntimeError(f"replicate_demo needs demo profiles 1..{base} first (found {originals})")
    created = 0
    for k in range(1, (profiles - 1) // base + 1):
        offset = k * base
        for first in range(1, min(base, profiles - offset) + 1, REPLICATION_CHUNK):
            last = min(first + REPLICATION_CHUNK - 1, base, profiles - offset)
            if db.session.scalar(sa.select(User.id).where(User.central_id == DEMO_CENTRAL_BASE - offset - first)):
                continue
            _copy_chunk(k, offset, first, last)
            db.session.commit()
            created += last - first + 1
        echo(f"demo profiles: copy {k} done ({min(profiles, offset + base)} of {profiles})")
    return created


def _copy_chunk(k: int, offset: int, first: int, last: int) -> None:
    """Copy demo profiles ``first``..``last`` as numbers ``offset + n`` (see replicate_demo)."""
    old_user, new_user = aliased(User), aliased(User)
    old_profile, new_profile = aliased(Profile), aliased(Profile)
    copied = sa.and_(old_user.central_id <= DEMO_CENTRAL_BASE - first, old_user.central_id >= DEMO_CENTRAL_BASE - last)
    user_columns = ["central_id", "username", "registered_at", "is_staff", "is_locked", "session_generation",
                    "created_at"]
    db.session.execute(sa.insert(User).from_select(user_columns, sa.select(
        old_user.central_id - offset, old_user.username + f" r{k}", old_user.registered_at, old_user.is_staff,
        old_user.is_locked, old_user.session_generation, old_user.created_at).where(copied)))
    user_pairs = (sa.select(old_user.id.label("old_user"), new_user.id.label("new_user"))
                  .join(new_user, new_user.central_id == old_user.central_id - offset).where(copied).subquery())
    # The copies get the ids after the highest one: a range, which MariaDB reads far better than
    # the join below as an IN subquery (that DELETE + INSERT took over 30 s per chunk).
    copies_after = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Profile.id), 0)))
    profile_columns = ["user_id", "bio", "bio_language_id", "avatar_id", "show_wikidata_photo",
                       "show_wikidata_item", "updated_at", "search_name"]
    db.session.execute(sa.insert(Profile).from_select(profile_columns, sa.select(
        user_pairs.c.new_user, old_profile.bio, old_profile.bio_language_id, old_profile.avatar_id,
        old_profile.show_wikidata_photo, old_profile.show_wikidata_item,
        _shifted(old_profile.updated_at, (old_profile.id * 7919 + k * 104729) % 2_592_000),
        old_profile.search_name + f" r{k}").join(user_pairs, user_pairs.c.old_user == old_profile.user_id)))
    profile_pairs = (sa.select(old_profile.id.label("old"), new_profile.id.label("new"))
                     .join(user_pairs, user_pairs.c.old_user == old_profile.user_id)
                     .join(new_profile, new_profile.user_id == user_pairs.c.new_user).subquery())
    fill_name_grams(db.session.connection(), Profile.__table__.c.id > copies_after, new=True)
    for model in (ProfileCapacity, ProfileLanguage, ProfileTerritory, ProfileAffiliation, ProfileProject):
        table = cast(sa.Table, model.__table__)  # a mapped class's table (typed as any FromClause)
        others = [c for c in table.columns if c.name != "profile_id"]
        db.session.execute(sa.insert(table).from_select(
            ["profile_id", *(c.name for c in others)],
            sa.select(profile_pairs.c.new, *others).join(profile_pairs, profile_pairs.c.old == table.c.profile_id)))
