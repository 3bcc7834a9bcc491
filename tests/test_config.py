"""Configuration: development defaults, ToolsDB on Toolforge, production refusals, engine options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from capx import create_app
from capx.config import (DEV_SECRET_KEY, TOOLSDB_HOST, ConfigError, database_url, engine_options, load_settings,
                         production_problems)

REPO = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "CAPX_ENV": "production",
    "CAPX_SECRET_KEY": "a-long-random-production-secret",
    "CAPX_OAUTH_CONSUMER_KEY": "consumer",
    "CAPX_OAUTH_CONSUMER_SECRET": "consumer-secret",
    "CAPX_DATABASE_URL": "mysql+pymysql://u:p@db.example/u__capx?charset=utf8mb4",
}


def test_development_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, tmp_path, home=tmp_path)
    assert settings.env == "development" and not settings.production
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.database_url == f"sqlite:///{tmp_path / 'capx.sqlite'}"
    assert settings.lets_connect_database_url == f"sqlite:///{tmp_path / 'lets_connect.sqlite'}"
    assert settings.dev_login is False
    assert settings.meta_index_url == "https://meta.wikimedia.org/w/index.php"
    assert settings.meta_api_url == "https://meta.wikimedia.org/w/api.php"
    # Wikimedia's User-Agent policy: a name, a URL and a contact.
    assert settings.user_agent.startswith("CapX/") and "capx.toolforge.org" in settings.user_agent
    assert "@" in settings.user_agent
    config = settings.flask_config()
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_SECURE"] is False
    assert production_problems(settings) == []


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("on", True), ("0", False), ("", False),
                                             ("no", False)])
def test_dev_login_flag(tmp_path: Path, value: str, expected: bool) -> None:
    assert load_settings({"CAPX_DEV_LOGIN": value}, tmp_path, home=tmp_path).dev_login is expected


def test_lets_connect_store_on_its_own_toolsdb_database(tmp_path: Path) -> None:
    """On Toolforge neither database needs a setting: both come from the tool's credentials."""
    env = {"TOOL_TOOLSDB_USER": "s55123", "TOOL_TOOLSDB_PASSWORD": "pw"}
    settings = load_settings(env, tmp_path, home=tmp_path)
    assert settings.database_url.endswith(f"@{TOOLSDB_HOST}/s55123__capx?charset=utf8mb4")
    assert settings.lets_connect_database_url == \
        f"mysql+pymysql://s55123:pw@{TOOLSDB_HOST}/s55123__capx_letsconnect?charset=utf8mb4"
    explicit = load_settings({**env, "CAPX_LETS_CONNECT_DATABASE_URL": "mysql+pymysql://lc:x@elsewhere/lc"},
                             tmp_path, home=tmp_path)
    assert explicit.lets_connect_database_url == "mysql+pymysql://lc:x@elsewhere/lc"


def test_explicit_database_url_wins(tmp_path: Path) -> None:
    env = {"CAPX_DATABASE_URL": "sqlite:////tmp/x.sqlite", "TOOL_TOOLSDB_USER": "s1", "TOOL_TOOLSDB_PASSWORD": "p"}
    assert database_url(env, tmp_path, home=tmp_path) == "sqlite:////tmp/x.sqlite"


def test_toolsdb_url_from_environment(tmp_path: Path) -> None:
    env = {"TOOL_TOOLSDB_USER": "s55123", "TOOL_TOOLSDB_PASSWORD": "pa:ss/w@rd"}
    url = database_url(env, tmp_path, home=tmp_path)
    assert url == f"mysql+pymysql://s55123:pa%3Ass%2Fw%40rd@{TOOLSDB_HOST}/s55123__capx?charset=utf8mb4"


def test_toolsdb_url_from_replica_my_cnf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "replica.my.cnf").write_text("[client]\nuser = 's55123'\npassword = 'Secret123'\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    settings = load_settings({}, tmp_path / "instance")  # no explicit home: ~ is the temporary HOME
    assert settings.database_url == f"mysql+pymysql://s55123:Secret123@{TOOLSDB_HOST}/s55123__capx?charset=utf8mb4"
    assert settings.flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_replica_my_cnf_without_client_section_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "replica.my.cnf").write_text("[mysql]\nuser = x\n", encoding="utf-8")
    assert database_url({}, tmp_path, home=tmp_path).startswith("sqlite:///")


