"""The Data Analytics dashboard: totals, a density map of the 8 regions, tables and CSV downloads.
Public and read-only: it shows aggregate figures only, to visitors who are not logged in too.

Everything on the page is a link or a GET form: tab, language, capacity, type, selected region,
orientation and list page live in the query string. Figures come from the pre-computed
``statistic`` table (capx.services.statistics), so a request reads a few dozen rows whatever the
number of profiles.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_babel import format_number, get_locale
from markupsafe import Markup, escape

from capx.forms import data as forms
from capx.language import current_language, current_language_chain, msg_text
from capx.services import choices as choices_service, region_map, statistics as stats
from capx.services.capacities import capacity_tree
from capx.services.reference_names import language_name, territory_name
from capx.support.pagination import make_page

bp = Blueprint("data", __name__)

LANGUAGES_PER_PAGE = 20
#: Fill per density class (0 = nobody): a single-hue sequential ramp; the numbers are printed too.
DENSITY_FILLS = ("#eaecf0", "#c5d8fb", "#87acf0", "#3366cc", "#1c3f86")
DENSITY_TEXT = ("#202122", "#202122", "#202122", "#ffffff", "#ffffff")


_GROUPING: dict[str, tuple[str, bool]] = {}


def format_count(value: int) -> str:
    """A whole number formatted for the interface language, like flask_babel.format_number.

    A page shows a hundred or more numbers and Babel's general formatter costs ~0.1 ms each, so
    for locales that group by thousands (nearly all) we reuse its group symbol with Python's own
    grouping; other locales go through Babel.
    """
    key = str(get_locale())
    if key not in _GROUPING:
        sample = format_number(1234567)
        symbol = sample[1] if len(sample) == 9 else ""
        _GROUPING[key] = (symbol, bool(symbol) and sample == f"{1234567:,}".replace(",", symbol))
    symbol, simple = _GROUPING[key]
    if simple and isinstance(value, int):
        return f"{value:,}".replace(",", symbol)
    return format_number(value)


_OPTIONS_CACHE: dict[tuple[str, str], tuple[float, str]] = {}
OPTIONS_TTL = 600.0


def _options_html(kind: str, selected: int | None) -> Markup:
    """The <option>s of the language or capacity selector, with ``selected`` marked.

    Hundreds of CLDR language names take ~20 ms to build and render; they change only when the
    reference data does, so each process keeps the escaped options for ten minutes per language.
    """
    key = (kind, current_language())
    cached = _OPTIONS_CACHE.get(key)
    if cached is None or time.monotonic() - cached[0] > OPTIONS_TTL:
        parts = []
        for choice in choices_service.choices(kind, current_language_chain()):
            label = f"{choice.detail} › {choice.label}" if kind == "capacity" and choice.detail else choice.label
            parts.append(f'<option value="{choice.value}">{escape(label)}</option>')
        cached = _OPTIONS_CACHE[key] = (time.monotonic(), "".join(parts))
    html = cached[1]
    if selected is not None:
        html = html.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>', 1)
    return Markup(html)  # nosec B704 # labels escaped above; values and selected are integer ids


def _url(params: dict[str, Any], **changes: Any) -> str:
    merged = {**params, **changes}
    query = {k: v for k, v in merged.items() if v not in (None, "")}
    if query.get("lpage") == 1:
        query.pop("lpage")
    # Keep the links short: leave out defaults.
    if query.get("tab") == "wikimedians":
        query.pop("tab")
    if query.get("type") == stats.ALL:
        query.pop("type")
    if query.get("orient") == "north":
        query.pop("orient")
    if merged.get("tab") != "languages":
        query.pop("language", None)
    if merged.get("tab") != "capacities":
        query.pop("capacity", None)
        query.pop("type", None)
    # url_for costs ~0.5 ms and a page has dozens of these links: build them from one base.
    base = g.get("data_dashboard_path") or g.setdefault("data_dashboard_path", url_for("data.dashboard"))
    return f"{base}?{urlencode(query)}" if query else base


def _language_labels(ids: set[int]) -> dict[int, str]:
    return stats.language_labels(ids, current_language())


def _view(params: dict[str, Any]) -> dict[str, Any]:
    """Everything the page and the CSV need for the requested view."""
    lang = current_language()
    tree = capacity_tree(current_language_chain())
    computed = stats.computed_at()
    overview = stats.overview()
    regions = stats.regions()
    by_code = {r.code: r for r in regions}
    selected = by_code.get(params["region"] or "")

    tab = params["tab"]
    subject: Any = None
    capacity_map_title: Any = None
    if tab == "languages":
        if params["language"] is None or not _language_labels({params["language"]}):
            top = stats.top_languages(None, limit=1)
            params["language"] = top[0][0] if top else None
        values, world = stats.language_by_region(params["language"]) if params["language"] else ({}, 0)
        subject = _language_labels({params["language"]}).get(params["language"]) if params["language"] else None
    elif tab == "capacities":
        if params["capacity"] is None or tree.get(params["capacity"]) is None:
            params["capacity"] = stats.top_capacity_id()
        values, world = stats.capacity_by_region(params["capacity"], params["type"]) if params["capacity"] else ({}, 0)
        subject = tree.get(params["capacity"]) if params["capacity"] else None
        capacity_map_title = forms.capacity_map_title(params["type"], subject.name if subject else "—")
    else:
        values, world = dict(overview.region_users), overview.totals["users"]

    region_values = {r.code: values.get(r.id, 0) for r in regions}
    classes, legend = stats.density_classes(region_values)
    shapes = region_map.shapes(params["orient"] == "south")
    map_regions = []
    for region in sorted(regions, key=lambda r: -region_values[r.code]):
        shape = shapes.get(region.code)
        map_regions.append({
            "region": region, "code": region.code, "name": territory_name(region, lang),
            "value": region_values[region.code], "density": classes[region.code],
            "fill": DENSITY_FILLS[classes[region.code]], "text_fill": DENSITY_TEXT[classes[region.code]],
            "shape": shape, "url": _url(params, region=region.code) + "#region-card",
            "selected": selected is not None and selected.id == region.id,
            "share": (region_values[region.code] / world) if world else 0,
        })

    card = None
    page = make_page(params["lpage"], LANGUAGES_PER_PAGE, stats.language_count())
    top_world = stats.top_languages(None, LANGUAGES_PER_PAGE, page.offset)
    top_region = stats.top_languages(selected.id) if selected is not None else []
    language_labels = _language_labels({i for i, _ in top_world} | {i for i, _ in top_region})
    if selected is not None:
        card = {
            "region": selected, "name": territory_name(selected, lang),
            "countries": overview.region_countries.get(selected.id, 0),
            "users": overview.region_users.get(selected.id, 0),
            "languages": [(language_labels[i], n) for i, n in top_region if i in language_labels],
            "capacities": [(tree.get(c["capacity_id"]), c) for c in stats.top_capacities(selected.id)
                           if tree.get(c["capacity_id"]) is not None],
            "close_url": _url(params, region=None),
        }

    language_rows = [(language_labels[i], n) for i, n in top_world if i in language_labels]
    roots = [node for node in tree.ordered() if node.parent_id is None]
    capacity_rows = [(node, overview.root_learners.get(node.id, 0), overview.root_sharers.get(node.id, 0)) for node in roots]
    territory_rows: list[dict[str, Any]] = sorted(({"name": territory_name(r, lang), "code": r.code,
                                                    "users": overview.region_users.get(r.id, 0),
                              "countries": overview.region_countries.get(r.id, 0)} for r in regions),
                            key=lambda row: (-row["users"], row["name"]))
    return {"params": params, "capacity_map_title": capacity_map_title, "computed_at": computed,
            "totals": overview.totals, "map_regions": map_regions,
            "legend": legend, "world": world, "subject": subject, "card": card, "page": page,
            "language_rows": language_rows, "capacity_rows": capacity_rows,
            "territory_rows": territory_rows, "fills": DENSITY_FILLS,
            "south_up": params["orient"] == "south", "transform": region_map.south_up_transform(),
            "width": region_map.WIDTH, "height": region_map.HEIGHT}


def _csv(view: dict[str, Any], table: str) -> Response:
    """One of the page's tables as CSV (every row, not only the shown page)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "map":
        writer.writerow(["code", msg_text("data-col-region"), msg_text("data-col-value")])
        for row in sorted(view["map_regions"], key=lambda r: r["code"]):
            writer.writerow([row["code"], row["name"], row["value"]])
    elif table == "languages":
        lang = current_language()
        languages = stats.languages_known()
        writer.writerow(["code", msg_text("data-col-language"), msg_text("data-col-users")])
        for lang_id, n in stats.top_languages(None, limit=100_000):
            if lang_id in languages:
                writer.writerow([languages[lang_id].code, language_name(languages[lang_id], lang), n])
    elif table == "territories":
        writer.writerow(["rank", "code", msg_text("data-col-region"), msg_text("data-col-users"),
                         msg_text("data-col-countries")])
        for rank, row in enumerate(view["territory_rows"], start=1):
            writer.writerow([rank, row["code"], row["name"], row["users"], row["countries"]])
    else:
        writer.writerow(["id", msg_text("data-col-category"), msg_text("data-col-learners"), msg_text("data-col-sharers")])
        for node, learners, sharers in view["capacity_rows"]:
            writer.writerow([node.id, node.name, learners, sharers])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="capx-data-{table}.csv"'})


@bp.get("/data_analytics_dashboard")
def dashboard() -> Any:
    """The dashboard page, or one of its tables as CSV (``?format=csv&table=...``): public and
    read-only (aggregate figures only), for visitors who are not logged in too."""
    params = forms.read_view(request.args)
    view = _view(params)
    if request.args.get("format") == "csv":
        table = request.args.get("table", "map")
        if table not in forms.TABLES:
            abort(404)
        return _csv(view, table)
    # The long pick lists only on the tab that uses them.
    options = ""
    if params["tab"] == "languages":
        options = _options_html("language", params["language"])
    elif params["tab"] == "capacities":
        options = _options_html("capacity", params["capacity"])
    return render_template("data/dashboard.html", **view, options=options, kinds=forms.TYPE_LABELS,
                           url=lambda **changes: _url(params, **changes), tabs=forms.TAB_LABELS,
                           totals_shown=forms.TOTAL_LABELS, density_labels=forms.DENSITY_LABELS, number=format_count)
