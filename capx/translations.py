"""Interface messages in translatewiki's JSON ("banana") format, and the request's language.

Message files live in ``capx/i18n/<code>.json``: ``en.json`` is the source, ``qqq.json`` documents
every key, and each other file is a translation. Formatting follows MediaWiki's conventions so that
translators on translatewiki.net see what they know:

* ``$1``, ``$2`` ... parameters, HTML-escaped unless they are already :class:`~markupsafe.Markup`;
* ``{{PLURAL:$1|one|other}}`` chosen by the CLDR plural rules of the language (through Babel),
  with explicit ``0=...``/``12=...`` forms;
* ``{{GENDER:$1|he|she|they}}``;
* external links ``[https://example.org label]`` and site links ``[/path label]``;
* a small allow-list of HTML tags without attributes; everything else in a translation is text.

The pseudo-language ``qqx`` shows message keys instead of texts, as on Wikimedia wikis.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

MESSAGE_DIR = Path(__file__).resolve().parent / "i18n"
SOURCE_LANGUAGE = "en"
DOC_LANGUAGE = "qqq"
KEYS_LANGUAGE = "qqx"

#: Fallbacks that do not follow from stripping the region (as in MediaWiki's Messages*.php).
EXPLICIT_FALLBACKS: dict[str, tuple[str, ...]] = {
    "pt-br": ("pt",),
    "pt": ("pt-br",),
    "zh-hant": ("zh-hans",),
    "zh-tw": ("zh-hant", "zh-hans"),
    "zh-hk": ("zh-hant", "zh-hans"),
    "zh": ("zh-hans",),
    "sr-el": ("sr-ec",),
    "sr": ("sr-ec",),
    "be-tarask": ("be",),
    "es-419": ("es",),
    "de-ch": ("de",),
    "de-formal": ("de",),
    "en-gb": ("en",),
    "arz": ("ar",),
    "ary": ("ar",),
}

#: MediaWiki codes whose Babel locale is not derived by the general rule.
BABEL_LOCALES: dict[str, str] = {
    "qqx": "en",
    "sr-ec": "sr_Cyrl",
    "sr-el": "sr_Latn",
    "be-tarask": "be",
    "zh-tw": "zh_Hant_TW",
    "zh-hk": "zh_Hant_HK",
    "es-419": "es_419",
}

#: HTML a translation may contain; attributes are never allowed.
ALLOWED_TAGS = ("b", "i", "strong", "em", "bdi", "code", "kbd", "small", "br", "abbr")
_TAG_RE = re.compile(r"&lt;(/?)(%s)\s*/?&gt;" % "|".join(ALLOWED_TAGS), re.IGNORECASE)
_MAGIC_RE = re.compile(r"\{\{\s*(PLURAL|GENDER)\s*:\s*([^|{}]*?)\s*\|([^{}]*)\}\}", re.IGNORECASE)
_TOKEN_RE = re.compile(
    r"(?P<link>\[(?P<url>https?://[^\s\]]+|/[^\s\]]*|\$\d+)(?:\s+(?P<label>[^\]]*))?\])"
    r"|(?P<param>\$(?P<n>\d+))"
)
_PARAM_RE = re.compile(r"\$(\d+)")
PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")


@dataclass
class Catalog:
    """All message files of a directory, loaded once."""

    directory: Path = MESSAGE_DIR
    messages: dict[str, dict[str, str]] = field(default_factory=dict)

    def load(self) -> "Catalog":
        self.messages = {}
        for path in sorted(self.directory.glob("*.json")):
            with path.open(encoding="utf-8") as fh:
                data = json.load(fh)
            data.pop("@metadata", None)
            self.messages[path.stem] = data
        return self

    @property
    def interface_languages(self) -> list[str]:
        """Languages with a message file that people can choose (not qqq), plus nothing else."""
        return sorted(code for code in self.messages if code != DOC_LANGUAGE)

    def lookup(self, key: str, lang: str) -> str | None:
        """The message text in ``lang`` or its fallbacks, ending with English."""
        code = self.language_of(key, lang)
        return None if code is None else self.messages[code][key]

    def language_of(self, key: str, lang: str) -> str | None:
        """The language whose text :meth:`lookup` gives for ``key``: ``lang`` or a fallback."""
        for code in _fallback_chain(lang):
            if self.messages.get(code, {}).get(key):
                return code
        return None


_catalog: Catalog | None = None


def catalog() -> Catalog:
    """The process-wide catalog (message files do not change while the app runs)."""
    global _catalog
    if _catalog is None:
        _catalog = Catalog().load()
    return _catalog


def fallback_chain(lang: str) -> list[str]:
    """``lang`` followed by its fallbacks and English, without repeats: pt-br → pt → en."""
    return list(_fallback_chain(lang))


@lru_cache(maxsize=512)
def _fallback_chain(lang: str) -> tuple[str, ...]:
    # Every message lookup walks the chain: a page formats a hundred messages.
    chain: list[str] = []

    def add(code: str) -> None:
        if code and code not in chain:
            chain.append(code)

    add(lang)
    for code in EXPLICIT_FALLBACKS.get(lang, ()):
        add(code)
    if "-" in lang:
        add(lang.split("-", 1)[0])
    add(SOURCE_LANGUAGE)
    return tuple(chain)


@lru_cache(maxsize=512)
def babel_locale(lang: str) -> Locale:
    """The Babel locale for a MediaWiki language code, falling back safely to English."""
    candidates = []
    if lang in BABEL_LOCALES:
        candidates.append(BABEL_LOCALES[lang])
    parts = lang.split("-")
    if len(parts) >= 2:
        sub = parts[1]
        if len(sub) == 4:
            candidates.append(f"{parts[0]}_{sub.title()}")
        elif len(sub) in (2, 3):
            candidates.append(f"{parts[0]}_{sub.upper()}")
    candidates.extend(code.replace("-", "_") for code in fallback_chain(lang))
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def text_direction(lang: str) -> str:
    """'rtl' or 'ltr' for a language code."""
    if lang == KEYS_LANGUAGE:
        return "ltr"
    return "rtl" if babel_locale(lang).character_order == "right-to-left" else "ltr"


def language_autonym(lang: str) -> str:
    """The language's own name for itself (CLDR), e.g. "português (Brasil)" for pt-br."""
    if lang == KEYS_LANGUAGE:
        return "(qqx)"
    locale = babel_locale(lang)
    name = locale.get_display_name(locale) or lang
    return name[:1].upper() + name[1:]


