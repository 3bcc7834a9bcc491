"""Addresses people type into forms: web pages, Meta-Wiki pages, e-mail addresses.

Each check says whether a value is acceptable as typed (the form keeps it as typed either way);
none of them fetches anything.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

URL_MAX, EMAIL_MAX = 500, 254
META_HOSTS = {"meta.wikimedia.org", "meta.m.wikimedia.org"}
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")


def is_meta_wiki_url(value: str) -> bool:
    """``https://meta.wikimedia.org/wiki/Page`` (or the mobile host, or /w/index.php?title=Page)."""
    if len(value) > URL_MAX:
        return False
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or parts.hostname not in META_HOSTS:
        return False
    if parts.path.startswith("/wiki/") and len(parts.path) > len("/wiki/"):
        return True
    return parts.path == "/w/index.php" and "title=" in parts.query


def is_web_url(value: str, https_only: bool = False) -> bool:
    """An absolute web address with a host (``https`` only when asked)."""
    if len(value) > URL_MAX or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    schemes = ("https",) if https_only else ("https", "http")
    return parts.scheme in schemes and bool(parts.hostname) and "." in (parts.hostname or "")


def is_email(value: str) -> bool:
    """An e-mail address (a plausible one: the check cannot know whether it receives mail)."""
    return len(value) <= EMAIL_MAX and bool(EMAIL_RE.match(value))
