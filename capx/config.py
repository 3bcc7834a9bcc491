"""Settings from the environment.

Every setting is a ``CAPX_*`` environment variable with a safe development default, so that
``make run`` works on a fresh machine with nothing configured. Production
(``CAPX_ENV=production``) refuses to start half-configured: see :func:`production_problems`.
"""

from __future__ import annotations

import configparser
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote_plus

from sqlalchemy.pool import NullPool

#: Default secret for local development only. Production refuses to run with it.
DEV_SECRET_KEY = "capx-development-secret-key-not-for-production"  # nosec B105 # dev default, refused in production

TOOLSDB_HOST = "tools.db.svc.wikimedia.cloud"


class ConfigError(RuntimeError):
    """The configuration cannot run in the chosen environment (one clear line)."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be 1 or more, got {value}")
    return value


def toolsdb_credentials(env: Mapping[str, str], home: Path | None = None) -> tuple[str, str] | None:
    """ToolsDB user and password on Toolforge: from the environment, else ~/replica.my.cnf."""
    user, password = env.get("TOOL_TOOLSDB_USER"), env.get("TOOL_TOOLSDB_PASSWORD")
    if user and password:
        return user, password
    cnf = (home or Path.home()) / "replica.my.cnf"
    if cnf.is_file():
        parser = configparser.ConfigParser()
        parser.read(cnf)
        if parser.has_section("client"):
            user = parser.get("client", "user", fallback="").strip("'\"")
            password = parser.get("client", "password", fallback="").strip("'\"")
            if user and password:
                return user, password
    return None


#: Database names on ToolsDB (after the tool's user and two underscores, as ToolsDB requires).
TOOLSDB_DATABASE, TOOLSDB_LETS_CONNECT_DATABASE = "capx", "capx_letsconnect"
#: The footer's links (CAPX_USER_GUIDE_URL, CAPX_TRANSLATEWIKI_URL).
USER_GUIDE_URL = "https://meta.wikimedia.org/wiki/Capacity_Exchange/User_Guide"
TRANSLATEWIKI_URL = "https://translatewiki.net/wiki/Translating:CapX"


def _database_url(env: Mapping[str, str], setting: str, toolsdb_name: str, sqlite_path: Path,
                  home: Path | None) -> str:
    explicit = env.get(setting)
    if explicit:
        return explicit
    creds = toolsdb_credentials(env, home)
    if creds:
        user, password = creds
        return (
            f"mysql+pymysql://{quote_plus(user)}:{quote_plus(password)}@{TOOLSDB_HOST}/"
            f"{user}__{toolsdb_name}?charset=utf8mb4"
        )
    return f"sqlite:///{sqlite_path}"


def database_url(env: Mapping[str, str], instance_path: Path, home: Path | None = None) -> str:
    """The main database URL: explicit setting, else ToolsDB on Toolforge, else local SQLite."""
    return _database_url(env, "CAPX_DATABASE_URL", TOOLSDB_DATABASE, instance_path / "capx.sqlite", home)


def lets_connect_database_url(env: Mapping[str, str], instance_path: Path, home: Path | None = None) -> str:
    """The Let's Connect store: explicit setting, else its own ToolsDB database, else local SQLite."""
    return _database_url(env, "CAPX_LETS_CONNECT_DATABASE_URL", TOOLSDB_LETS_CONNECT_DATABASE,
                         instance_path / "lets_connect.sqlite", home)


