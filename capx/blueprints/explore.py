"""Explore (/feed), saved profiles (/feed/saved) and the public organization list (/organization_list).

Filters live in the query string. A filter form (GET, works without JavaScript) submits picker
ids and helper fields; the view answers with a redirect to the canonical link of the same search
(``/feed?capacity=12&exchange=sharer&territory=LAC&language=pt``), so every result page is a short,
shareable link and the back button works. The pickers' no-JavaScript search step (the "Search"
button of a picker) is rendered directly, with the candidates to tick.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from capx.access import current_user, login_required
from capx.forms import explore as forms
from capx.forms.organizations import TYPE_LABELS
from capx.forms.pickers import PickerState, searching
from capx.language import current_language, current_language_chain, msg
from capx.services import explore as service
from capx.services.capacities import CapacityTree, capacity_tree
from capx.services.choices import Choice
from capx.support.pagination import requested_page

bp = Blueprint("explore", __name__)

#: Query parameters kept across every link of a page (not filters).
PASS_THROUGH = ("uselang",)


def _url(endpoint: str, params: list[tuple[str, str]]) -> str:
    extra = [(key, request.args[key]) for key in PASS_THROUGH if request.args.get(key)]
    query = urlencode(params + extra)
    return url_for(endpoint) + (f"?{query}" if query else "")


def _canonical_redirect(endpoint: str, params: list[tuple[str, str]]) -> Response | None:
    """A redirect to the canonical link when the query string is not it (a submitted form, ``?capacityId=``)."""
    asked = sorted((k, v) for k, v in request.args.items(multi=True) if k not in PASS_THROUGH)
    if asked == sorted(params):
        return None
    return redirect(_url(endpoint, params))  # type: ignore[return-value]


def _picker(name: str, kind: str, selected: list[Choice]) -> PickerState:
    """A filter picker with its chosen items; on the no-JS search step, the candidates too."""
    state = PickerState(name, kind, selected)
    state.read_search(request.args, current_language_chain())
    return state


def _capacity_choices(ids: list[int], tree: CapacityTree) -> list[Choice]:
    out = []
    for capacity_id in ids:
        node = tree.get(capacity_id)
        if node is not None:
            out.append(Choice(node.id, node.name, " › ".join(p.name for p in tree.path(node.id)[:-1]),
                              node.name_lang if node.name_lang != tree.lang else None))
    return out


def _territory_choices(filters: Any, lang: str) -> list[Choice]:
    return [Choice(t.id, service.territory_label(t, lang)) for t in filters.territories]


def _page_url(endpoint: str, filters: Any) -> Callable[[int], str]:
    return lambda number: _url(endpoint, filters.at_page(number).params())


def link_profiles(cards: list[service.ProfileCard]) -> list[service.ProfileCard]:
    """Set each card's link to the profile page (``profiles.view``)."""
    for card in cards:
        card.href = url_for("profiles.view", username=card.url_name)
    return cards


def link_organizations(cards: list[service.OrganizationCard]) -> list[service.OrganizationCard]:
    """Set each card's link to the organization profile (``organizations.profile``)."""
    for card in cards:
        card.href = url_for("organizations.profile", organization_id=card.id)
    return cards


#: Messages every card repeats: formatted once per page rather than once per card.
CARD_TEXT_KEYS = ("explore-tag-learner", "explore-tag-sharer", "explore-tag-proficient", "explore-card-wanted",
                  "explore-card-available", "explore-card-known", "explore-card-territory", "explore-card-languages",
                  "explore-view-profile", "explore-view-organization", "explore-saved-remove")


def card_texts() -> dict[str, Any]:
    """The messages of CARD_TEXT_KEYS in the request's language."""
    return {key: msg(key) for key in CARD_TEXT_KEYS}


def _per_page() -> int:
    return int(current_app.config.get("CAPX_EXPLORE_PER_PAGE", service.PER_PAGE))


@bp.get("/feed")
@login_required
def feed() -> Any:
    """Explore: people by capacity, exchange type, territory, affiliation, language and name."""
    tree = capacity_tree(current_language_chain())
    filters = forms.read_profile_filters(request.args, tree)
    return _search_page("explore.feed", "explore/feed.html", filters, tree, service.search_profiles, link_profiles,
                        _profile_pickers, clear=filters.cleared().params(), show_kinds=service.SHOW_LABELS)


def _profile_pickers(filters: Any, tree: CapacityTree) -> dict[str, PickerState]:
    lang = current_language()
    return {
        "capacity": _picker("capacity", "capacity", _capacity_choices(filters.capacities, tree)),
        "territory": _picker("territory", "territory", _territory_choices(filters, lang)),
        "affiliation": _picker("affiliation", "organization",
                               [Choice(a[0], a[1], "", a[2] if a[2] != lang else None) for a in filters.affiliations]),
        "language": _picker("language", "language",
                            [Choice(lg.id, service.language_label(lg, lang)) for lg in filters.languages]),
    }


def _search_page(endpoint: str, template: str, filters: Any, tree: CapacityTree, search: Callable[..., Any],
                 link: Callable[[Any], Any], pickers: Callable[[Any, CapacityTree], dict[str, PickerState]],
                 clear: list[tuple[str, str]], **context: Any) -> Any:
    """A filtered search page (Explore's people, the organization list): a redirect to the canonical
    link of the search, or to the last page when asked for one past it; else the page of results
    with its pickers, the chips that each remove one filter, and the links to other pages."""
    search_step = searching(request.args)
    if not search_step:
        target = _canonical_redirect(endpoint, filters.params())
        if target is not None:
            return target
    results = search(filters, current_user(), current_language_chain(), per_page=_per_page())
    link(results.items)
    if results.page.number != filters.page and not search_step:
        # Past the last page: show the last one, under its own link.
        return redirect(_url(endpoint, filters.at_page(results.page.number).params()))
    chips = [(chip, _url(endpoint, filters.without(chip.key, chip.value).params())) for chip in filters.chips(tree)]
    return render_template(
        template, filters=filters, results=results, pickers=pickers(filters, tree), chips=chips,
        clear_url=_url(endpoint, clear), page_url=_page_url(endpoint, filters), exchanges=service.EXCHANGE_LABELS,
        t=card_texts(), open_panel=bool(search_step) or filters.active, **context)


@bp.get("/feed/saved")
@login_required
def saved() -> str:
    """The profiles and organizations the logged-in user saved. Only ever their own list."""
    user = current_user()
    assert user is not None
    chain = current_language_chain()
    results = service.saved_profiles(user, requested_page(request.args), chain, per_page=_per_page())
    organizations = link_organizations(service.saved_organizations(user, chain))
    link_profiles(results.items)
    return render_template("explore/saved.html", results=results, organizations=organizations, t=card_texts(),
                           type_labels=TYPE_LABELS,
                           page_url=lambda n: _url("explore.saved", [("page", str(n))] if n > 1 else []))


@bp.get("/organization_list")
def organization_list() -> Any:
    """The public list of organizations that have a manager, with name, capacity, exchange and territory filters."""
    tree = capacity_tree(current_language_chain())
    filters = forms.read_organization_filters(request.args, tree)
    return _search_page("explore.organization_list", "explore/organizations.html", filters, tree,
                        service.search_organizations, link_organizations, _organization_pickers, clear=[],
                        type_labels=TYPE_LABELS)


def _organization_pickers(filters: Any, tree: CapacityTree) -> dict[str, PickerState]:
    return {
        "capacity": _picker("capacity", "capacity", _capacity_choices(filters.capacities, tree)),
        "territory": _picker("territory", "territory", _territory_choices(filters, tree.lang)),
    }

