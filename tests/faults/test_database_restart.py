"""A MariaDB restart in the middle of traffic: 503 with Retry-After during the outage, recovery by
itself afterwards, and no acknowledged write lost.

The test starts its own MariaDB server (own data directory and port), so the shared server on
3306 is left alone. The app is served over real HTTP (a threaded WSGI server) and driven by two
client threads: a writer that saves profiles one after the other (each save is acknowledged by a
302 redirect) and a reader that loads pages.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from capx import create_app
from capx.extensions import db
from tests.conftest import test_config as build_test_config

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"

pytestmark = pytest.mark.skipif(not (Path(MARIADBD).exists() and Path(INSTALL_DB).exists()),
                                reason="MariaDB server binaries are not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateMariaDB:
    """A throwaway MariaDB server: its own data directory, port and socket."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        shutil.chown(root, "mysql", "mysql")
        subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={self.data}", "--user=mysql",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MARIADBD, "--no-defaults", f"--datadir={self.data}", "--user=mysql", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.root / 'sock'}", f"--pid-file={self.root / 'pid'}",
             "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--character-set-server=utf8mb4"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("private MariaDB did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.process = None

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"


@pytest.fixture(scope="module")
def private_mariadb() -> Iterator[PrivateMariaDB]:
    root = Path(tempfile.mkdtemp(prefix="capx-mariadb-"))
    server = PrivateMariaDB(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def test_requests_during_a_database_restart(private_mariadb: PrivateMariaDB, tmp_path: Path,
                                            mocked_http: object) -> None:
    import flask_migrate

    from capx.models import SavedProfile, User
    from capx.services.reference import load_reference

    mocked_http.add_passthru("http://127.0.0.1")  # type: ignore[attr-defined]
    admin = sa.create_engine(private_mariadb.url(""))
    with admin.begin() as conn:
        conn.execute(sa.text("CREATE DATABASE capx_fault CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    admin.dispose()

    config = build_test_config(private_mariadb.url("capx_fault"), f"sqlite:///{tmp_path / 'lc.sqlite'}")
    config.pop("SERVER_NAME")
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        load_reference(echo=lambda _line: None)
        db.session.commit()
        targets = []
        for n in range(400):
            user = User(central_id=900_000 + n, username=f"Target {n}")
            db.session.add(user)
            targets.append(user)
        db.session.commit()
        target_ids = [u.id for u in targets]

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    writer = requests.Session()
    token = csrf_from(writer.get(f"{base}/login").text)
    response = writer.post(f"{base}/login/dev", data={"username": "Fault Tester", "csrf_token": token},
                           allow_redirects=False)
    assert response.status_code == 302
    token = csrf_from(writer.get(f"{base}/home").text)

    acknowledged: list[int] = []
    statuses: list[int] = []
    retry_after: list[str] = []
    stop = threading.Event()

    def write_loop() -> None:
        for target in target_ids:
            if stop.is_set():
                return
            try:
                r = writer.post(f"{base}/saved/profile/{target}", data={"action": "save", "csrf_token": token},
                                allow_redirects=False, timeout=30)
            except requests.RequestException:
                continue
            statuses.append(r.status_code)
            if r.status_code == 302:
                acknowledged.append(target)
            elif r.status_code == 503:
                retry_after.append(r.headers.get("Retry-After", ""))
            time.sleep(0.01)

    def read_loop() -> None:
        reader = requests.Session()
        while not stop.is_set():
            try:
                r = reader.get(f"{base}/", timeout=30)
            except requests.RequestException:
                continue
            statuses.append(r.status_code)
            if r.status_code == 503:
                retry_after.append(r.headers.get("Retry-After", ""))
            time.sleep(0.01)

    threads = [threading.Thread(target=write_loop), threading.Thread(target=read_loop)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        private_mariadb.stop()
        # Keep the database down until the traffic has met the outage (slow machines need longer).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and 503 not in statuses:
            time.sleep(0.2)
        time.sleep(0.5)
        outage_statuses = list(statuses)
        private_mariadb.start()
        # The app must recover by itself: no restart, no manual step.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and requests.get(f"{base}/healthz", timeout=10).status_code != 200:
            time.sleep(0.2)
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        server.shutdown()

    assert 503 in outage_statuses, "requests during the outage must be answered 503"
    assert retry_after and all(value.isdigit() for value in retry_after), "every 503 carries Retry-After"
    assert 500 not in statuses, "no request may end in an internal error"
    assert statuses[-1] in (200, 302)
    with app.app_context():
        stored = set(db.session.scalars(sa.select(SavedProfile.saved_user_id)))
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    assert acknowledged, "some writes were acknowledged"
    assert set(acknowledged) <= stored, "every acknowledged write is stored"
