"""The logged-in home's labels: what each profile gap and event format is called (the page has no
form of its own; templates get these instead of building message keys at run time)."""

from __future__ import annotations

from capx.translations import lazy_msg

#: The "your profile still lacks" links, by the gap :func:`capx.services.home.profile_gaps` names.
GAP_LABELS = {"territory": lazy_msg("home-missing-territory"), "languages": lazy_msg("home-missing-languages"),
              "known-capacities": lazy_msg("home-missing-known-capacities")}
#: An event's format on its suggestion card.
EVENT_FORMAT_LABELS = {"online": lazy_msg("home-event-format-online"),
                       "in-person": lazy_msg("home-event-format-in-person"),
                       "hybrid": lazy_msg("home-event-format-hybrid")}
