"""CapX: the Capacity Exchange of the Wikimedia movement, as one Flask application."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from capx import links, web
from capx.blueprints import register_blueprints
from capx.cli import register_cli
from capx.config import (ConfigError, client_addresses_known, engine_options, load_settings, production_problems,
                         proxy_fix_options)
from capx.extensions import babel, csrf, db, migrate
from capx.language import babel_locale_code

log = logging.getLogger(__name__)


def create_app(config_overrides: Mapping[str, Any] | None = None,
               env: Mapping[str, str] | None = None, refuse_incomplete: bool = True) -> Flask:
    """Build the application.

    ``config_overrides`` replaces Flask config keys after the environment was read (tests);
    ``env`` replaces the process environment (tests of the configuration itself). Raises
    :class:`ConfigError` with one clear line when production is half-configured, unless
    ``refuse_incomplete`` is False: only ``flask capx check-config`` builds such an app, to report
    every problem at once (they are kept in ``CAPX_CONFIG_PROBLEMS``).
    """
    app = Flask(__name__, instance_relative_config=True)
    settings = load_settings(env, Path(app.instance_path))
    problems = production_problems(settings)
    if problems and refuse_incomplete:
        raise ConfigError("CapX refuses to start in production: " + "; ".join(problems))
    app.config.from_mapping(settings.flask_config())
    app.config["CAPX_CONFIG_PROBLEMS"] = problems
    if config_overrides:
        app.config.update(config_overrides)
        if "SQLALCHEMY_DATABASE_URI" in config_overrides and "SQLALCHEMY_ENGINE_OPTIONS" not in config_overrides:
            # The engine options depend on the backend: follow the overridden URL.
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
                app.config["SQLALCHEMY_DATABASE_URI"], tls=settings.database_tls,
                read_timeout=settings.database_read_timeout)
    # Each bind gets the engine options of its own backend (the Let's Connect store may be SQLite
    # while the main database is MariaDB, or the other way round). The Let's Connect store is used
    # by a few pages only: no pool, so it costs a connection only while such a request runs.
    app.config["SQLALCHEMY_BINDS"] = {
        key: {"url": bind, **engine_options(bind, tls=settings.database_tls,
                                            read_timeout=settings.database_read_timeout,
                                            pooled=key != "lets_connect")}
        if isinstance(bind, str) else bind
        for key, bind in (app.config.get("SQLALCHEMY_BINDS") or {}).items()
    }
    _trust_proxies(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not settings.production and not app.config.get("TESTING"):
        app.logger.info("CapX local setup (%s, development login %s)",
                        app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0],
                        "on" if app.config["CAPX_DEV_LOGIN"] else "off")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)

    babel.init_app(app, locale_selector=babel_locale_code, default_timezone="UTC")

    web.init_app(app)
    links.init_app(app)
    register_blueprints(app)
    register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind reverse proxies (CAPX_PROXY_HOPS), take the visitor's scheme, and address when the
    proxies forward it, from their X-Forwarded-* headers (see :func:`capx.config.proxy_fix_options`)."""
    hops = int(app.config.get("CAPX_PROXY_HOPS") or 0)
    forwarded_for = bool(app.config.get("CAPX_PROXY_FORWARDED_FOR"))
    options = proxy_fix_options(hops, forwarded_for)
    app.config["CAPX_CLIENT_ADDRESSES"] = client_addresses_known(hops, forwarded_for)
    if options:
        app.wsgi_app = ProxyFix(app.wsgi_app, **options)  # type: ignore[method-assign]


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
