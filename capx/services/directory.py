"""The Capacity Directory: counts, organizations, adding to a profile, thematic categories,
capacity suggestions and their moderation, and the root colours as a stylesheet.

Names come from :func:`capx.services.capacities.capacity_tree` (loaded once per request); the
functions here add a fixed number of aggregate queries, never one per capacity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from capx.extensions import db
from capx.models import (AVAILABLE, KNOWN, SUGGESTION_APPROVED, SUGGESTION_PENDING, SUGGESTION_REJECTED, WANTED,
                         Capacity, CapacitySuggestion, CapacityText, Organization, OrganizationCapacity,
                         Profile, ProfileCapacity, ThematicCategory,
                         ThematicCategoryCapacity, User, utcnow)
from capx.services.accounts import ensure_profile
from capx.services.capacities import forget_tree
from capx.services.capacity_names import SameName, capacity_with_name, lock_capacity_writes
from capx.services.organizations import visible

#: What a person can add a capacity to their profile as, from the capacity page or the home page:
#: the choice, and the kinds it adds (a capacity one makes available is also one they know).
KNOWN_AND_AVAILABLE = "known-available"
ADD_CHOICES: dict[str, tuple[str, ...]] = {KNOWN: (KNOWN,), KNOWN_AND_AVAILABLE: (KNOWN, AVAILABLE), WANTED: (WANTED,)}
ADDABLE_KINDS = tuple(ADD_CHOICES)

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

#: The shipped thematic categories (loaded by ``flask capx load-reference`` when none exist yet;
#: staff change them afterwards on /capacity/themes/edit).
DEFAULT_THEMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("linguistic-equity", "Linguistic Equity", (
        "cultural-translation", "wikimedia-incubator", "wiktionary", "wikisource", "target-audience",
        "community-engagement", "outreach", "digitization", "edit-a-thons", "diversity-equity-and-inclusion-dei")),
    ("knowledge-gaps", "Knowledge Gaps", (
        "research", "impact-assessment", "wikidata", "wikidata-query-service", "glam-wiki-project",
        "photo-contest", "campaign", "wikimedia-commons", "survey", "wikimedian-in-residence")),
    ("open-education", "Open Education", (
        "education", "educational-programs", "youth-engagement", "computer-literacy", "training-method",
        "tutorial", "learning-analytics", "wikibooks", "academic-skills", "workshop")),
)


# -- counts and organizations ------------------------------------------------------------------

def capacity_counts(capacity_id: int) -> dict[str, int]:
    """How many people (unlocked accounts) know, offer and want a capacity.

    Two small queries instead of one join over every row: all the capacity's rows per kind (read
    from the capacity index alone; a profile lists a capacity at most once per kind, so rows are
    people), minus those of locked accounts (few, found from the ``is_locked`` index). Joining
    each of thousands of rows to its profile and user cost 170-500 ms on MariaDB at 100,000
    profiles; this costs under 10 ms.
    """
    counts = {KNOWN: 0, AVAILABLE: 0, WANTED: 0}
    for kind, n in db.session.execute(
            sa.select(ProfileCapacity.kind, sa.func.count())
            .where(ProfileCapacity.capacity_id == capacity_id).group_by(ProfileCapacity.kind)).all():
        counts[kind] = n
    for kind, n in db.session.execute(
            sa.select(ProfileCapacity.kind, sa.func.count())
            .select_from(User).join(Profile, Profile.user_id == User.id)
            .join(ProfileCapacity, ProfileCapacity.profile_id == Profile.id)
            .where(User.is_locked == sa.true(), ProfileCapacity.capacity_id == capacity_id)
            .group_by(ProfileCapacity.kind)).all():
        counts[kind] -= n
    return counts


def organizations_with(capacity_id: int, lang_chain: Sequence[str]) -> list[tuple[Organization, str]]:
    """Organizations (with at least one manager) that list the capacity, with their name, by name."""
    has_manager = visible()
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.id.in_(sa.select(OrganizationCapacity.organization_id)
                                   .where(OrganizationCapacity.capacity_id == capacity_id)), has_manager)
        .options(selectinload(Organization.names))
    ).all()
    named = [(org, org.name_in(tuple(lang_chain))) for org in orgs]
    return sorted(named, key=lambda pair: pair[1].casefold())


# -- a user's own capacities -------------------------------------------------------------------

def user_kinds(user: User | None, capacity_id: int) -> set[str]:
    """The kinds under which the user's profile already lists the capacity."""
    if user is None or user.profile is None:
        return set()
    return set(db.session.scalars(
        sa.select(ProfileCapacity.kind).where(ProfileCapacity.profile_id == user.profile.id,
                                              ProfileCapacity.capacity_id == capacity_id)))


def add_choices(kinds: set[str]) -> list[str]:
    """The add choices that would still change a profile listing the capacity in ``kinds``."""
    return [choice for choice, adds in ADD_CHOICES.items() if not set(adds) <= kinds]


