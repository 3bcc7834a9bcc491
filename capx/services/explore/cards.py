"""Explore's cards: what a person's or an organization's card shows, read for a whole page at once
(one query per relation, never one per card), named from the capacity tree and the reference
snapshot in the tree's language."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from capx.extensions import db
from capx.models import (AVAILABLE, CAPACITY_KINDS, KNOWN, WANTED, OrganizationCapacity, OrganizationName,
                         OrganizationTerritory, Profile, ProfileCapacity, ProfileLanguage, ProfileTerritory,
                         SavedOrganization, SavedProfile, User)
from capx.services.capacities import CapacityNode, CapacityTree
from capx.services.explore.filters import best_lang
from capx.services.reference_data import reference_data
from capx.support.grouped import POSITION, concat, unpack
from capx.support.media import commons_file_url

#: Tags on cards, in display order: (tag name, capacity kind).
TAGS = (("learner", WANTED), ("sharer", AVAILABLE), ("proficient", KNOWN))


def _empty_capacities() -> dict[str, list[CapacityNode]]:
    return {kind: [] for kind in CAPACITY_KINDS}


@dataclass
class ProfileCard:
    """What an Explore (or saved) card shows about one person."""

    user_id: int
    username: str
    image_url: str | None
    capacities: dict[str, list[CapacityNode]] = field(default_factory=_empty_capacities)
    languages: list[tuple[str, str, str]] = field(default_factory=list)  # (label, code, direction)
    territories: list[str] = field(default_factory=list)
    saved: bool = False
    href: str = ""  # the profile's address, set by the blueprint (profiles are another area's pages)

    @property
    def url_name(self) -> str:
        return self.username.replace(" ", "_")

    @property
    def tags(self) -> list[str]:
        return [tag for tag, kind in TAGS if self.capacities[kind]]


def _image(file_name: str | None) -> str | None:
    return commons_file_url(file_name, width=128) if file_name else None


def _sort_capacities(groups: Iterable[dict[str, list[CapacityNode]]], tree: CapacityTree) -> None:
    order = tree.order
    for group in groups:
        for nodes in group.values():
            nodes.sort(key=lambda n: order.get(n.id, 0))


#: Capacity kinds packed into a card's capacity list (code * POSITION + capacity id).
_KIND_CODES = {kind: code for code, kind in enumerate(CAPACITY_KINDS)}


def _card_query(viewer: User | None) -> sa.Select[Any]:
    """Everything a person's card shows, one row per profile: the relations as packed id lists
    (named from the capacity tree and the reference snapshot), and the viewer's saved mark."""
    saved: Any = sa.false()
    if viewer is not None:
        saved = sa.exists().where(SavedProfile.owner_id == viewer.id, SavedProfile.saved_user_id == Profile.user_id)
    return (sa.select(Profile.id, Profile.user_id, User.username, Profile.avatar_id, Profile.show_wikidata_photo,
                      Profile.wikidata_photo,
                      concat(sa.case(_KIND_CODES, value=ProfileCapacity.kind) * POSITION + ProfileCapacity.capacity_id,
                             ProfileCapacity.profile_id == Profile.id).label("capacities"),
                      concat(ProfileLanguage.position * POSITION + ProfileLanguage.language_id,
                              ProfileLanguage.profile_id == Profile.id).label("languages"),
                      concat(ProfileTerritory.position * POSITION + ProfileTerritory.territory_id,
                              ProfileTerritory.profile_id == Profile.id).label("territories"),
                      saved.label("saved"))
            .join(User, User.id == Profile.user_id))


