"""Links that one page repeats dozens or hundreds of times, built cheaply.

An Explore page or the home lists 24–36 cards with up to a hundred capacity chips, a profile link
and a save form each. ``url_for`` costs several microseconds per call and a Jinja macro call more,
which added up to a quarter of those pages' server time. So an address with one integer argument
(``/capacity/<id>``, ``/saved/profile/<id>``) is built with ``url_for`` once per request and
endpoint, then only formatted; and a capacity chip's link is rendered here, escaped by
``Markup.format``, instead of by a macro.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, url_for
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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
        head, _, tail = url_for(endpoint, **{argument: _SENTINEL}).partition(str(_SENTINEL))
        pattern = patterns[endpoint] = (head, tail)
    return f"{pattern[0]}{int(value)}{pattern[1]}"


def capacity_url(capacity_id: int) -> str:
    """The capacity's page in the directory."""
    return int_url("directory.capacity", "capacity_id", capacity_id)


@pass_context
def capacity_link(context: Context, node: Any, class_: str = "capacity-link") -> Markup:
    """A capacity's name linking to its page, marked with the name's language when that is not
    the page's (a name shown in the English fallback on an Arabic page, say)."""
    lang = Markup(' lang="{}"').format(node.name_lang) if node.name_lang and node.name_lang != context.get("page_lang") \
        else ""
    if "directory.capacity" not in current_app.view_functions:
        return Markup('<span class="{}"{}>{}</span>').format(class_, lang, node.name)
    return Markup('<a class="{}" href="{}"{}>{}</a>').format(class_, capacity_url(node.id), lang, node.name)


def init_app(app: Any) -> None:
    """Make the helpers template globals (macros imported without context see them too)."""
    app.jinja_env.globals.update(capacity_link=capacity_link, capacity_url=capacity_url, int_url=int_url)