def add_to_profile(user: User, capacity_id: int, choice: str) -> bool:
    """Add a capacity to the user's profile as known, known and available, or wanted (a choice of
    :data:`ADD_CHOICES`); False when it was there already in every kind the choice adds.

    Flushes; the caller commits.
    """
    if choice not in ADD_CHOICES:
        raise ValueError(choice)
    profile = ensure_profile(user)
    added = False
    for kind in ADD_CHOICES[choice]:
        if db.session.get(ProfileCapacity, (profile.id, capacity_id, kind)) is None:
            db.session.add(ProfileCapacity(profile_id=profile.id, capacity_id=capacity_id, kind=kind))
            added = True
    if added:
        profile.updated_at = utcnow()
        db.session.flush()
    return added


# -- thematic categories ------------------------------------------------------------------------

@dataclass
class Theme:
    """A thematic category with the ids of its capacities (in order)."""

    id: int
    code: str
    name: str
    message_key: str | None
    capacity_ids: list[int]


def themes() -> list[Theme]:
    """Every thematic category with its capacities: two queries."""
    categories = db.session.scalars(sa.select(ThematicCategory).order_by(ThematicCategory.position,
                                                                          ThematicCategory.id)).all()
    members: dict[int, list[int]] = {}
    for category_id, capacity_id in db.session.execute(
            sa.select(ThematicCategoryCapacity.category_id, ThematicCategoryCapacity.capacity_id)
            .order_by(ThematicCategoryCapacity.category_id, ThematicCategoryCapacity.position)):
        members.setdefault(category_id, []).append(capacity_id)
    return [Theme(c.id, c.code, c.name, c.message_key, members.get(c.id, [])) for c in categories]


def load_thematic_categories() -> int:
    """Create the shipped thematic categories when there are none (staff edits are kept).

    Returns how many categories were created; the caller commits.
    """
    if db.session.scalar(sa.select(sa.func.count()).select_from(ThematicCategory)):
        return 0
    ids = dict(db.session.execute(sa.select(Capacity.code, Capacity.id)).all())
    for position, (code, name, capacity_codes) in enumerate(DEFAULT_THEMES):
        category = ThematicCategory(code=code, name=name, message_key=f"directory-theme-{code}", position=position)
        db.session.add(category)
        db.session.flush()
        for member_position, capacity_code in enumerate(c for c in capacity_codes if c in ids):
            db.session.add(ThematicCategoryCapacity(category_id=category.id, capacity_id=ids[capacity_code],
                                                    position=member_position))
    db.session.flush()
    return len(DEFAULT_THEMES)


def categories() -> list[ThematicCategory]:
    """The thematic categories in their order."""
    return list(db.session.scalars(sa.select(ThematicCategory).order_by(ThematicCategory.position)))


def category(category_id: int | None) -> ThematicCategory | None:
    """A thematic category by id (None for None)."""
    return db.session.get(ThematicCategory, category_id) if category_id is not None else None


def set_theme_capacities(category: ThematicCategory, capacity_ids: list[int]) -> None:
    """Replace a category's capacities (unknown ids are ignored); the caller commits."""
    known = set(db.session.scalars(sa.select(Capacity.id).where(Capacity.id.in_(capacity_ids)))) if capacity_ids else set()
    db.session.execute(sa.delete(ThematicCategoryCapacity).where(ThematicCategoryCapacity.category_id == category.id))
    for position, capacity_id in enumerate(i for i in capacity_ids if i in known):
        db.session.add(ThematicCategoryCapacity(category_id=category.id, capacity_id=capacity_id, position=position))
    db.session.flush()


# -- suggestions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewSuggestion:
    """A suggested capacity as checked by :func:`capx.forms.directory.read_suggestion`."""

    title: str
    description: str
    reason: str | None
    parent_id: int | None


@dataclass(frozen=True)
class Approval:
    """Staff's approval of a suggestion: the capacity to create (``parent_id`` None: a new root)."""

    name: str
    description: str
    parent_id: int | None
    note: str | None


def create_suggestion(user: User, new: NewSuggestion) -> CapacitySuggestion:
    """Queue a suggested capacity for staff (a parent that no longer exists is dropped); flushes."""
    parent_id = new.parent_id
    if parent_id is not None and db.session.get(Capacity, parent_id) is None:
        parent_id = None
    suggestion = CapacitySuggestion(user_id=user.id, title=new.title.strip(), description=new.description.strip(),
                                    reason=(new.reason or "").strip() or None, suggested_parent_id=parent_id,
                                    status=SUGGESTION_PENDING)
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def suggestions_of(user: User) -> list[CapacitySuggestion]:
    """The user's own suggestions, newest first."""
    return list(db.session.scalars(
        sa.select(CapacitySuggestion).where(CapacitySuggestion.user_id == user.id)
        .order_by(CapacitySuggestion.created_at.desc(), CapacitySuggestion.id.desc())))


