"""The load test: CapX under gunicorn with 4 workers, demo profiles, a realistic mix of pages.

    .venv/bin/python scripts/load_test.py \\
        --database-url 'mysql+pymysql://root@127.0.0.1/capx_load?charset=utf8mb4' \\
        --profiles 100000 --users 8 16 --duration 120

Steps:

1. create the database if needed (MariaDB), ``flask db upgrade``, ``flask capx load-reference``
   and ``flask capx seed-demo --profiles N`` (when the N demo profiles are already there, only
   ``flask capx refresh-statistics``, as the daily job would);
2. write the fixtures the visitors need (demo accounts to log in as, profiles, capacities,
   territories, languages, organizations and events that exist) to a JSON file;
3. measure each page alone (scripts/load/page_costs.py: server time without queueing);
4. start gunicorn with 4 sync workers: single-threaded processes, one request and at most one
   database connection each, like the uWSGI processes of Toolforge's webservice;
5. warm up (every worker builds its caches), then run locust headless
   (scripts/load/locustfile.py) once per ``--users`` value, sampling each worker's memory (RSS,
   USS, and the PSS of all gunicorn processes) and the CPU time of the workers, MariaDB and the
   load generator all along;
6. write throughput, p50/p95/p99 per page, failures and peak memory per worker as Markdown
   (printed, and saved with locust's raw CSV files under ``--artifacts``).

The exit status is 1 when any request failed. Requires requirements-load.txt.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
P95_GOAL_MS = 100
MEMORY_GOAL_MIB = 150
MIB = 2**20

#: Runs inside the app (python -c) to count what is seeded and to write the fixtures file.
FIXTURES_SCRIPT = r'''
import json, random, sys
import sqlalchemy as sa
from app import app
from capx.extensions import db
from capx.models import (Event, Language, OrganizationManager, ProfileAffiliation, Territory, User)
from capx.services.capacities import capacity_tree
from capx.devtools.demo import DEMO_CENTRAL_BASE

profiles, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20261122)
with app.test_request_context("/"):
    demo = sa.and_(User.central_id <= DEMO_CENTRAL_BASE, User.central_id > DEMO_CENTRAL_BASE - profiles - 1,
                   User.is_locked.is_(False))
    seeded = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(demo))
    if path == "-":
        print(seeded)
        raise SystemExit(0)

    def demo_users(count):
        numbers = rng.sample(range(1, profiles + 1), min(count, profiles))
        return db.session.scalars(sa.select(User).where(demo, User.central_id.in_(
            [DEMO_CENTRAL_BASE - n for n in numbers]))).all()

    logins = [u.username for u in demo_users(3000)]
    viewed = demo_users(5000)
    rng.shuffle(logins)
    names = [u.username.split(" ") for u in viewed[:300]]
    name_queries = sorted({n[1].lower() for n in names} | {n[0] for n in names[:40]}
                          | {" ".join(n[:2]) for n in names[:40]})
    territories = db.session.execute(sa.select(Territory.code, Territory.parent_id)).all()
    regions = sorted(code for code, parent in territories if parent is None)
    countries = sorted(code for code, parent in territories if parent is not None)
    common = ("en", "es", "pt-br", "fr", "de", "ar", "hi", "id", "sw", "ru", "ja", "bn", "yo", "uk")
    visible = sorted(set(db.session.scalars(sa.select(OrganizationManager.organization_id))))
    fixtures = {
        "login_users": logins,
        "profile_users": [u.url_name for u in viewed],
        "name_queries": name_queries,
        "capacities": sorted(capacity_tree().nodes),
        "regions": regions,
        "territories": regions + rng.sample(countries, min(40, len(countries))),
        "languages": sorted(db.session.scalars(sa.select(Language.code).where(Language.code.in_(common)))),
        "affiliations": sorted(db.session.scalars(
            sa.select(ProfileAffiliation.organization_id).group_by(ProfileAffiliation.organization_id)
            .order_by(sa.func.count().desc()).limit(60))),
        "organizations": visible,
        "events": sorted(db.session.scalars(sa.select(Event.id).where(Event.organization_id.in_(visible)))),
    }
    empty = [key for key, values in fixtures.items() if not values]
    if empty:
        raise SystemExit(f"nothing in the database for: {', '.join(empty)}")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(fixtures, fh)
'''


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flask(env: dict[str, str], *args: str) -> None:
    """Run ``flask --app app ARGS`` and echo what it says."""
    subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True)


def app_script(env: dict[str, str], *args: str) -> str:
    """Run FIXTURES_SCRIPT with ``args``; its standard output."""
    done = subprocess.run([sys.executable, "-c", FIXTURES_SCRIPT, *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def create_mariadb_database(url: str) -> None:
    """CREATE DATABASE IF NOT EXISTS for a mysql+pymysql URL (utf8mb4, as ToolsDB)."""
    import sqlalchemy as sa

    base, _, rest = url.rpartition("/")
    name, _, query = rest.partition("?")
    engine = sa.create_engine(f"{base}/?{query}")
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{name}` "
                             "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    engine.dispose()


def prepare(env: dict[str, str], profiles: int, fixtures: Path) -> float:
    """Migrate, load the reference data, seed (unless already seeded), write the fixtures; seconds spent seeding."""
    if env["CAPX_DATABASE_URL"].startswith("mysql"):
        create_mariadb_database(env["CAPX_DATABASE_URL"])
    print("== flask db upgrade, capx load-reference", flush=True)
    flask(env, "db", "upgrade")
    flask(env, "capx", "load-reference")
    seeded = int(app_script(env, str(profiles), "-").strip())
    seconds = 0.0
    if seeded < profiles:
        print(f"== seeding: {seeded:,} of {profiles:,} demo profiles there", flush=True)
        start = time.monotonic()
        flask(env, "capx", "seed-demo", "--profiles", str(profiles))
        seconds = time.monotonic() - start
    else:
        print(f"== {profiles:,} demo profiles already seeded; refreshing the statistics (the daily job)", flush=True)
        flask(env, "capx", "refresh-statistics")
    app_script(env, str(profiles), str(fixtures))
    return seconds


@dataclass
class Sample:
    """What the sampler saw during one phase."""

    rss: dict[int, int] = field(default_factory=dict)  # peak per worker pid
    uss: dict[int, int] = field(default_factory=dict)
    pss_total: int = 0  # peak of the sum over master + workers
    load: list[float] = field(default_factory=list)  # 1-minute load average readings


class Sampler(threading.Thread):
    """Memory of every gunicorn process and the load average, twice a second, per phase."""

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        self.master = psutil.Process(master_pid)
        self.phases: dict[str, Sample] = {}
        self.phase = "start"
        self.running = True
        self.workers_seen: set[int] = set()

    def run(self) -> None:
        while self.running:
            sample = self.phases.setdefault(self.phase, Sample())
            try:
                total = self.master.memory_full_info().pss
                for child in self.master.children():
                    info = child.memory_full_info()
                    self.workers_seen.add(child.pid)
                    sample.rss[child.pid] = max(sample.rss.get(child.pid, 0), info.rss)
                    sample.uss[child.pid] = max(sample.uss.get(child.pid, 0), info.uss)
                    total += info.pss
                sample.pss_total = max(sample.pss_total, total)
            except psutil.Error:
                pass
            sample.load.append(os.getloadavg()[0])
            time.sleep(0.5)


class CpuMeter:
    """CPU seconds used by the workers, MariaDB, the load generator and the whole machine."""

    def __init__(self, master_pid: int) -> None:
        self.master = psutil.Process(master_pid)
        self.mariadb = next((p for p in psutil.process_iter(["name"])
                             if p.info["name"] in ("mariadbd", "mysqld")), None)

    def _seconds(self, process: psutil.Process | None) -> float:
        try:
            times = process.cpu_times() if process else None
        except psutil.Error:
            return 0.0
        return (times.user + times.system) if times else 0.0

    def read(self, locust: psutil.Process | None) -> dict[str, float]:
        system = psutil.cpu_times()
        idle = system.idle + getattr(system, "iowait", 0.0)
        return {"workers": sum(self._seconds(c) for c in self.master.children()),
                "mariadb": self._seconds(self.mariadb), "locust": self._seconds(locust),
                "busy": sum(system) - idle, "all": sum(system), "wall": time.monotonic()}


def run_locust(args: argparse.Namespace, env: dict[str, str], port: int, users: int, seconds: int,
               prefix: Path, cpu: CpuMeter) -> dict[str, float]:
    """One headless locust run; the CPU used during it (cores, averaged over the run)."""
    command = [str(VENV_BIN / "locust"), "-f", str(ROOT / "scripts" / "load" / "locustfile.py"), "--headless",
               "-u", str(users), "-r", str(max(users, 1)), "-t", f"{seconds}s", "--stop-timeout", "10",
               "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
               "--loglevel", "WARNING"]
    locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(f"{prefix}.log", "w"), stderr=subprocess.STDOUT)
    process = psutil.Process(locust.pid)
    before = cpu.read(process)
    last = before
    while locust.poll() is None:
        try:
            last = cpu.read(process)
        except psutil.Error:
            pass
        time.sleep(1)
    wall = last["wall"] - before["wall"] or 1.0
    cores = psutil.cpu_count() or 1
    return {"workers": (last["workers"] - before["workers"]) / wall,
            "mariadb": (last["mariadb"] - before["mariadb"]) / wall,
            "locust": (last["locust"] - before["locust"]) / wall,
            "busy": (last["busy"] - before["busy"]) / ((last["all"] - before["all"]) or 1.0) * cores,
            "cores": cores}


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def per_request(cores: float, total: dict[str, str]) -> str:
    """CPU milliseconds per request from cores busy on average and the request rate."""
    rate = float(total["Requests/s"])
    return f"{cores / rate * 1000:.0f}" if rate else "?"


def mib(value: int) -> str:
    return f"{value / MIB:.0f}"


@dataclass
class Step:
    """The outcome of one measured run."""

    users: int
    rows: list[dict[str, str]]
    failures: list[dict[str, str]]
    sample: Sample
    cpu: dict[str, float]

    @property
    def total(self) -> dict[str, str]:
        return next(r for r in self.rows if r["Name"] == "Aggregated")

    @property
    def pages(self) -> list[dict[str, str]]:
        return [r for r in self.rows if r["Name"] != "Aggregated"]

    @property
    def worst_p95(self) -> tuple[float, str]:
        return max(((float(r["95%"]), r["Name"]) for r in self.pages), default=(0.0, ""))


def step_table(step: Step) -> list[str]:
    """Per page: requests, failures, p50/p95/p99 and request rate of one run."""
    lines = ["| page | requests | failures | p50 ms | p95 ms | p99 ms | max ms | req/s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in sorted(step.pages, key=lambda r: -float(r["95%"])):
        flag = " ⚠" if float(row["95%"]) > P95_GOAL_MS else ""
        lines.append(f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | "
                     f"{row['95%']}{flag} | {row['99%']} | {float(row['Max Response Time']):.0f} | "
                     f"{float(row['Requests/s']):.1f} |")
    t = step.total
    lines.append(f"| **all** | {t['Request Count']} | {t['Failure Count']} | {t['50%']} | {t['95%']} | "
                 f"{t['99%']} | {float(t['Max Response Time']):.0f} | {float(t['Requests/s']):.1f} |")
    return lines


def report(steps: list[Step], warmup: Step | None, sampler: Sampler, args: argparse.Namespace, backend: str,
           seed_seconds: float) -> str:
    """The Markdown report: method line, a summary per user count, then one table per run."""
    versions = {name: _version(name) for name in ("flask", "sqlalchemy", "pymysql", "gunicorn", "locust")}
    worker_kind = "sync" if args.worker_class == "sync" else f"{args.worker_class} ({args.threads} threads)"
    lines = [
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} with `scripts/load_test.py` "
        f"({platform.node()}, {psutil.cpu_count()} cores, Python {platform.python_version()}, "
        + ", ".join(f"{k} {v}" for k, v in versions.items()) + "):",
        f"gunicorn with {args.workers} {worker_kind} workers, {args.profiles:,} demo profiles on {backend}, "
        f"locust on the same machine, think time {args.wait} s, {args.warmup} s warm-up, "
        f"{args.duration} s per run." + (f" Seeding took {seed_seconds / 60:.1f} min." if seed_seconds else ""),
        "",
        "| users | req/s | p50 ms | p95 ms | worst page p95 ms | failures | peak RSS per worker MiB | "
        "peak USS per worker MiB | PSS all gunicorn MiB | load avg (1 min) | cores busy: workers / MariaDB / locust / "
        "whole machine | CPU ms per request: workers / MariaDB |",
        "| ---: | ---: | ---: | ---: | --- | ---: | --- | --- | ---: | --- | --- | --- |",
    ]
    def maria(text: str) -> str:
        return text if backend == "MariaDB" else "–"

    for step in steps:
        t, s, c = step.total, step.sample, step.cpu
        worst, worst_name = step.worst_p95
        load = f"{min(s.load):.1f}–{max(s.load):.1f}" if s.load else "?"
        lines.append(
            f"| {step.users} | {float(t['Requests/s']):.1f} | {t['50%']} | {t['95%']} | {worst:.0f} ({worst_name}) | "
            f"{t['Failure Count']} of {t['Request Count']} | {', '.join(mib(v) for v in sorted(s.rss.values()))} | "
            f"{', '.join(mib(v) for v in sorted(s.uss.values()))} | {mib(s.pss_total)} | {load} | "
            f"{c['workers']:.2f} / {maria(format(c['mariadb'], '.2f'))} / {c['locust']:.2f} / {c['busy']:.2f} of {c['cores']} | "
            f"{per_request(c['workers'], t)} / {maria(per_request(c['mariadb'], t))} |")
    lines.append("")
    if warmup is not None:
        t = warmup.total
        lines.append(f"Warm-up ({warmup.users} users, {args.warmup} s): {t['Request Count']} requests, "
                     f"{t['Failure Count']} failures (not in the tables).")
    all_rss = [v for phase in sampler.phases.values() for v in phase.rss.values()]
    lines.append(f"Peak RSS of any worker over the whole run: {mib(max(all_rss, default=0))} MiB "
                 f"(goal ≤ {MEMORY_GOAL_MIB} MiB); worker processes seen: {len(sampler.workers_seen)} "
                 f"({'no restarts' if len(sampler.workers_seen) <= args.workers else 'WORKERS WERE RESTARTED'}).")
    lines.append("")
    for step in steps:
        worst, worst_name = step.worst_p95
        lines += [f"#### {step.users} users", ""] + step_table(step) + [""]
        lines.append(f"Worst page p95: {worst:.0f} ms ({worst_name}; goal ≤ {P95_GOAL_MS} ms: "
                     f"{'met' if worst <= P95_GOAL_MS else 'NOT met'}). Error rate: "
                     f"{int(step.total['Failure Count']) / max(int(step.total['Request Count']), 1):.2%}.")
        for failure in step.failures[:10]:
            lines.append(f"- failure: {failure.get('Method')} {failure.get('Name')}: {failure.get('Error')} "
                         f"(×{failure.get('Occurrences')})")
        lines.append("")
    return "\n".join(lines)


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until gunicorn answers /healthz with 200 (or give up with its log)."""
    import urllib.request

    for _ in range(150):
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:  # nosec B310
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not come up; its log ({log}):\n" + log.read_text(encoding="utf-8")[-3000:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="SQLAlchemy URL of the database to load and use.")
    parser.add_argument("--profiles", type=int, default=100_000, help="Demo profiles to have (seeded when missing).")
    parser.add_argument("--users", type=int, nargs="+", default=[16], help="Simulated users; one run per value.")
    parser.add_argument("--duration", type=int, default=120, help="Seconds per run.")
    parser.add_argument("--warmup", type=int, default=15, help="Seconds of warm-up before the runs (0: none).")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="Threads per worker (gthread only).")
    parser.add_argument("--wait", default="0.1,0.5", help="Think time between pages, 'min,max' seconds.")
    parser.add_argument("--serial", type=int, default=30,
                        help="Requests per page measured one at a time in process before the runs (0: skip).")
    parser.add_argument("--artifacts", type=Path, default=None,
                        help="Where the CSV files, logs and report.md go (default test-artifacts/load-<time>).")
    args = parser.parse_args()

    artifacts = (args.artifacts or ROOT / "test-artifacts" / f"load-{dt.datetime.now():%Y%m%d-%H%M%S}").resolve()
    artifacts.mkdir(parents=True, exist_ok=True)
    fixtures = artifacts / "fixtures.json"
    env = {**os.environ, "CAPX_DATABASE_URL": args.database_url, "CAPX_DEV_LOGIN": "1",
           "CAPX_LETS_CONNECT_DATABASE_URL": os.environ.get("CAPX_LETS_CONNECT_DATABASE_URL")
           or f"sqlite:///{artifacts / 'lets_connect.sqlite'}",
           "CAPX_LOAD_FIXTURES": str(fixtures), "CAPX_LOAD_WAIT": args.wait}
    seed_seconds = prepare(env, args.profiles, fixtures)
    serial = ""
    if args.serial:
        print(f"== each page alone, {args.serial} requests (Flask test client)", flush=True)
        load = os.getloadavg()[0]
        serial = subprocess.run([sys.executable, str(ROOT / "scripts" / "load" / "page_costs.py"), str(fixtures),
                                 str(args.serial)], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
        serial = (f"Each page alone ({args.serial} requests each, one at a time, Flask test client, load average "
                  f"{load:.1f} → {os.getloadavg()[0]:.1f}):\n\n{serial}")
        (artifacts / "page-costs.md").write_text(serial, encoding="utf-8")

    port = free_port()
    log = artifacts / "gunicorn.log"
    command = [str(VENV_BIN / "gunicorn"), "--workers", str(args.workers), "--worker-class", args.worker_class,
               "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--error-logfile", str(log), "app:app"]
    if args.worker_class == "gthread":
        command[1:1] = ["--threads", str(args.threads)]
    print("== " + " ".join(command[1:]), flush=True)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    steps: list[Step] = []
    warmup: Step | None = None
    try:
        wait_for(port, server, log)
        sampler = Sampler(server.pid)
        sampler.start()
        cpu = CpuMeter(server.pid)

        def measured(phase: str, users: int, seconds: int) -> Step:
            sampler.phase = phase
            prefix = artifacts / phase
            print(f"== {phase}: {users} users, {seconds} s", flush=True)
            used = run_locust(args, env, port, users, seconds, prefix, cpu)
            time.sleep(0.6)  # one more memory sample in this phase
            step = Step(users, read_csv(Path(f"{prefix}_stats.csv")), read_csv(Path(f"{prefix}_failures.csv")),
                        sampler.phases.get(phase, Sample()), used)
            if not step.rows:
                sys.exit(f"locust wrote no statistics; see {prefix}.log")
            return step

        if args.warmup:
            warmup = measured("warmup", min(args.users), args.warmup)
        for users in args.users:
            steps.append(measured(f"users{users}", users, args.duration))
        sampler.running = False
    finally:
        server.terminate()
        server.wait(timeout=30)
    backend = "MariaDB" if args.database_url.startswith("mysql") else "SQLite"
    text = report(steps, warmup, sampler, args, backend, seed_seconds) + ("\n" + serial if serial else "")
    (artifacts / "report.md").write_text(text + "\n", encoding="utf-8")
    (artifacts / "command.json").write_text(json.dumps({"argv": sys.argv, "gunicorn": command}, indent=2) + "\n",
                                            encoding="utf-8")
    print(text)
    print(f"\n(raw CSV, logs and report.md in {artifacts})")
    failed = any(int(step.total["Failure Count"]) for step in steps)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
