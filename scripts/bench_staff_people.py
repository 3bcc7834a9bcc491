"""Time the staff overview of people (/staff/people) at 20,000 people: p50 and p95 per case,
interleaved like ``flask capx bench`` (capx.devtools.benchmark). The budget is p95 <= 50 ms a page.

Usage (a scratch database, never production):
  CAPX_DATABASE_URL=mysql+pymysql://root@127.0.0.1/capx_bench?charset=utf8mb4 flask --app app db upgrade
  CAPX_DATABASE_URL=... flask --app app capx load-reference
  CAPX_DATABASE_URL=... python scripts/bench_staff_people.py [--people 20000] [--requests 60]
It adds synthetic accounts (nine in ten with a profile, one in fifty locked) until the database
holds ``--people``, and a staff account to look with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from capx import create_app  # noqa: E402
from capx.devtools.benchmark import TRIVIAL_CASE, measure_all, percentile  # noqa: E402
from capx.extensions import db  # noqa: E402
from capx.models import Profile, User, utcnow  # noqa: E402

STAFF = "Bench Staff Person"
BATCH = 2000


def _seed(people: int) -> tuple[int, int]:
    have = db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0
    start = have
    while have < people:
        n = min(BATCH, people - have)
        now = utcnow()
        db.session.execute(sa.insert(User), [
            {"username": f"Bench Person {i:06d}", "is_staff": i % 500 == 0, "is_locked": i % 50 == 1,
             "created_at": now, "session_generation": 0} for i in range(have, have + n)])
        ids = db.session.execute(sa.select(User.id, User.username).where(
            User.username.in_([f"Bench Person {i:06d}" for i in range(have, have + n) if i % 10]))).all()
        db.session.execute(sa.insert(Profile), [
            {"user_id": uid, "updated_at": now, "search_name": name.casefold()} for uid, name in ids])
        db.session.commit()
        have += n
    if have > start:
        print(f"added {have - start} people")
    staff = db.session.scalar(sa.select(User).where(User.username == STAFF))
    if staff is None:
        staff = User(username=STAFF, is_staff=True, session_generation=0)
        db.session.add(staff)
        db.session.commit()
    return staff.id, staff.session_generation


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    app = create_app()
    app.config["SERVER_NAME"] = "localhost"
    with app.app_context():
        staff = _seed(args.people)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        db.session.remove()
    cases = [
        TRIVIAL_CASE,
        ("people, first page", "/staff/people"),
        ("people, page 200", "/staff/people?page=200"),
        ("people, last page", "/staff/people?page=100000"),
        ("people, name search", "/staff/people?q=person%2001234"),
        ("people, search matching all", "/staff/people?q=bench&page=150"),
        ("people, locked", "/staff/people?locked=yes"),
        ("people, staff without profile", "/staff/people?staff=yes&profile=no"),
        ("people, has profile, not locked, page 100", "/staff/people?profile=yes&locked=no&page=100"),
    ]
    measured = measure_all(app, [path for _, path in cases], args.requests, 5, staff)
    print(f"{total} people on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, "
          f"{args.requests} requests per case, interleaved")
    print(f"{'case':45} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'cpu p95':>8}")
    for (name, _path), (status, wall, cpu) in zip(cases, measured, strict=True):
        print(f"{name:45} {status:>6} {percentile(wall, .5):>8.1f} {percentile(wall, .95):>8.1f} "
              f"{percentile(cpu, .95):>8.1f}")


if __name__ == "__main__":
    main()
