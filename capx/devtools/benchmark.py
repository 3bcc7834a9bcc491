"""Server-time benchmark of the pages that must stay fast at 100,000+ profiles (``flask capx bench``).

Each case is a (name, path) pair requested through the Flask test client, logged in as a demo
user, so the figure is the server's own time (routing, queries, templates) without network or
browser. A trivial route (/healthz: one ``SELECT 1``) is measured in the same run, and each case's
p95 is also given as a multiple of the trivial route's p95, which makes runs on a busy machine
comparable. The cases are interleaved (one request of each, round after round), so a slow spell
of the machine is shared by all of them. The process's CPU time per request is printed too, for the same reason. Add a case by
appending to the list :func:`default_cases` returns.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlencode
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from flask import Flask

from capx.extensions import db
from capx.models import Capacity, User
from capx.services.accounts import DEMO_CENTRAL_BASE

TRIVIAL_CASE = ("trivial (/healthz)", "/healthz")


def default_cases() -> list[tuple[str, str]]:
    """The benchmark cases, as (name, path): Explore and the organization list (issue 5), the home
    suggestions (issue 7) and the data dashboard (issue 8)."""
    codes = dict(db.session.execute(sa.select(Capacity.code, Capacity.id)).all())
    leaf = codes.get("social-media") or min(codes.values())
    root = codes.get("communication") or min(codes.values())
    # A name that matches one person: the case a substring scan of every name would be slowest at.
    someone = db.session.scalar(sa.select(User.username).where(User.central_id <= DEMO_CENTRAL_BASE)
                                .order_by(User.central_id.desc()).offset(4999).limit(1)) or "nobody"
    return [
        ("a. explore, no filter", "/feed"),
        ("b. explore, one capacity as sharers", f"/feed?capacity={leaf}&exchange=sharer"),
        ("c. explore, capacity + region + language", f"/feed?capacity={leaf}&exchange=sharer&territory=LAC&language=pt"),
        ("d. explore, name substring", "/feed?name=silva"),
        ("e. organization list, capacity filter", f"/organization_list?capacity={root}"),
        ("f. home with suggestions", "/home"),
        ("g. data dashboard", "/data_analytics_dashboard"),
        ("h. data dashboard, region card", "/data_analytics_dashboard?region=LAC"),
        ("i. explore, one person's full name", "/feed?" + urlencode({"name": someone})),
    ]


@dataclass(frozen=True)
class CaseResult:
    """Timings of one case in milliseconds."""

    name: str
    path: str
    status: int
    p50: float
    p95: float
    ratio: float  # p95 / the trivial route's p95
    cpu_p50: float = 0.0  # this process's CPU time: not inflated by other processes on a busy machine
    cpu_p95: float = 0.0


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def _login_user_id() -> tuple[int, int]:
    user = db.session.scalar(sa.select(User).where(User.central_id <= DEMO_CENTRAL_BASE, User.is_locked.is_(False))
                             .order_by(User.id).limit(1))
    if user is None:
        raise RuntimeError("no demo user: seed demo profiles first")
    return user.id, user.session_generation


def _client(app: Flask, user: tuple[int, int]) -> Any:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"], session["generation"] = user
    return client


def _timed_get(client: Any, path: str) -> tuple[int, float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    status = client.get(path).status_code
    return status, (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000


def measure(app: Flask, path: str, requests: int, warmup: int,
            user: tuple[int, int]) -> tuple[int, list[float], list[float]]:
    """Request ``path`` ``warmup + requests`` times as ``user``.

    Returns the last status, and the wall-clock and CPU timings (ms) of the last ``requests``
    requests. CPU time is this process's only: with SQLite that is nearly all the work, with
    MariaDB the database server's share is not in it.
    """
    return measure_all(app, [path], requests, warmup, user)[0]


def measure_all(app: Flask, paths: list[str], requests: int, warmup: int,
                user: tuple[int, int]) -> list[tuple[int, list[float], list[float]]]:
    """:func:`measure` for several paths at once, interleaved: round after round, each path once.

    A slow spell of the machine (another process, the hypervisor) then falls on every case alike
    instead of on whichever case happened to run during it.
    """
    clients = [_client(app, user) for _ in paths]
    for client, path in zip(clients, paths, strict=True):
        for _ in range(warmup):
            client.get(path)
    statuses = [0] * len(paths)
    walls: list[list[float]] = [[] for _ in paths]
    cpus: list[list[float]] = [[] for _ in paths]
    for _ in range(requests):
        for i, (client, path) in enumerate(zip(clients, paths, strict=True)):
            statuses[i], wall, cpu = _timed_get(client, path)
            walls[i].append(wall)
            cpus[i].append(cpu)
    return list(zip(statuses, walls, cpus, strict=True))


def run_benchmark(app: Flask, cases: list[tuple[str, str]] | None = None, requests: int = 60, warmup: int = 5,
                  echo: Callable[[str], None] = print) -> list[CaseResult]:
    """Measure every case and the trivial route, interleaved; print and return p50, p95 and p95 ratios."""
    with app.app_context():
        user = _login_user_id()
        cases = cases if cases is not None else default_cases()
        db.session.remove()
    named = [TRIVIAL_CASE, *cases]
    measured = measure_all(app, [path for _, path in named], requests, warmup, user)
    raw = [(name, path, status, wall, cpu) for (name, path), (status, wall, cpu) in zip(named, measured, strict=True)]
    echo(f"measured {len(named)} cases, {requests} requests each, interleaved")
    trivial_p95 = percentile(raw[0][3], 0.95)
    results = [CaseResult(name, path, status, percentile(wall, 0.50), percentile(wall, 0.95),
                          percentile(wall, 0.95) / trivial_p95 if trivial_p95 else 0.0,
                          percentile(cpu, 0.50), percentile(cpu, 0.95))
               for name, path, status, wall, cpu in raw]
    echo("")
    echo(f"{'case':45} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95/trivial':>12} {'cpu p50':>8} {'cpu p95':>8}")
    for r in results:
        echo(f"{r.name:45} {r.status:>6} {r.p50:>8.1f} {r.p95:>8.1f} {r.ratio:>12.1f} {r.cpu_p50:>8.1f} {r.cpu_p95:>8.1f}")
    echo("")
    for r in results:
        echo(f"  {r.name}: {r.path}")
    return results
