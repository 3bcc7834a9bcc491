"""The load test: CapX under gunicorn with 4 workers, 100,000 demo profiles, a realistic mix.

    python scripts/load_test.py --database-url mysql+pymysql://root@127.0.0.1/capx_load?charset=utf8mb4 \
        --profiles 100000 --users 16 --duration 120 --output docs/performance.md

Steps: migrate and seed the database (idempotent), start gunicorn (4 sync workers, like
Toolforge's uWSGI processes), run locust headless from scripts/load/locustfile.py, sample each
worker's memory all along, and write throughput, p50/p95/p99 per page, the error rate and the
peak memory per worker as a Markdown report. Requires requirements-load.txt.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
P95_GOAL_MS = 100
MEMORY_GOAL_MIB = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    return result.stdout


def prepare(env: dict[str, str], profiles: int, usernames: Path) -> None:
    url = env["CAPX_DATABASE_URL"]
    if url.startswith("mysql"):
        import sqlalchemy as sa

        base, _, rest = url.rpartition("/")
        name = rest.split("?")[0]
        engine = sa.create_engine(f"{base}/?{rest.partition('?')[2]}")
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        engine.dispose()
    print("migrating and seeding (idempotent)...", flush=True)
    flask(env, "db", "upgrade")
    flask(env, "capx", "load-reference")
    flask(env, "capx", "seed-demo", "--profiles", str(profiles))
    script = ("import sqlalchemy as sa\nfrom app import app\nfrom capx.extensions import db\nfrom capx.models import User\n"
              "with app.app_context():\n"
              "    names = db.session.scalars(sa.select(User.username).where(User.central_id < -999999999)"
              ".order_by(User.id).limit(2000)).all()\n"
              f"    open({str(usernames)!r}, 'w', encoding='utf-8').write('\\n'.join(names))\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)


class MemorySampler(threading.Thread):
    """Peak resident memory (RSS) of every gunicorn worker, sampled twice a second."""

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        self.master = psutil.Process(master_pid)
        self.peaks: dict[int, int] = {}
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                for child in self.master.children():
                    rss = child.memory_info().rss
                    self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), rss)
            except psutil.Error:
                pass
            time.sleep(0.5)


def read_stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def report(rows: list[dict[str, str]], peaks: dict[int, int], args: argparse.Namespace, backend: str) -> str:
    lines = [
        "# Performance: load test",
        "",
        f"Measured {dt.date.today().isoformat()} with `scripts/load_test.py` on this project's 2-core machine:",
        f"gunicorn with {args.workers} sync workers, {args.profiles:,} demo profiles on {backend}, "
        f"{args.users} simulated users for {args.duration} s (locust, `scripts/load/locustfile.py`), load generator",
        "on the same machine. Goals: 0 errors; p95 ≤ 100 ms for every page; ≤ 150 MiB per worker.",
        "",
        "| page | requests | failures | p50 ms | p95 ms | p99 ms | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total = None
    worst_p95 = 0.0
    for row in rows:
        if row["Name"] == "Aggregated":
            total = row
            continue
        p95 = float(row["95%"])
        worst_p95 = max(worst_p95, p95)
        lines.append(f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | "
                     f"{row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |")
    assert total is not None
    failures = int(total["Failure Count"])
    requests = int(total["Request Count"])
    peak_mib = max(peaks.values()) / 2**20 if peaks else 0.0
    lines += [
        f"| **all** | {requests} | {failures} | {total['50%']} | {total['95%']} | {total['99%']} | "
        f"{float(total['Requests/s']):.1f} |",
        "",
        f"- Throughput: {float(total['Requests/s']):.1f} requests per second.",
        f"- Error rate: {failures / max(requests, 1):.2%} ({failures} of {requests}).",
        f"- Worst page p95: {worst_p95:.0f} ms (goal ≤ {P95_GOAL_MS} ms: {'met' if worst_p95 <= P95_GOAL_MS else 'NOT met'}).",
        "- Peak memory per worker (RSS): " + ", ".join(f"{v / 2**20:.0f} MiB" for v in sorted(peaks.values()))
        + f" (goal ≤ {MEMORY_GOAL_MIB} MiB: {'met' if peak_mib <= MEMORY_GOAL_MIB else 'NOT met'}).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="capx-load-"))
    env = {**os.environ, "CAPX_DATABASE_URL": args.database_url, "CAPX_DEV_LOGIN": "1",
           "CAPX_LETS_CONNECT_DATABASE_URL": f"sqlite:///{work / 'lc.sqlite'}",
           "CAPX_LOAD_USERNAMES": str(work / "usernames.txt")}
    prepare(env, args.profiles, work / "usernames.txt")
    port = free_port()
    server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                               "--access-logfile", "-", "app:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=open(work / "gunicorn.log", "w"))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        sampler = MemorySampler(server.pid)
        sampler.start()
        prefix = work / "locust"
        subprocess.run([str(VENV_BIN / "locust"), "-f", str(ROOT / "scripts" / "load" / "locustfile.py"),
                        "--headless", "-u", str(args.users), "-r", str(args.users), "-t", f"{args.duration}s",
                        "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary"],
                       cwd=ROOT, env=env, check=False)
        sampler.running = False
        backend = "MariaDB" if args.database_url.startswith("mysql") else "SQLite"
        text = report(read_stats(prefix), sampler.peaks, args, backend)
        args.output.write_text(text, encoding="utf-8")
        print(text)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
