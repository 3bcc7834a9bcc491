"""Test fixtures: the app on SQLite (and on MariaDB when CAPX_TEST_DATABASE_URL is set), a test
client that sends CSRF tokens like a browser, factories, login, recorded remote responses, and a
guard that fails any test reaching for the network.

Database lifecycle: the schema is built once per run with the Alembic migrations (so every run
also tests them) and the reference data is loaded once. After each test every table except the
reference tables is emptied. A test that changes reference data (capacities, territories, ...)
marks itself ``@pytest.mark.mutates_reference`` and the reference data is reloaded after it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import socket
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import responses
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from capx import create_app
from capx.extensions import db
from capx.services.badges import BUILT_IN_CODES
from capx.support import caches
from tests.helpers import create_user

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"

#: Loaded once per run; emptied only after tests marked mutates_reference.
REFERENCE_TABLES = {"capacity", "capacity_text", "territory", "language", "wikimedia_project", "avatar",
                    "organization_type", "badge"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mutates_reference: the test changes reference tables")
    config.addinivalue_line("markers", "allow_network_errors: the test registers failing responses on purpose")
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium)")


# -- network guard ------------------------------------------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")):
        return _real_connect(self, address)
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    raise RuntimeError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket to a non-local address is an error (requests is mocked by `responses`)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def mocked_http(request: pytest.FixtureRequest) -> Iterator[responses.RequestsMock]:
    """Every HTTP call through requests must be answered by a registered recorded response.

    A call nobody registered fails the test, even when the code under test caught the error.
    """
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
        unanswered = [c.request.url for c in rsps.calls
                      if isinstance(c.response, Exception) and "match any registered mock" in str(c.response)]
        if unanswered:
            pytest.fail(f"unanswered HTTP calls (register a recorded response): {unanswered}")


def recorded(file: str, name: str) -> dict[str, Any]:
    """One recorded sample (request and response) from tests/fixtures/api/<file>.json."""
    samples = json.loads((FIXTURES / "api" / f"{file}.json").read_text(encoding="utf-8"))
    for sample in samples:
        if sample["name"] == name:
            return sample
    raise KeyError(f"{file}: no sample named {name}")


def add_recorded(rsps: responses.RequestsMock, file: str, name: str, *, match_params: bool = True,
                 url: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Register a recorded sample as the answer to its request (query or form parameters matched)."""
    sample = recorded(file, name)
    req, res = sample["request"], sample["response"]
    matchers = []
    if match_params and req.get("params"):
        if req["method"] == "GET":
            matchers.append(responses.matchers.query_param_matcher(req["params"], strict_match=False))
        else:
            matchers.append(responses.matchers.urlencoded_params_matcher(req["params"], allow_blank=True))
    body = res.get("body")
    kwargs: dict[str, Any] = {"status": res.get("status", 200),
                              "headers": {k: v for k, v in res.get("headers", {}).items() if k.lower() != "content-type"}}
    content_type = res.get("headers", {}).get("Content-Type", "application/json")
    if isinstance(body, (dict, list)):
        kwargs["json"] = body
    elif res.get("body_base64"):  # bytes (a picture)
        kwargs["body"] = base64.b64decode(res["body_base64"])
        kwargs["content_type"] = content_type
    else:
        kwargs["body"] = body or ""
        kwargs["content_type"] = content_type
    kwargs.update(overrides)
    rsps.add(req["method"], url or req["url"], match=matchers, **kwargs)
    return sample


# -- app and database ---------------------------------------------------------------------------

def _worker_database(url: str) -> str:
    """The database of this pytest-xdist worker on the server of ``url``: the configured name with
    the worker id appended (``capx_ci_test`` → ``capx_ci_test_gw0``), created when missing. Each
    worker migrates and empties its own database, so workers never see each other's rows."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_{worker}"
    engine = sa.create_engine(parsed.set(database=None))
    try:
        with engine.begin() as conn:
            quoted = engine.dialect.identifier_preparer.quote(name)
            conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS {quoted} "
                                 "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    finally:
        engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("CAPX_TEST_DATABASE_URL")
    if url:
        return _worker_database(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'capx-test.sqlite'}"


def test_config(database_url: str, lets_connect_url: str, **extra: Any) -> dict[str, Any]:
    """Flask config for tests (also used by tests that build their own app)."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_BINDS": {"lets_connect": lets_connect_url},
        "CAPX_STRICT_MESSAGES": True,
        "CAPX_DEV_LOGIN": True,
        "CAPX_OAUTH_CONSUMER_KEY": "0f4e6a1b2c3d4e5f60718293a4b5c6d7",
        "CAPX_OAUTH_CONSUMER_SECRET": "test-consumer-secret-0123456789abcdef",
        "SERVER_NAME": "capx.test",
        # A key pair made for the tests only (tests/fixtures/keys/README.md).
        "CAPX_LETS_CONNECT_PRIVATE_KEY": str(FIXTURES / "keys" / "lets-connect-test-private.pem"),
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    configured = os.environ.get("CAPX_TEST_LETS_CONNECT_DATABASE_URL")
    lets_connect = (_worker_database(configured) if configured and not configured.startswith("sqlite")
                    else configured or f"sqlite:///{tmp_path_factory.mktemp('lc') / 'lets-connect-test.sqlite'}")
    return _test_database_url(tmp_path_factory), lets_connect


