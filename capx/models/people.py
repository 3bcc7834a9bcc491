"""People: accounts, profiles and what hangs off them.

A user is identified by the central (global) account id that Meta-Wiki's OAuth returns as
``sub``; the user name can change (global renames), the id cannot.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from capx.models.base import Model, capacity_kind, exact_string, table_args, utcnow
from capx.models.capacities import Capacity
from capx.models.reference import Avatar, Language, Territory, WikimediaProject

if TYPE_CHECKING:  # the organizations module imports this one
    from capx.models.organizations import Organization

#: Language proficiency levels, stored as their index (0 = not proficient ... 6 = native).
PROFICIENCY_LEVELS = ("not-proficient", "basic", "intermediate", "advanced", "almost-native",
                      "professional", "native")
DEFAULT_PROFICIENCY = PROFICIENCY_LEVELS.index("advanced")

#: Length of :attr:`Profile.search_name` (two 255-character names, a separator, and room for
#: the few characters whose lower case is longer).
SEARCH_NAME_LENGTH = 520


def fold_for_search(text: str) -> str:
    """``text`` as name search compares it: lower case, accents removed ("José" -> "jose").

    The same in Python for every database, so SQLite and MariaDB find the same people, and a plain
    byte comparison (LIKE on a binary column) is all the database has to do.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def profile_search_name(username: str, alt_account: str | None) -> str:
    """The folded user name and alternative account, one per line (a search term never holds a newline,
    so no match can straddle the two)."""
    return "\n".join(fold_for_search(name) for name in (username, alt_account) if name)[:SEARCH_NAME_LENGTH]