def plural_form(lang: str, number: float, forms: list[str]) -> str:
    """Pick the plural form for ``number`` as MediaWiki does, with CLDR rules from Babel."""
    explicit = {}
    plain = []
    for form in forms:
        m = re.fullmatch(r"\s*(\d+)\s*=(.*)", form, re.DOTALL)
        if m:
            explicit[int(m.group(1))] = m.group(2)
        else:
            plain.append(form)
    if number == int(number) and int(number) in explicit:
        return explicit[int(number)]
    if not plain:
        return ""
    rule = babel_locale(lang).plural_form
    tags = [tag for tag in PLURAL_ORDER if tag in rule.tags or tag == "other"]
    tag = rule(number)
    index = tags.index(tag) if tag in tags else len(tags) - 1
    return plain[min(index, len(plain) - 1)]


def _gender_form(value: Any, forms: list[str]) -> str:
    gender = str(value).lower() if value is not None else "unknown"
    index = {"male": 0, "female": 1}.get(gender, 2)
    if not forms:
        return ""
    return forms[min(index, len(forms) - 1)]


def _raw_param(params: tuple[Any, ...], index: int) -> Any:
    return params[index - 1] if 0 < index <= len(params) else None


def _display_param(lang: str, value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    if isinstance(value, bool) or value is None:
        return escape("" if value is None else str(value))
    if isinstance(value, (int, float)):
        return escape(format_decimal(value, locale=babel_locale(lang)))
    return escape(str(value))


def _safe_url(url: str) -> str | None:
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return None


def format_text(text: str, params: tuple[Any, ...], lang: str) -> Markup:
    """Format a message text (already looked up) with its parameters, safely."""
    if not params:
        # Most messages on a page have no parameters and repeat (card labels, buttons): their
        # result depends on the text and language alone.
        return _format_without_params(text, lang)
    return _format_text(text, params, lang)


@lru_cache(maxsize=8192)
def _format_without_params(text: str, lang: str) -> Markup:
    return _format_text(text, (), lang)


def _format_text(text: str, params: tuple[Any, ...], lang: str) -> Markup:

    def magic(m: re.Match[str]) -> str:
        word, selector, body = m.group(1).upper(), m.group(2), m.group(3)
        forms = body.split("|")
        pm = _PARAM_RE.fullmatch(selector.strip())
        value: Any = _raw_param(params, int(pm.group(1))) if pm else selector
        if word == "PLURAL":
            try:
                number = float(str(value).replace(",", "")) if value is not None else 0.0
            except ValueError:
                number = 0.0
            return plural_form(lang, number, forms)
        return _gender_form(value, forms)

    text = _MAGIC_RE.sub(magic, text)
    escaped = str(escape(text))
    escaped = _TAG_RE.sub(lambda m: f"<{m.group(1)}{m.group(2).lower()}>", escaped)

    def param_html(index: int) -> str:
        value = _raw_param(params, index)
        return str(_display_param(lang, value)) if value is not None else f"${index}"

    def expand_params(fragment: str) -> str:
        return _PARAM_RE.sub(lambda m: param_html(int(m.group(1))), fragment)

    def token(m: re.Match[str]) -> str:
        if m.group("param"):
            return param_html(int(m.group("n")))
        url = m.group("url")
        pm = _PARAM_RE.fullmatch(url)
        if pm:
            raw = _raw_param(params, int(pm.group(1)))
            url = str(escape(str(raw))) if raw is not None else ""
        # The template was escaped above, so '&' in the URL is already '&amp;'.
        safe = _safe_url(url.replace("&amp;", "&"))
        label = expand_params(m.group("label") or "") or str(escape(url))
        if not safe:
            return label
        external = safe.startswith("http")
        rel = ' class="external" rel="nofollow noopener"' if external else ""
        return f'<a href="{escape(safe)}"{rel}>{label}</a>'

    return Markup(_TOKEN_RE.sub(token, escaped))  # nosec B704 # text and params escaped, URLs filtered by _safe_url


class MissingMessage(KeyError):
    """A message key that is in no message file (raised in tests, shown as ⧼key⧽ otherwise)."""


def message(key: str, params: tuple[Any, ...], lang: str, strict: bool = False) -> Markup:
    """The formatted message ``key`` in ``lang``."""
    if lang == KEYS_LANGUAGE:
        if params:
            shown = ", ".join(str(_display_param("en", p)) for p in params)
            return Markup(f"({escape(key)}: {shown})")  # nosec B704 # key and params escaped
        return Markup(f"({escape(key)})")  # nosec B704 # key escaped
    text = catalog().lookup(key, lang)
    if text is None:
        if strict:
            raise MissingMessage(key)
        log.warning("missing message key %s", key)
        return Markup(f"⧼{escape(key)}⧽")  # nosec B704 # key escaped
    return format_text(text, params, lang)


def plain_text(markup: Markup) -> str:
    """A formatted message without its tags, for places that take plain text (headers, CSV)."""
    return Markup(markup).striptags()  # nosec B704 # output is plain text (tags stripped), never marked safe


def message_text(key: str, lang: str, *params: Any, strict: bool = False) -> str:
    """The message ``key`` in ``lang`` as plain text (for labels computed outside templates)."""
    return plain_text(message(key, params, lang, strict=strict))


def _english_outside_requests() -> tuple[str, bool]:
    return SOURCE_LANGUAGE, False


#: Where a :class:`LazyMessage` learns the language it is shown in, and whether a missing key is an
#: error: the web layer installs the request's (:mod:`capx.language`, when it is imported), so that
#: this module, which services and forms import, never imports the web layer back.
_shown_in: Callable[[], tuple[str, bool]] = _english_outside_requests


def resolve_lazy_messages_with(shown_in: Callable[[], tuple[str, bool]]) -> None:
    """Install the function that gives (language, strict) when a lazy message is rendered."""
    global _shown_in
    _shown_in = shown_in


class LazyMessage:
    """A message resolved when it is rendered, for forms defined at import time and for the field
    errors of :class:`capx.forms.errors.FormErrors` (made before the page's language matters).

    WTForms formats validator messages with ``%``; the result is this same object, since our
    parameters are given explicitly.
    """

    def __init__(self, key: str, *params: Any) -> None:
        self.key = key
        self.params = params

    def resolve(self) -> Markup:
        lang, strict = _shown_in()
        return message(self.key, self.params, lang, strict=strict)

    def __html__(self) -> str:
        return str(self.resolve())

    def __str__(self) -> str:
        return plain_text(self.resolve())

    def __mod__(self, _other: Any) -> "LazyMessage":
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyMessage) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash((self.key, self.params))

    def __repr__(self) -> str:
        return f"LazyMessage({self.key!r})"


