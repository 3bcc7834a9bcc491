"""The mapping rules, old value to CapX value, as small pure functions (docs/import.md has the table).

Each is tested row by row in tests/test_import_mapping.py; the writers only call them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from urllib.parse import urlsplit

from capx.models import PROFICIENCY_LEVELS
from capx.support.media import normalize_commons_file

# -- people ----------------------------------------------------------------------------------------

#: Babel userbox levels ("0"-"5", "n") to CapX's proficiency index.
PROFICIENCY = {"0": PROFICIENCY_LEVELS.index("not-proficient"), "1": PROFICIENCY_LEVELS.index("basic"),
               "2": PROFICIENCY_LEVELS.index("intermediate"), "3": PROFICIENCY_LEVELS.index("advanced"),
               "4": PROFICIENCY_LEVELS.index("almost-native"), "5": PROFICIENCY_LEVELS.index("professional"),
               "n": PROFICIENCY_LEVELS.index("native")}

PRONOUNS = ("he-him", "she-her", "they-them", "not-specified", "other")

QID_RE = re.compile(r"^Q[1-9][0-9]*$")


def proficiency(code: str) -> int:
    """A languageproficiency code as CapX's level index."""
    return PROFICIENCY[code]


def pronoun(value: str | None) -> str | None:
    """The pronoun kept for the owner ("" means none was chosen)."""
    return value if value in PRONOUNS else None


def wikidata_qid(value: str | None) -> str | None:
    """A Wikidata item id, or None when empty or not one."""
    value = (value or "").strip().upper()
    return value if QID_RE.match(value) else None


def kept_display_name(display_name: str | None, username: str) -> str | None:
    """The old display name, kept only when it says more than the username (CapX shows usernames)."""
    name = (display_name or "").strip()
    return name if name and name != username else None


def labelled_values(items: list[object] | None) -> list[dict[str, str]]:
    """``contact`` / ``social`` lists as ``{"display_name", "value"}`` pairs (other shapes kept as text)."""
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append({"display_name": str(item.get("display_name") or ""), "value": str(item.get("value") or "")})
        elif item not in (None, ""):
            out.append({"display_name": "", "value": str(item)})
    return [pair for pair in out if pair["display_name"] or pair["value"]]


# -- media and identifiers ----------------------------------------------------------------------------

def commons_file(url: str | None) -> str | None:
    """The Commons file name of a Commons URL (File: page, Special:Redirect/FilePath, upload URL)."""
    return normalize_commons_file(url) if url else None


_OSM_RE = re.compile(r"^/(node|way|relation)/([1-9][0-9]*)/?$")


def openstreetmap_id(url: str | None) -> str | None:
    """``https://www.openstreetmap.org/node/123`` → ``node/123`` (None when empty or not such a URL)."""
    if not url:
        return None
    text = url.strip()
    if re.match(r"^(node|way|relation)/[1-9][0-9]*$", text):
        return text
    parts = urlsplit(text)
    if parts.hostname not in ("www.openstreetmap.org", "openstreetmap.org", "osm.org"):
        return None
    match = _OSM_RE.match(parts.path)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def name_language(code: str) -> str:
    """An organization name's BCP 47 code as CapX's language code ("pt-BR" → "pt-br")."""
    return code.strip().lower()


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching names ("Türkiye" ~ "turkiye")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("&", "and"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c) and (c.isalnum() or c.isspace()))
                    .split())


# -- events ------------------------------------------------------------------------------------------

EVENT_FORMATS = {"virtual": "online", "in_person": "in-person", "hybrid": "hybrid"}


def event_format(type_of_location: str) -> str:
    return EVENT_FORMATS[type_of_location]


def event_end(begin: dt.datetime, end: dt.datetime | None) -> dt.datetime:
    """CapX needs an end. An event without one ends when it begins: no invented duration shows, and
    its managers set the real end when they next edit it (the edit form asks for one). An end before
    the beginning is treated the same way."""
    return end if end is not None and end >= begin else begin


# -- badges ------------------------------------------------------------------------------------------

#: The old internal badge targets as CapX measures (capx.services.badges.MEASURES).
BADGE_TARGETS = {
    "complete_profile": "profile-sections",
    "sent_messages": "messages-sent",
    "received_messages": "messages-received",
    "updated_profile": "profile-updated-days",
    "is_manager": "organizations-managed",
    "account_age": "account-age-days",
    "lets_connect": "lets-connect",
}

#: Sections of a complete profile (capx.services.badges.COMPLETENESS_ITEMS).
PROFILE_SECTIONS = 9


def badge_rule(target: str, value: int) -> tuple[str, int]:
    """An old internal badge's (target, value) as CapX's (rule, threshold).

    ``complete_profile`` was a percentage: it becomes the number of profile sections that makes
    that share (50 % → 5 of 9 sections, 100 % → all 9, which is CapX's "Complete profile").
    """
    rule = BADGE_TARGETS[target]
    if target == "complete_profile":
        return rule, max(1, min(PROFILE_SECTIONS, math.ceil(value * PROFILE_SECTIONS / 100)))
    return rule, value