def test_engine_options_fit_toolsdb() -> None:
    options = engine_options("mysql+pymysql://u:p@tools.db.svc.wikimedia.cloud/u__capx?charset=utf8mb4")
    assert options["pool_pre_ping"] is True
    assert 0 < options["pool_recycle"] < 28800  # below MariaDB's default wait_timeout
    # A tool may hold at most 10 connections, shared by every worker and job.
    assert options["pool_size"] + options["max_overflow"] <= 4
    assert options["connect_args"]["connect_timeout"] <= 10
    assert options["connect_args"]["read_timeout"] <= 60
    # No TLS context per connection for an in-cluster server (PyMySQL would build one each time).
    assert options["connect_args"]["ssl_disabled"] is True and "ssl" not in options["connect_args"]


def test_engine_options_with_tls_share_one_context(tmp_path: Path) -> None:
    import ssl

    settings = load_settings({"CAPX_DATABASE_TLS": "1", "CAPX_DATABASE_URL": "mysql+pymysql://u:p@db.example/capx"},
                             tmp_path, home=tmp_path)
    first = settings.flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert isinstance(first["ssl"], ssl.SSLContext) and "ssl_disabled" not in first


def test_jobs_can_allow_long_statements(tmp_path: Path) -> None:
    """CAPX_DATABASE_READ_TIMEOUT raises the per-statement wait (jobs over large data); 30 s otherwise."""
    env = {"CAPX_DATABASE_URL": "mysql+pymysql://u:p@db.example/capx"}
    default = load_settings(env, tmp_path, home=tmp_path).flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]
    assert default["connect_args"]["read_timeout"] == 30
    raised = load_settings({**env, "CAPX_DATABASE_READ_TIMEOUT": "300"}, tmp_path, home=tmp_path).flask_config()
    assert raised["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["read_timeout"] == 300


def test_mysql_connections_build_no_ssl_context(app, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's connections do not create an SSLContext (each costs tens of ms)."""
    import ssl

    from capx.extensions import db

    with app.app_context():
        if db.engine.dialect.name not in ("mysql", "mariadb"):
            pytest.skip("MariaDB only")
        built = []
        real = ssl.create_default_context
        monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: built.append(1) or real(*a, **k))
        conn = db.engine.raw_connection()
        conn.invalidate()  # a new physical connection next time
        conn.close()
        with db.engine.connect() as c:
            c.exec_driver_sql("SELECT 1")
        assert built == []


def test_mariadb_stops_a_statement_the_client_stopped_waiting_for(app) -> None:
    """The read timeout is also the server's statement limit, so no abandoned query runs on."""
    import sqlalchemy as sa

    from capx.extensions import db

    with app.app_context():
        if db.engine.dialect.name not in ("mysql", "mariadb"):
            pytest.skip("MariaDB only")
        options = engine_options(db.engine.url.render_as_string(hide_password=False), read_timeout=1, pooled=False)
        options["connect_args"]["read_timeout"] = 10  # the client waits longer: the server must stop it
        engine = sa.create_engine(db.engine.url, **options)
        with engine.connect() as connection:
            assert float(connection.scalar(sa.text("SELECT @@max_statement_time"))) == 1
            # A statement over the limit is stopped by the server, with an error, not left running.
            with pytest.raises(sa.exc.OperationalError, match="max_statement_time"):
                connection.scalar(sa.text("SELECT SLEEP(5)"))
        engine.dispose()


def test_lets_connect_store_keeps_no_idle_connection(tmp_path: Path) -> None:
    """Rarely used: a connection only while a request needs it, so each worker holds one (main)
    connection against the tool's budget, not two."""
    from sqlalchemy.pool import NullPool

    from capx.extensions import db

    assert engine_options("mysql+pymysql://u:p@h/db", pooled=False)["poolclass"] is NullPool
    assert "pool_size" not in engine_options("mysql+pymysql://u:p@h/db", pooled=False)
    app = create_app({"TESTING": True}, env={"CAPX_DATABASE_URL": "mysql+pymysql://u:p@127.0.0.1:1/main",
                                             "CAPX_LETS_CONNECT_DATABASE_URL": "mysql+pymysql://u:p@127.0.0.1:1/lc"})
    with app.app_context():
        assert isinstance(db.engines["lets_connect"].pool, NullPool)
        assert not isinstance(db.engine.pool, NullPool)
        assert db.engines["lets_connect"].dialect.name == "mysql"


def test_loading_the_app_opens_no_database_connection(tmp_path: Path) -> None:
    """uWSGI imports app.py once and then forks its workers: a connection opened while loading
    would be shared by every worker. None is (README, "uWSGI settings")."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    opened: list[object] = []

    def count(dbapi_connection: object, _record: object) -> None:
        opened.append(dbapi_connection)

    event.listen(Engine, "connect", count)
    try:
        create_app(env={"CAPX_DATABASE_URL": f"sqlite:///{tmp_path / 'main.sqlite'}",
                        "CAPX_LETS_CONNECT_DATABASE_URL": f"sqlite:///{tmp_path / 'lc.sqlite'}"})
    finally:
        event.remove(Engine, "connect", count)
    assert opened == []
    assert not (tmp_path / "main.sqlite").exists()


def test_engine_options_sqlite() -> None:
    options = engine_options("sqlite:////tmp/x.sqlite")
    assert "pool_size" not in options
    assert options["connect_args"]["timeout"] > 0


def test_sqlite_foreign_keys_are_on(app) -> None:
    from capx.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_mariadb_tables_are_utf8mb4(app) -> None:
    import sqlalchemy as sa

    from capx.extensions import db

    with app.app_context():
        if db.engine.dialect.name not in ("mysql", "mariadb"):
            pytest.skip("MariaDB only")
        rows = db.session.execute(sa.text(
            "SELECT table_name, table_collation, engine FROM information_schema.tables "
            "WHERE table_schema = DATABASE()")).all()
        assert rows
        for name, collation, engine in rows:
            assert collation.startswith("utf8mb4"), name
            assert engine == "InnoDB", name


@pytest.mark.parametrize("missing, words", [
    ("CAPX_SECRET_KEY", "CAPX_SECRET_KEY"),
    ("CAPX_OAUTH_CONSUMER_KEY", "CAPX_OAUTH_CONSUMER_KEY"),
    ("CAPX_OAUTH_CONSUMER_SECRET", "CAPX_OAUTH_CONSUMER_SECRET"),
])
def test_production_refuses_missing_settings(missing: str, words: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError) as info:
        create_app(env=env)
    message = str(info.value)
    assert "\n" not in message
    assert words in message and "production" in message


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ConfigError, match="CAPX_SECRET_KEY"):
        create_app(env={**PRODUCTION, "CAPX_SECRET_KEY": DEV_SECRET_KEY})


def test_production_refuses_dev_login() -> None:
    with pytest.raises(ConfigError, match="CAPX_DEV_LOGIN"):
        create_app(env={**PRODUCTION, "CAPX_DEV_LOGIN": "1"})


def test_production_refuses_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no replica.my.cnf
    env = {k: v for k, v in PRODUCTION.items() if k != "CAPX_DATABASE_URL"}
    with pytest.raises(ConfigError, match="database"):
        create_app(env=env)


def test_production_starts_when_complete() -> None:
    app = create_app(env=PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    assert app.config["CAPX_DEV_LOGIN"] is False


def test_invalid_values_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CAPX_ENV"):
        load_settings({"CAPX_ENV": "staging"}, tmp_path, home=tmp_path)
    with pytest.raises(ConfigError, match="CAPX_HTTP_TIMEOUT"):
        load_settings({"CAPX_HTTP_TIMEOUT": "soon"}, tmp_path, home=tmp_path)


def test_token_keys_are_split(tmp_path: Path) -> None:
    settings = load_settings({"CAPX_TOKEN_KEYS": " k1 , k2,, "}, tmp_path, home=tmp_path)
    assert settings.token_keys == ("k1", "k2")


def test_app_py_prints_one_line_and_exits(tmp_path: Path) -> None:
    """What an operator sees when the webservice or a job starts half-configured."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CAPX_")}
    env.update({"CAPX_ENV": "production", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CapX refuses to start in production: ")
    assert "CAPX_SECRET_KEY" in lines[0]
