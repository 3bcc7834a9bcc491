"""Links that one page repeats dozens or hundreds of times, built cheaply.

An Explore page or the home lists 24–36 cards with up to a hundred capacity chips, a profile link
and a save form each. ``url_for`` costs several microseconds per call and a Jinja macro call more,
which added up to a quarter of those pages' server time. So an address with one integer argument
(``/capacity/<id>``, ``/saved/profile/<id>``) is built with ``url_for`` once per request and
endpoint, then only formatted; and a capacity chip's link is rendered here once per request
and capacity (escaped part by part), instead of by a macro per chip.
"""

from __future__ import annotations

from typing import Any, Iterable

from flask import current_app, g, request, url_for
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from capx.language import msg

#: Stands for the integer argument while the pattern is built; no route contains it otherwise.
_SENTINEL = 918273645


def int_url(endpoint: str, argument: str, value: int) -> str:
    """``url_for(endpoint, **{argument: value})``, with ``url_for`` run once per request and endpoint.

    The address is the same for every value but for the value itself (integer converters are
    not quoted), so the one built for a sentinel value is split around it and reused.
    """
    patterns: dict[str, tuple[str, str]] = g.setdefault("_int_url_patterns", {})
    pattern = patterns.get(endpoint)
    if pattern is None:
        values: dict[str, Any] = {argument: _SENTINEL}
        head, _, tail = url_for(endpoint, **values).partition(str(_SENTINEL))
        pattern = patterns[endpoint] = (head, tail)
    return f"{pattern[0]}{int(value)}{pattern[1]}"


def capacity_url(capacity_id: int) -> str:
    """The capacity's page in the directory."""
    return int_url("directory.capacity", "capacity_id", capacity_id)


def _capacity_link_html(node: Any, class_: str, page_lang: str | None) -> Markup:
    """The link for ``node``, built once per request (a page may repeat a capacity on every card).

    Keyed by the name too: a request that renames a capacity and renders again gets a new tree."""
    memo: dict[tuple[Any, ...], Markup] = g.setdefault("_capacity_links", {})
    key = (node.id, node.name, node.name_lang, class_, page_lang)
    html = memo.get(key)
    if html is None:
        # f-strings of escaped parts: Markup.format was most of the cost of a card page.
        lang = f' lang="{escape(node.name_lang)}"' if node.name_lang and node.name_lang != page_lang else ""
        if "directory.capacity" in current_app.view_functions:
            html = Markup(f'<a class="{escape(class_)}" href="{escape(capacity_url(node.id))}"{lang}>{escape(node.name)}</a>')  # nosec B704 # every part escaped
        else:
            html = Markup(f'<span class="{escape(class_)}"{lang}>{escape(node.name)}</span>')  # nosec B704 # every part escaped
        memo[key] = html
    return html


@pass_context
def capacity_link(context: Context, node: Any, class_: str = "capacity-link") -> Markup:
    """A capacity's name linking to its page, marked with the name's language when that is not
    the page's (a name shown in the English fallback on an Arabic page, say)."""
    return _capacity_link_html(node, class_, context.get("page_lang"))


@pass_context
def capacity_items(context: Context, nodes: Iterable[Any], item_class: str = "chip") -> Markup:
    """``<li class="{item_class}">`` + :func:`capacity_link` for each node: a card's list of chips
    in one call instead of a template loop."""
    page_lang = context.get("page_lang")
    item = f'<li class="{escape(item_class)}">'
    return Markup("".join(f"{item}{_capacity_link_html(node, 'capacity-link', page_lang)}</li>" for node in nodes))  # nosec B704 # parts escaped


def save_toggle(action: str, is_saved: bool, next_url: str | None = None, name: Any = None) -> Markup:
    """The Save / Saved toggle (``macros/saved.html``): a POST form to ``action`` with a text button
    saying whom it saves (``name``, for screen readers), back to ``next_url`` (default: this page).

    Rendered here rather than by a macro: the home shows 41 of them, and the shared macro calling
    a second macro per toggle took 5.5 ms of the home's 43 under cProfile (2026-12-06, 100,000
    profiles); rendered here, 1.3 ms.
    The CSRF token and the button's text are the same for every toggle of a page: read once."""
    texts: dict[bool, tuple[str, Markup]] = g.setdefault("_save_toggle_texts", {})
    fixed = texts.get(is_saved)
    if fixed is None:
        fixed = texts[is_saved] = (str(escape(generate_csrf())),
                                   msg("saved-button-saved") if is_saved else msg("saved-button-save"))
    token, label = fixed
    back = escape(next_url or request.full_path.rstrip("?"))
    hidden = f'<span class="visually-hidden">: {escape(name)}</span>' if name else ""
    return Markup(  # nosec B704 # every part escaped
        f'<form method="post" action="{escape(action)}" class="inline-form save-toggle">\n'
        f'  <input type="hidden" name="csrf_token" value="{token}">\n'
        f'  <input type="hidden" name="next" value="{back}">\n'
        f'  <input type="hidden" name="action" value="{"unsave" if is_saved else "save"}">\n'
        f'  <button type="submit" class="cdx-button cdx-button--small{" is-saved" if is_saved else ""}" '
        f'aria-pressed="{"true" if is_saved else "false"}">\n'
        f'    {label}{hidden}\n'
        f'  </button>\n'
        f'</form>')


def init_app(app: Any) -> None:
    """Make the helpers template globals (macros imported without context see them too)."""
    app.jinja_env.globals.update(capacity_link=capacity_link, capacity_items=capacity_items, capacity_url=capacity_url,
                                 int_url=int_url, save_toggle=save_toggle)
