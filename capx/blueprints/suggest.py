"""JSON suggestions for the type-ahead pickers (the progressive enhancement of capx/forms/pickers.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from capx.language import current_language_chain
from capx.services import choices

bp = Blueprint("suggest", __name__)


@bp.get("/api/suggest/<kind>")
def suggest(kind: str) -> Response:
    """Up to 20 matches for ``?q=``: ``[{"value", "label", "detail"}]`` (public reference data only)."""
    if kind not in choices.KINDS:
        abort(404)
    query = (request.args.get("q") or "")[:100]
    hits = choices.search(kind, query, limit=20, chain=current_language_chain())
    response = jsonify([{"value": c.value, "label": c.label, "detail": c.detail} for c in hits])
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
