"""Time GET /home on a seeded database: 40 random viewers and the 10 heaviest (most available and
wanted capacities), three warm runs each; prints median, p95, max and the query count.

Usage (a scratch database, never production):
  CAPX_DATABASE_URL=sqlite:////tmp/bench.sqlite flask --app app db upgrade
  CAPX_DATABASE_URL=... flask --app app capx load-reference
  CAPX_DATABASE_URL=... flask --app app capx seed-demo --profiles 100000
  CAPX_DATABASE_URL=... python scripts/bench_home.py
Until ``flask capx bench`` has a /home case, this is how the home was measured (issue 7).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from capx import create_app  # noqa: E402
from capx.extensions import db  # noqa: E402
from capx.models import Profile, ProfileCapacity, User  # noqa: E402


def main() -> None:
    app = create_app()
    app.config["SERVER_NAME"] = "localhost"
    queries = [0]
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Profile))
        sample = random.Random(42).sample(list(db.session.scalars(sa.select(User.id))), 40)
        heavy = list(db.session.scalars(
            sa.select(Profile.user_id).join(ProfileCapacity, ProfileCapacity.profile_id == Profile.id)
            .where(ProfileCapacity.kind.in_(["available", "wanted"]))
            .group_by(Profile.user_id).order_by(sa.func.count().desc()).limit(10)))

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args: object, **_kwargs: object) -> None:
            queries[0] += 1

    client = app.test_client()

    def run(users: list[int]) -> str:
        times, counts = [], []
        for uid in users:
            with client.session_transaction() as sess:
                sess["user_id"], sess["generation"] = uid, 0
            client.get("/home")  # warm: per-process caches
            for _ in range(3):
                queries[0] = 0
                start = time.perf_counter()
                response = client.get("/home")
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
                counts.append(queries[0])
        times.sort()
        return (f"n={len(times)} median={statistics.median(times):.1f} ms p95={times[int(len(times) * .95) - 1]:.1f} ms "
                f"max={times[-1]:.1f} ms queries={min(counts)}-{max(counts)}")

    print(f"{total} profiles on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print("random viewers:  ", run(sample))
    print("heaviest viewers:", run(heavy))


if __name__ == "__main__":
    main()