class User(Model):
    """A Wikimedian who logged in at least once."""

    __tablename__ = "user"
    # The staff overview of people pages through user names with these filters from the index alone.
    __table_args__ = table_args(sa.Index("ix_user_staff_list", "username", "is_staff", "is_locked"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only for accounts imported from the previous platform whose central id could not be
    # found: they are locked and never matched at login (login matches central ids only).
    central_id: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    username: Mapped[str] = mapped_column(exact_string(255), unique=True)
    registered_at: Mapped[dt.datetime | None] = mapped_column()
    is_staff: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_locked: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    interface_language: Mapped[str | None] = mapped_column(sa.String(35))
    # Bumped on logout and account deletion: every session carrying an older value is void.
    session_generation: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column()
    accounts_synced_at: Mapped[dt.datetime | None] = mapped_column()

    profile: Mapped["Profile | None"] = relationship(back_populates="user", uselist=False,
                                                     cascade="all, delete-orphan", passive_deletes=True)

    @property
    def url_name(self) -> str:
        """The user name as it appears in URLs (spaces as underscores, like MediaWiki)."""
        return self.username.replace(" ", "_")


class OAuthToken(Model):
    """A user's OAuth access token for a wiki, encrypted with a key from the environment."""

    __tablename__ = "oauth_token"
    __table_args__ = table_args()

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20), primary_key=True)  # "meta" or "metabase"
    token_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Profile(Model):
    """What a user publishes about themselves (one per user)."""

    __tablename__ = "profile"
    # Explore walks profiles newest update first; with the columns its conditions read in the
    # index (user_id for the join, search_name for name search), the walk never opens a row.
    __table_args__ = table_args(sa.Index("ix_profile_walk", "updated_at", "id", "user_id", "search_name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    bio: Mapped[str | None] = mapped_column(sa.Text)
    bio_language_id: Mapped[int | None] = mapped_column(sa.ForeignKey("language.id"))
    avatar_id: Mapped[int | None] = mapped_column(sa.ForeignKey("avatar.id"))
    show_wikidata_photo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    show_wikidata_item: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    wikidata_qid: Mapped[str | None] = mapped_column(sa.String(20))
    wikidata_photo: Mapped[str | None] = mapped_column(sa.String(255))  # Commons file name
    wikidata_checked_at: Mapped[dt.datetime | None] = mapped_column()
    alt_account: Mapped[str | None] = mapped_column(exact_string(255), index=True)
    lets_connect_registered_at: Mapped[dt.datetime | None] = mapped_column()
    # Let's Connect's confirmation of the registration (the registration itself is kept there).
    lets_connect_confirmation: Mapped[str | None] = mapped_column(sa.String(100))
    lets_connect_imported_at: Mapped[dt.datetime | None] = mapped_column()
    # Whether visitors who are not logged in may see the profile (the person's choice; off for
    # everyone until they turn it on, imported people included).
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The user name and alt_account folded by profile_search_name: kept up to date on every flush
    # (see _refresh_search_names), so Explore's name search reads it from the walk index below
    # instead of looking up the user row of every profile it passes.
    search_name: Mapped[str] = mapped_column(exact_string(SEARCH_NAME_LENGTH), default="", server_default="")

    user: Mapped[User] = relationship(back_populates="profile")
    bio_language: Mapped[Language | None] = relationship()
    avatar: Mapped[Avatar | None] = relationship()
    capacities: Mapped[list["ProfileCapacity"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", passive_deletes=True)
    languages: Mapped[list["ProfileLanguage"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ProfileLanguage.position")
    territories: Mapped[list["ProfileTerritory"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ProfileTerritory.position")
    affiliations: Mapped[list["ProfileAffiliation"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ProfileAffiliation.position")
    projects: Mapped[list["ProfileProject"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ProfileProject.position")


#: Name search indexes every run of this many characters of a profile's folded names.
GRAM = 3


class ProfileNameGram(Model):
    """Three consecutive characters of a profile's folded names (:attr:`Profile.search_name`).

    A search text of three or more characters can only be in a profile that has every gram of it,
    so Explore's name search reads the candidates from its rarest gram's rows instead of scanning
    every profile's name (the whole index at 100,000 profiles for a name that matches one person).
    Kept in step with ``search_name`` by :func:`fill_name_grams` (session events below, demo
    seeding, migration 0114). Grams never span the newline between the two names.
    """

    __tablename__ = "profile_name_gram"
    __table_args__ = table_args(sa.Index("ix_profile_name_gram_profile", "profile_id"))

    gram: Mapped[str] = mapped_column(exact_string(GRAM), primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True)


def name_grams(text: str) -> set[str]:
    """The grams of an already folded text, as :func:`fill_name_grams` stores them."""
    return {part[i:i + GRAM] for part in text.split("\n") for i in range(len(part) - GRAM + 1)}


def fill_name_grams(connection: sa.Connection, profiles: Any, new: bool = False) -> None:
    """Write the grams of the profiles matching ``profiles`` (a condition on ``profile``), after
    deleting theirs unless they are ``new`` (none yet): one DELETE and one INSERT ... SELECT, the
    grams cut by the database itself (SUBSTR over a run of positions), so a bulk write of a million
    profiles needs no Python loop."""
    # The mapped classes' tables (typed as any FromClause, which has no insert/delete).
    gram_table, profile = cast(sa.Table, ProfileNameGram.__table__), cast(sa.Table, Profile.__table__)
    if not new:
        chosen = sa.select(profile.c.id).where(profiles)
        connection.execute(gram_table.delete().where(gram_table.c.profile_id.in_(chosen)))
    positions = sa.select(sa.literal(1).label("i")).cte("positions", recursive=True)
    positions = positions.union_all(sa.select(positions.c.i + 1).where(positions.c.i < SEARCH_NAME_LENGTH - GRAM + 1))
    gram = sa.func.substr(profile.c.search_name, positions.c.i, GRAM)
    connection.execute(gram_table.insert().from_select(["gram", "profile_id"], sa.select(gram, profile.c.id).distinct()
        .join(positions, positions.c.i <= sa.func.char_length(profile.c.search_name) - GRAM + 1)
        .where(profiles, gram.not_like("%\n%"))))


class KeptProfileData(Model):
    """What a profile had on the previous platform that CapX does not show: kept for its owner.

    The owner sees it on the edit page and in the data export; nobody else sees it. ``contact``
    and ``social`` are lists of ``{"display_name", "value"}``; ``territories`` the names of
    territories CapX cannot place in a Wikimedia region; ``lets_connect`` the Let's Connect
    confirmations (``{"confirmation", "at"}``).
    """

    __tablename__ = "kept_profile_data"
    __table_args__ = table_args()

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(255))
    pronoun: Mapped[str | None] = mapped_column(sa.String(20))
    team: Mapped[str | None] = mapped_column(sa.String(255))
    contact: Mapped[list[dict[str, str]] | None] = mapped_column(sa.JSON)
    social: Mapped[list[dict[str, str]] | None] = mapped_column(sa.JSON)
    territories: Mapped[list[str] | None] = mapped_column(sa.JSON)
    lets_connect: Mapped[list[dict[str, str]] | None] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProfileCapacity(Model):
    """A capacity on a profile as known, available or wanted."""

    __tablename__ = "profile_capacity"
    # Filtering asks "who has capacity C as kind K": (kind, capacity_id) leads the index, and
    # profile_id completes it so the lookup never touches the table.
    __table_args__ = table_args(sa.Index("ix_profile_capacity_kind_capacity", "kind", "capacity_id", "profile_id"))

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True)
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacity.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(capacity_kind, primary_key=True)

    profile: Mapped[Profile] = relationship(back_populates="capacities")
    capacity: Mapped[Capacity] = relationship()


class ProfileLanguage(Model):
    """A language on a profile with its proficiency (index into PROFICIENCY_LEVELS)."""

    __tablename__ = "profile_language"
    __table_args__ = table_args(sa.Index("ix_profile_language_language", "language_id", "proficiency", "profile_id"))

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True)
    language_id: Mapped[int] = mapped_column(sa.ForeignKey("language.id"), primary_key=True)
    proficiency: Mapped[int] = mapped_column(sa.SmallInteger, default=DEFAULT_PROFICIENCY)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)

    profile: Mapped[Profile] = relationship(back_populates="languages")
    language: Mapped[Language] = relationship()


class ProfileTerritory(Model):
    """A region or country a profile shows."""

    __tablename__ = "profile_territory"
    __table_args__ = table_args(sa.Index("ix_profile_territory_territory", "territory_id", "profile_id"))

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True)
    territory_id: Mapped[int] = mapped_column(sa.ForeignKey("territory.id"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)

    territory: Mapped[Territory] = relationship()


class ProfileAffiliation(Model):
    """An organization a profile says it is affiliated with."""

    __tablename__ = "profile_affiliation"
    __table_args__ = table_args(sa.Index("ix_profile_affiliation_organization", "organization_id", "profile_id"))

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)

    organization: Mapped[Organization] = relationship()


class ProfileProject(Model):
    """A Wikimedia project a profile is interested in."""

    __tablename__ = "profile_project"
    __table_args__ = table_args()

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("wikimedia_project.id"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)

    project: Mapped[WikimediaProject] = relationship()


class SavedProfile(Model):
    """A profile someone saved to their private list. Nobody else can see it."""

    __tablename__ = "saved_profile"
    __table_args__ = table_args(sa.Index("ix_saved_profile_saved_user", "saved_user_id"))

    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    saved_user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SavedOrganization(Model):
    """An organization someone saved to their private list."""

    __tablename__ = "saved_organization"
    __table_args__ = table_args(sa.Index("ix_saved_organization_organization", "organization_id"))

    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


@sa.event.listens_for(Session, "before_flush")
def _refresh_search_names(session: Session, _context: Any, _instances: Any) -> None:
    """Recompute :attr:`Profile.search_name` of new or changed profiles and renamed users.

    Bulk ``insert()``/``update()`` statements bypass this; the only one that writes profiles (demo
    seeding) sets the column itself.
    """
    def changed(obj: Any, attribute: str) -> bool:
        return sa.inspect(obj).attrs[attribute].history.has_changes()

    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Profile) and (obj in session.new or changed(obj, "alt_account")):
            profile = obj
            user = obj.user if obj.user is not None else (session.get(User, obj.user_id) if obj.user_id else None)
        elif isinstance(obj, User) and obj not in session.new and changed(obj, "username") and obj.profile:
            user, profile = obj, obj.profile
        else:
            continue
        if user is not None:
            profile.search_name = profile_search_name(user.username, profile.alt_account)


@sa.event.listens_for(Session, "after_flush")
def _refresh_name_grams(session: Session, _context: Any) -> None:
    """Rewrite the name grams of new profiles and of those whose ``search_name`` changed (the
    attribute history still shows the flushed changes here), in the same transaction."""
    ids = [obj.id for obj in (*session.new, *session.dirty)
           if isinstance(obj, Profile) and obj.id is not None
           and (obj in session.new or sa.inspect(obj).attrs["search_name"].history.has_changes())]
    if ids:
        fill_name_grams(session.connection(bind_arguments={"mapper": sa.inspect(Profile)}),
                        Profile.__table__.c.id.in_(ids))
