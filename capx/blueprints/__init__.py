"""The areas of the site; each blueprint module is thin: parse, validate, call a service, render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every area of the site."""
    from capx.blueprints import auth, explore, main, saved, suggest

    for module in (main, auth, suggest, saved, explore):
        app.register_blueprint(module.bp)