def profile_cards(profile_ids: Sequence[int], tree: CapacityTree, viewer: User | None) -> list[ProfileCard]:
    """The cards of these profiles, in this order (ids without a profile are skipped): one query.

    ``viewer`` set: each card says whether the viewer saved that person."""
    if not profile_ids:
        return []
    ref = reference_data()
    order = tree.order
    cards: dict[int, ProfileCard] = {}
    for row in db.session.execute(_card_query(viewer).where(Profile.id.in_(list(profile_ids)))):
        photo = row.wikidata_photo if row.show_wikidata_photo else None
        card = ProfileCard(row.user_id, row.username, _image(photo or ref.avatars.get(row.avatar_id or 0)),
                           saved=bool(row.saved))
        for packed in unpack(row.capacities):
            node = tree.get(packed % POSITION)
            if node is not None:
                card.capacities[CAPACITY_KINDS[packed // POSITION]].append(node)
        for nodes in card.capacities.values():
            nodes.sort(key=lambda n: order.get(n.id, 0))
        for packed in unpack(row.languages):
            language = ref.languages.get(packed % POSITION)
            if language is not None:
                card.languages.append((ref.language_label(language.id, tree.lang), language.code, language.direction))
        card.territories = [ref.territory_label(packed % POSITION, tree.lang) for packed in unpack(row.territories)
                            if packed % POSITION in ref.territories]
        cards[row.id] = card
    return [cards[i] for i in profile_ids if i in cards]


@dataclass
class OrganizationCard:
    """What an organization card shows."""

    id: int
    name: str
    name_lang: str
    acronym: str | None
    type_code: str | None
    logo_url: str | None
    capacities: dict[str, list[CapacityNode]] = field(default_factory=_empty_capacities)
    territories: list[str] = field(default_factory=list)
    saved: bool = False
    href: str = ""  # the organization profile's address, set by the blueprint

    @property
    def tags(self) -> list[str]:
        return [tag for tag, kind in TAGS if self.capacities[kind]]


def organization_cards(rows: Sequence[Any], tree: CapacityTree, viewer: User | None) -> list[OrganizationCard]:
    """Cards for rows of (id, acronym, logo_file, type_code): names (in the tree's languages),
    capacities, territories, one query each."""
    if not rows:
        return []
    chain = tree.lang_chain
    ids = [row.id for row in rows]
    names: dict[int, dict[str, str]] = {}
    for org_id, name_lang, name in db.session.execute(
            sa.select(OrganizationName.organization_id, OrganizationName.lang, OrganizationName.name)
            .where(OrganizationName.organization_id.in_(ids))):
        names.setdefault(org_id, {})[name_lang] = name
    cards: dict[int, OrganizationCard] = {}
    for row in rows:
        by_lang = names.get(row.id) or {"en": row.acronym or ""}
        name_lang = best_lang(by_lang, chain)
        cards[row.id] = OrganizationCard(row.id, by_lang[name_lang], name_lang, row.acronym, row.type_code,
                                         _image(row.logo_file))
    for org_id, capacity_id, kind in db.session.execute(
            sa.select(OrganizationCapacity.organization_id, OrganizationCapacity.capacity_id, OrganizationCapacity.kind)
            .where(OrganizationCapacity.organization_id.in_(ids))):
        node = tree.get(capacity_id)
        if node is not None:
            cards[org_id].capacities[kind].append(node)
    _sort_capacities((c.capacities for c in cards.values()), tree)
    ref = reference_data()
    for org_id, territory_id in db.session.execute(
            sa.select(OrganizationTerritory.organization_id, OrganizationTerritory.territory_id)
            .where(OrganizationTerritory.organization_id.in_(ids))
            .order_by(OrganizationTerritory.organization_id, OrganizationTerritory.territory_id)):
        if territory_id in ref.territories:
            cards[org_id].territories.append(ref.territory_label(territory_id, tree.lang))
    if viewer is not None:
        saved = set(db.session.scalars(sa.select(SavedOrganization.organization_id).where(
            SavedOrganization.owner_id == viewer.id, SavedOrganization.organization_id.in_(ids))))
        for card in cards.values():
            card.saved = card.id in saved
    return [cards[i] for i in ids]
