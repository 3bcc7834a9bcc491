"""Time /data_analytics_dashboard (median and p95 per view, and overall) in-process.

Prepare a scratch database first, e.g.:
    export CAPX_DATABASE_URL=sqlite:////tmp/bench.sqlite CAPX_LETS_CONNECT_DATABASE_URL=sqlite:////tmp/bench-lc.sqlite
    flask --app app db upgrade && flask --app app capx load-reference
    flask --app app capx seed-demo --profiles 100000 && flask --app app capx refresh-statistics
then: python scripts/bench_data_dashboard.py [requests per view]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from capx import create_app
from capx.extensions import db
from capx.models import Language, User

VIEWS = ["", "?region=LAC", "?tab=languages", "?tab=languages&language={es}&region=SSA",
         "?tab=capacities&type=wanted&region=ESEAP", "?orient=south&lpage=2", "?format=csv&table=languages",
         "?uselang=pt-br&region=NA"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * len(ordered)) - 1)]


def main(per_view: int) -> None:
    app = create_app({"SERVER_NAME": "capx.test"})
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.is_locked.is_(False)).limit(1))
        spanish = db.session.scalar(sa.select(Language.id).where(Language.code == "es"))
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"], session["generation"] = user.id, user.session_generation
    everything: list[float] = []
    everything_cpu: list[float] = []
    for view in VIEWS:
        url = "/data_analytics_dashboard" + view.format(es=spanish)
        assert client.get(url).status_code == 200, url  # warm up (and refresh figures if missing)
        times, cpu = [], []
        for _ in range(per_view):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        everything += times
        everything_cpu += cpu
        print(f"{url[25:]:58s} wall median {statistics.median(times):5.1f} p95 {percentile(times, 0.95):5.1f} ms"
              f" | CPU median {statistics.median(cpu):5.1f} p95 {percentile(cpu, 0.95):5.1f} ms")
    # Wall time depends on what else runs on the machine; CPU time is this process's own work.
    print(f"{'all views':58s} wall median {statistics.median(everything):5.1f} p95 {percentile(everything, 0.95):5.1f} ms"
          f" | CPU median {statistics.median(everything_cpu):5.1f} p95 {percentile(everything_cpu, 0.95):5.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
