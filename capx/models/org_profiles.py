"""What an organization's managers add to its profile beyond the core model: details and contacts,
main projects, documents, Diff tags, and the Diff posts the news job stores for those tags.

Kept out of capx.models.organizations so the core schema stays small; every row belongs to an
organization and goes away with it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capx.models.base import Model, table_args, utcnow

#: Limits shown on the profile (enforced when saving).
MAX_PROJECTS = 4
MAX_DOCUMENTS = 4
MAX_DIFF_TAGS = 10


class OrganizationDetails(Model):
    """One row per organization: report of activities link and contacts (all optional)."""

    __tablename__ = "organization_details"
    __table_args__ = table_args()

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    report_url: Mapped[str | None] = mapped_column(sa.String(500))      # a Meta-Wiki page
    contact_meta_url: Mapped[str | None] = mapped_column(sa.String(500))  # a Meta-Wiki page
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_website: Mapped[str | None] = mapped_column(sa.String(500))  # https only


class OrganizationProject(Model):
    """One of an organization's main projects (at most MAX_PROJECTS), in display order."""

    __tablename__ = "organization_project"
    __table_args__ = table_args()

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    image_file: Mapped[str | None] = mapped_column(sa.String(255))  # Commons file name
    url: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)


class OrganizationDocument(Model):
    """A Commons file an organization shows with "View document" (at most MAX_DOCUMENTS)."""

    __tablename__ = "organization_document"
    __table_args__ = table_args()

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    file_name: Mapped[str] = mapped_column(sa.String(255))


class OrganizationDiffTag(Model):
    """A Diff (diff.wikimedia.org) tag whose posts show as the organization's news.

    ``slug`` is the tag's WordPress slug (lower case, hyphens), derived from the name typed.
    """

    __tablename__ = "organization_diff_tag"
    __table_args__ = table_args(sa.Index("ix_organization_diff_tag_slug", "slug"))

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"),
                                                 primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)


class DiffPost(Model):
    """A Diff post stored by ``flask capx fetch-news`` (unique by link); pages read only these."""

    __tablename__ = "diff_post"
    __table_args__ = table_args(sa.UniqueConstraint("link", name="uq_diff_post_link"),
                                sa.Index("ix_diff_post_published", "published_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    link: Mapped[str] = mapped_column(sa.String(500))
    title: Mapped[str] = mapped_column(sa.String(500))
    published_at: Mapped[dt.datetime] = mapped_column()
    excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tags: Mapped[list["DiffPostTag"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class DiffPostTag(Model):
    """Which tag slug(s) a stored Diff post was fetched for."""

    __tablename__ = "diff_post_tag"
    __table_args__ = table_args(sa.Index("ix_diff_post_tag_slug", "slug", "post_id"))

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("diff_post.id", ondelete="CASCADE"), primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