def _drop_everything(app: Flask) -> None:
    """Start from an empty schema (a MariaDB test database may hold an earlier run's tables)."""
    with app.app_context():
        for engine in db.engines.values():
            meta = sa.MetaData()
            meta.reflect(bind=engine)
            with engine.begin() as conn:
                if engine.dialect.name in ("mysql", "mariadb"):
                    conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
                for table in reversed(meta.sorted_tables):
                    conn.execute(sa.text(f"DROP TABLE {engine.dialect.identifier_preparer.quote(table.name)}"))
                if engine.dialect.name in ("mysql", "mariadb"):
                    conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture(scope="session")
def app(database_urls: tuple[str, str]) -> Iterator[Flask]:
    """The application with a migrated schema and the reference data."""
    import flask_migrate

    from capx.services.reference import load_reference

    app = create_app(test_config(*database_urls))
    _drop_everything(app)
    with app.app_context():
        flask_migrate.upgrade()
        load_reference(echo=lambda _line: None)
        db.session.commit()
    yield app


def _empty_tables(app: Flask, include_reference: bool) -> None:
    with app.app_context():
        db.session.remove()
        for bind_key, engine in db.engines.items():
            tables = [t for t in reversed(db.metadatas[bind_key].sorted_tables)
                      if include_reference or t.name not in REFERENCE_TABLES]
            with engine.begin() as conn:
                # Self-referencing tables (capacity, territory) cannot be emptied row by row with
                # foreign key checks on MariaDB.
                mysql = engine.dialect.name in ("mysql", "mariadb")
                if mysql:
                    conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
                for table in tables:
                    conn.execute(table.delete())
                if not include_reference and "badge" in db.metadatas[bind_key].tables:
                    # CapX's own badges are reference data; badges a test created are not.
                    badge = db.metadatas[bind_key].tables["badge"]
                    conn.execute(badge.delete().where(sa.or_(badge.c.code.is_(None),
                                                             badge.c.code.not_in(sorted(BUILT_IN_CODES)))))
                if mysql:
                    conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty what a test wrote (only for tests that used the app)."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    mutates = request.node.get_closest_marker("mutates_reference") is not None
    _empty_tables(app, include_reference=mutates)
    if mutates:
        from capx.services.reference import load_reference

        with app.app_context():
            load_reference(echo=lambda _line: None)
            db.session.commit()


@pytest.fixture(autouse=True)
def _reset_process_caches() -> Iterator[None]:
    """Everything a process keeps between requests (rate-limit windows, timed counts, capacity
    trees, reference snapshots, ...: every cache registered in capx.support.caches) is forgotten
    after each test: the next test's data is another world."""
    yield
    caches.reset_all()


@pytest.fixture(autouse=True)
def _still_rate_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shared rate limits (capx.support.ratelimit.SharedLimit) count in fixed windows of wall-clock
    time: a slow test crossing a window boundary would see its count start again. Within a test
    the clock they use stands still (mid-window); a test that moves it patches it itself."""
    from capx.support import ratelimit

    still = (int(ratelimit.time.time()) // 3600) * 3600 + 1800.0
    monkeypatch.setattr(ratelimit, "wall_clock", lambda: still)


@pytest.fixture()
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


# -- client ---------------------------------------------------------------------------------------

class CapxClient(FlaskClient):
    """A test client that sends a valid CSRF token with every POST, like a browser would.

    ``client.post(url, data=..., csrf=False)`` sends no token (to test the rejection).
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = sess["csrf_token"]
        serializer = URLSafeTimedSerializer(self.application.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:  # type: ignore[override]
        if csrf and "json" not in kwargs:
            data = kwargs.get("data")
            if data is None:
                data = {}
            if isinstance(data, dict):
                data = dict(data)
                data.setdefault("csrf_token", self.csrf_token())
            elif isinstance(data, list):
                data = data + [("csrf_token", self.csrf_token())]
            kwargs["data"] = data
        return super().post(*args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> CapxClient:
    app.test_client_class = CapxClient
    return app.test_client()  # type: ignore[return-value]


# -- factories and login -------------------------------------------------------------------------

@pytest.fixture()
def make_user(app: Flask) -> Callable[..., Any]:
    """Create a user with a profile: make_user("Ana Exemplo", is_staff=True, central_id=...)."""
    from capx.models import User

    counter = {"n": 0}

    def factory(username: str = "Test user", **kwargs: Any) -> User:
        counter["n"] += 1
        return create_user(app, username, kwargs.pop("central_id", 500_000 + counter["n"]), **kwargs)

    return factory


@pytest.fixture()
def login(app: Flask) -> Callable[[FlaskClient, Any], None]:
    """Log a test client in as a user (as the OAuth callback would)."""
    from capx.models import User

    def do_login(client: FlaskClient, user: Any) -> None:
        with app.app_context():
            fresh = db.session.get(User, user.id)
            generation = fresh.session_generation
        with client.session_transaction() as sess:
            sess["user_id"] = user.id
            sess["generation"] = generation

    return do_login


@pytest.fixture()
def ana(make_user: Callable[..., Any], login: Callable[[FlaskClient, Any], None], client: FlaskClient) -> Any:
    """Ana Exemplo, logged in on ``client``."""
    user = make_user("Ana Exemplo")
    login(client, user)
    return user

@pytest.fixture()
def bot(app: Flask) -> Iterator[None]:
    """The Metabase bot account configured (translations are written to Metabase as the bot)."""
    app.config.update(CAPX_METABASE_BOT_USER="CapxBot@capx", CAPX_METABASE_BOT_PASSWORD="bot-password-for-tests")
    yield
    app.config.update(CAPX_METABASE_BOT_USER="", CAPX_METABASE_BOT_PASSWORD="")


def html_text(response: Any) -> str:
    """A response body as text (helper for assertions)."""
    return response.get_data(as_text=True)


@contextlib.contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's database engine runs inside the ``with`` block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
