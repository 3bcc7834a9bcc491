"""The header menu, as data: an entry shows only when its page exists and fits the visitor.

Later features add their pages to ``NAV_ITEMS``; an entry whose endpoint is not registered is
simply not shown, so the menu never points to a page that does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

ANONYMOUS, LOGGED_IN, BOTH, STAFF = "anonymous", "logged-in", "both", "staff"


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    message: str
    audience: str


#: The main links, in one row on a desktop: at most seven (the header test holds it to that), the
#: places everyone goes. What belongs to the visitor is in ``PERSONAL_ITEMS``.
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("main.home", "nav-home", LOGGED_IN),
    NavItem("explore.feed", "nav-explore", LOGGED_IN),
    NavItem("directory.index", "nav-capacity-directory", BOTH),
    NavItem("explore.organization_list", "nav-organizations", BOTH),
    NavItem("events.index", "nav-events", BOTH),
    NavItem("mentorship.index", "nav-mentorship", LOGGED_IN),
    NavItem("data.dashboard", "nav-data", BOTH),
)

#: The personal menu (under the person's name): their own pages and what they do for CapX. Log out
#: follows them, as a POST form (base.html).
PERSONAL_ITEMS: tuple[NavItem, ...] = (
    NavItem("profiles.mine", "nav-my-profiles", LOGGED_IN),
    NavItem("profiles.badges", "nav-badges", LOGGED_IN),
    NavItem("explore.saved", "nav-saved-profiles", LOGGED_IN),
    NavItem("messages.index", "nav-messages", LOGGED_IN),
    NavItem("reports.index", "nav-bug-reports", LOGGED_IN),
    NavItem("translation.index", "nav-translate", LOGGED_IN),
)

#: The staff's pages, in the personal menu under their own heading: without them staff would have
#: to know each address (the moderation queue, the triage and the two overviews link nowhere else
#: from the rest of the site).
STAFF_ITEMS: tuple[NavItem, ...] = (
    NavItem("organizations.staff_list", "nav-staff-organizations", STAFF),
    NavItem("staff.people", "nav-staff-people", STAFF),
    NavItem("directory.queue", "nav-staff-capacity-suggestions", STAFF),
    NavItem("reports.triage", "nav-staff-bug-reports", STAFF),
)


@dataclass(frozen=True)
class NavLink:
    url: str
    message: str
    current: bool


def nav_links(logged_in: bool, items: tuple[NavItem, ...] = NAV_ITEMS, staff: bool = False) -> list[NavLink]:
    """The entries of ``items`` (the main links by default) for this visitor, the current page marked."""
    links = []
    views = current_app.view_functions
    for item in items:
        if item.endpoint not in views:
            continue
        if (item.audience == ANONYMOUS and logged_in or item.audience == LOGGED_IN and not logged_in
                or item.audience == STAFF and not staff):
            continue
        links.append(NavLink(url_for(item.endpoint), item.message, request.endpoint == item.endpoint))
    return links
