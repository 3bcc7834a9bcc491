"""Rate limits counted in the database (capx.support.ratelimit.SharedLimit): every worker process
and every webservice replica adds to one count, so a limit means what it says (issue 19: counters
kept in each process allowed replicas x workers x the limit)."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
import responses
import sqlalchemy as sa
from flask import Flask

from capx import create_app
from capx.extensions import db
from capx.models import RateCounter
from capx.support import caches
from capx.support.ratelimit import MAX_KEY_LENGTH, SharedLimit
from tests.conftest import CapxClient
from tests.conftest import test_config as config_for_tests


def second_app(database_urls: tuple[str, str]) -> Flask:
    """Another instance of the application on the same database (another worker or replica)."""
    other = create_app(config_for_tests(*database_urls))
    other.test_client_class = CapxClient
    return other


@pytest.mark.allow_network_errors
def test_two_app_instances_share_the_login_start_count(app: Flask, client: Any, database_urls: tuple[str, str],
                                                       mocked_http: responses.RequestsMock) -> None:
    mocked_http.add(responses.POST, re.compile(r"https://meta\.wikimedia\.org/.*"), status=503, body="down")
    other = second_app(database_urls).test_client()
    visitor = {"REMOTE_ADDR": "198.51.100.7"}
    codes = [client.post("/login", data={"next": "/home"}, environ_base=visitor).status_code for _ in range(6)]
    caches.reset_all()  # the other instance runs in another process: none of this one's memory
    codes += [other.post("/login", data={"next": "/home"}, environ_base=visitor).status_code for _ in range(4)]
    assert codes == [502] * 10
    caches.reset_all()
    # The visitor's 11th start is refused by either instance: the count is the database's.
    assert other.post("/login", data={"next": "/home"}, environ_base=visitor).status_code == 429
    caches.reset_all()
    assert client.post("/login", data={"next": "/home"}, environ_base=visitor).status_code == 429
    assert len(mocked_http.calls) == 10


def test_two_app_instances_share_a_limit(app: Flask, database_urls: tuple[str, str]) -> None:
    other = second_app(database_urls)
    limit = SharedLimit("test-shared", limit=5, window=60, clock=lambda: 1_000_030.0)
    answers = []
    for instance in (app, other, app, other, app, other, app):
        with instance.app_context():
            answers.append(limit.hit("someone"))
    assert answers == [True] * 5 + [False, False]
    with app.app_context():
        assert limit.hit("someone else")
        assert db.session.scalar(sa.select(RateCounter.hits).where(RateCounter.key == "test-shared:someone")) == 7


def test_windows_pass_and_old_ones_are_pruned(app: Flask) -> None:
    now = {"t": 1_000_000.0}
    limit = SharedLimit("test-window", limit=2, window=60, clock=lambda: now["t"])
    with app.app_context():
        assert [limit.hit("k") for _ in range(3)] == [True, True, False]
        assert 1 <= limit.retry_after("k") <= 61
        now["t"] += 60
        assert limit.hit("k")  # a new window: counted afresh, and the window that passed is gone
        starts = db.session.scalars(sa.select(RateCounter.window_start).where(RateCounter.key == "test-window:k")).all()
        assert starts == [int(now["t"] // 60) * 60]


def test_long_keys_are_stored_hashed(app: Flask) -> None:
    limit = SharedLimit("test-long", limit=1, window=60)
    with app.app_context():
        assert limit.hit("x" * 500)
        assert not limit.hit("x" * 500)
        assert limit.hit("x" * 499 + "y")
        keys = db.session.scalars(sa.select(RateCounter.key)).all()
        assert all(len(key) <= MAX_KEY_LENGTH for key in keys) and len(keys) == 2


def test_hits_at_the_same_moment_are_all_counted(app: Flask, database_urls: tuple[str, str]) -> None:
    """Two instances hitting at once in threads: exactly ``limit`` hits are let through."""
    instances = [app, second_app(database_urls)]
    limit = SharedLimit("test-race", limit=25, window=60, clock=lambda: 2_000_030.0)
    allowed: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def worker(instance: Flask) -> None:
        barrier.wait()
        for _ in range(20):
            with instance.app_context():
                answer = limit.hit("crowd")
            with lock:
                allowed.append(answer)

    threads = [threading.Thread(target=worker, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 40 and allowed.count(True) == 25
