"""Each page of the load test's mix requested alone, one after the other, in this process.

    python scripts/load/page_costs.py FIXTURES.json [REQUESTS] > page-costs.md

Run by scripts/load_test.py before the load runs (with the same environment). Through the Flask
test client, logged in as a demo user, so the figures are the server's own time per page without
any queueing: wall time (including the database) and this process's CPU time. On a shared
machine the CPU column is the steadier one. Prints a Markdown table.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from htmlforms import find_form  # noqa: E402
from pages import PAGES  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    fixtures = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    from app import app

    client = app.test_client()
    login = find_form(client.get("/login").get_data(as_text=True), "/login/dev")
    assert login is not None, "no development login form (CAPX_DEV_LOGIN=1?)"
    client.post("/login/dev", data=urlencode(login.set(login.submission(), "username", fixtures["login_users"][-1])),
                content_type="application/x-www-form-urlencoded")
    rng = random.Random(1)  # nosec B311 # which ids to request, not a secret
    pages = [(p.name, p.build) for p in PAGES] + [
        ("profile edit (form)", lambda _rng, _fx: ("/profile/edit", [])), ("profile (own)", lambda _rng, _fx: ("/profile", []))]
    print("| page | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, build in pages:
        walls: list[float] = []
        cpus: list[float] = []
        for attempt in range(requests + 3):  # the first three warm the caches
            path, params = build(rng, fixtures)
            url = path + ("?" + urlencode(params) if params else "")
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            if attempt >= 3:
                walls.append(wall * 1000)
                cpus.append(cpu * 1000)
        print(f"| {name} | {percentile(walls, .5):.0f} | {percentile(walls, .95):.0f} | "
              f"{percentile(cpus, .5):.0f} | {percentile(cpus, .95):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
