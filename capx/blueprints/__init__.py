"""The areas of the site; each blueprint module is thin: parse, validate, call a service, render."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

#: One module per area (one per line, so features landing together do not conflict).
BLUEPRINT_MODULES = (
    "main",
    "auth",
    "suggest",
    "saved",
    "directory",
    "translation",
    "profiles",
    "organizations",
    "organization_admin",
    "staff",
    "partners",
    "events",
    "mentorship",
    "data",
    "messages",
    "reports",
    "explore",
)


def register_blueprints(app: Flask) -> None:
    """Register every area of the site."""
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(import_module(f"capx.blueprints.{name}").bp)
