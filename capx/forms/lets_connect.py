"""The Let's Connect registration form: what is submitted, checked, as the service's typed input.

:func:`read_registration` returns a :class:`~capx.forms.errors.Checked` whose ``form`` is the
submitted values (a dict the templates read back, so nothing typed is lost) and whose ``value``
is the :class:`~capx.services.lets_connect.RegistrationInput` when everything is valid.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from capx.forms.addresses import is_email
from capx.forms.errors import Checked, FormErrors
from capx.models import LETS_CONNECT_AGE_RANGES, LETS_CONNECT_GENDERS, LETS_CONNECT_ROLES, LETS_CONNECT_TOPICS
from capx.services.lets_connect import RegistrationInput
from capx.translations import lazy_msg

#: The longest answer per free-text field (characters).
TEXT_MAX = {"full_name": 200, "email": 254, "topic_other": 200, "gender_other": 100}
#: Topics one may choose, counting "Other".
MAX_TOPICS = 2


def submitted(form: MultiDict[str, str]) -> dict[str, Any]:
    """The submitted answers as typed (trimmed), for showing the form again or the confirmation."""
    return {
        "full_name": (form.get("full_name") or "").strip(),
        "email": (form.get("email") or "").strip(),
        "role": form.get("role") or "",
        "topics": [t for t in dict.fromkeys(form.getlist("topics")) if t],
        "topic_other": (form.get("topic_other") or "").strip(),
        "gender": form.get("gender") or "",
        "gender_other": (form.get("gender_other") or "").strip(),
        "age_range": form.get("age_range") or "",
    }


def empty() -> dict[str, Any]:
    """The blank form."""
    return submitted(MultiDict())


def check(values: dict[str, Any]) -> FormErrors:
    """What is wrong with the answers (required email and role, known options, lengths, topics)."""
    errors = FormErrors()
    for key, limit in TEXT_MAX.items():
        if len(values[key]) > limit:
            errors.add(key, lazy_msg("form-error-too-long", limit))
    if not values["email"]:
        errors.add("email", lazy_msg("form-error-required"))
    elif "email" not in errors and not is_email(values["email"]):
        errors.add("email", lazy_msg("lc-error-email"))
    if not values["role"]:
        errors.add("role", lazy_msg("form-error-required"))
    elif values["role"] not in LETS_CONNECT_ROLES:
        errors.add("role", lazy_msg("profile-error-invalid-choice"))
    topics = values["topics"]
    if any(t not in LETS_CONNECT_TOPICS for t in topics):
        errors.add("topics", lazy_msg("profile-error-invalid-choice"))
    if len(topics) + (1 if values["topic_other"] else 0) > MAX_TOPICS:
        errors.add("topics", lazy_msg("lc-error-too-many-topics", MAX_TOPICS))
    if values["gender"] and values["gender"] not in LETS_CONNECT_GENDERS:
        errors.add("gender", lazy_msg("profile-error-invalid-choice"))
    if values["age_range"] and values["age_range"] not in LETS_CONNECT_AGE_RANGES:
        errors.add("age_range", lazy_msg("profile-error-invalid-choice"))
    return errors


def read_registration(form: MultiDict[str, str]) -> Checked[RegistrationInput]:
    """The submitted registration, checked; ``form`` of the result is the answers as typed."""
    values = submitted(form)
    errors = check(values)
    if errors:
        return Checked(None, errors, values)
    return Checked(RegistrationInput(
        full_name=values["full_name"] or None, email=values["email"], role=values["role"],
        topics=list(values["topics"]), topic_other=values["topic_other"] or None,
        gender=values["gender"] or None,
        gender_other=(values["gender_other"] or None) if values["gender"] == "self-described" else None,
        age_range=values["age_range"] or None), errors, values)
