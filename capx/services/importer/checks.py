"""Checks of a row's content beyond its field types, run by the scan so that a bad row is refused
before anything is written: badge logic, form definitions, encrypted envelopes, public keys, saved
items."""

from __future__ import annotations

import base64
import json
from typing import Any

from capx.models import EXTERNAL, INTERNAL, PARTNER
from capx.services import mentorship_crypto
from capx.services.importer.errors import ImportFileError
from capx.services.importer.mapping import badge_code, badge_rule

RESPONSE_MODELS = ("portal.partnermentorshipformmentorresponse", "portal.partnermentorshipformmenteeresponse")
FORM_MODELS = ("portal.partnermentorshipformmentor", "portal.partnermentorshipformmentee")


def describe_badge(pk: int, fields: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """What an old badge is in CapX's terms: kind, rule and threshold, source, organization.
    Raises :class:`ImportFileError` for a ``logic`` that does not fit its type (checked by the scan)."""
    logic = fields["logic"] if isinstance(fields["logic"], dict) else {}
    kind = fields["type"]
    label = label or f"users.badge pk {pk}"
    if kind == INTERNAL:
        target, value = logic.get("target"), logic.get("value")
        if target not in ("complete_profile", "sent_messages", "received_messages", "updated_profile", "is_manager",
                          "account_age", "lets_connect") or not isinstance(value, int) or value < 1:
            raise ImportFileError(f"{label}: internal badge logic should be {{target, value}}, found {logic!r}")
        rule, threshold = badge_rule(target, value)
        return {"kind": INTERNAL, "rule": rule, "threshold": threshold, "code": badge_code(rule, threshold)}
    if kind == EXTERNAL:
        if logic.get("source") not in ("wikilearn", "letsconnect"):
            raise ImportFileError(f"{label}: external badge logic should name its source, found {logic!r}")
        return {"kind": EXTERNAL, "source": logic["source"]}
    if not isinstance(logic.get("partner"), int):
        raise ImportFileError(f"{label}: partner badge logic should name an organization, found {logic!r}")
    return {"kind": PARTNER, "organization_id": logic["partner"]}


def parse_envelope(label: str, data: str) -> dict[str, Any]:
    """The old encrypted envelope, checked (the scan refuses a response that is not one: CapX never
    stores answers in clear)."""
    try:
        envelope = json.loads(data)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("__encrypted__") is not True or envelope.get("version") != 1:
        raise ImportFileError(f"{label}: data is not an encrypted envelope of version 1")
    try:
        for part in ("key", "nonce", "ciphertext"):
            base64.b64decode(envelope[part], validate=True)
    except (KeyError, TypeError, ValueError):
        raise ImportFileError(f"{label}: the envelope's key, nonce or ciphertext is not base64") from None
    return envelope


def check_form_fields(label: str, fields: Any) -> None:
    """An old form definition: a list of fields with a name, a type and a label."""
    if not isinstance(fields, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str)
                                               and isinstance(f.get("type"), str) for f in fields):
        raise ImportFileError(f"{label}: the form's json should be a list of fields with name and type")


def check_content(label: str, model: str, pk: int, fields: dict[str, Any]) -> None:
    """Refuse a row whose content cannot be imported as it is (raises :class:`ImportFileError`)."""
    if model == "users.badge":
        describe_badge(pk, fields, label)
    elif model in FORM_MODELS:
        check_form_fields(label, fields["json"])
    elif model in RESPONSE_MODELS:
        parse_envelope(label, fields["data"])
    elif model == "portal.partnermentorshippublickey":
        try:
            mentorship_crypto.load_public_key(fields["public_key"])
        except mentorship_crypto.PublicKeyError as error:
            raise ImportFileError(f"{label}: not a usable RSA public key ({error.reason})") from None
    elif model == "users.saveditem":
        needed = "related_user" if fields["entity"] == "user" else "related_org"
        if fields[needed] is None:
            raise ImportFileError(f"{label}: a saved {fields['entity']} without {needed}")