def lazy_msg(key: str, *params: Any) -> LazyMessage:
    """A message resolved at render time (validators defined at import time, field errors)."""
    return LazyMessage(key, *params)


def parse_accept_language(header: str | None, available: Iterable[str]) -> str | None:
    """The best available language for an Accept-Language header (with fallbacks), or None."""
    if not header:
        return None
    choices = []
    for i, part in enumerate(header.split(",")):
        bits = part.strip().split(";")
        code = bits[0].strip().lower()
        q = 1.0
        for bit in bits[1:]:
            if bit.strip().startswith("q="):
                try:
                    q = float(bit.strip()[2:])
                except ValueError:
                    q = 0.0
        if code and code != "*" and q > 0:
            choices.append((-q, i, code))
    available_set = set(available)
    for _, _, code in sorted(choices):
        # English ends every fallback chain; it only counts when the browser asked for it
        # (en, en-US, ...), so "de, pt;q=0.5" gives Portuguese and "en-US, pt;q=0.5" English.
        wants_english = code.split("-", 1)[0] == SOURCE_LANGUAGE
        for candidate in fallback_chain(code):
            if candidate == SOURCE_LANGUAGE and not wants_english:
                continue
            if candidate in available_set or candidate == SOURCE_LANGUAGE:
                return candidate
    return None


def is_valid_language(code: str | None, available: Mapping[str, Any] | Iterable[str]) -> bool:
    """Whether ``code`` may be used as interface language (a message file exists, or qqx)."""
    return bool(code) and (code == KEYS_LANGUAGE or code in set(available))
