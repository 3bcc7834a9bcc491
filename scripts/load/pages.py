"""The pages of the load test's mix: name, weight and how to build a request for one.

Shared by the visitors (scripts/load/locustfile.py) and the serial cost measurement
(scripts/load/page_costs.py). A weight is how often a visitor opens the page relative to the
others; ``fx`` holds ids and names that exist in the database (the fixtures file written by
scripts/load_test.py). Explore links are built in their canonical form (parameter order name,
capacity, exchange, territory, affiliation, language), so the page answers 200 rather than
redirecting to it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

Params = list[tuple[str, str]]


@dataclass(frozen=True)
class Page:
    """One entry of the mix: the name statistics are grouped under, its weight, its request."""

    name: str
    weight: int
    build: Callable[[random.Random, dict[str, Any]], tuple[str, Params]]


def _explore(*keys: str) -> Callable[[random.Random, dict[str, Any]], tuple[str, Params]]:
    def build(rng: random.Random, fx: dict[str, Any]) -> tuple[str, Params]:
        values = {"capacity": lambda: str(rng.choice(fx["capacities"])),
                  "exchange": lambda: rng.choice(["learner", "sharer"]),
                  "territory": lambda: rng.choice(fx["territories"]),
                  "affiliation": lambda: str(rng.choice(fx["affiliations"])),
                  "language": lambda: rng.choice(fx["languages"])}
        order = ("capacity", "exchange", "territory", "affiliation", "language")
        return "/feed", [(key, values[key]()) for key in order if key in keys]
    return build


def _name(full: bool) -> Callable[[random.Random, dict[str, Any]], tuple[str, Params]]:
    def build(rng: random.Random, fx: dict[str, Any]) -> tuple[str, Params]:
        queries = [q for q in fx["name_queries"] if (" " in q) == full]
        return "/feed", [("name", rng.choice(queries))]
    return build


def _path(template: str, key: str | None = None) -> Callable[[random.Random, dict[str, Any]], tuple[str, Params]]:
    return lambda rng, fx: (template.format(rng.choice(fx[key])) if key else template, [])


PAGES: list[Page] = [
    Page("home", 12, _path("/home")),
    Page("explore", 5, _path("/feed")),
    Page("explore ?capacity", 3, _explore("capacity")),
    Page("explore ?capacity+exchange", 4, _explore("capacity", "exchange")),
    Page("explore ?capacity+exchange+territory+language", 2, _explore("capacity", "exchange", "territory", "language")),
    Page("explore ?territory+language", 2, _explore("territory", "language")),
    Page("explore ?affiliation", 1, _explore("affiliation")),
    # One word (a first or last name), or a whole name, which matches few profiles.
    Page("explore ?name (one word)", 1, _name(full=False)),
    Page("explore ?name (full name)", 1, _name(full=True)),
    Page("explore ?page", 2, lambda rng, fx: ("/feed", [("page", str(rng.randint(2, 5)))])),
    Page("profile", 10, _path("/profile/{}", "profile_users")),
    Page("directory (cards)", 2, _path("/capacity")),
    Page("directory (tree)", 1, lambda rng, fx: ("/capacity", [("view", "tree")])),
    Page("directory (themes)", 1, lambda rng, fx: ("/capacity", [("view", "themes")])),
    Page("capacity", 5, _path("/capacity/{}", "capacities")),
    Page("events", 4, _path("/events")),
    Page("event", 3, _path("/events/{}", "events")),
    Page("organization list", 3, _path("/organization_list")),
    Page("organization list ?capacity", 2,
         lambda rng, fx: ("/organization_list", [("capacity", str(rng.choice(fx["capacities"])))])),
    Page("organization", 3, _path("/organization_profile/{}", "organizations")),
    Page("data dashboard", 2, _path("/data_analytics_dashboard")),
    Page("data dashboard ?region", 1,
         lambda rng, fx: ("/data_analytics_dashboard", [("region", rng.choice(fx["regions"]))])),
]

#: Weight of the profile edit (open the form, save it, see the profile), a task of its own.
EDIT_WEIGHT = 3
