"""How long `flask capx import-current` takes on a production-sized export, and how much memory it needs
(figures in docs/import.md). Goal: at most 2 minutes and 300 MiB for 20,000 accounts.

Usage:
    python scripts/bench_import.py generate --users 20000 --target-mb 200 -o /tmp/capx-export-20k.json
    python scripts/bench_import.py run /tmp/capx-export-20k.json --sqlite /tmp/capx-bench.sqlite
    python scripts/bench_import.py run /tmp/capx-export-20k.json \
        --mariadb 'mysql+pymysql://root@127.0.0.1/capx_import_bench?charset=utf8mb4'

``generate`` writes an export of the sample's shape (tests/fixtures/capx-backend-dump/sample.json):
the shared tables once (territories, languages, capacities, the 40 organizations, badges, partners and
their forms), and every person of the sample copied until there are ``--users`` accounts, each copy
with all its rows (profile, languages, saved items, badges, events, bug reports, messages,
mentorship answers...) pointing at the people of the same copy; then more message logs until the
file has about ``--target-mb`` megabytes (a production export of 20,000 accounts is about 200 MB).
It is written as a stream: it never holds the file in memory.

``run`` empties the database (SQLite: a new file; MariaDB: every table dropped), runs `flask db
upgrade` and `flask capx load-reference`, then times `flask capx import-current FILE --skill-map ...`
in a child process and reads that process's peak resident memory from the kernel (wait4).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess  # nosec B404 # runs this repository's own flask commands
import sys
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
DUMP = ROOT / "tests" / "fixtures" / "capx-backend-dump"
#: Rows that belong to one person: copied with them.
PER_PERSON = {
    "users.customuser", "users.profile", "users.languageproficiency", "users.saveditem", "users.letsconnectlog",
    "users.userbadge", "orgs.management", "events.events", "bugs.bug", "bugs.attachment", "message.message",
    "portal.partnermembership", "portal.partnermentorshipformmentorresponse",
    "portal.partnermentorshipformmenteeresponse", "social_django.usersocialauth",
}
#: Every copy's primary keys start this far above the previous copy's.
STRIDE = 10_000


def _copy_row(row: dict[str, Any], k: int, names: dict[str, str]) -> dict[str, Any]:
    """Copy ``k`` of a person's row: new primary keys and usernames, same shared rows."""
    out = copy.deepcopy(row)
    out["pk"] = row["pk"] + k * STRIDE
    f = out["fields"]
    model = row["model"]
    for field in ("user", "related_user", "creator", "sender"):
        if isinstance(f.get(field), list) and f[field]:
            f[field] = [names.get(f[field][0], f[field][0])]
    if model == "users.customuser":
        f["username"] = names[row["fields"]["username"]]
    elif model == "users.languageproficiency":
        f["profile"] += k * STRIDE
    elif model == "bugs.attachment":
        f["bug"] += k * STRIDE
    elif model == "message.message":
        f["receiver"] = names.get(f["receiver"], f["receiver"])
    elif model == "social_django.usersocialauth":
        f["uid"] = str(int(f["uid"]) + k * 100_000_000)
    return out


def _row_bytes(row: dict[str, Any]) -> int:
    return len(json.dumps(row, ensure_ascii=False, indent=1).encode("utf-8")) + 2


