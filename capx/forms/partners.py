"""The partner forms: members (staff), a partner badge, and who holds it (several user names at once).

User names are typed one per line or separated by commas; each follows the user-name rule of
capx.forms.usernames (normalized like MediaWiki, syntax checked). Names that are not valid or that
nobody on CapX has are reported, and the text is kept for the next try.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from capx.forms.errors import Checked, FormErrors
from capx.models import User
from capx.services.partner_badges import ASSIGN_MAX, DESCRIPTION_MAX, IMAGE_MAX, NAME_MAX, BadgeInput, users_named
from capx.support.media import normalize_commons_file
from capx.support.usernames import is_valid_username, normalize_username
from capx.support.values import int_list, parse_id
from capx.translations import lazy_msg

_SEPARATORS = re.compile(r"[\n,]+")


def _text(data: MultiDict[str, str], key: str) -> str:
    return (data.get(key) or "").strip()


# -- members ---------------------------------------------------------------------------------------

def read_member(data: MultiDict[str, str]) -> Checked[User]:
    """The user to make a member, by the name typed (``form``: the name): someone on CapX."""
    username = _text(data, "username")
    users, _unknown = users_named([username]) if username else ([], [])
    if not users:
        errors = FormErrors()
        errors.add("username", lazy_msg("partner-members-unknown-user"))
        return Checked(None, errors, username)
    return Checked(users[0], FormErrors(), username)


def read_user_id(data: MultiDict[str, str]) -> int | None:
    """The id of the member to remove (None when malformed)."""
    return parse_id(data.get("user_id"))


# -- badges ----------------------------------------------------------------------------------------

@dataclass
class BadgeForm:
    """A badge's fields as typed."""

    name: str = ""
    description: str = ""
    image: str = ""


def badge_form(name: str, description: str | None, image: str | None) -> BadgeForm:
    """The form showing a stored badge."""
    return BadgeForm(name, description or "", image or "")


def read_badge(data: MultiDict[str, str]) -> Checked[BadgeInput]:
    """A badge's name (required), description and Commons image (a file name or its address)."""
    form = BadgeForm(_text(data, "name"), _text(data, "description"), _text(data, "image"))
    errors = FormErrors()
    if not form.name:
        errors.add("name", lazy_msg("partner-badge-error-name-required"))
    elif len(form.name) > NAME_MAX:
        errors.add("name", lazy_msg("partner-badge-error-too-long", NAME_MAX))
    if len(form.description) > DESCRIPTION_MAX:
        errors.add("description", lazy_msg("partner-badge-error-too-long", DESCRIPTION_MAX))
    image = normalize_commons_file(form.image) if form.image else None
    if form.image and (image is None or len(image) > IMAGE_MAX):
        errors.add("image", lazy_msg("partner-badge-error-image"))
    if errors:
        return Checked(None, errors, form)
    return Checked(BadgeInput(form.name, form.description, image), errors, form)


def read_holders(data: MultiDict[str, str]) -> Checked[list[User]]:
    """The people to give a badge to (``form``: the text as typed)."""
    typed = data.get("usernames") or ""
    errors = FormErrors()
    names = [normalize_username(part) for part in _SEPARATORS.split(typed)]
    names = list(dict.fromkeys(n for n in names if n))
    invalid = [n for n in names if not is_valid_username(n)]
    if not names:
        errors.add("usernames", lazy_msg("partner-badge-error-no-usernames"))
    elif len(names) > ASSIGN_MAX:
        errors.add("usernames", lazy_msg("partner-badge-error-too-many-usernames", ASSIGN_MAX))
    elif invalid:
        errors.add("usernames", lazy_msg("partner-badge-error-invalid-usernames", ", ".join(invalid[:20])))
    if errors:
        return Checked(None, errors, typed)
    users, unknown = users_named(names)
    if unknown:
        errors.add("usernames", lazy_msg("partner-badge-error-unknown-usernames", ", ".join(unknown[:20])))
        return Checked(None, errors, typed)
    return Checked(users, errors, typed)


def read_removed_holders(data: MultiDict[str, str]) -> list[int]:
    """The ids of the people to take a badge back from (malformed ids skipped)."""
    return int_list(data.getlist("user_id"))