def badge_code(rule: str, threshold: int) -> str:
    """The code of an imported internal badge (internal badges always have one)."""
    return f"{rule}-{threshold}"


# -- bug reports and messages ---------------------------------------------------------------------------

#: Old bug types to CapX report types; ``new_capacity`` becomes a capacity suggestion instead.
BUG_TYPES = {"error": "error", "new_feature": "feature", "improvement": "improvement", "test_case": "test-case"}
BUG_STATUSES = {"to_do": "new", "assigned": "in-progress", "in_progress": "in-progress",
                "under_review": "in-progress", "done": "done"}
#: A capacity request that is done was added to the directory; any other is still waiting.
SUGGESTION_STATUSES = {"to_do": "pending", "assigned": "pending", "in_progress": "pending",
                       "under_review": "pending", "done": "approved"}


def bug_type(value: str) -> str | None:
    """A bug type as a report type, or None for a capacity request (a suggestion)."""
    return BUG_TYPES.get(value)


def bug_status(value: str) -> str:
    return BUG_STATUSES[value]


def suggestion_status(value: str) -> str:
    return SUGGESTION_STATUSES[value]


#: The old log's error texts as CapX's error codes (capx.services.messages.ERROR_GROUPS).
MESSAGE_ERRORS = {
    "Receiver account is invalid or does not exist.": "recipient-missing",
    "Failed to fetch CSRF token.": "notoken",
}
#: The old app sent an e-mail to the talk page when the receiver could not get e-mail.
TALK_FALLBACK = "Receiver is not emailable. Using talk page instead."
#: A message still pending when the old platform stopped was never sent.
NEVER_SENT = "never-sent"


def message_log(method: str, status: str, error_message: str | None) -> tuple[str, str, str | None]:
    """(method, status, error code) of a CapX message log for an old one.

    The message went by talk page when the old app fell back to it; ``pending`` messages were
    never sent (the old platform's queue stops with it) and become failed ones.
    """
    text = (error_message or "").strip()
    new_method = "talk" if method == "talkpage" or text == TALK_FALLBACK else "email"
    if status == "pending":
        return new_method, "failed", NEVER_SENT
    if status == "sent":
        return new_method, "sent", None
    return new_method, "failed", MESSAGE_ERRORS.get(text, "error" if not text else "other")


# -- mentorship ---------------------------------------------------------------------------------------

#: Old form field types to CapX question kinds. Numbers have no kind of their own (answers are
#: short text); a checkbox becomes a single choice with one option, "Yes".
QUESTION_KINDS = {"text": "short-text", "email": "email", "number": "short-text", "textarea": "long-text",
                  "select": "single-choice", "multiselect": "multiple-choice", "checkbox": "single-choice"}
CHECKBOX_OPTION = "Yes"


def question_kind(field_type: str, options: list[str] | None) -> tuple[str, list[str] | None]:
    """(kind, options) of a CapX question for an old form field. Unknown types are short text."""
    kind = QUESTION_KINDS.get(field_type, "short-text")
    if field_type == "checkbox":
        return kind, [CHECKBOX_OPTION]
    if kind in ("single-choice", "multiple-choice"):
        return kind, [str(o) for o in (options or [])]
    return kind, None


# -- territories ------------------------------------------------------------------------------------------

def kept_region(old_regions: list[str], capx_region: str | None) -> tuple[str | None, list[str]]:
    """The region a territory keeps, and the others (reported). CapX's own region wins when it is
    one of the old ones; otherwise the first old region (lowest id) is kept."""
    if not old_regions:
        return capx_region, []
    kept = capx_region if capx_region in old_regions else old_regions[0] if capx_region is None else capx_region
    return kept, [r for r in old_regions if r != kept]


#: Old territory names without an ISO code, as the ISO 3166 code CapX knows them by.
TERRITORY_NAMES = {
    "brunei darussalam": "BN", "cape verde": "CV", "congo republic of the": "CG", "czechia": "CZ",
    "cote divoire": "CI", "falkland islands malvinas": "FK", "maldives republic of": "MV",
    "marshall islands republic of the": "MH", "netherlands kingdom of the": "NL",
    "north macedonia republic of": "MK", "pitcairn islands": "PN", "reunion": "RE",
    "saint martin french part": "MF", "seychelles republic of": "SC", "sint maarten dutch part": "SX",
    "state of palestine": "PS", "svalbard and jan mayen": "SJ", "taiwan province of china": "TW", "turkiye": "TR",
    "united kingdom of great britain and northern ireland": "GB", "vatican city": "VA",
    "vietnam socialist republic of": "VN", "virgin islands british": "VG", "virgin islands us": "VI",
    "western sahara": "EH",
}


def territory_iso2(acronym: str | None, name: str) -> str | None:
    """The ISO 3166 alpha-2 code an old country row stands for (by acronym, else by known name)."""
    code = (acronym or "").strip()
    if len(code) == 2 and code.isalpha():
        return code.upper()
    return TERRITORY_NAMES.get(fold(name))
