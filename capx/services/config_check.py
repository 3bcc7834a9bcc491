"""``flask capx check-config``: what a deployment still lacks, without printing any secret."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from capx.config import DEV_SECRET_KEY
from capx.extensions import db

OK, WARN, MISSING = "ok", "warn", "missing"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it stands, and a detail without secrets."""

    name: str
    status: str
    detail: str


def _safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is reported as such, never echoed
        return "(not a valid database URL)"


def _database(app: Flask, bind: str | None, label: str) -> Check:
    url = app.config["SQLALCHEMY_DATABASE_URI"] if bind is None else app.config["SQLALCHEMY_BINDS"][bind]["url"]
    production = app.config.get("CAPX_ENV") == "production"
    try:
        with app.app_context():
            engine = db.engines[bind]
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure is "unreachable"; the class says why
        return Check(label, MISSING, f"{_safe_url(url)} unreachable ({type(exc).__name__})")
    if production and url.startswith("sqlite"):
        return Check(label, MISSING, f"{_safe_url(url)} is a local SQLite file; production needs MariaDB (ToolsDB)")
    return Check(label, OK, f"{_safe_url(url)} reachable")


def _schema(app: Flask) -> Check:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    try:
        with app.app_context():
            config = app.extensions["migrate"].migrate.get_config()
            heads = set(ScriptDirectory.from_config(config).get_heads())
        with app.app_context(), db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # noqa: BLE001
        return Check("schema", MISSING, f"cannot read the migration state ({type(exc).__name__})")
    if current != heads:
        return Check("schema", MISSING, f"database at {sorted(current) or 'nothing'}, code at {sorted(heads)}: "
                                        "run flask db upgrade")
    return Check("schema", OK, f"up to date ({', '.join(sorted(heads))})")


def check_configuration(app: Flask) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    config = app.config
    production = config.get("CAPX_ENV") == "production"
    checks = [Check("environment", OK if production else WARN,
                    "production" if production else "development (checks below are for production)")]
    secret = config.get("SECRET_KEY") or ""
    if not secret or secret == DEV_SECRET_KEY:
        checks.append(Check("secret key", MISSING, "CAPX_SECRET_KEY is not set"))
    elif len(secret) < 32:
        checks.append(Check("secret key", WARN, f"set but short ({len(secret)} characters; use 32 or more)"))
    else:
        checks.append(Check("secret key", OK, f"set ({len(secret)} characters)"))
    if config.get("CAPX_OAUTH_CONSUMER_KEY") and config.get("CAPX_OAUTH_CONSUMER_SECRET"):
        checks.append(Check("Meta-Wiki OAuth consumer", OK, f"key {config['CAPX_OAUTH_CONSUMER_KEY'][:6]}…"))
    else:
        checks.append(Check("Meta-Wiki OAuth consumer", MISSING,
                            "CAPX_OAUTH_CONSUMER_KEY / CAPX_OAUTH_CONSUMER_SECRET are not set"))
    checks.append(Check("development login", MISSING if config.get("CAPX_DEV_LOGIN") and production else OK,
                        "on" if config.get("CAPX_DEV_LOGIN") else "off"))
    keys = config.get("CAPX_TOKEN_KEYS") or ()
    checks.append(Check("token encryption keys", OK if keys else WARN,
                        f"{len(keys)} key(s) from CAPX_TOKEN_KEYS" if keys
                        else "derived from the secret key (set CAPX_TOKEN_KEYS to rotate them separately)"))
    checks.append(_database(app, None, "database"))
    if checks[-1].status == OK:
        checks.append(_schema(app))
    checks.append(_database(app, "lets_connect", "Let's Connect store"))
    bot = config.get("CAPX_METABASE_BOT_USER") and config.get("CAPX_METABASE_BOT_PASSWORD")
    consumer = config.get("CAPX_METABASE_CONSUMER_KEY") and config.get("CAPX_METABASE_CONSUMER_SECRET")
    checks.append(Check("Metabase bot credentials", OK if bot else WARN,
                        "set" if bot else "not set: translations can only be saved by users who connect Metabase"))
    checks.append(Check("Metabase OAuth consumer", OK if consumer else WARN,
                        "set" if consumer else "not set: users cannot connect their Metabase account"))
    agent = config.get("CAPX_USER_AGENT", "")
    checks.append(Check("User-Agent", OK if "@" in agent or "mailto" in agent else WARN, agent))
    return checks
