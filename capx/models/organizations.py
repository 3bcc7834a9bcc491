"""Organizations (chapters, user groups, thematic organizations, ...) and their managers.

An organization is shown in lists, search, suggestions and statistics only while it has at least
one manager (see capx.services.organizations.visible_given and its other forms).
"""

from __future__ import annotations

import datetime as dt

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import Model, capacity_kind, table_args, utcnow
from capx.models.capacities import Capacity
from capx.models.org_profiles import OrganizationDiffTag, OrganizationDocument, OrganizationProject
from capx.models.reference import Territory

if TYPE_CHECKING:  # the people module imports this one
    from capx.models.people import User


class OrganizationType(Model):
    """Chapter, user group, thematic organization or gathering group."""

    __tablename__ = "organization_type"
    __table_args__ = table_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(5), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))  # English; localized by message key


class Organization(Model):
    """An affiliate or other organization with a public profile."""

    __tablename__ = "organization"
    __table_args__ = table_args(sa.Index("ix_organization_parent", "parent_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization_type.id"))
    acronym: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    logo_file: Mapped[str | None] = mapped_column(sa.String(255))  # Commons file name
    # The organization this one belongs to (staff set it).
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id", ondelete="SET NULL",
                                                                name="fk_organization_parent"))
    # A partner runs mentorship programs and gives partner badges; its members (PartnerMember)
    # act for it.
    is_partner: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # Optimistic concurrency: two managers editing at once must not silently overwrite.
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    __mapper_args__ = {"version_id_col": version}

    type: Mapped[OrganizationType | None] = relationship()
    names: Mapped[list["OrganizationName"]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", passive_deletes=True)
    managers: Mapped[list["OrganizationManager"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    capacities: Mapped[list["OrganizationCapacity"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    territories: Mapped[list["OrganizationTerritory"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    # The profile's ordered lists (capx.models.org_profiles), loaded in display order.
    projects: Mapped[list[OrganizationProject]] = relationship(
        order_by=OrganizationProject.position, cascade="all, delete-orphan", passive_deletes=True)
    documents: Mapped[list[OrganizationDocument]] = relationship(
        order_by=OrganizationDocument.position, cascade="all, delete-orphan", passive_deletes=True)
    diff_tags: Mapped[list[OrganizationDiffTag]] = relationship(
        order_by=(OrganizationDiffTag.position, OrganizationDiffTag.name), cascade="all, delete-orphan",
        passive_deletes=True)

    def name_in(self, lang_chain: list[str] | tuple[str, ...]) -> str:
        """The name in the first language of ``lang_chain`` that has one, else English, else any."""
        by_lang = {n.lang: n.name for n in self.names}
        for code in (*lang_chain, "en"):
            if by_lang.get(code):
                return by_lang[code]
        return next(iter(by_lang.values()), self.acronym or "")


class OrganizationName(Model):
    """An organization's name in one language (English is required)."""

    __tablename__ = "organization_name"
    __table_args__ = table_args(sa.Index("ix_organization_name_name", "name"))

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    lang: Mapped[str] = mapped_column(sa.String(35), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))

    organization: Mapped[Organization] = relationship(back_populates="names")


class OrganizationManager(Model):
    """A user who may edit an organization's profile and events (assigned by staff)."""

    __tablename__ = "organization_manager"
    __table_args__ = table_args(sa.Index("ix_organization_manager_user", "user_id"))

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class OrganizationCapacity(Model):
    """A capacity an organization knows, makes available or wants."""

    __tablename__ = "organization_capacity"
    __table_args__ = table_args(sa.Index("ix_organization_capacity_kind_capacity", "kind", "capacity_id",
                                         "organization_id"))

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacity.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(capacity_kind, primary_key=True)

    capacity: Mapped[Capacity] = relationship()


class OrganizationTerritory(Model):
    """A region or country where an organization works."""

    __tablename__ = "organization_territory"
    __table_args__ = table_args(sa.Index("ix_organization_territory_territory", "territory_id", "organization_id"))

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    territory_id: Mapped[int] = mapped_column(sa.ForeignKey("territory.id"), primary_key=True)

    territory: Mapped[Territory] = relationship()


class PartnerMember(Model):
    """A person who acts for a partner organization (its programs' applications, its badges)."""

    __tablename__ = "partner_member"
    __table_args__ = table_args(sa.Index("ix_partner_member_user", "user_id"))

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrganizationRedirect(Model):
    """An organization staff merged into another: its old id leads to the one it went into.

    ``report`` is what the merge could not move (JSON, see capx.services.organization_admin).
    """

    __tablename__ = "organization_redirect"
    __table_args__ = table_args(sa.Index("ix_organization_redirect_target", "target_id"))

    old_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    report: Mapped[str | None] = mapped_column(sa.Text)
    merged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