def engine_options(url: str, tls: bool = False, read_timeout: int = 30, pooled: bool = True) -> dict[str, Any]:
    """SQLAlchemy engine options that fit the backend.

    ToolsDB closes idle connections after ``wait_timeout`` (about 8 hours) and a tool may hold at
    most 10 connections, shared by every webservice worker and job: so a small pool, pre-ping to
    survive server-side disconnects, recycle well before the server's timeout, and short connect
    and read timeouts so a database outage fails fast (and the app answers 503) instead of hanging
    every worker.

    ``pooled=False`` (the rarely used Let's Connect store) opens a connection when a request needs
    one and closes it afterwards, so that idle workers do not each keep a second connection
    against the tool's budget.
    """
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_recycle": 280,
        "pool_size": 2,
        "max_overflow": 1,
        "pool_timeout": 10,
    } if pooled else {"poolclass": NullPool}
    if url.startswith("mysql"):
        # read_timeout bounds one statement's wait; jobs that aggregate every row (the dashboard's
        # statistics at a million profiles) raise it with CAPX_DATABASE_READ_TIMEOUT.
        # The server stops the statement at the same limit (MariaDB's max_statement_time, in
        # seconds): a client that gave up waiting otherwise leaves it running, holding its locks
        # and a core, and a slow page retried by its visitors would pile them up.
        connect_args: dict[str, Any] = {"connect_timeout": 5, "read_timeout": read_timeout, "write_timeout": 30,
                                        "init_command": f"SET SESSION max_statement_time = {int(read_timeout)}"}
        if tls:
            # One context for the whole process, passed to every connection (TLS required).
            connect_args["ssl"] = ssl.create_default_context()
        else:
            # PyMySQL >= 1.2 defaults to "preferred" TLS and builds a new SSLContext (loading the
            # system CA bundle) for EVERY connection when given no ssl arguments: tens of ms per
            # connect. A local or ToolsDB (in-cluster) server needs no TLS: switch it off
            # (scripts/bench_connect.py measures both; figures in README.md).
            connect_args["ssl_disabled"] = True
        options["connect_args"] = connect_args
    return options