def moderation_queue(decided_limit: int = 50) -> tuple[list[CapacitySuggestion], list[CapacitySuggestion]]:
    """The pending suggestions (oldest first) and the latest ``decided_limit`` decisions, with their people."""
    pending = db.session.scalars(
        sa.select(CapacitySuggestion).where(CapacitySuggestion.status == SUGGESTION_PENDING)
        .options(selectinload(CapacitySuggestion.user))
        .order_by(CapacitySuggestion.created_at, CapacitySuggestion.id)).all()
    decided = db.session.scalars(
        sa.select(CapacitySuggestion).where(CapacitySuggestion.status != SUGGESTION_PENDING)
        .options(selectinload(CapacitySuggestion.user), selectinload(CapacitySuggestion.decided_by))
        .order_by(CapacitySuggestion.decided_at.desc()).limit(decided_limit)).all()
    return list(pending), list(decided)


def suggestion(suggestion_id: int) -> CapacitySuggestion | None:
    """A suggestion by id."""
    return db.session.get(CapacitySuggestion, suggestion_id)


def is_pending(suggestion: CapacitySuggestion) -> bool:
    """Whether staff may still decide about the suggestion."""
    return suggestion.status == SUGGESTION_PENDING


def _unique_code(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:80] or "capacity"
    existing = set(db.session.scalars(sa.select(Capacity.code).where(Capacity.code.like(f"{base}%"))))
    code, n = base, 2
    while code in existing:
        code, n = f"{base}-{n}", n + 1
    return code


def approve_suggestion(suggestion: CapacitySuggestion, staff: User, approval: Approval) -> Capacity | SameName:
    """Create the capacity (English name and description, source "local") under ``approval.parent_id``.

    A capacity without parent becomes a new root. Flushes; the caller commits. When a capacity already has
    the name (equal after case and accent folding, in any language), nothing is created and that
    capacity is returned as a :class:`SameName`: the caller rolls back and offers to reject the
    suggestion as its duplicate or to approve it under another name. Approvals wait for each other
    (:func:`capx.services.capacity_names.lock_capacity_writes`), so two staff approving one name at
    the same moment create one capacity.
    """
    parent_id, name, description, note = approval.parent_id, approval.name, approval.description, approval.note
    lock_capacity_writes()
    same = capacity_with_name(name)
    if same is not None:
        return same
    siblings = db.session.scalar(sa.select(sa.func.count()).select_from(Capacity)
                                 .where(Capacity.parent_id.is_(None) if parent_id is None
                                        else Capacity.parent_id == parent_id)) or 0
    capacity = Capacity(code=_unique_code(name), parent_id=parent_id, position=siblings, missing_upstream=False)
    db.session.add(capacity)
    db.session.flush()
    db.session.add(CapacityText(capacity_id=capacity.id, lang="en", name=name.strip()[:255],
                                description=description.strip() or None, name_source="local",
                                description_source="local" if description.strip() else None))
    suggestion.status = SUGGESTION_APPROVED
    suggestion.capacity_id = capacity.id
    suggestion.decided_by_id = staff.id
    suggestion.decided_at = utcnow()
    suggestion.note = (note or "").strip() or None
    db.session.flush()
    forget_tree()
    return capacity


def reject_suggestion(suggestion: CapacitySuggestion, staff: User, note: str, duplicate_of: int | None = None) -> None:
    """Reject with a note the suggester sees; flushes, the caller commits. ``duplicate_of``: the existing
    capacity the suggestion duplicates, linked for the suggester (ignored if there is none such)."""
    if duplicate_of is not None and db.session.get(Capacity, duplicate_of) is not None:
        suggestion.capacity_id = duplicate_of
    suggestion.status = SUGGESTION_REJECTED
    suggestion.decided_by_id = staff.id
    suggestion.decided_at = utcnow()
    suggestion.note = note.strip()
    db.session.flush()


# -- colours ------------------------------------------------------------------------------------

def colors_css() -> str:
    """A stylesheet giving each root capacity (and its descendants' cards) its colour.

    Colours live in the capacity table; the Content-Security-Policy forbids inline styles, so
    pages link this generated stylesheet and mark elements with ``data-root="<code>"``.
    """
    rows = db.session.execute(sa.select(Capacity.code, Capacity.color)
                              .where(Capacity.parent_id.is_(None), Capacity.color.is_not(None))
                              .order_by(Capacity.position)).all()
    lines = ["/* Generated from the capacity table: one colour per root capacity. */"]
    for code, color in rows:
        if not HEX_COLOR.match(color or "") or not re.fullmatch(r"[a-z0-9-]+", code):
            continue
        lines.append(f'[data-root="{code}"] {{ --capacity-color: {color}; }}')
    return "\n".join(lines) + "\n"