def export_rows(users: int, extra_message_copies: int = 0) -> Iterator[dict[str, Any]]:
    """The rows of an export with at least ``users`` accounts (whole copies of the sample's people),
    in the sample's model order."""
    sample = json.loads((DUMP / "sample.json").read_text(encoding="utf-8"))
    people = [r["fields"]["username"] for r in sample if r["model"] == "users.customuser"]
    copies = -(-users // len(people))
    order: list[str] = []
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in sample:
        if row["model"] not in by_model:
            order.append(row["model"])
        by_model.setdefault(row["model"], []).append(row)
    for model in order:
        if model not in PER_PERSON:
            yield from by_model[model]
            continue
        for k in range(copies):
            names = {name: (name if k == 0 else f"{name} {k}") for name in people}
            for row in by_model[model]:
                yield _copy_row(row, k, names) if k else row
        if model == "message.message":
            # Message logs pad the file to a production size: people keep sending messages.
            for extra in range(extra_message_copies):
                k = copies + extra
                names = {name: (name if (k % copies) == 0 else f"{name} {k % copies}") for name in people}
                for row in by_model[model]:
                    yield _copy_row(row, k, names)


def generate(users: int, path: Path, target_mb: float = 0) -> None:
    extra = 0
    if target_mb:
        base = sum(_row_bytes(row) for row in export_rows(users))
        messages = sum(_row_bytes(r) for r in json.loads((DUMP / "sample.json").read_text(encoding="utf-8"))
                       if r["model"] == "message.message")
        extra = max(0, int((target_mb * 1e6 - base) // messages))
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        first = True
        count = 0
        for row in export_rows(users, extra):
            if not first:
                out.write(",\n")
            out.write(json.dumps(row, ensure_ascii=False, indent=1))
            first = False
            count += 1
        out.write("\n]\n")
    print(f"{path}: {count} rows, {path.stat().st_size / 1e6:.0f} MB")


def _flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True,  # nosec B603
                   stdout=subprocess.DEVNULL)


def _fresh_mariadb(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
        for (name,) in conn.execute(sa.text("SHOW TABLES")).all():
            conn.execute(sa.text(f"DROP TABLE `{name}`"))
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))
    engine.dispose()


def run(path: Path, database_url: str, lets_connect_url: str, extra: list[str]) -> None:
    env = {**os.environ, "CAPX_DATABASE_URL": database_url, "CAPX_LETS_CONNECT_DATABASE_URL": lets_connect_url,
           "CAPX_DATABASE_READ_TIMEOUT": "600"}
    if database_url.startswith("sqlite:///"):
        Path(database_url[len("sqlite:///"):]).unlink(missing_ok=True)
    else:
        _fresh_mariadb(database_url)
    _flask(env, "db", "upgrade")
    _flask(env, "capx", "load-reference")
    command = [sys.executable, "-m", "flask", "--app", "app", "capx", "import-current", str(path),
               "--skill-map", str(DUMP / "skill-qids.json"), *extra]
    load = os.getloadavg()
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)  # nosec B603
    output = child.stdout.read() if child.stdout else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    tail = [line for line in output.splitlines() if line.startswith(("total", "every row", "UNEXPLAINED"))]
    print("\n".join(tail))
    print(f"load average before: {load[0]:.1f}; exit status {os.waitstatus_to_exitcode(status)}; wall time {elapsed:.1f} s; "
          f"peak memory (RSS) {usage.ru_maxrss / 1024:.0f} MiB; CPU {usage.ru_utime + usage.ru_stime:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write an export of the sample's shape")
    gen.add_argument("--users", type=int, default=20_000)
    gen.add_argument("-o", "--output", type=Path, required=True)
    gen.add_argument("--target-mb", type=float, default=200,
                     help="pad the file to about this size with more message logs (0: no padding)")
    bench = sub.add_parser("run", help="import an export into a fresh database and measure it")
    bench.add_argument("export", type=Path)
    where = bench.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", type=Path, help="the SQLite file to (re)create")
    where.add_argument("--mariadb", help="SQLAlchemy URL of an empty MariaDB database (its tables are dropped)")
    bench.add_argument("--lets-connect", default=None, help="URL of the Let's Connect database (default: SQLite in /tmp)")
    bench.add_argument("--batch-size", type=int, default=None, help="passed on to import-current")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.users, args.output, args.target_mb)
        return
    url = f"sqlite:///{args.sqlite.resolve()}" if args.sqlite else args.mariadb
    extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
    run(args.export, url, args.lets_connect or "sqlite:////tmp/capx-bench-lets-connect.sqlite", extra)


if __name__ == "__main__":
    main()