@dataclass(frozen=True)
class Settings:
    """The parsed settings; :meth:`flask_config` turns them into Flask config keys."""

    env: str
    secret_key: str
    database_url: str
    lets_connect_database_url: str
    oauth_consumer_key: str
    oauth_consumer_secret: str
    dev_login: bool
    meta_index_url: str
    meta_api_url: str
    user_agent: str
    token_keys: tuple[str, ...]
    http_timeout: float
    source_url: str
    database_tls: bool = False
    database_read_timeout: int = 30
    # Metabase (the Wikibase holding capacity names) and Wikidata (description fallback).
    metabase_url: str = "https://metabase.wikibase.cloud"
    metabase_consumer_key: str = ""
    metabase_consumer_secret: str = ""
    metabase_bot_user: str = ""
    metabase_bot_password: str = ""
    wikidata_api_url: str = "https://www.wikidata.org/w/api.php"
    lets_connect_api_url: str = "https://letsconn.toolforge.org"
    # The PEM file of the RSA key that signs registrations sent to Let's Connect.
    lets_connect_private_key: str = ""
    # WikiLearn (Open edX): badges earned in its courses, event auto-fill, the refresh-courses job.
    wikilearn_url: str = "https://learn.wiki"
    # Staff notices (new bug reports and capacity suggestions) through Toolforge's mail relay.
    staff_email: str = ""
    smtp_host: str = "mail.tools.wmcloud.org"
    smtp_port: int = 25
    smtp_timeout: int = 5
    mail_from: str = "capx.notices@toolforge.org"
    # The Commons tabular export (export-commons): a bot password of the exporting account.
    commons_api_url: str = "https://commons.wikimedia.org/w/api.php"
    commons_bot_user: str = ""
    commons_bot_password: str = ""
    # The footer's links: the User Guide on Meta-Wiki and CapX's page on translatewiki.net.
    user_guide_url: str = USER_GUIDE_URL
    translatewiki_url: str = TRANSLATEWIKI_URL
    # Messages a user may send through Meta-Wiki per hour and per day (anti-abuse).
    message_limit_hour: int = 5
    message_limit_day: int = 20
    # Bug reports and capacity suggestions one person may file per hour and per day (staff exempt).
    report_limit_hour: int = 5
    report_limit_day: int = 20
    suggestion_limit_hour: int = 5
    suggestion_limit_day: int = 20
    # Reverse proxies in front of the app (see proxy_fix_options).
    proxy_hops: int = 0
    proxy_forwarded_for: bool = False

    @property
    def production(self) -> bool:
        return self.env == "production"

    def flask_config(self) -> dict[str, Any]:
        return {
            "CAPX_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_BINDS": {"lets_connect": self.lets_connect_database_url},
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url, tls=self.database_tls,
                                                                read_timeout=self.database_read_timeout),
            "CAPX_OAUTH_CONSUMER_KEY": self.oauth_consumer_key,
            "CAPX_OAUTH_CONSUMER_SECRET": self.oauth_consumer_secret,
            "CAPX_DEV_LOGIN": self.dev_login,
            "CAPX_META_INDEX_URL": self.meta_index_url,
            "CAPX_META_API_URL": self.meta_api_url,
            "CAPX_USER_AGENT": self.user_agent,
            "CAPX_TOKEN_KEYS": self.token_keys,
            "CAPX_HTTP_TIMEOUT": self.http_timeout,
            "CAPX_SOURCE_URL": self.source_url,
            "CAPX_USER_GUIDE_URL": self.user_guide_url,
            "CAPX_TRANSLATEWIKI_URL": self.translatewiki_url,
            "CAPX_METABASE_URL": self.metabase_url,
            "CAPX_METABASE_CONSUMER_KEY": self.metabase_consumer_key,
            "CAPX_METABASE_CONSUMER_SECRET": self.metabase_consumer_secret,
            "CAPX_METABASE_BOT_USER": self.metabase_bot_user,
            "CAPX_METABASE_BOT_PASSWORD": self.metabase_bot_password,
            "CAPX_WIKIDATA_API_URL": self.wikidata_api_url,
            "CAPX_STAFF_EMAIL": self.staff_email,
            "CAPX_SMTP_HOST": self.smtp_host,
            "CAPX_SMTP_PORT": self.smtp_port,
            "CAPX_SMTP_TIMEOUT": self.smtp_timeout,
            "CAPX_MAIL_FROM": self.mail_from,
            "CAPX_COMMONS_API_URL": self.commons_api_url,
            "CAPX_COMMONS_BOT_USER": self.commons_bot_user,
            "CAPX_COMMONS_BOT_PASSWORD": self.commons_bot_password,
            "CAPX_LETS_CONNECT_API_URL": self.lets_connect_api_url,
            "CAPX_LETS_CONNECT_PRIVATE_KEY": self.lets_connect_private_key,
            "CAPX_WIKILEARN_URL": self.wikilearn_url,
            "CAPX_MESSAGE_LIMIT_HOUR": self.message_limit_hour,
            "CAPX_MESSAGE_LIMIT_DAY": self.message_limit_day,
            "CAPX_REPORT_LIMIT_HOUR": self.report_limit_hour,
            "CAPX_REPORT_LIMIT_DAY": self.report_limit_day,
            "CAPX_SUGGESTION_LIMIT_HOUR": self.suggestion_limit_hour,
            "CAPX_SUGGESTION_LIMIT_DAY": self.suggestion_limit_day,
            "CAPX_PROXY_HOPS": self.proxy_hops,
            "CAPX_PROXY_FORWARDED_FOR": self.proxy_forwarded_for,
            "SESSION_COOKIE_NAME": "capx_session",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
            "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
            "PREFERRED_URL_SCHEME": "https" if self.production else "http",
            "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead, so long forms do not expire
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            "JSON_SORT_KEYS": False,
        }


