"""``flask capx check-config``: what a deployment still lacks, without printing any secret."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.engine import make_url

from capx.clients.lets_connect import load_private_key
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


def _database_url(app: Flask, bind: str | None) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"] if bind is None else app.config["SQLALCHEMY_BINDS"][bind]["url"]


def _database(app: Flask, bind: str | None, label: str) -> Check:
    url = _database_url(app, bind)
    production = app.config.get("CAPX_ENV") == "production"
    if production and url.startswith("sqlite"):
        # Not even opened: connecting would create an empty file in the tool's home.
        return Check(label, MISSING, f"{_safe_url(url)} is a local SQLite file; production needs MariaDB (ToolsDB)")
    if bind is not None and url == _database_url(app, None):
        return Check(label, MISSING, "the same database as the main one; it must be a separate database "
                                     "(set CAPX_LETS_CONNECT_DATABASE_URL)")
    try:
        with app.app_context():
            engine = db.engines[bind]
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure is "unreachable"; the class says why
        return Check(label, MISSING, f"{_safe_url(url)} unreachable ({type(exc).__name__})")
    return Check(label, OK, f"{_safe_url(url)} reachable")


def _pair(config: Mapping[str, Any], label: str, first: str, second: str, without: str) -> Check:
    """An optional pair of settings (a name and its secret): both, neither, or a half-set mistake."""
    have = [bool(config.get(first)), bool(config.get(second))]
    if all(have):
        return Check(label, OK, "set")
    if any(have):
        missing = second if have[0] else first
        return Check(label, WARN, f"{missing} is not set (the other half is): {without}")
    return Check(label, WARN, f"not set: {without}")


def _proxy(config: Mapping[str, Any], production: bool) -> Check:
    """How the app learns the visitor's scheme and address behind reverse proxies."""
    hops = int(config.get("CAPX_PROXY_HOPS") or 0)
    if not hops:
        if production:
            return Check("reverse proxy", WARN, "CAPX_PROXY_HOPS=0: behind Toolforge's front proxy every request looks "
                                                "like http (OAuth callback URL, Secure cookies); set it to 1")
        return Check("reverse proxy", OK, "none (requests come straight to the app)")
    addresses = ("visitor addresses from X-Forwarded-For" if config.get("CAPX_PROXY_FORWARDED_FOR")
                 else "visitor addresses not forwarded, per-visitor limits count per session")
    return Check("reverse proxy", OK, f"{hops} trusted for X-Forwarded-Proto (CAPX_PROXY_HOPS); {addresses}")


def _lets_connect_key(config: Mapping[str, Any], production: bool) -> Check:
    """The key that signs Let's Connect registrations: set, readable, an RSA private key (never printed)."""
    label = "Let's Connect signing key"
    path = config.get("CAPX_LETS_CONNECT_PRIVATE_KEY") or ""
    if not path:
        return Check(label, WARN if production else OK,
                     "CAPX_LETS_CONNECT_PRIVATE_KEY is not set: registrations cannot reach Let's Connect")
    try:
        key = load_private_key(path)
    except OSError as exc:
        return Check(label, MISSING, f"{path} cannot be read ({type(exc).__name__})")
    except (ValueError, TypeError):
        return Check(label, MISSING, f"{path} is not an unencrypted PEM RSA private key")
    return Check(label, OK, f"{path}: RSA private key, {key.key_size} bits")


def _schema(app: Flask) -> Check:
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


def _footer_links(config: Mapping[str, Any]) -> Check:
    """The footer's User Guide and translatewiki.net links: https addresses (defaults when unset)."""
    links = {name: str(config.get(name) or "") for name in ("CAPX_USER_GUIDE_URL", "CAPX_TRANSLATEWIKI_URL")}
    wrong = [name for name, url in links.items() if not url.startswith("https://")]
    if wrong:
        return Check("footer links", WARN, f"{', '.join(wrong)}: not an https address")
    return Check("footer links", OK, " and ".join(links.values()))


def check_configuration(app: Flask) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    config = app.config
    production = config.get("CAPX_ENV") == "production"
    checks = [Check("environment", OK if production else WARN,
                    "production" if production else "development (checks below are for production)")]
    problems = config.get("CAPX_CONFIG_PROBLEMS") or []
    if problems:
        checks.append(Check("startup", MISSING, f"the webservice and the jobs refuse to start ({len(problems)} "
                                                "problems, listed below)"))
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
    checks.append(_lets_connect_key(config, production))
    checks.append(_pair(config, "Metabase bot credentials", "CAPX_METABASE_BOT_USER", "CAPX_METABASE_BOT_PASSWORD",
                        "translations can only be saved by users who connect Metabase"))
    checks.append(_pair(config, "Metabase OAuth consumer", "CAPX_METABASE_CONSUMER_KEY",
                        "CAPX_METABASE_CONSUMER_SECRET", "users cannot connect their Metabase account"))
    checks.append(Check("WikiLearn (event auto-fill, refresh-courses)", OK, config.get("CAPX_WIKILEARN_URL", "https://learn.wiki")))
    checks.append(_pair(config, "Commons bot password (export-commons)", "CAPX_COMMONS_BOT_USER",
                        "CAPX_COMMONS_BOT_PASSWORD", "Data:CapacityExchange/*.tab on Commons are not updated"))
    relay = f"{config.get('CAPX_SMTP_HOST', 'mail.tools.wmcloud.org')}:{config.get('CAPX_SMTP_PORT', 25)}"
    staff_email = config.get("CAPX_STAFF_EMAIL", "")
    checks.append(Check("staff e-mail", OK if staff_email else WARN,
                        f"{staff_email} through {relay} from {config.get('CAPX_MAIL_FROM', '')}, "
                        f"timeout {config.get('CAPX_SMTP_TIMEOUT', 5)} s" if staff_email
                        else f"CAPX_STAFF_EMAIL is not set: staff are not e-mailed about new bug reports and "
                             f"capacity suggestions (relay {relay})"))
    agent = config.get("CAPX_USER_AGENT", "")
    checks.append(Check("User-Agent", OK if "@" in agent or "mailto" in agent else WARN, agent))
    checks.append(_proxy(config, production))
    checks.append(_filing_limits(config))
    checks.append(_footer_links(config))
    return checks


def _filing_limits(config: Mapping[str, Any]) -> Check:
    """What one person may file for the staff (CAPX_REPORT_LIMIT_*, CAPX_SUGGESTION_LIMIT_*)."""
    parts, doubtful = [], []
    for label, prefix in (("bug reports", "CAPX_REPORT_LIMIT"), ("capacity suggestions", "CAPX_SUGGESTION_LIMIT")):
        hour, day = config.get(f"{prefix}_HOUR", 5), config.get(f"{prefix}_DAY", 20)
        parts.append(f"{label} {hour}/hour, {day}/day")
        if hour > day:
            doubtful.append(f"{prefix}_HOUR is above {prefix}_DAY")
    detail = "; ".join(parts) + " per person (staff exempt)"
    return Check("staff queue limits", WARN if doubtful else OK, detail + ("; " + ", ".join(doubtful) if doubtful else ""))
