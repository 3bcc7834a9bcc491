"""Explore: finding people and organizations by capacity, exchange, territory, affiliation and language.

The package, in the order a search goes through it:

- :mod:`.filters`: what was asked for (typed filter objects, their canonical query string and
  chips); :mod:`capx.forms.explore` reads them from the query string;
- :mod:`.planner`: the WHERE conditions and which filter drives the query (the query shapes
  designed for 100,000+ profiles, see docs/performance-explore.md);
- :mod:`.cards`: what each card shows, one query per relation for a whole page;
- :mod:`.search`: a page of results with a capped count, and the saved lists.

Nothing here reads the request: the caller passes the filters and the language chain.
"""

from capx.services.explore.cards import TAGS, OrganizationCard, ProfileCard, organization_cards, profile_cards
from capx.services.explore.filters import (DEFAULT_SHOW, EXCHANGE_KINDS, EXCHANGE_LABELS, EXCHANGES, NAME_MAX,
                                           SHOW_KINDS, SHOW_LABELS, VALUES_MAX, Chip, OrganizationFilters,
                                           ProfileFilters, language_label, resolve_languages,
                                           resolve_organizations, resolve_territories, territory_label)
from capx.services.explore.planner import (COUNT_CAP, ESTIMATE_CAP, LOCKED_LIST_MAX, NAME_WALK_COST, SELECTIVE,
                                           WALK_COST, Unlocked, capped_count, choose_driver, count_query, folded_name,
                                           not_locked, SearchPlans,
                                           organization_conditions, profile_conditions,
                                           visible_organization_condition)
from capx.services.explore.search import (PER_PAGE, SAVED_ORGANIZATIONS_MAX, Results, saved_organizations,
                                          saved_profiles, search_organizations, search_profiles)

__all__ = [
    "COUNT_CAP", "DEFAULT_SHOW", "ESTIMATE_CAP", "EXCHANGES", "EXCHANGE_KINDS", "EXCHANGE_LABELS",
    "LOCKED_LIST_MAX", "NAME_MAX", "NAME_WALK_COST", "PER_PAGE", "SAVED_ORGANIZATIONS_MAX", "SELECTIVE",
    "SHOW_KINDS", "SHOW_LABELS", "TAGS", "VALUES_MAX", "WALK_COST", "Chip", "OrganizationCard",
    "OrganizationFilters", "ProfileCard", "ProfileFilters", "Results", "Unlocked", "capped_count", "choose_driver",
    "count_query", "SearchPlans",
    "folded_name", "language_label", "not_locked", "organization_cards", "organization_conditions",
    "profile_cards", "profile_conditions", "resolve_languages", "resolve_organizations",
    "resolve_territories", "saved_organizations", "saved_profiles", "search_organizations",
    "search_profiles", "territory_label", "visible_organization_condition",
]
