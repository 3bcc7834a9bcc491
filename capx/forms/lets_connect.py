"""What the Let's Connect registration form's options are called (lazy: shown in the page's
language). The form itself is checked by :func:`capx.forms.profiles.read_registration`; the
templates get these labels, so no message key is built at run time."""

from __future__ import annotations

from capx.translations import LazyMessage, lazy_msg

ROLE_LABELS: dict[str, LazyMessage] = {
    "paid-staff": lazy_msg("lc-role-paid-staff"),
    "volunteer-staff": lazy_msg("lc-role-volunteer-staff"),
    "volunteer-organiser": lazy_msg("lc-role-volunteer-organiser"),
    "executive-director": lazy_msg("lc-role-executive-director"),
    "board-member": lazy_msg("lc-role-board-member"),
    "individual-volunteer": lazy_msg("lc-role-individual-volunteer"),
}
TOPIC_LABELS: dict[str, LazyMessage] = {
    "climate": lazy_msg("lc-topic-climate"),
    "public-policy": lazy_msg("lc-topic-public-policy"),
    "education": lazy_msg("lc-topic-education"),
    "open-technology": lazy_msg("lc-topic-open-technology"),
    "diversity": lazy_msg("lc-topic-diversity"),
    "culture": lazy_msg("lc-topic-culture"),
    "governance": lazy_msg("lc-topic-governance"),
    "human-rights": lazy_msg("lc-topic-human-rights"),
    "advocacy": lazy_msg("lc-topic-advocacy"),
}
GENDER_LABELS: dict[str, LazyMessage] = {
    "woman": lazy_msg("lc-gender-woman"),
    "man": lazy_msg("lc-gender-man"),
    "non-binary": lazy_msg("lc-gender-non-binary"),
    "self-described": lazy_msg("lc-gender-self-described"),
    "prefer-not": lazy_msg("lc-gender-prefer-not"),
}
AGE_LABELS: dict[str, LazyMessage] = {
    "18-24": lazy_msg("lc-age-18-24"),
    "25-34": lazy_msg("lc-age-25-34"),
    "35-44": lazy_msg("lc-age-35-44"),
    "45-54": lazy_msg("lc-age-45-54"),
    "55-64": lazy_msg("lc-age-55-64"),
    "65-plus": lazy_msg("lc-age-65-plus"),
    "prefer-not": lazy_msg("lc-age-prefer-not"),
}
