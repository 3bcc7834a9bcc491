"""The Translate! page: capacity names and descriptions side by side, written to Metabase.

Saving writes ``wbsetlabel`` / ``wbsetdescription`` to Metabase as the user when they connected
their Metabase account (OAuth 1.0a), else as the bot configured in the environment. On success
the local text is updated at once (source "metabase"), so the new name appears across the site
before the next sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import sqlalchemy as sa

from capx.clients.metabase import MetabaseClient, MetabaseError, user_auth
from capx.extensions import db
from capx.models import CapacityText, Language, OAuthToken, User
from capx.services.accounts import load_token, store_token
from capx.services.capacities import fold, forget_tree, load_tree
from capx.services.reference_names import language_name
from capx.support.secrets import decrypt_json, encrypt_json

PROVIDER = "metabase"
FILTERS = ("all", "untranslated", "translated")
SORTS = ("untranslated-first", "az", "za")
MAX_LABEL = 250  # Wikibase's default maximum for labels and descriptions


def target_languages(lang: str) -> list[tuple[str, str]]:
    """Every language but English, as (code, "name in ``lang`` (code)"), sorted by that label."""
    rows = db.session.scalars(sa.select(Language).where(Language.code != "en")).all()
    return sorted(((row.code, f"{language_name(row, lang)} ({row.code})") for row in rows),
                  key=lambda pair: pair[1].casefold())


@dataclass(frozen=True)
class NewTranslation:
    """A checked save (``capx.forms.translation.read_translation``): one capacity's name and
    description in one language."""

    capacity_id: int
    lang: str
    name: str
    description: str


@dataclass
class TranslationRow:
    """One capacity on the page: English beside the target language."""

    id: int
    metabase_qid: str | None
    english_name: str
    english_description: str | None
    name: str
    description: str
    translated: bool
    path: list[Any]


def translation_rows(target: str, query: str = "", filter_: str = "all",
                     sort: str = "untranslated-first") -> tuple[list[TranslationRow], int, int]:
    """The rows to show (filtered, searched, sorted), translated count and total: three queries."""
    tree = load_tree(["en"])
    texts = {(t.capacity_id, t.lang): t for t in db.session.scalars(
        sa.select(CapacityText).where(CapacityText.lang.in_([target, "en"])))}
    rows = []
    for node in tree.ordered():
        english = texts.get((node.id, "en"))
        own = texts.get((node.id, target))
        rows.append(TranslationRow(
            id=node.id, metabase_qid=node.metabase_qid,
            english_name=(english.name if english and english.name else node.name),
            english_description=english.description if english else None,
            name=(own.name or "") if own else "", description=(own.description or "") if own else "",
            translated=bool(own and own.name), path=tree.path(node.id)[:-1]))
    total, translated = len(rows), sum(1 for r in rows if r.translated)
    needle = fold(query.strip())
    if needle:
        rows = [r for r in rows if any(needle in fold(t) for t in
                                       (r.english_name, r.name, r.english_description or "", r.description))]
    if filter_ == "untranslated":
        rows = [r for r in rows if not r.translated]
    elif filter_ == "translated":
        rows = [r for r in rows if r.translated]
    if sort == "az":
        rows.sort(key=lambda r: fold(r.english_name))
    elif sort == "za":
        rows.sort(key=lambda r: fold(r.english_name), reverse=True)
    else:
        rows.sort(key=lambda r: r.translated)  # stable: directory order within each group
    return rows, translated, total


# -- the user's Metabase connection -------------------------------------------------------------

def connect_metabase(user: User, token: tuple[str, str], username: str) -> None:
    """Store the user's Metabase access token (encrypted) with their Metabase user name."""
    store_token(user, PROVIDER, token)
    db.session.flush()
    row = db.session.get(OAuthToken, (user.id, PROVIDER))
    assert row is not None  # just stored
    row.token_encrypted = encrypt_json({"key": token[0], "secret": token[1], "username": username})
    db.session.flush()


def metabase_username(user: User) -> str | None:
    """The Metabase account the user connected, or None."""
    row = db.session.get(OAuthToken, (user.id, PROVIDER))
    if row is None:
        return None
    data = decrypt_json(row.token_encrypted)
    if not data:
        return None
    return data.get("username") or ""


def disconnect_metabase(user: User) -> None:
    """Forget the user's Metabase token (flushed); the caller commits."""
    db.session.execute(sa.delete(OAuthToken).where(OAuthToken.user_id == user.id, OAuthToken.provider == PROVIDER))
    db.session.flush()


# -- saving ---------------------------------------------------------------------------------------

@dataclass
class SaveResult:
    """What a save did: fields written, and per-field errors (code, text from Metabase)."""

    saved: list[str] = field(default_factory=list)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    as_user: bool = False


class NoWriter(Exception):
    """Neither a connected Metabase account nor a bot is available."""


def save_translation(user: User, new: NewTranslation, client: MetabaseClient,
                     config: Mapping[str, Any]) -> SaveResult:
    """Write the changed label/description to Metabase, then locally (flushed). The caller commits
    whatever the result: a label Metabase took stays saved here even when it refused the description.

    Raises NoWriter when no way to write exists, MetabaseError when logging the bot in fails,
    LookupError for a capacity that is not on Metabase.
    """
    capacity_id, lang, name, description = new.capacity_id, new.lang, new.name, new.description
    tree = load_tree(["en"])
    node = tree.get(capacity_id)
    if node is None or not node.metabase_qid:
        raise LookupError(capacity_id)
    text = db.session.get(CapacityText, (capacity_id, lang))
    current_name = (text.name or "") if text else ""
    current_description = (text.description or "") if text else ""
    changes = [(kind, value) for kind, value, current in
               (("label", name.strip(), current_name), ("description", description.strip(), current_description))
               if value != current]
    result = SaveResult()
    if not changes:
        return result

    token = load_token(user.id, PROVIDER)
    auth = None
    if token and config.get("CAPX_METABASE_CONSUMER_KEY") and config.get("CAPX_METABASE_CONSUMER_SECRET"):
        auth = user_auth(config["CAPX_METABASE_CONSUMER_KEY"], config["CAPX_METABASE_CONSUMER_SECRET"], token)
        result.as_user = True
        summary = "CapX translate: set {kind} ({lang})"
    elif config.get("CAPX_METABASE_BOT_USER") and config.get("CAPX_METABASE_BOT_PASSWORD"):
        client.bot_login(config["CAPX_METABASE_BOT_USER"], config["CAPX_METABASE_BOT_PASSWORD"])
        summary = "CapX translate: set {kind} ({lang}) for " + user.username
    else:
        raise NoWriter()

    for kind, value in changes:
        try:
            client.set_term(kind, node.metabase_qid, lang, value, summary.format(kind=kind, lang=lang), auth)
        except MetabaseError as exc:
            result.errors[kind] = (exc.code, exc.text)
            continue
        if text is None:
            text = CapacityText(capacity_id=capacity_id, lang=lang)
            db.session.add(text)
        if kind == "label":
            text.name, text.name_source = value or None, "metabase"
        else:
            text.description, text.description_source = value or None, "metabase"
        result.saved.append(kind)
    db.session.flush()
    forget_tree()
    return result
