"""Wikimedia user names as MediaWiki stores them (shared by forms, services and the CLI)."""

from __future__ import annotations

import re

#: Characters MediaWiki does not allow in user names ($wgLegalTitleChars and User::isValidUserName).
INVALID_USERNAME_CHARS = re.compile(r"[#<>\[\]|{}/@:\x00-\x1f\x7f]")
MAX_USERNAME_LENGTH = 85


def normalize_username(value: str) -> str:
    """A user name as MediaWiki stores it: underscores as spaces, first letter upper case."""
    value = re.sub(r"[_\s]+", " ", value or "").strip()
    return value[:1].upper() + value[1:]


def is_valid_username(value: str) -> bool:
    """True for a syntactically valid, already normalized MediaWiki user name (not whether it exists)."""
    return bool(value) and len(value) <= MAX_USERNAME_LENGTH and not INVALID_USERNAME_CHARS.search(value)
