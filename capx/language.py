"""The interface language of the current request, and the ``msg`` function used everywhere.

Order of choice: ``?uselang=`` (validated), then the user's saved choice (the account preference,
or else the cookie set by the language picker, which is what a visitor chose before logging in
and what a new account starts with), then the browser's Accept-Language, then English.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request
from markupsafe import Markup

from capx import translations

LANGUAGE_COOKIE = "capx_lang"


def available_languages() -> list[str]:
    """Interface languages: every language with a message file (and qqx, not listed)."""
    return translations.catalog().interface_languages


def select_language() -> str:
    """Choose the language for this request (see the module docstring)."""
    available = available_languages()
    uselang = (request.args.get("uselang") or "").strip().lower()
    if translations.is_valid_language(uselang, available):
        return uselang
    user = getattr(g, "user", None)
    # A new account has no preference yet: the language picked before logging in still holds.
    for saved in (user.interface_language if user is not None else None, request.cookies.get(LANGUAGE_COOKIE)):
        if translations.is_valid_language(saved, available):
            return saved  # type: ignore[return-value]
    best = translations.parse_accept_language(request.headers.get("Accept-Language"), available)
    return best or translations.SOURCE_LANGUAGE


def current_language() -> str:
    """The request's language (English outside a request, e.g. in jobs)."""
    if has_request_context():
        lang = getattr(g, "lang", None)
        if lang is None:
            lang = g.lang = select_language()
        return lang
    return translations.SOURCE_LANGUAGE


def current_language_chain() -> list[str]:
    """The request's language followed by its fallbacks, ending with English."""
    return translations.fallback_chain(current_language())


def strict_messages() -> bool:
    """In tests, a missing message key is an error instead of a visible ⧼key⧽."""
    try:
        return bool(current_app.config.get("CAPX_STRICT_MESSAGES"))
    except RuntimeError:
        return False


def msg(key: str, *params: Any) -> Markup:
    """The interface message ``key`` in the request's language, formatted with ``params``."""
    return translations.message(key, params, current_language(), strict=strict_messages())


def msg_lang_attrs(key: str) -> Markup:
    """`` lang="…" dir="…"`` for an element holding message ``key`` when its text comes from a
    fallback language (an untranslated English paragraph on an Arabic page), else nothing: screen
    readers then read it with the right voice, and it runs left to right."""
    page = current_language()
    if page == translations.KEYS_LANGUAGE:
        return Markup("")
    code = translations.catalog().language_of(key, page)
    if code is None or code == page:
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(code, translations.text_direction(code))


def msg_text(key: str, *params: Any) -> str:
    """The message as plain text (for HTTP headers, CSV, e-mail subjects, JSON)."""
    return translations.plain_text(msg(key, *params))


def babel_locale_code() -> str:
    """The Babel locale identifier for Flask-Babel (dates and numbers)."""
    return str(translations.babel_locale(current_language()))


def _shown_in() -> tuple[str, bool]:
    return current_language(), strict_messages()


# Lazy messages (validators, field errors) are shown in the request's language.
translations.resolve_lazy_messages_with(_shown_in)
