"""The data dashboard's view form: the query string (tab, language, capacity, type, region,
orientation, list page) read into the view asked for, unknown values replaced by defaults; and the
labels the page shows for totals, tabs, capacity types and density classes (no message key is
built at run time)."""

from __future__ import annotations

from typing import Any, Mapping

from capx.models import AVAILABLE, KNOWN, WANTED
from capx.services.statistics import ALL, CAPACITY_VIEW_KINDS
from capx.support.pagination import requested_page
from capx.support.values import parse_id
from capx.translations import LazyMessage, lazy_msg

TABS = ("wikimedians", "languages", "capacities")
#: The tables a CSV download can ask for.
TABLES = ("map", "languages", "territories", "capacities")

TAB_LABELS = {"wikimedians": lazy_msg("data-tab-wikimedians"), "languages": lazy_msg("data-tab-languages"),
              "capacities": lazy_msg("data-tab-capacities")}
#: The totals at the top of the dashboard (and on the logged-in home), in display order.
TOTAL_LABELS = {"users": lazy_msg("data-total-users"), "new-users": lazy_msg("data-total-new-users"),
                "messages-sent": lazy_msg("data-total-messages-sent"),
                "organizations": lazy_msg("data-total-organizations"),
                "capacities": lazy_msg("data-total-capacities")}
TYPE_LABELS = {ALL: lazy_msg("data-type-all"), KNOWN: lazy_msg("data-type-known"),
               AVAILABLE: lazy_msg("data-type-available"), WANTED: lazy_msg("data-type-wanted")}
DENSITY_LABELS = {0: lazy_msg("data-density-0"), 1: lazy_msg("data-density-1"), 2: lazy_msg("data-density-2"),
                  3: lazy_msg("data-density-3"), 4: lazy_msg("data-density-4")}
_CAPACITY_MAP_TITLES = {ALL: "data-map-title-capacities-all", KNOWN: "data-map-title-capacities-known",
                        AVAILABLE: "data-map-title-capacities-available",
                        WANTED: "data-map-title-capacities-wanted"}


def capacity_map_title(kind: str, capacity_name: str) -> LazyMessage:
    """The map's title on the capacities tab: who (by ``kind``) has the capacity, by region."""
    return lazy_msg(_CAPACITY_MAP_TITLES.get(kind, _CAPACITY_MAP_TITLES[ALL]), capacity_name)


def read_view(args: Mapping[str, str]) -> dict[str, Any]:
    """The view asked for, with unknown values replaced by defaults."""
    tab = args.get("tab", "wikimedians")
    kind = args.get("type", ALL)
    return {
        "tab": tab if tab in TABS else "wikimedians",
        "language": parse_id(args.get("language")),
        "capacity": parse_id(args.get("capacity")),
        "type": kind if kind in CAPACITY_VIEW_KINDS else ALL,
        "region": (args.get("region") or "").upper() or None,
        "orient": "south" if args.get("orient") == "south" else "north",
        "lpage": requested_page(args, "lpage"),
    }