def load_settings(env: Mapping[str, str] | None = None, instance_path: Path | None = None,
                  home: Path | None = None) -> Settings:
    """Read settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    instance = instance_path or Path("instance").resolve()
    mode = (env.get("CAPX_ENV") or "development").strip().lower()
    if mode not in {"development", "production"}:
        raise ConfigError(f"CAPX_ENV must be 'development' or 'production', got {mode!r}")
    meta = env.get("CAPX_META_URL", "https://meta.wikimedia.org").rstrip("/")
    contact = env.get("CAPX_CONTACT", "capx@wmnobrasil.org")
    keys = tuple(k.strip() for k in (env.get("CAPX_TOKEN_KEYS") or "").split(",") if k.strip())
    settings = Settings(
        env=mode,
        secret_key=env.get("CAPX_SECRET_KEY") or (DEV_SECRET_KEY if mode != "production" else ""),
        database_url=database_url(env, instance, home),
        lets_connect_database_url=lets_connect_database_url(env, instance, home),
        oauth_consumer_key=env.get("CAPX_OAUTH_CONSUMER_KEY", ""),
        oauth_consumer_secret=env.get("CAPX_OAUTH_CONSUMER_SECRET", ""),
        dev_login=_flag(env.get("CAPX_DEV_LOGIN")),
        meta_index_url=f"{meta}/w/index.php",
        meta_api_url=f"{meta}/w/api.php",
        # Wikimedia's User-Agent policy: tool name, URL and a contact address.
        user_agent=env.get("CAPX_USER_AGENT")
        or f"CapX/1.0 (https://capx.toolforge.org; {contact}) python-requests",
        token_keys=keys,
        http_timeout=float(_int(env, "CAPX_HTTP_TIMEOUT", 10)),
        source_url=env.get("CAPX_SOURCE_URL", "https://gitlab.wikimedia.org/toolforge-repos/capx"),
        user_guide_url=env.get("CAPX_USER_GUIDE_URL") or USER_GUIDE_URL,
        translatewiki_url=env.get("CAPX_TRANSLATEWIKI_URL") or TRANSLATEWIKI_URL,
        database_tls=_flag(env.get("CAPX_DATABASE_TLS")),
        database_read_timeout=_int(env, "CAPX_DATABASE_READ_TIMEOUT", 30),
        metabase_url=env.get("CAPX_METABASE_URL", "https://metabase.wikibase.cloud").rstrip("/"),
        metabase_consumer_key=env.get("CAPX_METABASE_CONSUMER_KEY", ""),
        metabase_consumer_secret=env.get("CAPX_METABASE_CONSUMER_SECRET", ""),
        metabase_bot_user=env.get("CAPX_METABASE_BOT_USER", ""),
        metabase_bot_password=env.get("CAPX_METABASE_BOT_PASSWORD", ""),
        wikidata_api_url=env.get("CAPX_WIKIDATA_API_URL", "https://www.wikidata.org/w/api.php"),
        lets_connect_api_url=env.get("CAPX_LETS_CONNECT_API_URL", "https://letsconn.toolforge.org").rstrip("/"),
        lets_connect_private_key=(env.get("CAPX_LETS_CONNECT_PRIVATE_KEY") or "").strip(),
        wikilearn_url=env.get("CAPX_WIKILEARN_URL", "https://learn.wiki").rstrip("/"),
        staff_email=env.get("CAPX_STAFF_EMAIL", "").strip(),
        smtp_host=env.get("CAPX_SMTP_HOST", "mail.tools.wmcloud.org"),
        smtp_port=_int(env, "CAPX_SMTP_PORT", 25),
        smtp_timeout=min(_int(env, "CAPX_SMTP_TIMEOUT", 5), 5),
        mail_from=env.get("CAPX_MAIL_FROM", "capx.notices@toolforge.org"),
        commons_api_url=env.get("CAPX_COMMONS_API_URL", "https://commons.wikimedia.org/w/api.php"),
        commons_bot_user=env.get("CAPX_COMMONS_BOT_USER", ""),
        commons_bot_password=env.get("CAPX_COMMONS_BOT_PASSWORD", ""),
        message_limit_hour=_int(env, "CAPX_MESSAGE_LIMIT_HOUR", 5),
        message_limit_day=_int(env, "CAPX_MESSAGE_LIMIT_DAY", 20),
        report_limit_hour=_positive(env, "CAPX_REPORT_LIMIT_HOUR", 5),
        report_limit_day=_positive(env, "CAPX_REPORT_LIMIT_DAY", 20),
        suggestion_limit_hour=_positive(env, "CAPX_SUGGESTION_LIMIT_HOUR", 5),
        suggestion_limit_day=_positive(env, "CAPX_SUGGESTION_LIMIT_DAY", 20),
        # Production runs on Toolforge, behind one front proxy that sets X-Forwarded-Proto.
        proxy_hops=_int(env, "CAPX_PROXY_HOPS", 1 if mode == "production" else 0),
        proxy_forwarded_for=_flag(env.get("CAPX_PROXY_FORWARDED_FOR")),
    )
    proxy_fix_options(settings.proxy_hops, settings.proxy_forwarded_for)  # refuses impossible values
    return settings


#: More trusted proxies than this is a typo, not a deployment.
MAX_PROXY_HOPS = 5


def proxy_fix_options(hops: int, forwarded_for: bool) -> dict[str, int] | None:
    """Arguments for werkzeug's ProxyFix, or None when the app is reached directly.

    ``hops`` (``CAPX_PROXY_HOPS``) is how many reverse proxies stand in front of the app and are
    trusted for ``X-Forwarded-Proto``: with it, ``request.scheme`` is the visitor's (https URLs
    for the OAuth callback, ``Secure`` cookies). ``X-Forwarded-For`` is trusted only when
    ``forwarded_for`` (``CAPX_PROXY_FORWARDED_FOR``) says those proxies append the visitor's
    address to it; ProxyFix then takes the address ``hops`` entries from the right, so entries a
    visitor writes in front of them cannot change it.

    On Toolforge (the production default, ``hops=1``) the front proxy sets X-Forwarded-Proto,
    -Host and -Port but does not pass visitors' addresses to tools: any X-Forwarded-For the app
    sees was written by the visitor. So ``forwarded_for`` stays off there, ``request.remote_addr``
    is a proxy's address, and per-visitor limits count per session instead
    (:func:`capx.support.ratelimit.client_key`). Host and port are never taken from headers:
    Toolforge's proxies pass the Host header through unchanged.
    """
    if not 0 <= hops <= MAX_PROXY_HOPS:
        raise ConfigError(f"CAPX_PROXY_HOPS must be between 0 and {MAX_PROXY_HOPS}, got {hops}")
    if forwarded_for and not hops:
        raise ConfigError("CAPX_PROXY_FORWARDED_FOR needs CAPX_PROXY_HOPS (how many proxies append to X-Forwarded-For)")
    if not hops:
        return None
    return {"x_for": hops if forwarded_for else 0, "x_proto": hops, "x_host": 0, "x_port": 0, "x_prefix": 0}


def client_addresses_known(hops: int, forwarded_for: bool) -> bool:
    """Whether ``request.remote_addr`` identifies the visitor (no proxy, or proxies that forward it)."""
    return hops == 0 or forwarded_for


def production_problems(settings: Settings) -> list[str]:
    """What stops this configuration from running in production (empty when it can run)."""
    if not settings.production:
        return []
    problems = []
    if not settings.secret_key or settings.secret_key == DEV_SECRET_KEY:
        problems.append("CAPX_SECRET_KEY is not set")
    if not settings.oauth_consumer_key or not settings.oauth_consumer_secret:
        problems.append("CAPX_OAUTH_CONSUMER_KEY / CAPX_OAUTH_CONSUMER_SECRET are not set")
    if settings.dev_login:
        problems.append("CAPX_DEV_LOGIN must be off in production")
    if settings.database_url.startswith("sqlite"):
        problems.append("no database: set CAPX_DATABASE_URL or run on Toolforge with ToolsDB credentials")
    return problems
