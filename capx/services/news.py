"""Diff news for organizations: their tags, the fetch job and what profile pages read.

``flask capx fetch-news`` (hourly) fetches, for every Diff tag some organization uses, the latest
posts and upserts them by link, tag by tag: the job commits after each tag (:func:`fetch_news`
yields there), so a failure later keeps what was fetched. When Diff is unreachable nothing is
deleted: pages keep showing the last good copy, and the job alerts once per outage
(:mod:`capx.services.job_outages`: a non-zero exit on the first failed run only).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

import sqlalchemy as sa

from capx.clients.diff import DiffClient, DiffError, DiffPostData
from capx.extensions import db
from capx.models import DiffPost, DiffPostTag, OrganizationDiffTag, utcnow

POSTS_PER_TAG = 5
EXCERPT_MAX = 600
_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")


def plain_text(fragment: str, limit: int | None = None) -> str:
    """HTML as plain text: scripts and tags removed, entities unescaped, spaces collapsed."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", fragment or "")
    text = _TAG_RE.sub(" ", text)
    text = _SPACE_RE.sub(" ", html.unescape(text)).strip()
    text = text.replace("\u00a0", " ")
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def tag_slug(name: str) -> str:
    """The WordPress slug of a tag name ("Capacity Exchange" → "capacity-exchange")."""
    slug = re.sub(r"[^\w\s-]", "", name.strip().lower())
    return re.sub(r"[\s_-]+", "-", slug).strip("-")


@dataclass
class NewsSummary:
    """What a run of the job did: tags tried, posts added and updated, tags whose fetch failed."""

    tags: int = 0
    posts_added: int = 0
    posts_updated: int = 0
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def diff_down(self) -> bool:
        """Every tag failed: Diff is down (or refuses us), not one tag's trouble."""
        return bool(self.failed) and len(self.failed) == self.tags


def tags_in_use() -> list[str]:
    """Every Diff tag slug some organization uses."""
    return list(db.session.scalars(sa.select(OrganizationDiffTag.slug).distinct().order_by(OrganizationDiffTag.slug)))


def store_posts(slug: str, posts: list[DiffPostData], summary: NewsSummary) -> None:
    """Upsert posts by link and remember they belong to ``slug``."""
    if not posts:
        return
    existing = {p.link: p for p in db.session.scalars(
        sa.select(DiffPost).where(DiffPost.link.in_([p.link for p in posts])))}
    for data in posts:
        title = plain_text(data.title_html, 500) or data.link
        excerpt = plain_text(data.excerpt_html, EXCERPT_MAX)
        post = existing.get(data.link)
        if post is None:
            post = DiffPost(link=data.link, title=title, published_at=data.published_at, excerpt=excerpt,
                            fetched_at=utcnow())
            db.session.add(post)
            db.session.flush()
            existing[data.link] = post
            summary.posts_added += 1
        else:
            post.title, post.published_at, post.excerpt, post.fetched_at = title, data.published_at, excerpt, utcnow()
            summary.posts_updated += 1
        if db.session.get(DiffPostTag, (post.id, slug)) is None:
            db.session.add(DiffPostTag(post_id=post.id, slug=slug))


def fetch_news(client: DiffClient, summary: NewsSummary, echo: Callable[[str], None] = print,
               per_tag: int = POSTS_PER_TAG) -> Iterator[str]:
    """Fetch and store the latest posts of every tag in use, counted in ``summary``. One tag at a
    time: its posts are flushed and its slug yielded, for the caller to commit before the next."""
    slugs = tags_in_use()
    echo(f"fetch-news: {len(slugs)} tag(s) in use")
    for slug in slugs:
        summary.tags += 1
        try:
            tag_id = client.tag_id(slug)
            if tag_id is None:
                echo(f"  {slug}: no such tag on Diff")
                continue
            posts = client.posts(tag_id, per_page=per_tag)
        except DiffError as error:
            summary.failed.append(slug)
            summary.errors.append(f"{slug}: {error.code}")
            echo(f"  {slug}: failed ({error.code}): keeping the stored posts")
            continue
        before = summary.posts_added
        store_posts(slug, posts, summary)
        db.session.flush()
        echo(f"  {slug}: {len(posts)} post(s), {summary.posts_added - before} new")
        yield slug


def posts_for_tags(slugs: list[str], limit: int = 5) -> list[DiffPost]:
    """The newest stored posts having any of these tags (one query)."""
    if not slugs:
        return []
    ids = sa.select(DiffPostTag.post_id).where(DiffPostTag.slug.in_(slugs))
    return list(db.session.scalars(sa.select(DiffPost).where(DiffPost.id.in_(ids))
                                   .order_by(DiffPost.published_at.desc(), DiffPost.id.desc()).limit(limit)))
